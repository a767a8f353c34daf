"""Running a search: text, filters, one page of results and the facets, in the reader's scope.

- Scope: the index keeps each asset's named graph; every mask starts from the assets stored in
  the graphs of the reader's :class:`~app.storage.graphstore.Scope`, so nothing outside it is
  ever counted or listed; nor is an asset whose latest write the index has not taken in
  (:meth:`.snapshot.Snapshot.visible`: it fails closed). The cards of the page are then read
  from the graph through the same scope, so a result shows only what the store lets the
  reader see.
- Text: each word of the query (folded: case and accents ignored) must match, as the start of
  a word, the asset's title or another searchable text field (description, keywords, …), or a
  label (pref, alt or hidden, any language) of a concept the asset holds in a searchable
  concept field, of anything broader, or of a concept merged into one of those. Assets whose
  title holds every word rank first, then those whose text does, then those found through
  concepts only; newest first within each.
- ``sort=best:IRI``: by the score in segment IRI (:mod:`app.domain.results.performance`, in
  the reader's scope), assets without results (or beyond :data:`MAX_BEST`) last, newest first.
- Facets: the field registry's (:mod:`app.domain.search.layout`), each run within its own
  budget, and all of them within one for the whole search.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from pyoxigraph import NamedNode

from app.domain.iris import Iris
from app.domain.results.index import ResultsIndex
from app.domain.results.performance import Performance
from app.domain.search.columns import Columns
from app.domain.search.facets import (
    FORMAT_NAMES,
    Budget,
    FacetContext,
    FacetRequest,
    FacetResult,
    OutOfTime,
)
from app.domain.search.index import SearchIndex
from app.domain.search.layout import Facets
from app.domain.search.query import SearchQuery
from app.domain.search.snapshot import SearchUnavailable
from app.domain.search.text import words
from app.domain.search.vocabulary import Vocabulary
from app.namespaces import sparql_prefixes
from app.storage.graphstore import GraphStore, Scope

ORDINAL_SPAN = 1 << 24  # ordinals below this sort by one int64 key; beyond, by lexsort
TIER_SPAN = 1 << 58
MIN_PREFIX = 3  # words this long also match longer words they start
MAX_BEST = 10_000  # scored assets that ``sort=best:IRI`` orders; any beyond sort with the rest


@dataclass(frozen=True)
class SearchLimits:
    """Budgets (seconds, read from the engine's clock) and sizes of one search."""

    facet_seconds: float = 1.0  # one facet
    facets_seconds: float = 3.0  # all the facets of one search
    facet_values: int = 10  # values a facet shows before its "more" link
    more_values: int = 100  # values it shows after
    similar: int = 6  # "more like this"


@dataclass
class Card:
    """One result, as read from the graph through the reader's scope."""

    asset_id: str
    iri: str
    title: str
    has_thumbnail: bool
    format: str | None = None
    created: str | None = None
    department: str | None = None  # IRI
    department_label: str | None = None

    @property
    def format_label(self) -> str | None:
        return FORMAT_NAMES.get(self.format or "", self.format)


@dataclass
class Chip:
    """One chosen filter, shown so it can be removed."""

    facet: str
    facet_label: str
    value: str
    label: str


@dataclass
class SearchResult:
    query: SearchQuery
    total: int
    cards: list[Card]
    facets: list[FacetResult]
    chips: list[Chip] = field(default_factory=list)
    language: str = "en"

    @property
    def pages(self) -> int:
        return max((self.total + self.query.per_page - 1) // self.query.per_page, 1)


class SearchEngine:
    def __init__(
        self,
        store: GraphStore,
        iris: Iris,
        index: SearchIndex,
        limits: SearchLimits | None = None,
        clock: Callable[[], float] = time.perf_counter,
        performance: Performance | None = None,
    ) -> None:
        self.store = store
        self.iris = iris
        self.index = index
        self.limits = limits or SearchLimits()
        self.clock = clock
        self.performance = performance or Performance(store, iris, ResultsIndex(store, iris))

    def facets(self) -> Facets:
        """The facets of the current field registry (their names are the URL parameters)."""
        return self.index.facets()

    def search(self, query: SearchQuery, scope: Scope, language: str = "en") -> SearchResult:
        """One page of what ``scope`` may see that matches ``query``, with every facet."""
        snapshot = self.index.snapshot()
        columns, facets = snapshot.columns, snapshot.facets
        query = _known(query, facets)
        vocabulary = Vocabulary.load(self.store, scope, self.iris)
        masks = _Masks(columns, snapshot.visible(scope.graphs))
        tiers = self._text(masks, facets, vocabulary, query.text, query.order == "relevance")
        for name, values in query.filters.items():
            masks.add(name, facets.by_name[name].matching(columns, vocabulary, values))
        if facets.ranged and (query.year_from is not None or query.year_to is not None):
            # The range is not the date facet's own choice: its counts stay within the range.
            years = facets.ranged.between(columns, query.year_from, query.year_to)
            masks.add(_RANGE, years)
        hits = masks.all()
        best = self._best(columns, query.best_segment, scope) if query.best_segment else None
        page = self._page(columns, hits, query, tiers, best)
        ids = self.index.ids(page)
        cards = self.cards([ids[n] for n in page if n in ids], scope, vocabulary, language)
        return SearchResult(
            query=query,
            total=int(np.count_nonzero(hits)),
            cards=cards,
            facets=self._facets(query, facets, masks, vocabulary, language),
            chips=self._chips(query, facets, vocabulary, language),
            language=language,
        )

    # Text -----------------------------------------------------------------------------------

    def _text(
        self, masks: _Masks, facets: Facets, vocabulary: Vocabulary, text: str, rank: bool
    ) -> np.ndarray | None:
        """Restrict ``masks`` to the assets matching every word; if ``rank``, return each
        asset's tier: 2 with every word in its title, 1 in its text, 0 through concepts only."""
        found = words(text)
        if not found:
            return None
        columns = masks.columns
        expressions = [_fts_word(word) for word in found]
        memo: dict[str, np.ndarray] = {}

        def matching(expression: str) -> np.ndarray:
            if expression not in memo:
                memo[expression] = self.index.matching_text(expression)
            return memo[expression]

        for word, expression in zip(found, expressions, strict=True):
            matched = columns.empty_mask()
            matched[matching(expression)] = True
            concepts = vocabulary.matching(word, prefix=len(word) >= MIN_PREFIX)
            for facet in facets.searched if concepts else ():
                matched |= columns.having(facet.name, concepts)
            masks.add_text(matched)
        if not rank:
            return None
        every = " AND ".join(expressions)
        tiers = np.zeros(columns.size, dtype=np.int64)
        tiers[matching(every)] = 1
        tiers[matching(f"title : ({every})")] = 2
        return tiers

    # The page -------------------------------------------------------------------------------

    def _page(
        self,
        columns: Columns,
        hits: np.ndarray,
        query: SearchQuery,
        tiers: np.ndarray | None,
        best: np.ndarray | None = None,
    ) -> list[int]:
        """The ordinals of the requested page, in order."""
        candidates = np.flatnonzero(hits)
        start, end = query.offset, min(query.offset + query.per_page, len(candidates))
        if start >= end:
            return []
        if best is not None:  # best score first, unscored last, then newest, then ordinal
            ranked = np.lexsort((candidates, -columns.submitted[candidates], best[candidates]))
            return [int(n) for n in candidates[ranked[start:end]]]
        keys = self._sort_keys(columns, query.order, tiers, candidates)
        if end < len(candidates):
            top = np.argpartition(keys, end - 1)[:end]
        else:
            top = np.arange(len(candidates))
        top = top[np.argsort(keys[top], kind="stable")]
        return [int(n) for n in candidates[top[start:end]]]

    def _sort_keys(
        self, columns: Columns, order: str, tiers: np.ndarray | None, candidates: np.ndarray
    ) -> np.ndarray:
        """One int64 per candidate, smallest first; ties broken by ordinal."""
        if order == "title":
            return self.index.title_order(columns)[candidates]
        if columns.size >= ORDINAL_SPAN:  # too many ordinals to pack: rank them instead
            ranked = np.lexsort((candidates, self._raw_keys(columns, order, tiers, candidates)))
            keys = np.empty(len(candidates), dtype=np.int64)
            keys[ranked] = np.arange(len(candidates))
            return keys
        return self._raw_keys(columns, order, tiers, candidates) * ORDINAL_SPAN + candidates

    def _best(self, columns: Columns, segment: str, scope: Scope) -> np.ndarray:
        """Per ordinal, minus the asset's score in ``segment`` (+inf: no results)."""
        keys = np.full(columns.size, np.inf)
        scores = self.performance.scores(NamedNode(segment), scope)
        for iri, score in sorted(scores.items(), key=lambda item: -item[1])[:MAX_BEST]:
            ordinal = self.index.ordinal(self.iris.asset_id(iri) or "")
            if ordinal is not None and ordinal < columns.size:
                keys[ordinal] = -score
        return keys

    @staticmethod
    def _raw_keys(
        columns: Columns, order: str, tiers: np.ndarray | None, candidates: np.ndarray
    ) -> np.ndarray:
        submitted = columns.submitted[candidates]
        if order == "oldest":
            return submitted
        newest = -submitted
        if order == "relevance" and tiers is not None:
            return newest + (2 - tiers[candidates]) * (TIER_SPAN // ORDINAL_SPAN)
        return newest

    # Facets ---------------------------------------------------------------------------------

    def _facets(
        self,
        query: SearchQuery,
        facets: Facets,
        masks: _Masks,
        vocabulary: Vocabulary,
        language: str,
    ) -> list[FacetResult]:
        limits = self.limits
        overall = Budget(limits.facets_seconds, self.clock)
        results = []
        for facet in facets.all:
            request = FacetRequest(
                selected=query.selected(facet.name),
                limit=limits.more_values if facet.name in query.more else limits.facet_values,
                expanded=frozenset(query.expand),
            )
            try:
                overall.check()
                budget = Budget(limits.facet_seconds, self.clock)
                context = FacetContext(masks.columns, vocabulary, language, budget)
                results.append(facet.count(context, masks.all(but=facet.name), request))
            except OutOfTime:
                results.append(FacetResult.of(facet, language, timed_out=True))
        return results

    def _chips(
        self, query: SearchQuery, facets: Facets, vocabulary: Vocabulary, language: str
    ) -> list[Chip]:
        chips = []
        for name, values in query.filters.items():
            facet = facets.by_name[name]
            label = facet.label(language)
            chips += [
                Chip(name, label, v, facet.value_label(vocabulary, v, language)) for v in values
            ]
        return chips

    # Cards ----------------------------------------------------------------------------------

    def cards(
        self, asset_ids: Sequence[str], scope: Scope, vocabulary: Vocabulary, language: str
    ) -> list[Card]:
        """The cards of ``asset_ids``, in that order, as ``scope`` sees them in the graph.

        An asset the graph does not show the reader is left out, and its index entry is
        synced again: the index believed the reader could see it, so it was out of date.
        """
        if not asset_ids:
            return []
        iris = {self.iris.asset(i).value: i for i in asset_ids}
        query = _CARDS.format(assets=" ".join(str(NamedNode(iri)) for iri in iris))
        found: dict[str, Card] = {}
        for row in self.store.select(query, scope=scope):
            asset_id = iris[row["asset"].value]
            if asset_id not in found:
                found[asset_id] = _card(asset_id, row, vocabulary, language)
        missing = [i for i in asset_ids if i not in found]
        if missing:
            self.index.sync(missing)
        return [found[i] for i in asset_ids if i in found]

    def similar(self, asset_id: str, scope: Scope, language: str = "en") -> list[Card]:
        """More like this: the visible assets sharing most subjects with this one (none while
        the index cannot be read: the asset's page still shows)."""
        try:
            snapshot = self.index.snapshot()
        except SearchUnavailable:
            return []
        columns, facets = snapshot.columns, snapshot.facets
        ordinal = self.index.ordinal(asset_id)
        if facets.subject is None or ordinal is None or ordinal >= columns.size:
            return []
        subjects = columns.terms_of(facets.subject.name, ordinal)
        if subjects.size == 0:
            return []
        column = columns.facts[facets.subject.name]
        lookup = np.zeros(columns.terms.size, dtype=bool)
        lookup[subjects] = True
        shared = np.bincount(column.owner[lookup[column.term]], minlength=columns.size)
        visible = snapshot.visible(scope.graphs)
        visible[ordinal] = False
        candidates = np.flatnonzero(visible & (shared > 0))
        order = np.lexsort((candidates, -columns.submitted[candidates], -shared[candidates]))
        chosen = [int(n) for n in candidates[order[: self.limits.similar]]]
        ids = self.index.ids(chosen)
        vocabulary = Vocabulary.load(self.store, scope, self.iris)
        return self.cards([ids[n] for n in chosen if n in ids], scope, vocabulary, language)


_RANGE = "from/to"  # the filter of the range of years (no field name has a slash)


def _known(query: SearchQuery, facets: Facets) -> SearchQuery:
    """``query`` without what the facets do not know: a facet gone since the URL was made, a
    range of years when no field is a date facet."""
    filters = {name: values for name, values in query.filters.items() if name in facets.by_name}
    years = (query.year_from, query.year_to) != (None, None)
    if len(filters) == len(query.filters) and (facets.ranged or not years):
        return query
    dropped = {} if facets.ranged else {"year_from": None, "year_to": None}
    return query.replace(filters=filters, page=query.page, **dropped)


class _Masks:
    """The reader's scope, the text match and each facet's filter, combined on demand."""

    def __init__(self, columns: Columns, scope: np.ndarray) -> None:
        self.columns = columns
        self.base = scope
        self.filters: dict[str, np.ndarray] = {}

    def add_text(self, mask: np.ndarray) -> None:
        self.base = self.base & mask

    def add(self, facet: str, mask: np.ndarray) -> None:
        """A facet's filter; a second one for the same facet (years and a range) narrows it."""
        self.filters[facet] = self.filters[facet] & mask if facet in self.filters else mask

    def all(self, but: str | None = None) -> np.ndarray:
        """Scope, text and every filter except facet ``but``'s own."""
        mask = self.base
        for name, other in self.filters.items():
            if name != but:
                mask = mask & other
        return mask


_CARDS = (
    sparql_prefixes()
    + """
SELECT ?asset ?title ?thumb ?format ?created ?department WHERE {{
  VALUES ?asset {{ {assets} }}
  ?asset a dam:Asset ; dct:title ?title .
  OPTIONAL {{ ?asset dam:hasRendition ?thumb . FILTER(STRENDS(STR(?thumb), "/thumbnail")) }}
  OPTIONAL {{ ?asset dct:format ?format }}
  OPTIONAL {{ ?asset dct:created ?created }}
  OPTIONAL {{ ?asset dam:department ?department }}
}}"""
)


def _card(asset_id: str, row: dict, vocabulary: Vocabulary, language: str) -> Card:
    department = row["department"].value if "department" in row else None
    return Card(
        asset_id=asset_id,
        iri=row["asset"].value,
        title=row["title"].value,
        has_thumbnail="thumb" in row,
        format=row["format"].value if "format" in row else None,
        created=row["created"].value if "created" in row else None,
        department=department,
        department_label=vocabulary.label(department, language) if department else None,
    )


def _fts_word(word: str) -> str:
    """One folded word as an FTS5 query: a quoted string, a prefix query if long enough."""
    quoted = '"' + word.replace('"', '""') + '"'
    return quoted + "*" if len(word) >= MIN_PREFIX else quoted
