"""``/`` and ``/search``: faceted browsing and semantic search over what the reader may see.

Every state is in the URL (:mod:`app.domain.search.query`), so a search can be bookmarked and
shared, and back and forward work. The page needs no JavaScript: facet values, chips, sort,
view, language and pages are links, the text box and the year range are GET forms.

The asset page's "more like this", its links from concepts to searches and its way back to the
search it was reached from (with the results before and after it) come from here too, as
template globals, so that every search URL is built in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, g, render_template, request

from app.domain.search import Card, ConceptLookup, SearchQuery
from app.web.context import current_atrium, current_scope
from app.web.i18n import current_language, interface_languages
from app.web.search_urls import (
    FROM_SEARCH,
    VIEWS,
    SearchUrls,
    request_query,
    search_from,
)

browse = Blueprint("browse", __name__)


@browse.get("/")
def index() -> str:
    """The search page with no text and no filter: everything the reader may see, newest first."""
    return _search_page()


@browse.get("/search")
def search() -> str:
    """Faceted browsing and text search; every parameter is in the URL."""
    return _search_page()


def _search_page() -> str:
    query = request_query()
    language = current_language()
    view = request.args.get("view", VIEWS[0])
    view = view if view in VIEWS else VIEWS[0]
    languages = interface_languages()
    chosen_language = request.args.get("lang") if request.args.get("lang") in languages else None
    result = current_atrium().search.search(query, current_scope(), language)
    return render_template(
        "index.html",
        result=result,
        urls=SearchUrls(query, view, chosen_language),
        view=view,
        languages=languages,
    )


@browse.app_template_global()
def similar_assets(asset_id: str) -> list[Card]:
    """More like this, for the asset page: visible assets sharing the most subjects."""
    return current_atrium().search.similar(asset_id, current_scope(), current_language())


@dataclass(frozen=True)
class Step:
    """A link to a neighbouring result."""

    url: str
    title: str


@dataclass(frozen=True)
class SearchNavigation:
    """The asset page's way back to its search: ``back`` to the results as they were, and,
    while the asset is among them, its ``position`` of ``total`` and the steps either side."""

    back: str
    is_plain_list: bool
    position: int | None = None
    total: int | None = None
    previous: Step | None = None
    next: Step | None = None


@browse.app_template_global()
def search_navigation(asset_id: str) -> SearchNavigation | None:
    """The search this asset page was reached from (``?in=``), its neighbours computed by that
    search in the reader's scope; None when the page names no search, or a value no search
    page writes."""
    atrium = current_atrium()
    urls = search_from(request.args.get(FROM_SEARCH), atrium.search.facets().names)
    if urls is None:
        return None
    back = SearchNavigation(urls.here(), urls.query.is_empty)
    found = atrium.search.neighbours(urls.query, asset_id, current_scope(), current_language())
    if found is None:
        return back
    per_page = urls.query.per_page

    def step(card: Card | None, position: int) -> Step | None:
        if card is None:
            return None
        return Step(urls.asset(card.asset_id, page=(position - 1) // per_page + 1), card.title)

    return SearchNavigation(
        back=back.back,
        is_plain_list=back.is_plain_list,
        position=found.position,
        total=found.total,
        previous=step(found.previous, found.position - 1),
        next=step(found.next, found.position + 1),
    )


@browse.app_template_global()
def concept_search_url(iri: str) -> str:
    """The search for assets holding concept ``iri``, in the facet of the field its scheme
    feeds (the subject field for a scheme no field claims); a text search for its label if
    that field is not a facet."""
    atrium = current_atrium()
    fields = atrium.fields
    schemes = sorted(_vocabulary().schemes_of(iri))
    scheme = next((s for s in schemes if s in fields.claimed_schemes), None)
    field = fields.field_of_scheme(scheme)
    facet = atrium.search.facets().by_name.get(field.name) if field is not None else None
    if facet is not None and facet.predicate == field.path:
        return SearchUrls(SearchQuery()).toggle(facet.name, iri)
    label = _vocabulary().label(iri, current_language())
    return SearchUrls(SearchQuery()).to(SearchQuery(text=label))


@browse.app_template_global()
def concept_page_url(iri: str) -> str:
    """The concept's page in the vocabulary browser."""
    return "/vocab/concept?" + urlencode({"iri": iri})


@browse.app_template_global()
def is_concept(iri: str) -> bool:
    return iri in _vocabulary().concepts


def _vocabulary() -> ConceptLookup:
    """The vocabularies, read once per request."""
    if "vocabulary" not in g:
        atrium = current_atrium()
        g.vocabulary = atrium.search.concept_lookup(current_scope())
    return g.vocabulary
