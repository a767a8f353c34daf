"""The search page's links (app/web/search_urls.py): a value's link built around its facet's
URL is the very URL the query itself would write, whatever the values and the state."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote_plus, urlsplit

import pytest
from flask import Flask, url_for

from app.domain.search import SearchQuery
from app.domain.search.cards import Card
from app.web import create_app
from app.web.search_urls import SearchUrls, asset_urls

FACETS = ("subject", "department", "format")
ODD_VALUES = ("http://example.org/a b?c=d&e#f", "ü/€+%", "atrium-new-facet-value", "", "x" * 300)
STATES = {
    "plain": SearchQuery(),
    "text and filters": SearchQuery(
        text="harbour & crane", filters={"department": ("hr",), "subject": ("http://x/1",)}
    ),
    "the marker in the text": SearchQuery(text="atrium-new-facet-value", page=3),
    "years, sort, more, expand, page": SearchQuery(
        year_from=1990, year_to=2000, sort="title", more=("subject",), expand=("http://x/2",),
        page=4,
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def page_context():  # noqa: ANN201
    app = Flask(__name__)
    app.add_url_rule("/search", "browse.search")
    with app.test_request_context("/search"):
        yield


@pytest.mark.parametrize("state", STATES.values(), ids=STATES.keys())
@pytest.mark.parametrize("view, language", [("grid", None), ("list", "de")])
def test_value_and_tree_links_are_the_urls_of_the_changed_query(
    page_context, state, view, language
) -> None:
    urls = SearchUrls(state, view, language)
    for facet in FACETS:
        for value in (*ODD_VALUES, *state.selected(facet), "http://x/1"):
            expected = urls.to(state.toggled(facet, value))
            assert urls.toggle(facet, value) == expected, (facet, value)
    for iri in ODD_VALUES:
        assert urls.expand(iri) == urls.to(state.expanded(iri)), iri


def test_a_chosen_value_links_to_the_query_without_it(page_context) -> None:
    state = SearchQuery(filters={"department": ("hr", "sales")}, page=2)
    link = SearchUrls(state).toggle("department", "hr")
    assert parse_qsl(urlsplit(link).query) == [("department", "sales")]


def test_a_card_links_its_page_and_thumbnail_as_url_for_writes_them(atrium) -> None:

    cards = [
        Card("0123456789abcdef", "i", "With", True),
        Card("fedcba9876543210", "j", "No", False),
    ]
    with create_app(atrium).test_request_context("/search"):
        urls = SearchUrls(SearchQuery(text="x", page=2), "list", "fr")
        found_by = "in=" + quote_plus("q=x&page=2&view=list&lang=fr")
        links = urls.cards(cards)
        assert [link.card for link in links] == cards
        assert [link.href for link in links] == [
            f"{url_for('assets.page', asset_id=card.asset_id)}?{found_by}" for card in cards
        ]
        thumbnail = url_for("assets.rendition", asset_id=cards[0].asset_id, kind="thumbnail")
        assert [link.thumbnail for link in links] == [thumbnail, None]
        external = asset_urls("assets.rendition", kind="thumbnail", _external=True)
        expected = url_for(
            "assets.rendition", asset_id="0123456789abcdef", kind="thumbnail", _external=True
        )
        assert external("0123456789abcdef") == expected
