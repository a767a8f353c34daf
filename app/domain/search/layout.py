"""What search makes of the field registry: the facets, and what the index holds per asset.

Nothing here names a field: every facet, every column of the index and every text the index
searches comes from :class:`~app.domain.shapes.registry.FieldRegistry`, so a department's
profile adds facets without a change to Python.

- A facet per field with ``dam:facet`` true, named after the field (its URL parameter) and
  labelled with its ``sh:name`` in the reader's language. Concept fields are trees
  (:class:`~.tree.ConceptTreeFacet`); dates count years (:class:`~.facets.YearFacet`); choices
  (``sh:in``), text, numbers and booleans are flat (:class:`~.facets.ValueFacet`).
- The subject field's tree comes first (it is how people browse), then the other facets in the
  order of the fields (``sh:group``, ``sh:order``; the core shape before the profiles).
- The from/to range of years belongs to the first date facet in that order. The core's date
  created (``dct:created``) is the only date facet of the shipped shapes and comes before any
  profile's, so that is where the range is, without this module naming a predicate.
- The index also holds the concepts of every searchable concept field that is not a facet, so
  that the labels of its concepts still find its assets, and the text of every searchable text
  field: ``dct:title`` is the title column (and the sort key), the others are the body.
- :attr:`Facets.signature` changes whenever what the index holds would; the index keeps the one
  it was built with and rebuilds itself when the current one differs.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from pyoxigraph import NamedNode

from app.domain.search.collection_facet import COLLECTION_FACET
from app.domain.search.columns import GRAPH
from app.domain.search.facets import FORMAT_NAMES, Facet, ValueFacet, YearFacet
from app.domain.search.query import PARAMETERS
from app.domain.search.tree import ConceptTreeFacet
from app.domain.shapes.fields import CHOICE, CONCEPT, TEXT_KINDS, Field, local_name
from app.domain.shapes.registry import FieldRegistry
from app.namespaces import DCT

log = logging.getLogger(__name__)

TITLE = DCT.title  # the title column of the text index, and the title sort key
DATE_KINDS = ("date", "datetime")
# Labels of the values of some fields, where they do not read well as stored.
VALUE_LABELS: dict[NamedNode, Mapping[str, str]] = {DCT.format: FORMAT_NAMES}
# Names a facet cannot take: the search's own URL parameters, the index's graph column, and the
# facets of their own kind (the collection facet, :mod:`.collection_facet`).
_RESERVED = frozenset({*PARAMETERS, GRAPH, COLLECTION_FACET})
_CACHED = 8  # registries whose facets are kept (one is current; a few may be in flight)


@dataclass(frozen=True)
class Facets:
    """The facets of one registry, and the columns and texts the index holds for it."""

    all: tuple[Facet, ...]  # shown, in the page's order
    hidden: tuple[Facet, ...]  # indexed for text search only (dam:facet false)
    body: frozenset[NamedNode]  # the searchable text fields other than the title
    signature: str
    own_kinds: tuple[str, ...] = ()  # facets of their own kind, made per search (collection)

    @cached_property
    def by_name(self) -> dict[str, Facet]:
        return {facet.name: facet for facet in self.all}

    @cached_property
    def names(self) -> tuple[str, ...]:
        """The facets' URL parameters."""
        return (*self.by_name, *self.own_kinds)

    @cached_property
    def indexed(self) -> tuple[Facet, ...]:
        """Every column of the index: the facets, then the hidden ones."""
        return (*self.all, *self.hidden)

    @cached_property
    def columns(self) -> tuple[str, ...]:
        return tuple(facet.name for facet in self.indexed)

    @cached_property
    def searched(self) -> tuple[Facet, ...]:
        """The concept columns whose concepts' labels the text query matches."""
        return tuple(f for f in self.indexed if f.field.kind == CONCEPT and f.field.searchable)

    @cached_property
    def ranged(self) -> YearFacet | None:
        """The facet that the from/to range of years filters (None: no date facet)."""
        return next((f for f in self.all if isinstance(f, YearFacet) and f.ranged), None)

    @cached_property
    def subject(self) -> Facet | None:
        """The subject field's column: what "more like this" compares."""
        return next((f for f in self.indexed if f.field.is_subject), None)

    @cached_property
    def by_predicate(self) -> dict[NamedNode, list[Facet]]:
        found: dict[NamedNode, list[Facet]] = defaultdict(list)
        for facet in self.indexed:
            found[facet.predicate].append(facet)
        return dict(found)

    @cached_property
    def predicates(self) -> frozenset[NamedNode]:
        """Every predicate whose values the index holds (besides type, title and dates)."""
        return frozenset({*self.by_predicate, *self.body})


_cache: dict[int, tuple[FieldRegistry, Facets]] = {}
_cache_lock = threading.Lock()


def facets_for(registry: FieldRegistry) -> Facets:
    """The facets of ``registry``, made once per registry."""
    with _cache_lock:
        hit = _cache.get(id(registry))
        if hit is not None and hit[0] is registry:
            return hit[1]
    facets = _make(registry)
    with _cache_lock:
        while len(_cache) >= _CACHED:
            del _cache[next(iter(_cache))]
        _cache[id(registry)] = (registry, facets)
    return facets


def _make(registry: FieldRegistry) -> Facets:
    taken = set(_RESERVED)
    shown: list[Facet] = []
    ordered = sorted(registry.facets, key=lambda f: not f.is_subject)  # stable: field order
    for field in ordered:
        if _claim(field, taken):
            ranged = field.kind in DATE_KINDS and not any(f.ranged for f in shown)
            shown.append(_facet(field, registry, ranged))
    hidden: list[Facet] = [
        ValueFacet(field)
        for field in registry.searchable
        if field.kind == CONCEPT and not field.facet and _claim(field, taken)
    ]
    body = frozenset(
        f.path for f in registry.searchable if f.kind in TEXT_KINDS and f.path != TITLE
    )
    return Facets(tuple(shown), tuple(hidden), body, registry.facet_signature)


def _claim(field: Field, taken: set[str]) -> bool:
    """Whether ``field`` may have a column of its name (the first field of a name has it)."""
    if field.name in taken:
        log.warning("search: no facet for %s: its name %r is taken", field.path, field.name)
        return False
    taken.add(field.name)
    return True


def _facet(field: Field, registry: FieldRegistry, ranged: bool) -> Facet:
    if field.kind == CONCEPT:
        return ConceptTreeFacet(field, claimed=registry.claimed_schemes)
    if field.kind in DATE_KINDS:
        return YearFacet(field, ranged=ranged)
    if field.kind == CHOICE:
        labels = {c.value: local_name(c.value) for c in field.choices if isinstance(c, NamedNode)}
        return ValueFacet(field, labels)
    return ValueFacet(field, VALUE_LABELS.get(field.path, {}))
