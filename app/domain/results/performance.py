"""Which assets perform best for a segment: results observed, rolled up and ranked.

A segment includes its narrower segments: the results of segment S are those observed in S or
in any concept below it (``skos:broader*`` within the audiences scheme), each observation
counted once however many paths lead up to S.

Ranking: by the **Wilson score lower bound** of the conversion rate per impression, at 95 %
confidence (z = 1.96). With n impressions and x conversions, p = x / n::

    score = (p + z²/2n − z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)

the lower end of the Wilson score interval (E. B. Wilson, "Probable inference, the law of
succession, and statistical inference", Journal of the American Statistical Association 22
(1927) 209–212; explained for ranking by Evan Miller, "How Not To Sort By Average Rating",
https://www.evanmiller.org/how-not-to-sort-by-average-rating.html). The bound alone pulls small
samples towards zero, but not far enough where rates are low: 1 conversion of 1 impression
would score 0.21 and beat 500 of 10,000 (0.046). So each asset's counts first get
:data:`PRIOR_IMPRESSIONS` pseudo-impressions at the pooled conversion rate of all the assets
ranked (empirical-Bayes smoothing, as in Beta-binomial shrinkage): with a pooled 5 %,
1 of 1 becomes 51 of 1,001 (score 0.039) and 500 of 10,000 stays near 0.046, so the large
sample wins, while an asset with thousands of impressions keeps its own rate. No impressions:
the pooled rate's bound.

Periods: with ``start``/``end`` given, an observation counts when its whole period lies within
them (figures of a period cannot be split).

Every read goes through the reader's :class:`Scope` (results graphs and asset graphs), and an
observation counts only when its asset is visible in that scope too. Values reach the queries
as bound terms or as ``VALUES`` of validated IRIs (``str(NamedNode)``), never as pasted text.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode

from app.domain.iris import Iris
from app.namespaces import XSD, sparql_prefixes
from app.storage.graphstore import GraphStore, Scope, Term

Z = 1.96  # 95 % two-sided
PRIOR_IMPRESSIONS = 1000  # how much evidence the pooled rate counts for, per asset
MAX_PER_PAGE = 100
SEGMENTS = "audiences"
CHANNELS = "channels"


class UnknownSegment(ValueError):
    """The IRI is not a concept of the audiences scheme."""


def wilson_lower_bound(successes: float, trials: float, z: float = Z) -> float:
    """The lower bound of the Wilson score interval of ``successes`` out of ``trials``."""
    if trials <= 0:
        return 0.0
    p = min(max(successes, 0) / trials, 1.0)
    z2 = z * z
    centre = p + z2 / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    return max((centre - spread) / (1 + z2 / trials), 0.0)


@dataclass(frozen=True)
class ResultFilter:
    """Which results count: a segment (with everything below it), channel, campaign, period."""

    segment: NamedNode | None = None
    channel: NamedNode | None = None
    campaign: NamedNode | None = None
    start: dt.date | None = None
    end: dt.date | None = None


@dataclass(frozen=True)
class Figures:
    impressions: int = 0
    clicks: int = 0
    conversions: int = 0

    @property
    def click_rate(self) -> float:
        return self.clicks / self.impressions if self.impressions else 0.0

    @property
    def conversion_rate(self) -> float:
        return self.conversions / self.impressions if self.impressions else 0.0

    def smoothed_score(self, pooled_rate: float) -> float:
        """The Wilson lower bound of the rate, smoothed towards ``pooled_rate``."""
        prior = PRIOR_IMPRESSIONS * pooled_rate
        return wilson_lower_bound(self.conversions + prior, self.impressions + PRIOR_IMPRESSIONS)


@dataclass(frozen=True)
class AssetPerformance(Figures):
    asset: str = ""  # IRI
    title: str = ""
    score: float = 0.0  # see the module docstring


@dataclass(frozen=True)
class Ranking:
    total: int
    page: int
    per_page: int
    rows: list[AssetPerformance]
    segments: list[str]  # the segment and everything below it

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1)


@dataclass
class SegmentNode:
    iri: str
    label: str
    impressions: int = 0
    conversions: int = 0
    children: list[SegmentNode] = field(default_factory=list)


@dataclass(frozen=True)
class BreakdownRow(Figures):
    segment: str = ""
    segment_label: str = ""
    channel: str = ""
    channel_label: str = ""


_PREFIXES = sparql_prefixes()
_BELOW = _PREFIXES + "SELECT DISTINCT ?s WHERE { ?s skos:broader* ?root ; skos:inScheme ?scheme }"
_CONCEPTS = (
    _PREFIXES
    + """SELECT ?c ?broader ?label WHERE {
  ?c skos:inScheme ?scheme .
  OPTIONAL { ?c skos:broader ?broader }
  OPTIONAL { ?c skos:prefLabel ?label }
}"""
)
# One row per observation (DISTINCT: an observation counts once), then summed by ``{group}``.
# ``{group}``, ``{values}`` and ``{filters}`` are built here from fixed text and validated IRIs.
_SUMS = (
    _PREFIXES
    + """SELECT {group} (SUM(?i) AS ?impressions) (SUM(?k) AS ?clicks) (SUM(?v) AS ?conversions)
