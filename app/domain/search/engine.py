"""Running a search: text, filters, one page of results and the facets, in the reader's scope.

- Scope: the index keeps each asset's named graph; every mask starts from the assets stored in
  the graphs of the reader's :class:`~app.storage.graphstore.Scope`, so nothing outside it is
  ever counted or listed; nor is an asset whose latest write the index has not taken in
  (:meth:`.snapshot.Snapshot.visible`: it fails closed). The cards of the page are then read
  from the graph through the same scope, so a result shows only what the store lets the
  reader see.
- Text: each word of the query (folded: case and accents ignored) must match, as the start of
  a word or exactly through one of its stems (:mod:`.stems`), the asset's title or another
  searchable text field (description, keywords, …), or a label (pref, alt or hidden, any
  language) of a concept the asset holds in a searchable concept field, of anything broader,
  or of a concept merged into one of those. Assets whose title holds every word rank first,
  then those whose text does, then those found through concepts only; newest first within
  each. A text search that finds few offers respellings that find more for this reader
  (:mod:`.suggestions`); one that finds nothing keeps its facets, at zero.
- ``sort=best:IRI``: by the score in segment IRI (:mod:`app.domain.results.performance`, in
  the reader's scope), assets without results (or beyond :data:`MAX_BEST`) last, newest first.
- Facets: the field registry's (:mod:`app.domain.search.layout`), each run within its own
  budget, and all of them within one for the whole search.
- Neighbours: an asset's place in the results, and the results before and after it, for the
  asset page's previous and next: the same hits in the same order (:mod:`.ordering`), found
  without the facets and without sorting the pages.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from pyoxigraph import NamedNode

from app.domain.iris import Iris
from app.domain.results.index import ResultsIndex
from app.domain.results.performance import Performance
from app.domain.search.cards import Card, read_cards
from app.domain.search.collection_facet import COLLECTION_FACET, CollectionFacet, MembershipSource
from app.domain.search.columns import Columns
from app.domain.search.concept_lookup import CACHED_SCOPES, ConceptLookup
from app.domain.search.facets import (
    Budget,
    FacetContext,
    FacetRequest,
    FacetResult,
    OutOfTime,
    kept_at_zero,
)
from app.domain.search.index import SearchIndex
from app.domain.search.layout import Facets
from app.domain.search.masks import RANGE, Masks, known
from app.domain.search.ordering import Ordering
from app.domain.search.query import SearchQuery
from app.domain.search.snapshot import SearchUnavailable, Snapshot
from app.domain.search.suggestions import FEW_RESULTS, suggest
from app.domain.search.text_match import match_words
from app.storage.graphstore import GraphStore, Scope
from app.storage.read_cache import ReadCache

MAX_BEST = 10_000  # scored assets that ``sort=best:IRI`` orders; any beyond sort with the rest


@dataclass(frozen=True)
class SearchLimits:
    """Budgets (seconds, read from the engine's clock; settings, see app.config) and sizes of
    one search."""

    facet_seconds: float  # one facet
    facets_seconds: float  # all the facets of one search
    suggestion_seconds: float  # "did you mean"
    facet_values: int = 10  # values a facet shows before its "more" link
    more_values: int = 100  # values it shows after
    similar: int = 6  # "more like this"
    remembered: int = 0  # answers kept for the next identical search


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
    suggestions: list[str] = field(default_factory=list)  # "did you mean" texts

    @property
    def pages(self) -> int:
        return max((self.total + self.query.per_page - 1) // self.query.per_page, 1)


@dataclass
class Neighbours:
    """An asset's place in a search's results: its position (from 1) among ``total``, and
    the results just before and after it (None at either end)."""

    position: int
    total: int
    previous: Card | None
    next: Card | None


@dataclass(frozen=True)
class _Match:
    query: SearchQuery  # as run: without what the facets do not know
    facets: Facets
    vocabulary: ConceptLookup
    masks: Masks
    ordering: Ordering
    own: Mapping[str, CollectionFacet] = field(default_factory=dict)  # the collection facet


class SearchEngine:
    def __init__(
        self,
        store: GraphStore,
        iris: Iris,
        index: SearchIndex,
        limits: SearchLimits,
        clock: Callable[[], float] = time.perf_counter,
        performance: Performance | None = None,
        collections: MembershipSource | None = None,
    ) -> None:
        self.collections = collections
        self.store = store
        self.iris = iris
        self.index = index
        self.limits = limits
        self.clock = clock
        self.performance = performance or Performance(store, iris, ResultsIndex(store, iris))
        self._concepts: ReadCache[ConceptLookup] = ReadCache(
            store, keep=CACHED_SCOPES, reading=iris.vocab_graph("").value
        )
        self._answers: ReadCache[SearchResult] = ReadCache(store, keep=limits.remembered)

    def facets(self) -> Facets:
        """The facets of the current field registry, and the collection facet when there are
        collections to count (their names are the URL parameters)."""
        return self._with_own_kinds(self.index.facets())

    def _with_own_kinds(self, facets: Facets) -> Facets:
        if self.collections is None:
            return facets
        return dataclasses.replace(facets, own_kinds=(COLLECTION_FACET,))

    def _own_facets(self, scope: Scope) -> dict[str, CollectionFacet]:
        """The facets of their own kind, read for this reader (the collections they see)."""
        if self.collections is None:
            return {}
        facet = CollectionFacet.load(self.collections, scope, self.iris, self.index)
        return {facet.name: facet}

    def search(self, query: SearchQuery, scope: Scope, language: str = "en") -> SearchResult:
        """One page of what ``scope`` may see that matches ``query``, with every facet.

        The answer is kept for the same query, scope and language while neither the store nor
        the index moves (a page reloaded, the front page's "everything"), unless a facet ran out
        of time: the next identical search tries again."""
        snapshot = self.index.snapshot()
        key = (query.key, scope, language, snapshot.state, self.limits)
        return self._answers.get(
            key,
            lambda: self._search(query, scope, language, snapshot),
            worth_keeping=lambda result: not any(facet.timed_out for facet in result.facets),
        )

    def _search(
        self, query: SearchQuery, scope: Scope, language: str, snapshot: Snapshot
    ) -> SearchResult:
        match = self._match(query, scope, snapshot)
        query = match.query
        page = match.ordering.page(query.offset, query.offset + query.per_page)
        ids = self.index.ids(page)
        vocabulary = match.vocabulary
        cards = self.cards([ids[n] for n in page if n in ids], scope, vocabulary, language)
        total = match.ordering.total
        facets = self._facets(query, match.facets, match.masks, vocabulary, language, match.own)
        if total == 0 and query.text:
            masks = match.masks.without_text()
            alone = self._facets(query, match.facets, masks, vocabulary, language, match.own)
            facets = kept_at_zero(facets, alone)
        return SearchResult(
            query=query,
            total=total,
            cards=cards,
            facets=facets,
            chips=self._chips(query, match.facets, vocabulary, language, match.own),
            language=language,
            suggestions=self._suggestions(query, scope, vocabulary, total),
        )

    def _suggestions(
        self, query: SearchQuery, scope: Scope, vocabulary: ConceptLookup, total: int
    ) -> list[str]:
        """ "Did you mean" (:mod:`.suggestions`), for a text search that found few assets."""
        if not query.text or total >= FEW_RESULTS:
            return []

        def finds(text: str) -> int:
            return self._match(query.replace(text=text), scope).ordering.total

        words = vocabulary.label_words
        return suggest(
            query.text,
            words,
            self.index.path,
            finds,
            total,
            self.clock,
            self.limits.suggestion_seconds,
        )

    def neighbours(
        self, query: SearchQuery, asset_id: str, scope: Scope, language: str = "en"
    ) -> Neighbours | None:
        """Where asset ``asset_id`` stands in the results of ``query`` as ``scope`` sees them,
        with the cards just before and after it: the same hits in the same order as
        :meth:`search`, without its facets or a sort of all its pages. None when the asset is
        not among them, or while the index cannot be read (the asset's page still shows)."""
        try:
            match = self._match(query, scope)
        except SearchUnavailable:
            return None
        place = match.ordering.place(self.index.ordinal(asset_id))
        if place is None:
            return None
        ids = self.index.ids([n for n in (place.previous, place.next) if n is not None])
        chosen = [ids[n] for n in (place.previous, place.next) if n in ids]
        cards = {c.asset_id: c for c in self.cards(chosen, scope, match.vocabulary, language)}
        return Neighbours(
            position=place.index + 1,
            total=place.total,
            previous=cards.get(ids.get(place.previous, "")),
            next=cards.get(ids.get(place.next, "")),
        )

    def matching_ids(self, query: SearchQuery, scope: Scope, limit: int) -> list[str]:
        """The ids of the first ``limit`` hits of ``query`` as ``scope`` sees them, in the order
        the search page lists them across all its pages ("all N results")."""
        ordinals = self._match(query, scope).ordering.page(0, limit)
        ids = self.index.ids(ordinals)
        return [ids[n] for n in ordinals if n in ids]

    def concept_lookup(self, scope: Scope) -> ConceptLookup:
        """The concepts ``scope`` may see, read again only after a write to a vocabulary graph:
        one lookup per set of vocabularies a reader sees, since a new asset changes a reader's
        scope but not the concepts in it."""
        if scope.graphs is not None:
            scope = Scope.of(g for g in scope.graphs if self.iris.is_vocab_graph(g))
        return self._concepts.get(scope, lambda: ConceptLookup.load(self.store, scope, self.iris))

    def _match(self, query: SearchQuery, scope: Scope, snapshot: Snapshot | None = None) -> _Match:
        """The hits of ``query`` in ``scope``, in order, and what their facets need."""
        snapshot = snapshot or self.index.snapshot()
        columns, facets = snapshot.columns, snapshot.facets
        own = self._own_facets(scope)
        query = _with_own(known(query, facets), query, own)
        vocabulary = self.concept_lookup(scope)
        masks = Masks(columns, snapshot.visible(scope.graphs))
        rank = query.order == "relevance"
        tiers = match_words(self.index, masks, facets, vocabulary, query.text, rank)
        for name, values in query.filters.items():
            chosen = facets.by_name.get(name) or own[name]
            masks.add(name, chosen.matching(columns, vocabulary, values))
        if facets.ranged and (query.year_from is not None or query.year_to is not None):
            # The range is not the date facet's own choice: its counts stay within the range.
            years = facets.ranged.between(columns, query.year_from, query.year_to)
            masks.add(RANGE, years)
        best = self._best(columns, query.best_segment, scope) if query.best_segment else None
        ordering = Ordering(
            columns, masks.all(), query.order, tiers, best, lambda: self.index.title_order(columns)
        )
        return _Match(query, facets, vocabulary, masks, ordering, own)

    # The page -------------------------------------------------------------------------------

    def _best(self, columns: Columns, segment: str, scope: Scope) -> np.ndarray:
        """Per ordinal, minus the asset's score in ``segment`` (+inf: no results)."""
        keys = np.full(columns.size, np.inf)
        scores = self.performance.scores(NamedNode(segment), scope)
        for iri, score in sorted(scores.items(), key=lambda item: -item[1])[:MAX_BEST]:
            ordinal = self.index.ordinal(self.iris.asset_id(iri) or "")
            if ordinal is not None and ordinal < columns.size:
                keys[ordinal] = -score
        return keys

    # Facets ---------------------------------------------------------------------------------

    def _facets(
        self,
        query: SearchQuery,
        facets: Facets,
        masks: Masks,
        vocabulary: ConceptLookup,
        language: str,
        own: Mapping[str, CollectionFacet] | None = None,
    ) -> list[FacetResult]:
        limits = self.limits
        overall = Budget(limits.facets_seconds, self.clock)
        results = []
        for facet in (*facets.all, *(own or {}).values()):
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
        self,
        query: SearchQuery,
        facets: Facets,
        vocabulary: ConceptLookup,
        language: str,
        own: Mapping[str, CollectionFacet] | None = None,
    ) -> list[Chip]:
        chips = []
        for name, values in query.filters.items():
            facet = facets.by_name.get(name) or (own or {})[name]
            label = facet.label(language)
            chips += [
                Chip(name, label, v, facet.value_label(vocabulary, v, language)) for v in values
            ]
        return chips

    # Cards ----------------------------------------------------------------------------------

    def cards(
        self, asset_ids: Sequence[str], scope: Scope, vocabulary: ConceptLookup, language: str
    ) -> list[Card]:
        """The cards of ``asset_ids``, in that order, as ``scope`` sees them in the graph.

        An asset the graph does not show the reader is left out, and its index entry is
        synced again: the index believed the reader could see it, so it was out of date.
        """
        found = read_cards(self.store, self.iris, asset_ids, scope, vocabulary, language)
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
        shared = np.bincount(np.compress(lookup[column.term], column.owner), minlength=columns.size)
        visible = snapshot.visible(scope.graphs)
        visible[ordinal] = False
        candidates = np.flatnonzero(visible & (shared > 0))
        order = np.lexsort((candidates, -columns.submitted[candidates], -shared[candidates]))
        chosen = [int(n) for n in candidates[order[: self.limits.similar]]]
        ids = self.index.ids(chosen)
        vocabulary = self.concept_lookup(scope)
        return self.cards([ids[n] for n in chosen if n in ids], scope, vocabulary, language)


def _with_own(
    kept: SearchQuery, asked: SearchQuery, own: Mapping[str, CollectionFacet]
) -> SearchQuery:
    """``kept`` (the query without what the field facets do not know) with the filters of the
    facets of their own kind that ``asked`` chose."""
    chosen = {name: values for name, values in asked.filters.items() if name in own}
    if not chosen:
        return kept
    return kept.replace(filters={**kept.filters, **chosen}, page=kept.page)
