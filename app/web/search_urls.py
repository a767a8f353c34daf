"""Search requests and links: the query and language of a request, and every URL of a search.

All the links of the search page (facet values, chips, sort, view, pages, tree nodes) are built
here from a :class:`~app.domain.search.SearchQuery`, so one state of the page has one URL, and
the page works with links and GET forms alone, without JavaScript.

A result's link carries the search it was found by, as ``/assets/ID?in=QUERY-STRING``, so the
asset page can lead back to that search and on to the results before and after it.
:func:`search_from` reads ``in`` back, and accepts only what a search page could have written.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import parse_qsl, quote, quote_plus, urlencode

from flask import abort, request, url_for
from werkzeug.datastructures import MultiDict

from app.domain.search import BadSearch, SearchQuery
from app.domain.search.cards import Card
from app.domain.search.query import PARAMETERS
from app.web.context import current_atrium
from app.web.i18n import interface_languages, localized

VIEWS = ("grid", "list")
FROM_SEARCH = "in"  # the asset page's parameter naming the search it was reached from
MAX_FROM_SEARCH_CHARS = 8_000
MAX_FROM_SEARCH_FIELDS = 200
_NEW_VALUE = "atrium-new-facet-value"  # markers that URL quoting writes unchanged
_ASSET_ID = "atrium-asset-id"


def request_query() -> SearchQuery:
    """The search this request asks for; 400 with what to change if a parameter is bad. The
    facets, and so the parameters, are those of the current field registry."""
    try:
        return SearchQuery.from_args(request.args, current_atrium().search.facets().names)
    except BadSearch as error:
        abort(400, description=localized(error))


class SearchUrls:
    """The links of one search page; presentation (view, language) rides along."""

    def __init__(self, query: SearchQuery, view: str = "grid", language: str | None = None):
        self.query = query
        self.view = view
        self.language = language  # only when the reader chose it with ?lang=
        self._cut_urls: dict[tuple[str, ...], tuple[str, str] | None] = {}

    def to(self, query: SearchQuery, **presentation: str | None) -> str:
        """The URL of another state of the search."""
        params = self._params(query, **presentation)
        base = self._search_page
        return f"{base}?{urlencode(params)}" if params else base

    @cached_property
    def _search_page(self) -> str:
        return url_for("browse.search")

    def here(self) -> str:
        """The URL of this state of the search."""
        return self.to(self.query)

    def asset(self, asset_id: str, page: int | None = None) -> str:
        """An asset's page, reached from this search (or from its page ``page``)."""
        found_by = self._found_by_here if page is None else self._found_by(page)
        return f"{self._asset_page(asset_id)}?{found_by}"

    @cached_property
    def _asset_page(self) -> Callable[[str], str]:
        return asset_urls("assets.page")

    def cards(self, cards: Sequence[Card]) -> list[CardLinks]:
        """Each result with its page's link (reached from this search) and its thumbnail's."""
        thumbnail = asset_urls("assets.rendition", kind="thumbnail")
        return [
            CardLinks(
                card,
                self.asset(card.asset_id),
                thumbnail(card.asset_id) if card.has_thumbnail else None,
            )
            for card in cards
        ]

    @cached_property
    def _found_by_here(self) -> str:
        """The ``in=`` parameter of every result's link on this page (written once)."""
        return self._found_by(None)

    def _found_by(self, page: int | None) -> str:
        query = self.query if page is None else self.query.replace(page=page)
        return urlencode({FROM_SEARCH: urlencode(self._params(query))})

    def _params(self, query: SearchQuery, **presentation: str | None) -> list[tuple[str, str]]:
        view = presentation.get("view", self.view)
        language = presentation.get("lang", self.language)
        params = query.params()
        if view != VIEWS[0]:
            params.append(("view", view))
        if language:
            params.append(("lang", language))
        return params

    def toggle(self, facet: str, value: str) -> str:
        """The URL with ``value`` of ``facet`` chosen, or no longer chosen."""
        if value in self.query.selected(facet):
            return self.to(self.query.toggled(facet, value))
        return self._with_new_value(("facet", facet), value, lambda v: self.query.toggled(facet, v))

    def page(self, number: int) -> str:
        return self.to(self.query.replace(page=number))

    def sort(self, name: str) -> str:
        return self.to(self.query.replace(sort=name))

    def with_view(self, name: str) -> str:
        return self.to(self.query.replace(page=self.query.page), view=name)

    def with_language(self, language: str) -> str:
        return self.to(self.query.replace(page=self.query.page), lang=language)

    def expand(self, iri: str) -> str:
        return self._with_new_value(("expand",), iri, self.query.expanded)

    def _with_new_value(
        self, kind: tuple[str, ...], value: str, changed: Callable[[str], SearchQuery]
    ) -> str:
        """``self.to(changed(value))``, from the URL of ``changed`` cut once where a value goes:
        a page links some fifty values this way (facet values, tree nodes to open). The cut
        is skipped in the rare case that the marker shows elsewhere, in the search's text."""
        if kind not in self._cut_urls:
            parts = self.to(changed(_NEW_VALUE)).split(_NEW_VALUE)
            self._cut_urls[kind] = (parts[0], parts[1]) if len(parts) == 2 else None
        around = self._cut_urls[kind]
        return self.to(changed(value)) if around is None else quote_plus(value).join(around)

    def more(self, facet: str) -> str:
        return self.to(self.query.replace(page=self.query.page, more=(*self.query.more, facet)))

    def fewer(self, facet: str) -> str:
        kept = tuple(name for name in self.query.more if name != facet)
        return self.to(self.query.replace(page=self.query.page, more=kept))

    def without_years(self) -> str:
        return self.to(self.query.replace(year_from=None, year_to=None))

    def without_text(self) -> str:
        return self.to(self.query.replace(text=""))

    def cleared(self) -> str:
        """No text and no filter; sort, view and language kept."""
        return self.to(SearchQuery(sort=self.query.sort, per_page=self.query.per_page))

    def api(self) -> str:
        """The same search as JSON."""
        params = self.query.params() + ([("lang", self.language)] if self.language else [])
        base = url_for("api.search")
        return f"{base}?{urlencode(params)}" if params else base

    def hidden_fields(self, *dropped: str) -> list[tuple[str, str]]:
        """The state as hidden form fields, for a GET form that changes ``dropped`` (and page)."""
        params = [(k, v) for k, v in self.query.params() if k not in (*dropped, "page")]
        if self.view != VIEWS[0]:
            params.append(("view", self.view))
        if self.language:
            params.append(("lang", self.language))
        return params


