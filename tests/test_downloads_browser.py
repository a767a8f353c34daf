"""Downloads in a real browser (issue 11, part 4): headless Chromium against a real server, on a
desktop and a phone screen. From an asset page a reader downloads the original, the preview
and a WebP at 400 px; each is saved under the title's slug with the right extension, and holds
an image of the width asked for. Sizes read in human units.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from app.domain.media.ingest import Ingester, IngestOptions
from app.service import Atrium

pytestmark = pytest.mark.browser

TITLE = "Harbour at Dawn — Élan, 2024!"
SLUG = "harbour-at-dawn-elan-2024"
WIDTH, HEIGHT = 1200, 800
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def photo(site: tuple[Atrium, str], tmp_path: Path) -> tuple[str, str, Path]:
    """A public 1200×800 PNG titled TITLE on a served site: (base URL, asset id, its file)."""
    atrium, base_url = site
    path = tmp_path / "IMG_0042.png"
    Image.new("RGB", (WIDTH, HEIGHT), (200, 30, 30)).save(path)
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("marketing", "public", settings=[f"title={TITLE}"]))
    outcome = ingester.run([path], options).outcomes[0]
    assert outcome.status == "ingested", outcome.reason
    return base_url, outcome.asset_id, path


def saved(download) -> tuple[str, bytes]:  # noqa: ANN001 - a Playwright download
    """The name the browser suggests and the bytes it saved."""
    assert download.failure() is None
    return download.suggested_filename, Path(download.path()).read_bytes()


def image(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_a_reader_downloads_the_original_the_preview_and_a_webp_at_a_width(
    browser, photo: tuple[str, str, Path], viewport: dict
) -> None:
    base_url, asset_id, path = photo
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{base_url}/assets/{asset_id}")
    downloads = page.locator("#downloads")

    with page.expect_download() as original:
        downloads.locator(f'a[href="/assets/{asset_id}/download"]').click()
    name, data = saved(original.value)
    assert name == f"{SLUG}.png"
    assert data == path.read_bytes()
    assert image(data).size == (WIDTH, HEIGHT)

    with page.expect_download() as preview:
        downloads.locator(f'a[href="/assets/{asset_id}/download?rendition=preview"]').click()
    name, data = saved(preview.value)
    assert name == f"{SLUG}-preview.jpg"
    assert image(data).format == "JPEG"
    shown = re.search(r"(\d+)×(\d+) px", downloads.inner_text())  # the preview's pixels, as said
    assert shown and image(data).size == (int(shown.group(1)), int(shown.group(2)))

    form = downloads.locator("form.made-to-order")
    form.locator("select[name=format]").select_option("webp")
    form.locator("input[name=width]").fill("400")
    with page.expect_download() as made:
        form.locator("button[type=submit]").click()
    name, data = saved(made.value)
    assert name == f"{SLUG}-400px.webp"
    assert image(data).format == "WEBP"
    assert image(data).size == (400, round(400 * HEIGHT / WIDTH))
    assert page.url == f"{base_url}/assets/{asset_id}"  # a download, not a page in the tab

    sizes = downloads.locator(".size")
    assert sizes.count() >= 2  # the original and the renditions
    for index in range(sizes.count()):
        size = sizes.nth(index)
        assert re.fullmatch(r"\d+(\.\d)? (bytes?|KiB|MiB|GiB)", size.inner_text()), (
            size.inner_text()
        )
        assert re.search(r"\d", size.get_attribute("title") or "")  # the exact count on hover
    first = sizes.first
    assert f"{path.stat().st_size:,}" in (first.get_attribute("title") or "")
    assert first.is_visible()
    context.close()
