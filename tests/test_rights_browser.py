"""Rights in time in a real browser (issue 11, part 6): headless Chromium against a real server
with the rights check running as ``atrium serve`` runs it, on a desktop and a phone screen.
An asset whose rights expired is shown to its department as withdrawn, with the reason, and is
not found by anonymous readers; an embargo still ahead keeps an asset out of public view.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from conftest import TODAY, add_user, browser_sign_in
from PIL import Image

from app.domain.assets.rights_check import PeriodicRightsCheck, RightsCheck
from app.domain.media.ingest import Ingester, IngestOptions
from app.service import Atrium

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("rights_clock_on_today")]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
LAST_YEAR = (TODAY - dt.timedelta(days=365)).isoformat()
NEXT_MONTH = (TODAY + dt.timedelta(days=30)).isoformat()


def ingest(atrium: Atrium, folder: Path, title: str, colour: str, *settings: str) -> str:
    path = folder / f"{title}.png"
    Image.new("RGB", (160, 90), colour).save(path)
    ingester = Ingester(atrium)
    options = ingester.resolve(
        IngestOptions("research", "public", settings=[f"title={title}", *settings])
    )
    outcome = ingester.run([path], options).outcomes[0]
    assert outcome.status == "ingested", outcome.reason
    return outcome.asset_id


def withdrawn(atrium: Atrium, *asset_ids: str, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(atrium.assets.access_of(a)[0] == "internal" for a in asset_ids):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_expired_and_embargoed_assets_leave_public_view_and_say_why(
    browser, site: tuple[Atrium, str], tmp_path: Path, viewport: dict
) -> None:
    atrium, base_url = site
    with PeriodicRightsCheck(RightsCheck(atrium), 3600):
        expired = ingest(atrium, tmp_path, "Lab bench", "teal", f"expires={LAST_YEAR}")
        embargoed = ingest(atrium, tmp_path, "Prototype", "olive", f"available={NEXT_MONTH}")
        current = ingest(atrium, tmp_path, "Open day", "navy", f"expires={NEXT_MONTH}")
        assert withdrawn(atrium, expired, embargoed)

        anonymous = browser.new_context(viewport=viewport)
        page = anonymous.new_page()
        for hidden in (expired, embargoed):
            assert page.goto(f"{base_url}/assets/{hidden}").status == 404
        assert page.goto(f"{base_url}/assets/{current}").status == 200
        page.goto(f"{base_url}/search?q=")
        listed = page.locator("main").inner_text()
        assert "Open day" in listed
        assert "Lab bench" not in listed and "Prototype" not in listed
        anonymous.close()

        staff = browser.new_context(viewport=viewport)
        page = staff.new_page()
        browser_sign_in(page, base_url, add_user(atrium, "viewer", ("research",)))
        assert page.goto(f"{base_url}/assets/{expired}").status == 200
        notice = page.locator(".withdrawn")
        assert notice.is_visible()
        assert f"expired on {LAST_YEAR}" in notice.inner_text()
        assert page.goto(f"{base_url}/assets/{embargoed}").status == 200
        assert f"embargoed until {NEXT_MONTH}" in page.locator(".withdrawn").inner_text()
        page.goto(f"{base_url}/assets/{current}")
        assert page.locator(".withdrawn").count() == 0
        staff.close()