@dataclass(frozen=True)
class CardLinks:
    """A result as the search page links it."""

    card: Card
    href: str
    thumbnail: str | None


def asset_urls(endpoint: str, **values: object) -> Callable[[str], str]:
    """``url_for(endpoint, asset_id=…, **values)`` for the many assets of a page: one url_for,
    cut where the id goes (an id is 16 hex digits, :class:`~app.domain.iris.Iris`)."""
    before, after = url_for(endpoint, asset_id=_ASSET_ID, **values).split(_ASSET_ID)
    return lambda asset_id: f"{before}{quote(asset_id, safe='')}{after}"


def search_from(found_by: str | None, facets: tuple[str, ...]) -> SearchUrls | None:
    """The search that ``found_by`` (an asset page's ``?in=``) names, as
    :meth:`SearchUrls.asset` wrote it; None for anything a search page could not have written:
    too long, malformed, a parameter that is not a search's (``facets`` are the current
    field registry's), a control character (CR, LF…), an unknown view or language, or a value
    the search refuses."""
    if found_by is None or len(found_by) > MAX_FROM_SEARCH_CHARS:
        return None
    try:
        pairs = parse_qsl(
            found_by,
            keep_blank_values=True,
            strict_parsing=True,
            max_num_fields=MAX_FROM_SEARCH_FIELDS,
        )
    except ValueError:
        return None
    known = {*PARAMETERS, *facets}
    if any(name not in known or _has_controls(name + value) for name, value in pairs):
        return None
    args = MultiDict(pairs)
    view, language = args.get("view", VIEWS[0]), args.get("lang")
    if view not in VIEWS or (language is not None and language not in interface_languages()):
        return None
    try:
        query = SearchQuery.from_args(args, facets)
    except BadSearch:
        return None
    return SearchUrls(query, view, language)


def _has_controls(text: str) -> bool:
    """Whether ``text`` holds a control character (CR, LF, NUL…) or a line or paragraph
    separator: no search page writes one."""
    return any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text)
