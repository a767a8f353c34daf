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

import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import rdflib
from pyoxigraph import Literal, NamedNode, Quad, Triple

from app.domain.iris import Iris
from app.domain.validation import Validator, to_rdflib
from app.domain.vocabularies import SHAPES_DIR
from app.namespaces import DAM, QB, RDF, XSD, sparql_prefixes
from app.storage.graphstore import GraphStore, Scope, data_block, update_request

RESULTS_SHAPE = SHAPES_DIR / "results.ttl"
COUNTS = ("impressions", "clicks", "conversions")
AMOUNTS = ("spend", "revenue")


@dataclass(frozen=True)
class Observation:
    asset: NamedNode
    segment: NamedNode
    channel: NamedNode
    campaign: NamedNode
    start: dt.date
    end: dt.date
    impressions: int
    clicks: int
    conversions: int
    spend: Decimal | None = None
    revenue: Decimal | None = None

    @property
    def key(self) -> str:
        dimensions = (self.asset, self.segment, self.channel, self.campaign)
        text = "|".join(
            [*(d.value for d in dimensions), self.start.isoformat(), self.end.isoformat()]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def iri(self, iris: Iris) -> NamedNode:
        return iris.observation(self.key)

    def triples(self, iris: Iris) -> list[Triple]:
        me = self.iri(iris)
        triples = [
            Triple(me, RDF.type, QB.Observation),
            Triple(me, QB.dataSet, iris.results_dataset),
            Triple(me, DAM.observedAsset, self.asset),
            Triple(me, DAM.segment, self.segment),
            Triple(me, DAM.channel, self.channel),
            Triple(me, DAM.campaign, self.campaign),
            Triple(me, DAM.periodStart, Literal(self.start.isoformat(), datatype=XSD.date)),
            Triple(me, DAM.periodEnd, Literal(self.end.isoformat(), datatype=XSD.date)),
        ]
        for name in COUNTS:
            triples.append(
                Triple(me, DAM[name], Literal(str(getattr(self, name)), datatype=XSD.integer))
            )
        for name in AMOUNTS:
            value = getattr(self, name)
            if value is not None:
                triples.append(Triple(me, DAM[name], Literal(str(value), datatype=XSD.decimal)))
        return triples


def problems(observation: Observation) -> list[str]:
    """What is wrong with the figures, in words (empty: nothing)."""
    found = [
        f"{name} must not be negative"
        for name in (*COUNTS, *AMOUNTS)
        if (getattr(observation, name) or 0) < 0
    ]
    if observation.clicks > observation.impressions:
        found.append("clicks cannot be more than impressions")
    if observation.end < observation.start:
        found.append("the period ends before it starts")
    return found


_HOME = (
    sparql_prefixes()
    + "SELECT ?level ?dept WHERE { ?asset dam:accessLevel ?level ; dam:department ?d . "
    "?d skos:notation ?dept }"
)
_EXISTING = sparql_prefixes() + "SELECT ?o WHERE {{ VALUES ?o {{ {iris} }} ?o a qb:Observation }}"


class Observations:
    """Writes observations where their asset's access puts them, checked first."""

    def __init__(self, store: GraphStore, iris: Iris) -> None:
        self.store = store
        self.iris = iris
        self._shape = Validator(_parse(RESULTS_SHAPE, iris), {})

    def home(self, asset: NamedNode) -> NamedNode | None:
        """The results graph of ``asset`` (None: no such asset)."""
        rows = self.store.select(_HOME, scope=Scope.everything(), bindings={"asset": asset})
        if not rows:
            return None
        access = rows[0]["level"].value.rsplit("#", 1)[-1].lower()
        return self.iris.results_graph(access, rows[0]["dept"].value)

    def shape_problems(
        self, observations: list[Observation], context: list[Triple]
    ) -> dict[str, list[str]]:
        """SHACL problems by observation IRI (``context``: the concepts' type and scheme)."""
        triples = [t for o in observations for t in o.triples(self.iris)]
        report = self._shape.check(to_rdflib(triples + context), None)
        found: dict[str, list[str]] = {}
        for problem in report.refusals:
            found.setdefault(problem.focus, []).append(f"{problem.field}: {problem.message}")
        return found

    def write(self, observations: list[Observation]) -> tuple[int, int]:
        """Store the observations in one update; returns (added, replaced)."""
        if not observations:
            return 0, 0
        unique = {o.key: o for o in observations}
        iris = " ".join(str(o.iri(self.iris)) for o in unique.values())
        existing = {
            row["o"].value
            for row in self.store.select(_EXISTING.format(iris=iris), scope=Scope.everything())
        }
        homes: dict[str, NamedNode | None] = {}
        quads = []
        for observation in unique.values():
            asset = observation.asset.value
            if asset not in homes:
                homes[asset] = self.home(observation.asset)
            graph = homes[asset]
            if graph is None:
                raise ValueError(f"no asset {asset}")
            quads += [
                Quad(t.subject, t.predicate, t.object, graph)
                for t in observation.triples(self.iris)
            ]
        deletes = [
            f"DELETE WHERE {{ GRAPH ?g {{ {o.iri(self.iris)} ?p ?v }} }}"
            for o in unique.values()
            if o.iri(self.iris).value in existing
        ]
        self.store.update(update_request(*deletes, data_block("INSERT", quads)))
        replaced = len(existing)
        return len(unique) - replaced, replaced


def _parse(path: Path, iris: Iris) -> rdflib.Graph:
    return rdflib.Graph().parse(path, format="turtle", publicID=iris.vocab_base)


_MOVE = (
    sparql_prefixes()
    + """
DELETE { GRAPH ?g { ?o ?p ?v } } INSERT { GRAPH ?home { ?o ?p ?v } } WHERE {
  GRAPH ?g { ?o dam:observedAsset ?asset ; ?p ?v }
  FILTER(STRSTARTS(STR(?g), STR(?results)) && ?g != ?home)
}"""
)
_DROP = (
    sparql_prefixes()
    + """
DELETE { GRAPH ?g { ?o ?p ?v } } WHERE {
  GRAPH ?g { ?o dam:observedAsset ?asset ; ?p ?v }
  FILTER(STRSTARTS(STR(?g), STR(?results)))
}"""
)
_ANY = sparql_prefixes() + "ASK { GRAPH ?g { ?o dam:observedAsset ?asset } }"


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
        if not store.ask(_ANY, scope=Scope.everything(), bindings={"asset": asset}):
            return
        results = Literal(iris.graph("results/").value)
        home = self.observations.home(asset)
        if home is None:
            store.update(_DROP, bindings={"asset": asset, "results": results})
        else:
            store.update(_MOVE, bindings={"asset": asset, "results": results, "home": home})
