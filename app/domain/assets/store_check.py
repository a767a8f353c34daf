"""``atrium validate``: every stored asset checked against the core shape and its
department's profile, in batches so that a large store never sits in memory at once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pyoxigraph import NamedNode

from app.domain.assets.repository import AssetRepository
from app.domain.assets.validation import Problem
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


@dataclass
class StoreReport:
    assets: int = 0
    refusals: list[Problem] = field(default_factory=list)
    missing: list[Problem] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return not self.refusals and not self.missing


def validate_store(store: GraphStore, assets: AssetRepository) -> StoreReport:
    report = StoreReport()
    for department, batch in _batches(store):
        result = assets.check_stored(batch, department)
        report.assets += len(batch)
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
