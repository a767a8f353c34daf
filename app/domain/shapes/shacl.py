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
"""

from __future__ import annotations

import threading
from typing import Any

import pyshacl.shape
import rdflib
from pyshacl import validate
from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS, CONSTRAINT_PARAMETERS_MAP


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


class SharedShapes:
    """A shapes graph that any thread may validate against."""

    def __init__(self, graph: rdflib.Graph) -> None:
        self.graph = graph
        self._turn = threading.Lock()

    def validate(self, data: rdflib.Graph, **options: Any) -> tuple[bool, Any, str]:
        """pySHACL's ``validate(data, shacl_graph=…, inference="none", advanced=False, …)``:
        SHACL Core on the data as given, with ``options`` passed on."""
        with self._turn:
            return validate(
                data, shacl_graph=self.graph, inference="none", advanced=False, **options
            )
