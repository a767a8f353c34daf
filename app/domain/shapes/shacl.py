"""pySHACL on shapes graphs that several threads share: one run at a time on each.

pySHACL adds two system triples to the shapes graph on every run (``ShapesGraph.__init__``),
and rdflib's memory store is not safe for two adds of one triple at once: one of them raises
``KeyError`` with the triple, and that validation fails (ten uploads at once once saw it). Runs
on one graph therefore take turns. pySHACL is pure Python and holds the GIL, so taking turns
costs the interleaving only, not throughput.

pySHACL also finds each shape's constraints by testing every predicate of the shape against a
list of some forty constraint parameters, one ``==`` of rdflib terms at a time: three million
comparisons, a third of the validation time, for an ingest of 200 images. It keeps that list
in a module global that it fills on first use (``pyshacl.shape.CONSTRAINT_PARAMS``); filling
it first with the same list that also answers ``in`` by hash gives the same constraints in the
same order.

And it reads each shape's parameters from the shapes graph again on every run, for every
shape: some 16,000 triple patterns for one run over a batch of records, each a walk through
rdflib's memory store. The shapes graph barely changes (pySHACL's two system triples, once),
so here it is kept in a store that answers each pattern from memory after the first time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pyshacl.shape
import rdflib
from pyshacl import validate
from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS, CONSTRAINT_PARAMETERS_MAP
from rdflib.plugins.stores.memory import SimpleMemory


class _HashedList(list):
    """A list whose ``in`` is a set lookup (its ``copy()``, for pySHACL's advanced mode, is a
    plain list)."""

    def __init__(self, items: list[Any]) -> None:
        super().__init__(items)
        self._members = frozenset(items)

    def __contains__(self, item: object) -> bool:
        return item in self._members


pyshacl.shape.CONSTRAINT_PARAMS = (  # type: ignore[attr-defined]
    _HashedList(ALL_CONSTRAINT_PARAMETERS),
    CONSTRAINT_PARAMETERS_MAP,
)


class _RememberedAnswers(SimpleMemory):
    """rdflib's store without named graphs, answering each triple pattern it was asked before
    from memory; a change forgets every answer. Bounded: a graph asked about ever more
    patterns forgets them all at ``_MOST_ANSWERS`` and starts again."""

    _MOST_ANSWERS = 200_000
    _NO_CONTEXTS = ()

    def __init__(self) -> None:
        super().__init__()
        self._answers: dict[tuple, list[tuple]] = {}

    def add(self, triple: tuple, context: Any, quoted: bool = False) -> None:
        # pySHACL adds its two system triples on every run: only a new triple is a change
        new = next(super().triples(triple, context), None) is None
        super().add(triple, context, quoted)
        if new:
            self._answers.clear()

    def remove(self, triple_pattern: tuple, context: Any = None) -> None:
        super().remove(triple_pattern, context)  # which asks triples(): forget after it
        self._answers.clear()

    def triples(self, triple_pattern: tuple, context: Any = None) -> Iterator[tuple]:
        found = self._answers.get(triple_pattern)
        if found is None:
            if len(self._answers) >= self._MOST_ANSWERS:
                self._answers.clear()
            found = [triple for triple, _ in super().triples(triple_pattern, context)]
            self._answers[triple_pattern] = found
        return ((triple, iter(self._NO_CONTEXTS)) for triple in found)


def _remembering(graph: rdflib.Graph) -> rdflib.Graph:
    copy = rdflib.Graph(store=_RememberedAnswers(), identifier=graph.identifier)
    for prefix, namespace in graph.namespaces():
        copy.bind(prefix, namespace, override=True, replace=True)
    for triple in graph:
        copy.add(triple)
    return copy


class SharedShapes:
    """A shapes graph that any thread may validate against."""

    def __init__(self, graph: rdflib.Graph) -> None:
        self.graph = _remembering(graph)
        self._turn = threading.Lock()

    def validate(self, data: rdflib.Graph, **options: Any) -> tuple[bool, Any, str]:
        """pySHACL's ``validate(data, shacl_graph=…, inference="none", advanced=False, …)``:
        SHACL Core on the data as given, with ``options`` passed on."""
        with self._turn:
            return validate(
                data, shacl_graph=self.graph, inference="none", advanced=False, **options
            )
