"""Access control on the asset page's way back to its search, for every access level and kind
of reader, over real HTTP (tests/test_access.py's site and readers: three HR photos, one per
level). The neighbours and the count come from the same search in the reader's scope, so an
asset the reader may not see is never a neighbour, never counted, and never named."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

import pytest
from access_matrix import (
    LEVELS,
    READERS,
    for_every_reader_and_level,
    matrix_site,  # noqa: F401 - the fixture site
)

SEARCHES = ("q=photo&sort=oldest", "q=photo&sort=title&per_page=1", "per_page=2")


def _expected_order(base_url: str, admin, search: str, visible: set[str], assets: dict) -> list:  # noqa: ANN001
    """The admin's order of the search, keeping only the assets the reader may see."""
    ids = []
    for page in (1, 2, 3):
        body = admin.get(f"{base_url}/api/search?{search}&page={page}").json()
        ids += [r["id"] for r in body["results"]]
    shown = {assets[level] for level in visible}
    return [i for i in ids if i in shown]


def _neighbour(text: str, rel: str) -> str | None:
    found = re.search(rf'<a rel="{rel}" href="/assets/([0-9a-f]+)\?in=([^"]*)"', text)
    return found.group(1) if found else None


@pytest.mark.parametrize("search", SEARCHES)
@for_every_reader_and_level
def test_neighbours_and_counts_follow_the_access_level(
    site,
    reader: str,
    level: str,
    search: str,
) -> None:
    _, base_url, assets, clients = site
    client, visible = clients[reader], READERS[reader]
    hidden = [assets[other] for other in LEVELS if other not in visible]
    response = client.get(f"{base_url}/assets/{assets[level]}?in={quote(search, safe='')}")
    if level not in visible:
        assert response.status_code == 404, (reader, level)
        others = [assets[other] for other in LEVELS if other != level]
        assert not any(asset in response.text for asset in others)
        assert "search-navigation" not in response.text
        return
    assert response.status_code == 200, (reader, level)
    order = _expected_order(base_url, clients["admin"], search, visible, assets)
    assert len(order) == len(visible)
    index = order.index(assets[level])
    assert f'<span class="position">{index + 1} of {len(order)}</span>' in response.text
    previous = order[index - 1] if index > 0 else None
    following = order[index + 1] if index + 1 < len(order) else None
    assert (_neighbour(response.text, "prev"), _neighbour(response.text, "next")) == (
        previous,
        following,
    ), (reader, level, search)
    assert not any(asset in response.text for asset in hidden), (reader, level)


@pytest.mark.parametrize("reader", READERS)
def test_the_search_page_lists_and_links_only_what_the_reader_may_see(
    site,
    reader: str,
) -> None:
    _, base_url, assets, clients = site
    text = clients[reader].get(f"{base_url}/search?q=photo").text
    linked = set(re.findall(r'<a href="/assets/([0-9a-f]+)\?in=', text))
    assert linked == {assets[level] for level in READERS[reader]}
    for url in re.findall(r'<a href="(/assets/[0-9a-f]+\?in=[^"]*)"', text):
        page = clients[reader].get(base_url + html.unescape(url))
        count = re.search(r'<span class="position">\d+ of (\d+)</span>', page.text)
        assert count and int(count.group(1)) == len(READERS[reader]), reader
