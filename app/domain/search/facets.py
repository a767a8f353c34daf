"""Facets: small objects with one protocol, each counting one kind of value within a search.

After datasette's ``facets.py``: every facet knows which predicate it indexes, which assets hold
some of its values, and how to count its values within a set of assets, giving back a
:class:`FacetResult` of ``{value, label, count, selected, children}`` with a ``truncated`` flag
(``limit + 1`` values exist) and a ``timed_out`` flag.

- Values of one facet combine with OR, facets with AND. A facet's counts apply every filter but
  its own, so each of its values says how many assets choosing it as well would give.
- Each facet runs within a :class:`Budget`; one that runs out of time is marked ``timed_out``
  and the page renders without it. The budget reads an injectable clock, so tests make a facet
  run out of time deterministically.
- The subject facet is a tree read from SKOS (:class:`ConceptTreeFacet`): a concept's count is
  the number of assets tagged with it or anything narrower, each asset counted once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from pyoxigraph import Literal, NamedNode

from app.domain.fields import FIELDS
from app.domain.search.columns import Columns
from app.domain.search.vocabulary import Vocabulary
from app.namespaces import DAM, DC, DCT, SCHEMA
from app.storage.graphstore import Term

FORMAT_NAMES = {
    "image/jpeg": "JPEG image",
    "image/png": "PNG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    "image/tiff": "TIFF image",
    "image/avif": "AVIF image",
    "image/heic": "HEIC image",
    "image/heif": "HEIF image",
    "application/pdf": "PDF document",
    "video/mp4": "MP4 video",
    "text/plain": "plain text",
}


class OutOfTime(Exception):
    """A facet used up its budget."""


@dataclass
class Budget:
    """Time a piece of work may take, read from ``clock`` (seconds)."""

    seconds: float
    clock: Callable[[], float] = time.perf_counter
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def check(self) -> None:
        """Raise :class:`OutOfTime` once the budget is spent."""
        if self.clock() - self.started > self.seconds:
            raise OutOfTime


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False
    children: list[FacetValue] = field(default_factory=list)
    expandable: bool = False  # has narrower concepts
    expanded: bool = False  # its narrower concepts are listed in ``children``


@dataclass
class FacetResult:
    name: str
    label: str
    values: list[FacetValue] = field(default_factory=list)
    truncated: bool = False
    timed_out: bool = False


@dataclass(frozen=True)
class FacetRequest:
    """What the reader asked of one facet: chosen values, how many to show, open tree nodes."""

    selected: tuple[str, ...] = ()
    limit: int = 10
    expanded: frozenset[str] = frozenset()


@dataclass
class FacetContext:
    """What every facet of one search shares."""

    columns: Columns
    vocabulary: Vocabulary
    language: str
    budget: Budget


class Facet(Protocol):
    name: str
    label: str
    predicate: NamedNode
    searched_by_label: bool  # the text query matches the labels of its concepts

    def index_value(self, term: Term) -> str | None:
        """The value stored in the index for one object of ``predicate`` (None: nothing)."""

    def matching(
        self, columns: Columns, vocabulary: Vocabulary, values: Sequence[str]
    ) -> np.ndarray:
        """The assets (a boolean mask) holding any of ``values``."""

    def count(self, context: FacetContext, mask: np.ndarray, request: FacetRequest) -> FacetResult:
        """The facet's values within the assets of ``mask``."""

    def value_label(self, vocabulary: Vocabulary, value: str, language: str) -> str:
        """How one value reads, in ``language`` for concepts."""


