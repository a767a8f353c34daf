"""One Data Cube observation: the figures of one asset × segment × channel × campaign × period,
and the statements that record it (its IRI keyed by a hash of its six dimensions).

Here, apart from :mod:`app.domain.results.observations` (which writes them), so that the
in-memory index can read observations without importing their writer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property, lru_cache

from pyoxigraph import Literal, NamedNode, Quad, Triple

from app.domain.iris import Iris
from app.namespaces import DAM, QB, RDF, XSD
from app.storage.graphstore import Term

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

    @cached_property
    def key(self) -> str:
        dimensions = (self.asset, self.segment, self.channel, self.campaign)
        text = "|".join(
            [*(d.value for d in dimensions), self.start.isoformat(), self.end.isoformat()]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def iri(self, iris: Iris) -> NamedNode:
        return iris.observation(self.key)

    def triples(self, iris: Iris) -> list[Triple]:
        return [Triple(*statement) for statement in self._statements(iris)]

    def quads(self, iris: Iris, graph: NamedNode) -> list[Quad]:
        return [Quad(s, p, o, graph) for s, p, o in self._statements(iris)]

    def _statements(self, iris: Iris) -> Iterator[tuple[NamedNode, NamedNode, Term]]:
        me = self.iri(iris)
        yield me, _TYPE, _OBSERVATION
        yield me, _DATA_SET, iris.results_dataset
        yield me, _OBSERVED_ASSET, self.asset
        yield me, _SEGMENT, self.segment
        yield me, _CHANNEL, self.channel
        yield me, _CAMPAIGN, self.campaign
        yield me, _PERIOD_START, _date(self.start)
        yield me, _PERIOD_END, _date(self.end)
        for name, predicate in _COUNT_PREDICATES.items():
            yield me, predicate, Literal(str(getattr(self, name)), datatype=_INT)
        for name, predicate in _AMOUNT_PREDICATES.items():
            value = getattr(self, name)
            if value is not None:
                yield me, predicate, Literal(str(value), datatype=_DECIMAL)


_OBSERVED_ASSET, _SEGMENT, _CHANNEL, _CAMPAIGN = (
    DAM.observedAsset, DAM.segment, DAM.channel, DAM.campaign
)  # fmt: skip
_PERIOD_START, _PERIOD_END = DAM.periodStart, DAM.periodEnd
_TYPE, _OBSERVATION, _DATA_SET = RDF.type, QB.Observation, QB.dataSet
_COUNT_PREDICATES = {name: DAM[name] for name in COUNTS}
_AMOUNT_PREDICATES = {name: DAM[name] for name in AMOUNTS}
_INT, _DECIMAL = XSD.integer, XSD.decimal


@lru_cache(maxsize=4096)
def _date(day: dt.date) -> Literal:
    return Literal(day.isoformat(), datatype=XSD.date)
