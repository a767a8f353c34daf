"""The pages in a real browser: headless Chromium (Debian's) against a real server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import add_user, browser_sign_in, need_corpus, serving
from PIL import Image

from app.domain.media.ingest import Ingester, IngestOptions
from app.service import Atrium

pytestmark = pytest.mark.browser
LOADED = "img => img.complete && img.naturalWidth > 0"


@pytest.fixture
def served(atrium: Atrium, tmp_path: Path) -> Iterator[str]:
    photo = tmp_path / "flower.jpg"
    shutil.copyfile(need_corpus("images", "pillow__flower.jpg"), photo)
    ingester = Ingester(atrium)
    ingester.run([photo], ingester.resolve(IngestOptions("marketing", "public")))
    with serving(atrium) as base_url:
        yield base_url


def test_a_visitor_opens_an_asset_from_the_list(browser, served: str, tmp_path: Path) -> None:
    page = browser.new_page()
    page.goto(served + "/")
    cards = page.locator(".card img")
    assert cards.count() == 1
    # Waits until the image has loaded and decoded (fails after Playwright's timeout if not).
    page.wait_for_function(LOADED, arg=cards.first.element_handle())
    page.locator(".card a").first.click()
    page.wait_for_url("**/assets/*")
    assert page.locator("h1").inner_text()
    preview = page.locator("figure.preview img")
    page.wait_for_function(LOADED, arg=preview.element_handle())
    assert page.locator("a.download").get_attribute("href").endswith("/download")
    page.screenshot(path=str(tmp_path / "asset.png"))


def test_a_contributor_uploads_signs_out_and_a_viewer_is_refused(
    browser, atrium: Atrium, tmp_path: Path
) -> None:
    contributor = add_user(atrium, "contributor", ("marketing",))
    viewer = add_user(atrium, "viewer", ("marketing",))
    photo = tmp_path / "poster.png"
    Image.new("RGB", (160, 90), "orange").save(photo)
    with serving(atrium) as base_url:
        page = browser.new_page()
        browser_sign_in(page, base_url, contributor)
        assert contributor in page.locator(".account").inner_text()
        page.goto(base_url + "/upload")
        page.set_input_files("input[name=file]", str(photo))
        page.fill("input[name=title]", "Autumn poster")
        page.locator("form.describe button[type=submit]").click()
        page.wait_for_url("**/assets/*")
        assert page.locator("h1").inner_text() == "Autumn poster"

        page.locator(".account button", has_text="Sign out").click()
        page.wait_for_load_state()
        assert "Sign in" in page.locator(".account").inner_text()

        browser_sign_in(page, base_url, viewer)
        response = page.goto(base_url + "/upload")
        assert response.status == 403
        assert "contributor" in page.locator("main").inner_text()
        page.close()
