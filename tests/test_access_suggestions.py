""" "Did you mean" never offers a word that only assets hidden from the reader hold (issue 13,
part 3): every reader, every access level, over real HTTP (/api/search and the search page)."""

from __future__ import annotations

from access_matrix import READERS, for_every_reader_and_level
from access_matrix import matrix_site as matrix_site  # noqa: F401 - the ``site`` fixture

TYPOS = {"public": "publc", "internal": "intrnal", "restricted": "restrcted"}  # the titles' words


@for_every_reader_and_level
def test_suggestions_come_from_what_the_reader_may_see(site, reader: str, level: str) -> None:
    _, base_url, _, clients = site
    client, typo = clients[reader], TYPOS[level]
    body = client.get(f"{base_url}/api/search", params={"q": typo}, timeout=30).json()
    page = client.get(f"{base_url}/search", params={"q": typo}, timeout=30).text
    visible = level in READERS[reader]
    assert (body.get("suggestions", []) == [level]) is visible
    assert (f">{level}</a>?</p>" in page) is visible
    if not visible:
        assert body.get("suggestions", []) == []
        assert level not in page.split('class="results"', 1)[1].split("</section>", 1)[0]