WHERE {{
  {{ SELECT DISTINCT ?o {group} ?i ?k ?v WHERE {{
    {values}
    ?o a qb:Observation ; dam:observedAsset ?asset ; dam:segment ?segment ;
       dam:channel ?channel ; dam:campaign ?campaign ; dam:periodStart ?start ;
       dam:periodEnd ?end ; dam:impressions ?i ; dam:clicks ?k ; dam:conversions ?v .
    ?asset a dam:Asset .
    {filters}
  }} }}
}} GROUP BY {group}"""
)
_TITLES = (
    _PREFIXES + "SELECT ?asset (SAMPLE(?t) AS ?title) WHERE {{ VALUES ?asset {{ {values} }} "
    "?asset dct:title ?t }} GROUP BY ?asset"
)


class Performance:
    """Results per segment for one reader's scope: rankings, segment totals, breakdowns."""

    def __init__(self, store: GraphStore, iris: Iris) -> None:
        self.store = store
        self.iris = iris

    # Segments ------------------------------------------------------------------------------

    def segments_under(self, segment: NamedNode, scope: Scope) -> list[NamedNode]:
        """``segment`` and every segment below it; :class:`UnknownSegment` if not a segment."""
        bindings = {"root": segment, "scheme": self.iris.concept(SEGMENTS)}
        found = [row["s"] for row in self.store.select(_BELOW, scope=scope, bindings=bindings)]
        if segment not in found:
            raise UnknownSegment(f"{segment.value} is not a segment of the audiences vocabulary")
        return sorted(set(found), key=lambda n: n.value)

    def concepts(self, slug: str, scope: Scope, language: str) -> dict[str, tuple[str, set[str]]]:
        """The concepts of scheme ``slug``: IRI → (label in ``language``, broader IRIs)."""
        rows = self.store.select(
            _CONCEPTS, scope=scope, bindings={"scheme": self.iris.concept(slug)}
        )
        labels: dict[str, dict[str, str]] = {}
        broader: dict[str, set[str]] = {}
        for row in rows:
            iri = row["c"].value
            broader.setdefault(iri, set())
            if "broader" in row:
                broader[iri].add(row["broader"].value)
            label = row.get("label")
            if isinstance(label, Literal):
                labels.setdefault(iri, {})[label.language or ""] = label.value
        return {iri: (_pick(labels.get(iri, {}), language, iri), up) for iri, up in broader.items()}

    # Rankings ------------------------------------------------------------------------------

    def ranking(
        self, want: ResultFilter, scope: Scope, page: int = 1, per_page: int = 20
    ) -> Ranking:
        """One page of the visible assets with results in ``want.segment``, best first."""
        if want.segment is None:
            raise UnknownSegment("choose a segment")
        per_page = min(max(per_page, 1), MAX_PER_PAGE)
        page = max(page, 1)
        segments = self.segments_under(want.segment, scope)
        ranked = self._ranked(want, segments, scope)
        rows = ranked[(page - 1) * per_page : page * per_page]
        titles = self._titles([NamedNode(r.asset) for r in rows], scope)
        rows = [_with(r, title=titles.get(r.asset, r.asset)) for r in rows]
        return Ranking(len(ranked), page, per_page, rows, [s.value for s in segments])

    def scores(self, segment: NamedNode, scope: Scope) -> dict[str, float]:
        """Every visible asset with results in ``segment`` (and below): IRI → score."""
        try:
            segments = self.segments_under(segment, scope)
        except UnknownSegment:
            return {}
        want = ResultFilter(segment=segment)
        return {row.asset: row.score for row in self._ranked(want, segments, scope)}

    def _ranked(
        self, want: ResultFilter, segments: list[NamedNode], scope: Scope
    ) -> list[AssetPerformance]:
        rows = self._sums("?asset", want, scope, segments)
        found = [
            AssetPerformance(**_figures(row), asset=row["asset"].value)
            for row in rows
            if "asset" in row
        ]
        impressions = sum(r.impressions for r in found)
        pooled = sum(r.conversions for r in found) / impressions if impressions else 0.0
        scored = [_with(r, score=r.smoothed_score(pooled)) for r in found]
        return sorted(scored, key=lambda r: (-r.score, -r.conversions, -r.impressions, r.asset))

    # Segment tree --------------------------------------------------------------------------

    def tree(self, want: ResultFilter, scope: Scope, language: str) -> list[SegmentNode]:
        """The audiences scheme as a tree, each segment with its rolled-up totals (``want``'s
        channel, campaign and period apply; its segment does not)."""
        concepts = self.concepts(SEGMENTS, scope, language)
        direct: dict[str, Figures] = {
            row["segment"].value: Figures(**_figures(row))
            for row in self._sums("?segment", want, scope, None)
            if "segment" in row
        }
        children: dict[str, list[str]] = {iri: [] for iri in concepts}
        for iri, (_, up) in concepts.items():
            for parent in up & concepts.keys():
                children[parent].append(iri)

        def below(iri: str) -> set[str]:
            seen, todo = set(), [iri]
            while todo:
                current = todo.pop()
                if current not in seen:
                    seen.add(current)
                    todo += children.get(current, [])
            return seen

        def node(iri: str, path: frozenset[str]) -> SegmentNode:
            under = below(iri)
            kids = sorted(children[iri], key=lambda c: concepts[c][0].casefold())
            return SegmentNode(
                iri,
                concepts[iri][0],
                sum(direct[s].impressions for s in under if s in direct),
                sum(direct[s].conversions for s in under if s in direct),
                [node(k, path | {k}) for k in kids if k not in path],
            )

        tops = [iri for iri, (_, up) in concepts.items() if not up & concepts.keys()]
        tops.sort(key=lambda c: concepts[c][0].casefold())
        return [node(iri, frozenset({iri})) for iri in tops]

    # One asset -----------------------------------------------------------------------------

    def breakdown(self, asset: NamedNode, scope: Scope, language: str) -> list[BreakdownRow]:
        """The results of one asset per segment and channel (all campaigns and periods)."""
        segments = self.concepts(SEGMENTS, scope, language)
        channels = self.concepts(CHANNELS, scope, language)
        rows = self._sums("?segment ?channel", ResultFilter(), scope, None, asset=asset)
        found = [
            BreakdownRow(
                **_figures(row),
                segment=row["segment"].value,
                segment_label=segments.get(row["segment"].value, (row["segment"].value,))[0],
                channel=row["channel"].value,
                channel_label=channels.get(row["channel"].value, (row["channel"].value,))[0],
            )
            for row in rows
            if "segment" in row and "channel" in row
        ]
        return sorted(found, key=lambda r: (r.segment_label.casefold(), -r.impressions))

    # Queries -------------------------------------------------------------------------------

    def _sums(
        self,
        group: str,
        want: ResultFilter,
        scope: Scope,
        segments: list[NamedNode] | None,
        asset: NamedNode | None = None,
    ) -> list[dict[str, Term]]:
        bindings: dict[str, Term] = {}
        filters = []
        for name, value in (("channel", want.channel), ("campaign", want.campaign)):
            if value is not None:
                bindings[name] = value
        if asset is not None:
            bindings["asset"] = asset
        if want.start is not None:
            bindings["from"] = _date(want.start)
            filters.append("FILTER(?start >= ?from)")
        if want.end is not None:
            bindings["to"] = _date(want.end)
            filters.append("FILTER(?end <= ?to)")
        values = f"VALUES ?segment {{ {_values(segments)} }}" if segments is not None else ""
        query = _SUMS.format(group=group, values=values, filters="\n    ".join(filters))
        return self.store.select(query, scope=scope, bindings=bindings)

    def _titles(self, assets: list[NamedNode], scope: Scope) -> dict[str, str]:
        if not assets:
            return {}
        rows = self.store.select(_TITLES.format(values=_values(assets)), scope=scope)
        return {row["asset"].value: row["title"].value for row in rows if "title" in row}