@dataclass(frozen=True)
class ValueFacet:
    """A flat facet: the values of one predicate, concepts (IRIs) or plain text."""

    name: str
    label: str
    predicate: NamedNode
    concepts: bool = False
    searched_by_label: bool = False
    ordered_by_value = False  # values sorted by value (years), not by count

    def index_value(self, term: Term) -> str | None:
        if self.concepts:
            return term.value if isinstance(term, NamedNode) else None
        if isinstance(term, Literal) and term.value.strip():
            return term.value.strip()
        return None

    def matching(
        self, columns: Columns, vocabulary: Vocabulary, values: Sequence[str]
    ) -> np.ndarray:
        if self.concepts:  # a merged concept stands for its successor, and all below it
            values = [
                c for v in values for s in vocabulary.successors(v) for c in vocabulary.subtree(s)
            ]
        return columns.having(self.name, values)

    def count(self, context: FacetContext, mask: np.ndarray, request: FacetRequest) -> FacetResult:
        context.budget.check()
        counts = context.columns.counts(self.name, mask)
        context.budget.check()
        present = np.flatnonzero(counts)
        order = self.order(context.columns, present, counts)
        shown = [int(t) for t in present[order[: request.limit]]]
        result = FacetResult(self.name, self.label, truncated=len(present) > request.limit)
        terms = context.columns.terms
        result.values = [
            self._value(context, terms.value[t], int(counts[t]), request) for t in shown
        ]
        self._add_selected(context, result, counts, request)
        if not self.ordered_by_value:
            result.values.sort(key=lambda v: (-v.count, v.label.casefold()))
        return result

    def order(self, columns: Columns, present: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Positions in ``present`` from the value to show first: the most frequent."""
        return np.lexsort((present, -counts[present]))

    def value_label(self, vocabulary: Vocabulary, value: str, language: str) -> str:
        return vocabulary.label(value, language) if self.concepts else value

    def _value(
        self, context: FacetContext, value: str, count: int, request: FacetRequest
    ) -> FacetValue:
        label = self.value_label(context.vocabulary, value, context.language)
        return FacetValue(value, label, count, selected=value in request.selected)

    def _add_selected(
        self, context: FacetContext, result: FacetResult, counts: np.ndarray, request: FacetRequest
    ) -> None:
        """Chosen values always show, even with no asset left or beyond the limit."""
        shown = {v.value for v in result.values}
        for value in request.selected:
            if value not in shown:
                term = context.columns.terms.ids.get((self.name, value))
                count = int(counts[term]) if term is not None else 0
                result.values.append(self._value(context, value, count, request))


@dataclass(frozen=True)
class FormatFacet(ValueFacet):
    """Media types, named the way people say them ("JPEG image")."""

    def value_label(self, vocabulary: Vocabulary, value: str, language: str) -> str:
        return FORMAT_NAMES.get(value, value)


@dataclass(frozen=True)
class YearFacet(ValueFacet):
    """The year a picture was taken (dct:created), newest year first; also a from/to range."""

    ordered_by_value = True

    def index_value(self, term: Term) -> str | None:
        if isinstance(term, Literal) and term.value[:4].isdigit():
            return term.value[:4]
        return None

    def order(self, columns: Columns, present: np.ndarray, counts: np.ndarray) -> np.ndarray:
        years = np.asarray([int(columns.terms.value[t]) for t in present], dtype=np.int64)
        return np.argsort(-years, kind="stable")

    def between(self, columns: Columns, start: int | None, end: int | None) -> np.ndarray:
        """The assets taken from year ``start`` to year ``end``, both included (None: open)."""
        years = [
            value
            for (facet, value) in columns.terms.ids
            if facet == self.name
            and (start is None or int(value) >= start)
            and (end is None or int(value) <= end)
        ]
        return columns.having(self.name, years)


@dataclass(frozen=True)
class ConceptTreeFacet(ValueFacet):
    """A hierarchical facet from SKOS, expanded level by level.

    A concept's count is how many assets are tagged with it or with anything narrower (or with
    a concept merged into one of those), each asset counted once. The top level lists the roots
    of the subject schemes; a level opens under every concept that is chosen, lies above a
    chosen one, or is named in ``request.expanded``.
    """

    concepts: bool = True
    searched_by_label: bool = True

    def count(self, context: FacetContext, mask: np.ndarray, request: FacetRequest) -> FacetResult:
        context.budget.check()
        vocabulary = context.vocabulary
        opened = set(request.expanded)
        for chosen in request.selected:
            opened |= {chosen} | vocabulary.ancestors(chosen)
        entries = context.columns.restricted(self.name, mask)
        tree = _Tree(self, context, entries, request, opened)
        values, truncated = tree.level(vocabulary.roots(), request.limit)
        result = FacetResult(self.name, self.label, values, truncated=truncated)
        listed = tree.listed
        for chosen in request.selected:  # chosen outside the tree (retired, other scheme)
            if chosen not in listed:
                result.values.append(tree.node(chosen))
        return result


class _Tree:
    """The levels of a concept tree with their counts, for one :class:`ConceptTreeFacet`."""

    def __init__(
        self,
        facet: ConceptTreeFacet,
        context: FacetContext,
        entries,  # noqa: ANN001 - FactColumn of the assets in the mask
        request: FacetRequest,
        opened: set[str],
    ) -> None:
        self.facet, self.context, self.entries = facet, context, entries
        self.request, self.opened = request, opened
        self.listed: set[str] = set()

    def level(
        self, concepts: list[str], limit: int | None, path: frozenset[str] = frozenset()
    ) -> tuple[list[FacetValue], bool]:
        """The concepts of one level that have assets (or are chosen), most assets first."""
        nodes = []
        for concept in concepts:
            node = self.node(concept, path)
            if node.count or node.selected:
                nodes.append(node)
        nodes.sort(key=lambda n: (-n.count, n.label.casefold()))
        if limit is None or len(nodes) <= limit:
            return nodes, False
        kept = nodes[:limit] + [n for n in nodes[limit:] if n.selected]
        return kept, True

    def node(self, concept: str, path: frozenset[str] = frozenset()) -> FacetValue:
        """One concept with its count; its level below if opened (``path``: the levels above)."""
        self.context.budget.check()
        vocabulary, language = self.context.vocabulary, self.context.language
        path = path | {concept}
        children = [c for c in vocabulary.children(concept) if c not in path]  # no cycle
        value = FacetValue(
            concept,
            vocabulary.label(concept, language),
            self._count(concept),
            selected=concept in self.request.selected,
            expandable=bool(children),
        )
        self.listed.add(concept)
        if children and concept in self.opened:
            value.children, _ = self.level(children, None, path)
            value.expanded = True
        return value

    def _count(self, concept: str) -> int:
        columns = self.context.columns
        lookup = columns.terms.lookup(self.facet.name, self.context.vocabulary.subtree(concept))
        return columns.distinct_owners_of(self.entries, lookup)


SUBJECT = ConceptTreeFacet("subject", "Subject", DCT.subject)
YEAR = YearFacet("year", "Year taken", DCT.created)

# Every facet, in the order the page shows them. The last four come from department profiles
# (shapes/profiles/*.ttl) and show where assets carry them.
FACETS: tuple[Facet, ...] = (
    SUBJECT,
    ValueFacet("department", "Department", DAM.department, concepts=True),
    ValueFacet("type", "Asset type", DCT.type, concepts=True),
    FormatFacet("format", "File format", DCT.format),
    ValueFacet("rights", "Rights", DCT.rights, concepts=True),
    ValueFacet("creator", "Creator", DC.creator),
    ValueFacet("keyword", "Keyword", SCHEMA.keywords),
    YEAR,
    ValueFacet("campaign", "Campaign", FIELDS["campaign"].predicate),
    ValueFacet("channel", "Channel", FIELDS["channel"].predicate, True, True),
    ValueFacet("segment", "Segment", FIELDS["audience"].predicate, True, True),
    ValueFacet("site", "Site", FIELDS["site"].predicate, True, True),
)
FACETS_BY_NAME: dict[str, Facet] = {facet.name: facet for facet in FACETS}
FACET_NAMES: tuple[str, ...] = tuple(FACETS_BY_NAME)
