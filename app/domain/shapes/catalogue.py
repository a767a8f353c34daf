"""The shapes as data: the core shape and one profile per department, each in its own graph.

- ``{base}graphs/shapes/core``: the core asset shape (``shapes/core.ttl``), refreshed by every
  ``atrium init`` like the ontology: it is Atrium's contract, not a department's data;
- ``{base}graphs/shapes/{department}``: that department's profile, installed from
  ``shapes/profiles/{department}.ttl`` only where none is stored, replaced by
  ``atrium profile import``.

Blank nodes (``sh:or`` lists, anonymous shapes) are stored as skolem IRIs, so a profile can be
read back and replaced exactly. Each graph also says when it was written
(``<graph> dct:modified``) and, for a profile, whose it is (``<graph> dam:profileOf``).

A running process picks up a profile another process imported within :data:`POLL_SECONDS`: it
looks that often at the store's write count of the shapes graphs (:meth:`GraphStore.write_count`;
over a remote store, the write stamps that every Atrium process leaves).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import rdflib
from pyoxigraph import Literal, NamedNode, Triple

from app.domain.assets.validation import Validator, parse_shapes
from app.domain.concepts import SHAPES_DIR
from app.domain.iris import Iris
from app.domain.shapes.fields import read_fields
from app.domain.shapes.registry import FieldRegistry
from app.domain.vocab.files import to_oxigraph, unskolemize
from app.namespaces import DAM, DCT, PREFIXES, XSD, sparql_prefixes
from app.storage.graphstore import GraphStore, Scope
from app.storage.terms import to_rdflib_graph

CORE = "core"
POLL_SECONDS = 2.0

_PROFILES = (
    sparql_prefixes()
    + """
