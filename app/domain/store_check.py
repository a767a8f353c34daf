"""``atrium validate``: every stored asset checked against the core shape and its
department's profile, in batches so that a large store never sits in memory at once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pyoxigraph import NamedNode

from app.domain.validation import Problem, Validator, to_rdflib
from app.namespaces import sparql_prefixes
from app.storage.graphstore import GraphStore, Scope

BATCH = 500

_ASSETS_BY_DEPARTMENT = (
    sparql_prefixes()
    + """
SELECT ?asset ?dept WHERE {
  ?asset a dam:Asset .
  OPTIONAL { ?asset dam:department ?d . ?d skos:notation ?dept }
} ORDER BY ?dept ?asset
"""
)

_BATCH_RECORDS = (
    sparql_prefixes()
    + """
CONSTRUCT {{ ?s ?p ?o . ?c a ?type ; skos:inScheme ?scheme }} WHERE {{
  VALUES ?asset {{ {assets} }}
  {{
    {{ BIND(?asset AS ?s) }} UNION
    {{ ?asset ?link ?s . FILTER(isIRI(?s) && STRSTARTS(STR(?s), CONCAT(STR(?asset), "/"))) }}
    ?s ?p ?o .
  }} UNION {{
    ?asset ?anyp ?c . ?c a skos:Concept ; a ?type . OPTIONAL {{ ?c skos:inScheme ?scheme }}
  }}
}}"""
)


@dataclass
class StoreReport:
    assets: int = 0
    refusals: list[Problem] = field(default_factory=list)
    missing: list[Problem] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return not self.refusals and not self.missing


def validate_store(store: GraphStore, validator: Validator) -> StoreReport:
    report = StoreReport()
    for department, assets in _batches(store):
        triples = store.construct(
            _BATCH_RECORDS.format(assets=" ".join(str(a) for a in assets)),
            scope=Scope.everything(),
        )
        result = validator.check(to_rdflib(triples), department)
        report.assets += len(assets)
        report.refusals += result.refusals
        report.missing += result.missing
    return report


def _batches(store: GraphStore) -> Iterator[tuple[str | None, list[NamedNode]]]:
    current: str | None = None
    batch: list[NamedNode] = []
    for row in store.select(_ASSETS_BY_DEPARTMENT, scope=Scope.everything()):
        department = row["dept"].value if "dept" in row else None
        if batch and (department != current or len(batch) >= BATCH):
            yield current, batch
            batch = []
        current = department
        batch.append(row["asset"])
    if batch:
        yield current, batch
