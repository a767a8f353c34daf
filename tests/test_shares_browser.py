"""Share links in a real browser: headless Chromium (Debian's) against a real server.

A contributor makes a password link allowing originals on the asset page; an outsider opens it
in a fresh browser context (no session), is asked for the password, sees the preview, downloads
the original; after the contributor revokes it, the link answers 410.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import add_user, browser_sign_in, serving
from PIL import Image

from app.domain.media.ingest import Ingester, IngestOptions
from app.service import Atrium

pytestmark = pytest.mark.browser


def _ingest(atrium: Atrium, folder: Path) -> str:
    path = folder / "harbour.png"
    Image.new("RGB", (160, 90), "navy").save(path)
    ingester = Ingester(atrium)
    options = ingester.resolve(
        IngestOptions("marketing", "restricted", settings=["title=Harbour at dawn"])
    )
    return ingester.run([path], options).outcomes[0].asset_id


def test_a_contributor_shares_an_asset_with_an_outsider(
    browser, atrium: Atrium, tmp_path: Path
) -> None:
    asset_id = _ingest(atrium, tmp_path)
    contributor = add_user(atrium, "contributor", ("marketing",))
    expires = (dt.date.today() + dt.timedelta(days=14)).isoformat()
    with serving(atrium) as base_url:
        page = browser.new_page()
        browser_sign_in(page, base_url, contributor)
        page.goto(f"{base_url}/assets/{asset_id}")
        form = page.locator(".share-form")
        form.locator("input[name=expires]").fill(expires)
        form.locator("input[name=password]").fill("harbour secret")
        form.locator("select[name=allows]").select_option("original")
        form.locator("button[type=submit]").click()
        page.wait_for_url("**/shares")
        link = page.locator(".share-url").inner_text().strip()
        assert link.startswith(f"{base_url}/s/")
        assert page.locator("tr.share-active").count() == 1

        outsider = browser.new_context(accept_downloads=True)  # no cookies of the contributor
        stranger = outsider.new_page()
        stranger.goto(link)
        assert stranger.locator("nav").count() == 0  # no site navigation around it
        stranger.fill("input[name=password]", "wrong guess")
        stranger.locator("form button[type=submit]").click()
        assert "not the link's password" in stranger.locator(".error").inner_text()
        stranger.fill("input[name=password]", "harbour secret")
        stranger.locator("form button[type=submit]").click()
        stranger.wait_for_selector("h1:text('Harbour at dawn')")
        loaded = stranger.locator(".shared-asset img").evaluate("img => img.naturalWidth")
        assert loaded > 0  # the preview really loads
        with stranger.expect_download() as download_info:
            stranger.locator("a.download-original").click()
        download = download_info.value
        assert download.suggested_filename == "harbour-at-dawn.png"
        assert Path(download.path()).read_bytes()[:4] == b"\x89PNG"

        page.locator("tr.share-active button[type=submit]").click()
        page.wait_for_url("**/shares")
        assert page.locator("tr.share-revoked").count() == 1
        answer = stranger.goto(link)
        assert answer.status == 410
        assert "no longer works" in stranger.locator("h1").inner_text()
        outsider.close()
