"""From a search to an asset and back (issue 11, part 7), over HTTP: a result's link carries its
search, and the asset page leads back to it (same text, filters, sort and page) and on to the
results before and after it, in the search's own order and across its pages. Whatever else is
put in ``?in=`` gives the plain page, never an error.

Who may see a neighbour is tested for every access level and reader in
tests/test_access_navigation.py.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from conftest import make_atrium
from search_helpers import put_asset, subject

from app.service import Atrium
from app.web import create_app

# Titles out of the order they were added in, so that each sort walks another way.
TITLES = ("Harbour crane", "Bicycle lane", "Ferry at dawn", "Ale festival", "Dock workers",
          "Gull on a post", "Canal boats")  # fmt: skip


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Atrium, dict]]:
    atrium = make_atrium(tmp_path_factory.mktemp("navigation") / "data")
    ids = {}
    for day, title in enumerate(TITLES, start=1):
        department = "training" if day % 3 == 0 else "marketing"
        ids[title] = put_asset(
            atrium,
            title,
            department=department,
            subjects=[subject(atrium, "bicycle" if day % 2 else "truck")],
            keywords=["harbour"] if day != 4 else [],
            submitted=f"2026-01-{day:02d}T00:00:00",
        )
    ids["<b>Bold</b> pier"] = put_asset(
        atrium, "<b>Bold</b> pier", keywords=["pier"], submitted="2026-02-01T00:00:00"
    )
    yield atrium, ids
    atrium.close()


@pytest.fixture
def client(catalogue):  # noqa: ANN001, ANN201
    return create_app(catalogue[0]).test_client()


def page_html(client, url: str) -> str:  # noqa: ANN001
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def result_links(text: str) -> list[str]:
    """The asset links of the results on a search page, in order."""
    results = text.split('id="results"')[1]
    return [html.unescape(h) for h in re.findall(r'class="card">\s*<a href="([^"]+)"', results)]


def navigation(text: str) -> str:
    found = re.search(r'<nav class="search-navigation".*?</nav>', text, re.S)
    return found.group(0) if found else ""


def link(text: str, rel: str) -> str | None:
    found = re.search(rf'<a rel="{rel}" href="([^"]+)"', navigation(text))
    return html.unescape(found.group(1)) if found else None


def back_link(text: str) -> str:
    return html.unescape(re.search(r'<a class="back" href="([^"]+)"', navigation(text)).group(1))


def position(text: str) -> str:
    return re.search(r'<span class="position">([^<]+)</span>', text).group(1)


def asset_id(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[-1]


def order_of(client, params: str) -> list[str]:  # noqa: ANN001
    """Every result of the search ``params``, in order, read page by page from the API."""
    ids, page = [], 1
    while True:
        body = client.get(f"/api/search?{params}&page={page}").get_json()
        ids += [r["id"] for r in body["results"]]
        if page * body["per_page"] >= body["total"]:
            return ids
        page += 1


# The links ------------------------------------------------------------------------------------


def test_result_links_carry_the_search_they_were_found_by(catalogue, client) -> None:
    atrium, _ = catalogue
    marketing = atrium.iris.concept("departments/marketing").value
    search = f"q=harbour&department={quote(marketing, safe='')}&sort=title&per_page=2&page=2"
    links = result_links(page_html(client, f"/search?{search}&view=list"))
    assert len(links) == 2
    for url in links:
        found_by = parse_qs(urlsplit(url).query)["in"]
        assert parse_qs(found_by[0]) == {
            "q": ["harbour"],
            "department": [marketing],
            "sort": ["title"],
            "per_page": ["2"],
            "page": ["2"],
            "view": ["list"],
        }


def test_the_back_link_returns_to_the_same_search_and_page(catalogue, client) -> None:
    atrium, _ = catalogue
    truck = quote(subject(atrium, "truck"), safe="")
    search = f"/search?q=harbour&subject={truck}&sort=oldest&per_page=1&page=2&lang=de"
    opened = page_html(client, result_links(page_html(client, search))[0])
    assert back_link(opened) == search
    assert "← zurück zur Suche" in navigation(opened)  # lang=de is kept, and spoken
    plain = page_html(client, result_links(page_html(client, "/"))[0])
    assert back_link(plain) == "/search" and "← alle Medien" in navigation(plain)  # it sticks


@pytest.mark.parametrize(
    "params",
    ["per_page=3", "sort=oldest&per_page=3", "sort=title&per_page=2", "q=harbour&per_page=2",
     "q=bicycle&sort=relevance&per_page=1", "subject={truck}&sort=title&per_page=2"],
)  # fmt: skip
def test_previous_and_next_follow_the_search_order_across_pages(
    catalogue, client, params: str
) -> None:
    atrium, _ = catalogue
    params = params.format(truck=quote(subject(atrium, "truck"), safe=""))
    expected = order_of(client, params)
    assert len(expected) >= 3
    per_page = int(parse_qs(params)["per_page"][0])
    url = result_links(page_html(client, f"/search?{params}"))[0]
    walked, backs = [], []
    while url and len(walked) <= len(expected):  # bounded: a loop of links fails, never hangs
        text = page_html(client, url)
        walked.append(asset_id(url))
        assert position(text) == f"{len(walked)} of {len(expected)}"
        assert (link(text, "prev") is None) == (len(walked) == 1)  # the first has no previous
        backs.append(parse_qs(urlsplit(back_link(text)).query).get("page", ["1"])[0])
        url = link(text, "next")
    assert walked == expected  # and the last has no next
    assert backs == [str(n // per_page + 1) for n in range(len(expected))]  # its own page
    url, walked_back = result_links(page_html(client, back_link(text)))[-1], []
    while url and len(walked_back) <= len(expected):
        walked_back.append(asset_id(url))
        url = link(page_html(client, url), "prev")
    assert walked_back == expected[::-1]


def test_a_neighbours_title_is_escaped(catalogue, client) -> None:
    _, ids = catalogue
    text = page_html(client, result_links(page_html(client, "/"))[1])
    assert link(text, "prev").startswith(f"/assets/{ids['<b>Bold</b> pier']}?in=")
    assert 'title="Previous: &lt;b&gt;Bold&lt;/b&gt; pier"' in text and "<b>Bold" not in text


def test_an_asset_the_search_does_not_find_keeps_only_the_way_back(catalogue, client) -> None:
    _, ids = catalogue
    text = page_html(client, f"/assets/{ids['Ale festival']}?in=q%3Dharbour")
    assert back_link(text) == "/search?q=harbour"
    assert link(text, "prev") is None and link(text, "next") is None
    assert 'class="position"' not in text


# Forged values ----------------------------------------------------------------------------------

FORGED = {
    "junk": "%%%&&==&",
    "not a query": "hello",
    "huge": "q=" + "a" * 20_000,
    "many fields": "&".join(["q=a"] * 500),
    "unknown parameter": "q=harbour&evil=1",
    "the page's own parameter": "q=harbour&in=q",
    "javascript": "javascript:alert(1)",
    "javascript value": "q=javascript:alert(1)&view=javascript:alert(1)",
    "CR LF in a value": "q=harbour%0D%0ASet-Cookie:%20x=1",
    "CR LF raw": "q=harbour\r\nSet-Cookie: x=1",
    "NUL": "q=a%00b",
    "bad sort": "sort=sideways",
    "bad page": "page=0",
    "page beyond the limit": "page=99999999999999999999",
    "bad view": "view=table",
    "bad language": "lang=xx",
    "a URL": "https://evil.example/search?q=harbour",
}


@pytest.mark.parametrize("forged", FORGED.values(), ids=FORGED.keys())
def test_a_forged_search_gives_the_plain_page(catalogue, client, forged: str) -> None:
    _, ids = catalogue
    response = client.get(f"/assets/{ids['Ferry at dawn']}", query_string={"in": forged})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="search-navigation"' not in text and 'rel="next"' not in text
    assert '<a href="/">← all assets</a>' in text
    text = text.split("</header>", 1)[1]  # the header's sign-in link returns to this URL
    assert "evil" not in text and "javascript:" not in text and "Set-Cookie" not in text
    assert not any("x=1" in cookie for cookie in response.headers.getlist("Set-Cookie"))
    assert not any("\r" in value or "\n" in value for value in response.headers.values())


def test_a_search_for_a_facet_of_the_registry_is_accepted(catalogue, client) -> None:
    """The known parameters are the registry's facets, not a list: keywords is one."""
    _, ids = catalogue
    text = page_html(client, f"/assets/{ids['<b>Bold</b> pier']}?in=keywords%3Dpier")
    assert position(text) == "1 of 1" and back_link(text) == "/search?keywords=pier"
