"""Access control on a document's page pictures, for every access level and kind of reader,
over real HTTP: the same rule as the asset's page, file and preview (tests/test_access.py,
whose readers this reuses). A page the reader may not see answers 404, like a missing one,
and the page strip only shows on the asset pages the reader may see."""

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
from pdf_helpers import write_pdf

PATHS = ("", "/file", "/thumbnail", "/preview", "/page-2", "/page-3")


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """One HR-owned three-page PDF per access level, served, with a session per reader."""
    folder = tmp_path_factory.mktemp("access-documents")

    def three_pages(level: str) -> Path:
        return write_pdf(folder / f"{level}.pdf", [f"{level} one", f"{level} two", "three"])

    with matrix_atrium(folder) as atrium:
        assets = ingest_one_per_level(atrium, three_pages)
        with served_to(atrium, add_readers(atrium, READERS)) as (base_url, clients):
            yield base_url, assets, clients


@for_every_reader_and_level
def test_page_pictures_follow_the_access_level(documents, reader: str, level: str) -> None:
    base_url, assets, clients = documents
    visible = level in READERS[reader]
    for path in PATHS:
        response = clients[reader].get(f"{base_url}/assets/{assets[level]}{path}")
        assert response.status_code == (200 if visible else 404), (reader, level, path)
        if visible and path.startswith("/page-"):
            assert response.headers["Content-Type"] == "image/jpeg"
            assert response.headers["Cache-Control"].startswith("private")
    page = clients[reader].get(f"{base_url}/assets/{assets[level]}").text
    assert ('class="page-strip"' in page) == visible
    missing = clients[reader].get(f"{base_url}/assets/{assets[level]}/page-4")
    assert missing.status_code == 404


@pytest.mark.parametrize("reader", READERS)
def test_search_shows_the_text_of_documents_the_reader_may_see_only(documents, reader: str) -> None:
    base_url, assets, clients = documents
    for level in LEVELS:
        found = clients[reader].get(f"{base_url}/search", params={"q": f"{level} two"}).text
        assert (f"/assets/{assets[level]}" in found) == (level in READERS[reader]), level
