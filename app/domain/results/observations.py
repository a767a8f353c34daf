"""Results observed for assets: W3C RDF Data Cube observations, one per asset × segment ×
channel × campaign × period (https://www.w3.org/TR/vocab-data-cube/, §6 observations).

Each observation's IRI is ``{base}results/{key}``, the key a hash of its six dimensions, so
recording the same asset, segment, channel, campaign and period again replaces the earlier
figures instead of doubling them. Observations hold no blank nodes and live in the results
graph of their asset's access (:meth:`app.domain.iris.Iris.results_graph`), never in a public
one. Before they land they are checked in plain words (:func:`problems`) and with the SHACL
shape ``shapes/results.ttl``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from pyoxigraph import Literal, NamedNode, Quad, Triple

from app.domain.assets.validation import Problem, file_validator
from app.domain.concepts import SHAPES_DIR
from app.domain.iris import Iris
from app.domain.results.cube import AMOUNTS, COUNTS, Observation
from app.messages import M_, Message
from app.namespaces import sparql_prefixes
from app.storage.graphstore import GraphStore, Scope
from app.storage.terms import to_rdflib_graph

if TYPE_CHECKING:
    from app.domain.results.index import ResultsIndex

RESULTS_SHAPE = SHAPES_DIR / "results.ttl"


def problems(observation: Observation) -> list[Message]:
    """What is wrong with the figures, in words (empty: nothing)."""
    found = [
        M_("%(name)s must not be negative", name=name)
        for name in (*COUNTS, *AMOUNTS)
        if (getattr(observation, name) or 0) < 0
    ]
    if observation.clicks > observation.impressions:
        found.append(M_("clicks cannot be more than impressions"))
    if observation.end < observation.start:
        found.append(M_("the period ends before it starts"))
    return found


_HOME = (
    sparql_prefixes()
    + "SELECT ?level ?dept WHERE { ?asset dam:accessLevel ?level ; dam:department ?d . "
    "?d skos:notation ?dept }"
)


class Observations:
    """Writes observations where their asset's access puts them, checked first."""

    def __init__(self, store: GraphStore, iris: Iris, index: ResultsIndex) -> None:
        self.store = store
        self.iris = iris
        self.index = index
        self._shape = file_validator(RESULTS_SHAPE, iris.vocab_base)

    def home(self, asset: NamedNode) -> NamedNode | None:
        """The results graph of ``asset`` (None: no such asset)."""
        rows = self.store.select(_HOME, scope=Scope.everything(), bindings={"asset": asset})
        if not rows:
            return None
        access = rows[0]["level"].value.rsplit("#", 1)[-1].lower()
        return self.iris.results_graph(access, rows[0]["dept"].value)

    def shape_problems(
        self, observations: list[Observation], context: list[Triple]
    ) -> dict[str, list[Problem]]:
        """SHACL problems by observation IRI (``context``: the concepts' type and scheme)."""
        triples = [t for o in observations for t in o.triples(self.iris)]
        report = self._shape.check(to_rdflib_graph(triples + context), None)
        found: dict[str, list[Problem]] = {}
        for problem in report.refusals:
            found.setdefault(problem.focus, []).append(problem)
        return found

    def write(
        self,
        observations: list[Observation],
        homes: Mapping[str, NamedNode] | None = None,
        *,
        bulk: bool = False,
    ) -> tuple[int, int]:
        """Store the observations; returns (added, replaced). ``homes``: the results graphs
        of assets already looked up, by asset IRI.

        New observations are added in one transaction, or with ``bulk`` by the store's bulk
        loader (a process killed part-way can leave an observation partly written: writing it
        again completes it). For those recorded before, one update swaps only the statements
        that differ (the figures, or the graph after a move).
        """
        if not observations:
            return 0, 0
        unique = {o.key: o for o in observations}
        iris = {key: o.iri(self.iris) for key, o in unique.items()}
        stored: dict[str, set[Quad]] = {}
        for quad in self.store.quads_about(iris.values()):
            stored.setdefault(quad.subject.value, set()).add(quad)
        homes = homes or {}
        graphs: dict[str, NamedNode] = {}  # by observation key
        added: list[Quad] = []
        removed: list[Quad] = []
        changed: list[Quad] = []
        for key, observation in unique.items():
            graph = homes.get(observation.asset.value) or self.home(observation.asset)
            if graph is None:
                raise ValueError(f"no asset {observation.asset.value}")
            graphs[key] = graph
            quads = observation.quads(self.iris, graph)
            before = stored.get(iris[key].value)
            if before is None:
                added += quads
            else:
                removed += before.difference(quads)
                changed += set(quads).difference(before)

        with self.index.writing() as changes:
            if added:
                (self.store.bulk_insert if bulk else self.store.insert)(added)
            if removed or changed:
                self.store.change_quads(removed, changed)
            for key, observation in unique.items():
                changes.written(observation, iris[key], graphs[key])
        return len(unique) - len(stored), len(stored)


_MOVE = (
    sparql_prefixes()
    + """
DELETE { GRAPH ?g { ?o ?p ?v } } INSERT { GRAPH ?home { ?o ?p ?v } } WHERE {
  VALUES ?g { %s }
  GRAPH ?g { ?o dam:observedAsset ?asset ; ?p ?v }
  FILTER(?g != ?home)
}"""
)
_DROP = (
    sparql_prefixes()
    + """
DELETE { GRAPH ?g { ?o ?p ?v } } WHERE {
  VALUES ?g { %s }
  GRAPH ?g { ?o dam:observedAsset ?asset ; ?p ?v }
}"""
)
_HOLDING = (
    sparql_prefixes()
    + """
SELECT DISTINCT ?g WHERE {
  GRAPH ?g { ?o dam:observedAsset ?asset }
  FILTER(STRSTARTS(STR(?g), STR(?results)))
}"""
)


class ResultHomes:
    """Keeps an asset's results in the graph its access puts them in: told around every write
    of an asset record (like the search index), it moves them after an access change and drops
    them with the asset."""

    def __init__(self, observations: Observations) -> None:
        self.observations = observations

    @contextmanager
    def changing(self, asset_id: str) -> Iterator[None]:
        yield
        iris, store = self.observations.iris, self.observations.store
        asset = iris.asset(asset_id)
        results = Literal(iris.graph("results/").value)
        bindings = {"asset": asset, "results": results}
        rows = store.select(_HOLDING, scope=Scope.everything(), bindings=bindings)
        holding = [row["g"] for row in rows]
        if not holding:
            return
        home = self.observations.home(asset)
        # The graphs are named, so that what is kept of the others outlives the change.
        values = " ".join(map(str, holding))
        written = {graph.value for graph in holding}
        with self.observations.index.writing() as changes:
            if home is None:
                store.update(_DROP % values, bindings=bindings, graphs=written)
            else:
                moved = {**bindings, "home": home}
                store.update(_MOVE % values, bindings=moved, graphs=written | {home.value})
            changes.moved(asset.value, home.value if home is not None else None)
