"""Access control on the search page's kept parts and kept JSON (app/web/kept_parts.py), for
every kind of reader, over real HTTP (tests/access_matrix.py's site: three HR photos, one per
level): the admin's page of a search is written and kept first, and no other reader is ever
shown it, nor counts from it."""

from __future__ import annotations

import re

import pytest
from access_matrix import READERS
from access_matrix import matrix_site as matrix_site  # noqa: F401 - the fixture site
from search_helpers import page_titles


@pytest.mark.parametrize("reader", READERS)
def test_a_reader_never_sees_the_parts_of_another_readers_search(site, reader: str) -> None:
    """The admin's search is rendered and kept first; each reader's page of the same URL
    then shows and counts only what they may see, and so does the admin's again."""
    _, base_url, assets, clients = site
    admin_page = clients["admin"].get(f"{base_url}/search?view=list").text
    assert sorted(page_titles(admin_page)) == ["internal photo", "public photo", "restricted photo"]
    for _ in range(2):
        page = clients[reader].get(f"{base_url}/search?view=list").text
        assert sorted(page_titles(page)) == sorted(f"{level} photo" for level in READERS[reader])
        hidden = [asset for level, asset in assets.items() if level not in READERS[reader]]
        assert not any(asset in page for asset in hidden)
        department = r'data-facet="department" data-value=[^>]*>.*?<span class="n">(\d+)</span>'
        assert re.findall(department, page, re.DOTALL) == [str(len(READERS[reader]))]
    assert clients["admin"].get(f"{base_url}/search?view=list").text.count('class="card"') == 3


@pytest.mark.parametrize("reader", READERS)
def test_a_reader_never_gets_the_json_of_another_readers_search(site, reader: str) -> None:
    _, base_url, _, clients = site
    assert clients["admin"].get(f"{base_url}/api/search").json()["total"] == 3
    for _ in range(2):
        found = clients[reader].get(f"{base_url}/api/search").json()
        assert found["total"] == len(READERS[reader])
        titles = sorted(card["title"] for card in found["results"])
        assert titles == sorted(f"{level} photo" for level in READERS[reader])
        counts = [
            value["count"]
            for facet in found["facets"]
            for value in facet["values"]
            if facet["name"] == "department"
        ]
        assert counts == [len(READERS[reader])]
