"""Access control on a video's web rendition and on byte ranges, for every access level and
kind of reader, over real HTTP: the same rule as the asset's page and file
(tests/test_access.py, whose readers this reuses). A range of a file the reader may not see
answers 404, never 206 with its bytes, and the player only shows on pages the reader may see."""

from __future__ import annotations

from pathlib import Path

import pytest
from access_matrix import (
    LEVELS,
    READERS,
    add_readers,
    for_every_reader_and_level,
    ingest_one_per_level,
    matrix_atrium,
    served_to,
)
from media_helpers import RED, write_video

RANGED_PATHS = ("/file", "/web", "/download?rendition=web", "/download")
RANGE = {"Range": "bytes=0-63"}


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """One HR-owned QuickTime video per access level, its web rendition made, served, with a
    session per reader."""
    folder = tmp_path_factory.mktemp("access-media")

    def video(level: str) -> Path:
        seconds = 0.1 * LEVELS.index(level)
        return write_video(folder / f"{level}.mov", colours=[(0.5, RED), (seconds, RED)])

    with matrix_atrium(folder) as atrium:
        assets = ingest_one_per_level(atrium, video)
        made = atrium.web_renditions.make_pending()
        assert {state.state for state in made.values()} == {"ready"} and len(made) == len(LEVELS)
        with served_to(atrium, add_readers(atrium, READERS)) as (base_url, clients):
            yield base_url, assets, clients


@for_every_reader_and_level
def test_ranges_and_the_web_rendition_follow_the_access_level(
    videos, reader: str, level: str
) -> None:
    base_url, assets, clients = videos
    visible = level in READERS[reader]
    for path in RANGED_PATHS:
        url = f"{base_url}/assets/{assets[level]}{path}"
        whole = clients[reader].get(url)
        part = clients[reader].get(url, headers=RANGE)
        assert whole.status_code == (200 if visible else 404), (reader, level, path)
        assert part.status_code == (206 if visible else 404), (reader, level, path)
        if visible:
            assert part.content == whole.content[:64]
            assert part.headers["Cache-Control"].startswith("private")
        else:
            assert b"ftyp" not in part.content  # not one byte of the video
    page = clients[reader].get(f"{base_url}/assets/{assets[level]}").text
    assert (f'<source src="/assets/{assets[level]}/web"' in page) == visible


@pytest.mark.parametrize("reader", READERS)
def test_a_missing_asset_answers_ranges_like_a_hidden_one(videos, reader: str) -> None:
    base_url, _, clients = videos
    for path in ("/file", "/web"):
        response = clients[reader].get(f"{base_url}/assets/0123456789abcdef{path}", headers=RANGE)
        assert response.status_code == 404
