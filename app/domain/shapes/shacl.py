"""pySHACL on shapes graphs that several threads share: one run at a time on each.

pySHACL adds two system triples to the shapes graph on every run (``ShapesGraph.__init__``),
and rdflib's memory store is not safe for two adds of one triple at once: one of them raises
``KeyError`` with the triple, and that validation fails (ten uploads at once once saw it). Runs
on one graph therefore take turns. pySHACL is pure Python and holds the GIL, so taking turns
costs the interleaving only, not throughput.
"""

from __future__ import annotations

import threading
from typing import Any

import rdflib
from pyshacl import validate


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
