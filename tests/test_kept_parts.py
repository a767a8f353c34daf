"""The search page's facets and results, rendered once per kept search answer
(app/web/kept_parts.py): shown again only for the very answer, URL and interface language
they were written for; never across languages or writes (across readers:
tests/test_access_kept_parts.py)."""

from __future__ import annotations

import gc
import re

from search_helpers import page_titles, put_asset

from app.web import create_app
from app.web.kept_parts import EXTENSION, KeptParts


class _Answer:
    """A stand-in for a search answer: any object that can be weakly referred to."""


def _counted(text: str, calls: list[str]):  # noqa: ANN202
    def render() -> str:
        calls.append(text)
        return text

    return render


def test_a_part_is_rendered_once_for_the_same_answer_and_key() -> None:
    parts, calls = KeptParts(keep=8), []
    answer = _Answer()
    assert parts.get(answer, "facets", _counted("<a>", calls)) == "<a>"
    assert parts.get(answer, "facets", _counted("<b>", calls)) == "<a>"
    assert parts.get(answer, "results", _counted("<c>", calls)) == "<c>"
    assert parts.get(_Answer(), "facets", _counted("<d>", calls)) == "<d>"
    assert calls == ["<a>", "<c>", "<d>"]


def test_a_part_is_not_shown_once_its_answer_is_gone() -> None:
    parts, calls = KeptParts(keep=8), []
    answer = _Answer()
    parts.get(answer, "facets", _counted("old", calls))
    del answer
    gc.collect()
    assert len(parts) == 0  # its part went with it
    assert parts.get(_Answer(), "facets", _counted("new", calls)) == "new"


def test_at_most_keep_parts_are_kept_and_zero_keeps_none() -> None:
    parts, calls = KeptParts(keep=2), []
    answers = [_Answer() for _ in range(3)]
    for n, answer in enumerate(answers):
        parts.get(answer, "facets", _counted(str(n), calls))
    assert len(parts) == 2
    parts.get(answers[0], "facets", _counted("again", calls))  # the oldest went
    assert calls == ["0", "1", "2", "again"]
    none_kept, calls = KeptParts(keep=0), []
    answer = _Answer()
    none_kept.get(answer, "facets", _counted("x", calls))
    none_kept.get(answer, "facets", _counted("x", calls))
    assert calls == ["x", "x"]


# The search page -----------------------------------------------------------------------------


def _page(client, url: str = "/search", **headers: str) -> str:  # noqa: ANN001
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))


def test_the_same_search_shows_the_same_page_and_renders_its_parts_once(
    atrium, monkeypatch
) -> None:
    for title in ("Harbour at dawn", "Lighthouse", "Dunes"):
        put_asset(atrium, title, keywords=["coast"])
    rendered = []
    kept_get = KeptParts.get

    def counting(self, answer, key, render):  # noqa: ANN001, ANN202
        return kept_get(self, answer, key, lambda: rendered.append(key[0]) or render())

    monkeypatch.setattr(KeptParts, "get", counting)
    client = create_app(atrium).test_client()
    first = _page(client, "/search?view=list")
    assert _page(client, "/search?view=list") == first
    assert sorted(rendered) == ["facets_part", "results_part"]
    assert 'class="list"' in first and len(page_titles(first)) == 3
    assert 'class="grid"' in _page(client, "/search")  # another URL: its own parts


def test_no_part_stays_when_the_engine_keeps_no_answer(atrium, monkeypatch) -> None:
    """As over a remote store, which has other writers and so no write count: each search is a
    new answer, and its parts go with it rather than fill the memory."""
    put_asset(atrium, "Harbour at dawn", keywords=["coast"])
    monkeypatch.setattr(atrium.store, "write_count", lambda reading="": None)
    app = create_app(atrium)
    client = app.test_client()
    assert len({_page(client, "/search?view=list") for _ in range(3)}) == 1
    gc.collect()
    assert len(app.extensions[EXTENSION]) == 0


def test_a_write_shows_at_once(atrium) -> None:
    put_asset(atrium, "Harbour at dawn", keywords=["coast"])
    client = create_app(atrium).test_client()
    before = _page(client)
    assert page_titles(before) == ["Harbour at dawn"]
    put_asset(atrium, "Lighthouse", keywords=["coast", "tower"])
    after = _page(client)
    assert sorted(page_titles(after)) == ["Harbour at dawn", "Lighthouse"]
    assert 'data-value="tower"' in after and 'data-value="tower"' not in before


def test_each_interface_language_has_its_own_parts(atrium) -> None:
    put_asset(atrium, "Harbour at dawn", keywords=["coast"])
    client = create_app(atrium).test_client()
    english = _page(client, "/search", **{"Accept-Language": "en"})
    german = _page(client, "/search", **{"Accept-Language": "de"})
    assert 'aria-label="Refine the results"' in english
    assert 'aria-label="Refine the results"' not in german and 'lang="de"' in german
    assert _page(client, "/search", **{"Accept-Language": "en"}) == english


def test_the_json_of_a_search_is_written_once_and_follows_writes(atrium) -> None:
    put_asset(atrium, "Harbour at dawn", keywords=["coast"])
    client = create_app(atrium).test_client()
    first = client.get("/api/search")
    assert first.mimetype == "application/json" and first.json["total"] == 1
    assert client.get("/api/search").data == first.data
    assert (
        client.get("/api/search", base_url="http://other.test/")
        .json["results"][0]["url"]
        .startswith("http://other.test/")
    )
    put_asset(atrium, "Lighthouse")
    assert client.get("/api/search").json["total"] == 2