SELECT ?modified ?department WHERE {
  GRAPH ?g { ?g dct:modified ?modified ; dam:profileOf ?department }
  FILTER(STRSTARTS(STR(?g), STR(?prefix)))
}"""
)
_GRAPH = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"


@dataclass(frozen=True)
class ShapeSet:
    """One consistent state of the shapes: the fields they declare and their validator."""

    write_count: int | None  # the store's, for the shapes graphs, when they were read
    registry: FieldRegistry
    validator: Validator


class ShapeCatalogue:
    """The stored shapes, parsed once per change; :meth:`current` is always up to date."""

    def __init__(
        self,
        store: GraphStore,
        iris: Iris,
        *,
        poll_seconds: float = POLL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.iris = iris
        self.poll_seconds = poll_seconds
        self.clock = clock
        self._current: ShapeSet | None = None
        self._checked = -float("inf")
        self._lock = threading.Lock()

    # --- reading ------------------------------------------------------------------------------

    def current(self) -> ShapeSet:
        """The shapes as stored; read again once a write may have changed them (looked at
        every few seconds, since over a remote store the look is a query)."""
        with self._lock:
            now = self.clock()
            if self._current is None or now - self._checked >= self.poll_seconds:
                count = self.store.write_count(self.graph("").value)
                if self._current is None or count is None or count != self._current.write_count:
                    self._current = self._load(count)
                self._checked = now
            return self._current

    @property
    def registry(self) -> FieldRegistry:
        return self.current().registry

    @property
    def validator(self) -> Validator:
        return self.current().validator

    def changed(self) -> None:
        """Forget the parsed shapes: this process just wrote some."""
        with self._lock:
            self._current = None

    def graph(self, name: str) -> NamedNode:
        return self.iris.shapes_graph(name)

    def stored(self, name: str) -> rdflib.Graph | None:
        """A stored shapes graph as rdflib parses it (its own dct:modified and
        dam:profileOf left out); None if absent."""
        triples = self._triples(name)
        return to_rdflib_graph(triples) if triples else None

    def export(self, name: str) -> str | None:
        """The stored profile (or ``core``) as Turtle, blank nodes as they were imported."""
        triples = self._triples(name)
        if not triples:
            return None
        graph = to_rdflib_graph(unskolemize(triples, self._genid_base))
        for prefix, namespace in PREFIXES.items():
            graph.bind(prefix, namespace)
        return graph.serialize(format="turtle")

    def _triples(self, name: str) -> list[Triple]:
        own = self.graph(name)
        found = self.store.construct(_GRAPH, scope=Scope.everything(), bindings={"g": own})
        return [t for t in found if t.subject != own]

    def departments(self) -> dict[str, str]:
        """Department notation → when its stored profile was last written."""
        rows = self.store.select(
            _PROFILES,
            scope=Scope.everything(),
            bindings={"prefix": Literal(self.graph("").value)},
        )
        departments = self.iris.vocab_base + "departments/"
        return dict(
            sorted(
                (row["department"].value.removeprefix(departments), row["modified"].value)
                for row in rows
            )
        )

    # --- writing ------------------------------------------------------------------------------

    def install_shipped(self) -> list[str]:
        """Refresh the core shape; add each shipped profile a department does not have yet."""
        present = {graph.value for graph in self.store.graphs()}
        self._store(CORE, self._shipped(SHAPES_DIR / "core.ttl"), None)
        installed = []
        for path in sorted((SHAPES_DIR / "profiles").glob("*.ttl")):
            if self.graph(path.stem).value not in present:
                self._store(path.stem, self._shipped(path), path.stem)
                installed.append(path.stem)
        return installed

    def store_shapes(self, name: str, shapes: rdflib.Graph, department: str | None) -> None:
        """Replace one shapes graph (``department`` None: the core shape)."""
        self._store(name, to_oxigraph(shapes, self._genid_base), department)

    def _store(self, name: str, shapes: Iterable[Triple], department: str | None) -> None:
        graph = self.graph(name)
        now = dt.datetime.now(dt.UTC).isoformat()
        triples = [*shapes, Triple(graph, DCT.modified, Literal(now, datatype=XSD.dateTime))]
        if department:
            triples.append(
                Triple(graph, DAM.profileOf, self.iris.concept(f"departments/{department}"))
            )
        self.store.replace_graph(graph, triples)
        self.changed()

    # --- internals ----------------------------------------------------------------------------

    @property
    def _genid_base(self) -> str:
        return self.iris.genid_base

    def _shipped(self, path: Path) -> tuple[Triple, ...]:
        return _shipped_triples(path, self.iris.vocab_base, self._genid_base)

    def _load(self, write_count: int | None) -> ShapeSet:
        stored = {name: self._triples(name) for name in [CORE, *self.departments()]}
        key = _digest(stored, self.iris.vocab_base)
        with _PARSED_LOCK:
            parsed = _PARSED.pop(key, None) or _parsed(stored, self.iris)
            _PARSED[key] = parsed
            while len(_PARSED) > KEPT_SHAPE_SETS:
                _PARSED.pop(next(iter(_PARSED)))
        return ShapeSet(write_count, *parsed)


# Parsed shapes by the digest of what is stored, shared by every catalogue of the process: a
# moved write count says that the shapes may have changed, not that they did, and parsing is
# most of the cost of reading them (some 80 ms; the triples and their digest, some 10 ms).
# Oldest out first.
KEPT_SHAPE_SETS = 8
_PARSED: dict[str, tuple[FieldRegistry, Validator]] = {}
_PARSED_LOCK = threading.Lock()


def _digest(stored: dict[str, list[Triple]], vocab_base: str) -> str:
    """What the shapes are parsed from: the stored triples, and the base that the shipped
    core shape is parsed against when none is stored."""
    digest = hashlib.sha256(f"{vocab_base}\n".encode())
    for name, triples in sorted(stored.items()):
        digest.update(f"{name}\n".encode())
        for line in sorted(map(str, triples)):
            digest.update(f"{line}\n".encode())
    return digest.hexdigest()


def _parsed(stored: dict[str, list[Triple]], iris: Iris) -> tuple[FieldRegistry, Validator]:
    graphs = {name: to_rdflib_graph(triples) for name, triples in stored.items() if triples}
    core = graphs.pop(CORE, None) or parse_shapes(SHAPES_DIR / "core.ttl", iris.vocab_base)
    registry = FieldRegistry.of(
        read_fields(core, None), {d: read_fields(g, d) for d, g in graphs.items()}
    )
    return registry, Validator(core, graphs)


@functools.cache
def _shipped_triples(path: Path, vocab_base: str, genid_base: str) -> tuple[Triple, ...]:
    """A shipped shapes file as it is stored, its blank nodes skolemized once per process: every
    store that this process installs it into holds the same triples, so the shapes parsed from
    them are shared (``_PARSED``) rather than parsed again for each store."""
    return tuple(to_oxigraph(parse_shapes(path, vocab_base), genid_base))