def _values(nodes: Iterable[NamedNode]) -> str:
    """Validated IRIs as the body of a VALUES block (N-Triples form: nothing can break out)."""
    return " ".join(str(NamedNode(node.value)) for node in nodes)


def _date(day: dt.date) -> Literal:
    return Literal(day.isoformat(), datatype=XSD.date)


def _figures(row: dict[str, Term]) -> dict[str, int]:
    return {
        name: int(float(row[name].value)) if name in row else 0
        for name in ("impressions", "clicks", "conversions")
    }


def _with(row: AssetPerformance, **changes: str) -> AssetPerformance:
    return AssetPerformance(**{**row.__dict__, **changes})


def _pick(labels: dict[str, str], language: str, fallback: str) -> str:
    for wanted in (language, "en", ""):
        if wanted in labels:
            return labels[wanted]
    return next(iter(labels.values()), fallback.rsplit("/", 1)[-1])


_CAMPAIGNS = (
    _PREFIXES
    + """SELECT DISTINCT ?campaign ?label WHERE {
  ?o a qb:Observation ; dam:campaign ?campaign .
  OPTIONAL { ?campaign skos:prefLabel ?label }
}"""
)


def observed_campaigns(store: GraphStore, scope: Scope, language: str) -> list[tuple[str, str]]:
    """The campaigns the reader's visible results name: (IRI, label), by label."""
    labels: dict[str, dict[str, str]] = {}
    for row in store.select(_CAMPAIGNS, scope=scope):
        found = labels.setdefault(row["campaign"].value, {})
        label = row.get("label")
        if isinstance(label, Literal):
            found[label.language or ""] = label.value
    named = [(iri, _pick(by_language, language, iri)) for iri, by_language in labels.items()]
    return sorted(named, key=lambda pair: pair[1].casefold())
