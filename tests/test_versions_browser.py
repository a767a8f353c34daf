"""Versions in a real browser (issue 11, part 5): headless Chromium against a real server, on a
desktop and a phone screen. A contributor uploads a new file for an asset from its page: the
asset keeps its IRI and title, its preview follows the new file, the history lists both
versions; a revert brings the first back; the administrator's audit shows both actions.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import add_user, browser_sign_in
from PIL import Image

from app.domain.media.ingest import Ingester, IngestOptions
from app.service import Atrium

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
TITLE = "Spring launch poster"


def colour_of_preview(page, base_url: str, asset_id: str) -> tuple[int, int, int]:  # noqa: ANN001
    """The colour in the middle of the preview the page shows now (fetched with its session)."""
    response = page.request.get(f"{base_url}/assets/{asset_id}/preview")
    assert response.ok
    with Image.open(io.BytesIO(response.body())) as preview:
        rgb = preview.convert("RGB")
        return rgb.getpixel((rgb.width // 2, rgb.height // 2))


def history(page) -> list[str]:  # noqa: ANN001
    return page.locator("table.versions tbody tr td:first-child").all_inner_texts()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_a_new_version_keeps_the_asset_and_a_revert_brings_the_first_back(
    browser, site: tuple[Atrium, str], tmp_path: Path, viewport: dict
) -> None:
    atrium, base_url = site
    first = tmp_path / "first.png"
    Image.new("RGB", (160, 90), (220, 20, 20)).save(first)
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("marketing", "internal", settings=[f"title={TITLE}"]))
    asset_id = ingester.run([first], options).outcomes[0].asset_id
    iri = atrium.iris.asset(asset_id).value
    second = tmp_path / "second.jpg"
    Image.new("RGB", (300, 120), (20, 20, 230)).save(second, "JPEG")
    contributor = add_user(atrium, "contributor", ("marketing",))

    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    browser_sign_in(page, base_url, contributor)
    page.goto(f"{base_url}/assets/{asset_id}")
    red, _, blue = colour_of_preview(page, base_url, asset_id)
    assert red > 200 and blue < 60

    versions = page.locator("#versions")
    versions.locator("input[type=file]").set_input_files(str(second))
    versions.locator("button[type=submit]").click()
    page.wait_for_url(f"{base_url}/assets/{asset_id}/versions")
    assert history(page) == ["2 (current)", "1"]
    assert "second.jpg" in page.locator("table.versions").inner_text()
    assert "first.png" in page.locator("table.versions").inner_text()

    page.goto(f"{base_url}/assets/{asset_id}")
    assert page.locator("h1").first.inner_text() == TITLE  # same asset, same description
    assert iri in page.locator("main").inner_text()
    red, _, blue = colour_of_preview(page, base_url, asset_id)
    assert blue > 200 and red < 60  # the preview was made again from the new file

    page.goto(f"{base_url}/assets/{asset_id}/versions")
    page.locator("table.versions form button[type=submit]").click()  # the only one: version 1
    page.wait_for_url(f"{base_url}/assets/{asset_id}/versions*")
    assert history(page) == ["3 (current) · reverts to 1", "2", "1"]
    red, _, blue = colour_of_preview(page, base_url, asset_id)
    assert red > 200 and blue < 60
    page.goto(f"{base_url}/assets/{asset_id}")
    assert page.locator("h1").first.inner_text() == TITLE
    context.close()

    admin = browser.new_context(viewport=viewport)
    page = admin.new_page()
    browser_sign_in(page, base_url, add_user(atrium, "admin"))
    page.goto(f"{base_url}/admin/audit?asset={asset_id}")
    actions = page.locator("tr.event td.action").all_inner_texts()
    assert "versioned" in actions and "reverted" in actions, actions
    assert actions.index("reverted") < actions.index("versioned")  # newest first
    admin.close()
