"""Facets: small objects with one protocol, each counting one kind of value within a search.

After datasette's ``facets.py``: every facet knows which field it indexes, which assets hold
some of its values, and how to count its values within a set of assets, giving back a
:class:`FacetResult` of ``{value, label, count, selected, children}`` with a ``truncated`` flag
(``limit + 1`` values exist) and a ``timed_out`` flag.

- The facets are not listed here: :mod:`.layout` makes one for every field of the registry that
  is a facet (``dam:facet``), named after the field (its URL parameter) and labelled with it.
- Values of one facet combine with OR, facets with AND. A facet's counts apply every filter but
  its own, so each of its values says how many assets choosing it as well would give.
- Each facet runs within a :class:`Budget`; one that runs out of time is marked ``timed_out``
  and the page renders without it. The budget reads an injectable clock, so tests make a facet
  run out of time deterministically.
- Concept fields are trees read from SKOS (:mod:`.tree`); this module has the flat facets.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np
from pyoxigraph import Literal, NamedNode

from app.domain.search.columns import Columns
from app.domain.search.concept_lookup import ConceptLookup
from app.domain.shapes.fields import CHOICE, CONCEPT, Field
from app.storage.graphstore import Term

# How the values of some fields read, where not as stored: media types as people say them.
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
    started: float = dataclasses.field(init=False)

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
    children: list[FacetValue] = dataclasses.field(default_factory=list)
    expandable: bool = False  # has narrower concepts
    expanded: bool = False  # its narrower concepts are listed in ``children``


@dataclass
class FacetResult:
    name: str
    label: str
    values: list[FacetValue] = dataclasses.field(default_factory=list)
    truncated: bool = False
    timed_out: bool = False
    hierarchical: bool = False  # values are a tree (``children``)
    ranged: bool = False  # the from/to range of years applies to this facet

    @classmethod
    def of(cls, facet: Facet, language: str, **result: object) -> FacetResult:
        """A result of ``facet``, labelled in ``language``."""
        flags = {"hierarchical": facet.hierarchical, "ranged": facet.ranged}
        return cls(facet.name, facet.label(language), **flags, **result)  # type: ignore[arg-type]


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
    vocabulary: ConceptLookup
    language: str
    budget: Budget


class Facet(Protocol):
    field: Field
    hierarchical: ClassVar[bool]
    ranged: bool

    @property
    def name(self) -> str:
        """The field's name: the facet's URL parameter and its column in the index."""

    @property
    def predicate(self) -> NamedNode:
        """The field's ``sh:path``."""

    def label(self, language: str = "en") -> str:
        """The facet's heading in ``language``."""

    def index_value(self, term: Term) -> str | None:
        """The value stored in the index for one object of ``predicate`` (None: nothing)."""

    def matching(
        self, columns: Columns, vocabulary: ConceptLookup, values: Sequence[str]
    ) -> np.ndarray:
        """The assets (a boolean mask) holding any of ``values``."""

    def count(self, context: FacetContext, mask: np.ndarray, request: FacetRequest) -> FacetResult:
        """The facet's values within the assets of ``mask``."""

    def value_label(self, vocabulary: ConceptLookup, value: str, language: str) -> str:
        """How one value reads, in ``language`` for concepts."""


@dataclass(frozen=True)
class ValueFacet:
    """A flat facet: the values of one field, concepts (IRIs), choices (``sh:in``) or text."""

    field: Field
    value_labels: Mapping[str, str] = dataclasses.field(default_factory=dict)
    ranged: bool = False
    hierarchical: ClassVar[bool] = False
    ordered_by_value: ClassVar[bool] = False  # values sorted by value (years), not by count

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def predicate(self) -> NamedNode:
        return self.field.path

    @property
    def concepts(self) -> bool:
        return self.field.kind == CONCEPT

    def label(self, language: str = "en") -> str:
        text = self.field.label(language)
        return text[:1].upper() + text[1:]

    def index_value(self, term: Term) -> str | None:
        if self.concepts:
            return term.value if isinstance(term, NamedNode) else None
        if self.field.kind == CHOICE:
            return term.value if isinstance(term, NamedNode | Literal) else None
        if isinstance(term, Literal) and term.value.strip():
            return term.value.strip()
        return None

    def matching(
        self, columns: Columns, vocabulary: ConceptLookup, values: Sequence[str]
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
        result = FacetResult.of(self, context.language, truncated=len(present) > request.limit)
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

    def value_label(self, vocabulary: ConceptLookup, value: str, language: str) -> str:
        if self.concepts:
            return vocabulary.label(value, language)
        return self.value_labels.get(value, value)

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
class YearFacet(ValueFacet):
    """The years of a date field, newest first; the first of them also takes a from/to range."""

    ordered_by_value: ClassVar[bool] = True

    def index_value(self, term: Term) -> str | None:
        if isinstance(term, Literal) and term.value[:4].isdigit():
            return term.value[:4]
        return None

    def order(self, columns: Columns, present: np.ndarray, counts: np.ndarray) -> np.ndarray:
        years = np.asarray([int(columns.terms.value[t]) for t in present], dtype=np.int64)
        return np.argsort(-years, kind="stable")

    def between(self, columns: Columns, start: int | None, end: int | None) -> np.ndarray:
        """The assets of the years ``start`` to ``end``, both included (None: open)."""
        years = [
            value
            for (facet, value) in columns.terms.ids
            if facet == self.name
            and (start is None or int(value) >= start)
            and (end is None or int(value) <= end)
        ]
        return columns.having(self.name, years)


def kept_at_zero(found: list[FacetResult], alone: list[FacetResult]) -> list[FacetResult]:
    """The facets of a search that found nothing: each one left without values shows instead
    its values without the text (``alone``), each at zero, so the reader still sees them."""

    def zeroed(values: list[FacetValue]) -> list[FacetValue]:
        for value in values:
            value.count = 0
            zeroed(value.children)
        return values

    kept = []
    for result, without_text in zip(found, alone, strict=True):
        if not result.values and not result.timed_out:
            result.values = zeroed(without_text.values)
            result.truncated = without_text.truncated
        kept.append(result)
    return kept
