"""Collections in a real browser: headless Chromium (Debian's) against a real server.

A signed-in viewer makes a collection, adds assets from their pages, reorders them, finds them
with the collection facet; another department's viewer cannot see the personal collection.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import add_user, browser_sign_in, serving
from PIL import Image

from app.domain.media.ingest import Ingester, IngestOptions
from app.service import Atrium

pytestmark = pytest.mark.browser


def _ingest(atrium: Atrium, folder: Path, title: str, colour: str) -> str:
    path = folder / f"{title}.png"
    Image.new("RGB", (160, 90), colour).save(path)
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("marketing", "internal", settings=[f"title={title}"]))
    return ingester.run([path], options).outcomes[0].asset_id


def test_a_viewer_gathers_orders_and_finds_assets_in_a_collection(
    browser, atrium: Atrium, tmp_path: Path
) -> None:
    first = _ingest(atrium, tmp_path, "Harbour at dawn", "navy")
    second = _ingest(atrium, tmp_path, "Market stall", "orange")
    viewer = add_user(atrium, "viewer", ("marketing",))
    stranger = add_user(atrium, "viewer", ("hr",))
    with serving(atrium) as base_url:
        page = browser.new_page()
        browser_sign_in(page, base_url, viewer)
        page.goto(base_url + "/")
        page.locator(".collections-link a").click()
        page.wait_for_url("**/collections")
        page.fill(".collection-form input[name=title]", "Trip <ideas>")
        page.fill(".collection-form textarea[name=description]", "For the spring brochure")
        page.locator(".collection-form button[type=submit]").click()
        page.wait_for_url("**/collections/*")
        assert page.locator("h1").inner_text() == "Trip <ideas>"
        collection_url = page.url

        for asset_id in (first, second):
            page.goto(f"{base_url}/assets/{asset_id}")
            block = page.locator(".asset-collections")
            block.locator("select[name=collection]").select_option(label="Trip <ideas>")
            block.locator("button[type=submit]").click()
            page.wait_for_url(f"**/assets/{asset_id}")
            assert "Trip <ideas>" in page.locator(".asset-collections ul").inner_text()

        page.goto(collection_url)
        titles = page.locator(".members .card .title").all_inner_texts()
        assert titles == ["Harbour at dawn", "Market stall"]
        assert "2 assets" in page.locator("#member-counts").inner_text()
        page.locator(".members .card").nth(1).locator("button.move-up").click()
        page.wait_for_url(collection_url)
        titles = page.locator(".members .card .title").all_inner_texts()
        assert titles == ["Market stall", "Harbour at dawn"]

        page.locator("a", has_text="search within").click()
        page.wait_for_url(re.compile(r"/search\?collection="))
        facet = page.locator("#facet-collection")
        assert "Trip <ideas>" in facet.inner_text()
        assert page.locator("ul.grid .card, ul.list .card").count() == 2

        other = browser.new_page()
        browser_sign_in(other, base_url, stranger)
        response = other.goto(collection_url)
        assert response.status == 404
        other.goto(base_url + "/collections")
        assert "Trip" not in other.locator("main").inner_text()
        other.close()
        page.close()
