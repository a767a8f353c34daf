"""Access control on the download paths, for every access level and kind of reader, over real
HTTP: the same rule as the asset's page and files (tests/test_access.py, whose site and
readers this reuses). A download the reader may not see answers 404, whatever it asks for,
even when the picture was already made for someone who may; bad input answers 400 only to
those who may see the asset."""

from __future__ import annotations

import io

import pytest
from access_matrix import (
    LEVELS,
    PHOTO_COLOURS,
    READERS,
    for_every_reader_and_level,
    matrix_site,  # noqa: F401 - the fixture site
)
from PIL import Image, ImageColor

COLOURS = {level: ImageColor.getrgb(name) for level, name in PHOTO_COLOURS.items()}
DOWNLOADS = (
    "/download",
    "/download?rendition=preview",
    "/download?rendition=thumbnail",
    "/download?format=webp&width=64",
    "/download?format=png",
    "/download?format=jpeg&width=100",
)
BAD_INPUT = ("/download?format=gif", "/download?format=png&width=0", "/download?rendition=x")


@for_every_reader_and_level
def test_downloads_follow_the_access_level(site, reader: str, level: str) -> None:
    _, base_url, assets, clients = site
    visible = level in READERS[reader]
    url = f"{base_url}/assets/{assets[level]}"
    for path in DOWNLOADS:
        made_first = clients["admin"].get(url + path)  # cached before the reader asks
        assert made_first.status_code == 200, (level, path)
        response = clients[reader].get(url + path)
        assert response.status_code == (200 if visible else 404), (reader, level, path)
        if visible:
            assert response.headers["Content-Disposition"].startswith("attachment; ")
            assert response.headers["Cache-Control"].startswith("private")
            with Image.open(io.BytesIO(response.content)) as image:
                pixel = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
            assert all(abs(a - b) < 8 for a, b in zip(pixel, COLOURS[level], strict=True))
        else:
            assert "attachment" not in response.headers.get("Content-Disposition", "")
            assert response.headers["Content-Type"].startswith("text/html")
    for path in BAD_INPUT:
        response = clients[reader].get(url + path)
        assert response.status_code == (400 if visible else 404), (reader, level, path)


@pytest.mark.parametrize("reader", READERS)
def test_the_page_offers_downloads_only_of_what_the_reader_may_see(
    site,
    reader: str,
) -> None:
    _, base_url, assets, clients = site
    for level in LEVELS:
        page = clients[reader].get(f"{base_url}/assets/{assets[level]}")
        visible = level in READERS[reader]
        assert page.status_code == (200 if visible else 404)
        offered = f'href="/assets/{assets[level]}/download?rendition=preview"' in page.text
        assert offered == visible
        assert (f'action="/assets/{assets[level]}/download"' in page.text) == visible


def test_a_downloaded_restricted_asset_is_audited_under_its_reader(site) -> None:
    atrium, base_url, assets, clients = site
    clients["viewer-hr"].get(f"{base_url}/assets/{assets['restricted']}/download?format=png")
    events = atrium.audit.history(atrium.iris.asset(assets["restricted"]))
    assert any(e.action == "downloaded" and "viewer-hr" in e.agent for e in events)
