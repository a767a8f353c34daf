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

The figures are summed from the in-memory snapshot of :mod:`app.domain.results.index`
(milliseconds at a million observations), where an observation counts when its results graph,
which follows its asset's access, is in the reader's :class:`Scope`. Segments, labels and
titles are read from the graph through the same scope. Values reach the queries as bound terms
or as ``VALUES`` of validated IRIs (``str(NamedNode)``), never as pasted text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from pyoxigraph import Literal, NamedNode

from app.domain.iris import Iris
from app.domain.people.access import asset_graphs_of
from app.domain.results.index import COUNTS, ResultsIndex, Snapshot
from app.messages import M_
from app.namespaces import sparql_prefixes
from app.storage.graphstore import GraphStore, Scope
from app.storage.read_cache import ReadCache

Z = 1.96  # 95 % two-sided
PRIOR_IMPRESSIONS = 1000  # how much evidence the pooled rate counts for, per asset
MAX_PER_PAGE = 100
SEGMENTS = "audiences"
CHANNELS = "channels"


Concepts = Mapping[str, tuple[str, frozenset[str]]]  # IRI → (label, broader IRIs)


class UnknownSegment(ValueError):
    """The IRI is not a concept of the audiences scheme."""


def wilson_lower_bounds(successes: np.ndarray, trials: np.ndarray, z: float = Z) -> np.ndarray:
    """The lower bounds of the Wilson score intervals of ``successes`` out of ``trials``
    (0 where there are no trials)."""
    trials = np.asarray(trials, dtype=float)
    n = np.where(trials > 0, trials, 1.0)
    p = np.clip(np.maximum(successes, 0) / n, 0.0, 1.0)
    z2 = z * z
    centre = p + z2 / (2 * n)
    spread = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return np.where(trials > 0, np.maximum((centre - spread) / (1 + z2 / n), 0.0), 0.0)


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
_TITLES = (
    _PREFIXES + "SELECT ?asset (SAMPLE(?t) AS ?title) WHERE {{ VALUES ?asset {{ {values} }} "
    "?asset dct:title ?t }} GROUP BY ?asset"
)
_LABELS = (
    _PREFIXES + "SELECT ?c ?label WHERE {{ VALUES ?c {{ {values} }} ?c skos:prefLabel ?label }}"
)


class Performance:
    """Results per segment for one reader's scope: rankings, segment totals, breakdowns.

    The figures come from the :class:`~app.domain.results.index.ResultsIndex` snapshot; the
    segments, labels and titles from the graph, through the reader's scope.
    """

    def __init__(self, store: GraphStore, iris: Iris, index: ResultsIndex) -> None:
        self.store = store
        self.iris = iris
        self.index = index
        self._concepts: ReadCache[Concepts] = ReadCache(store, reading=iris.vocab_graph("").value)

    # Segments ------------------------------------------------------------------------------

    def segments_under(self, segment: NamedNode, scope: Scope) -> list[NamedNode]:
        """``segment`` and every segment below it; :class:`UnknownSegment` if not a segment."""
        bindings = {"root": segment, "scheme": self.iris.concept(SEGMENTS)}
        rows = self.store.select(_BELOW, scope=self._vocabulary(SEGMENTS, scope), bindings=bindings)
        found = [row["s"] for row in rows]
        if segment not in found:
            raise UnknownSegment(
                M_("%(iri)s is not a segment of the audiences vocabulary", iri=segment.value)
            )
        return sorted(set(found), key=lambda n: n.value)

    def concepts(self, slug: str, scope: Scope, language: str) -> Concepts:
        """The concepts of scheme ``slug`` in ``scope``, kept until a vocabulary is written."""
        key = (slug, self._vocabulary(slug, scope), language)  # not all the scope: assets change
        return self._concepts.get(key, lambda: self._read_concepts(*key))

    def _read_concepts(self, slug: str, vocabulary: Scope, language: str) -> Concepts:
        bindings = {"scheme": self.iris.concept(slug)}
        rows = self.store.select(_CONCEPTS, scope=vocabulary, bindings=bindings)
        labels: dict[str, dict[str, str]] = {}
        broader: dict[str, set[str]] = {}
        for row in rows:
            iri = row["c"].value
            broader.setdefault(iri, set())
            if "broader" in row:
                broader[iri].add(row["broader"].value)
            if isinstance(label := row.get("label"), Literal):
                labels.setdefault(iri, {})[label.language or ""] = label.value
        found = {
            iri: (_pick(labels.get(iri, {}), language, iri), frozenset(up))
            for iri, up in broader.items()
        }
        return MappingProxyType(found)

    # Rankings ------------------------------------------------------------------------------

    def ranking(
        self, want: ResultFilter, scope: Scope, page: int = 1, per_page: int = 20
    ) -> Ranking:
        """One page of the visible assets with results in ``want.segment``, best first."""
        if want.segment is None:
            raise UnknownSegment(M_("choose a segment"))
        per_page = min(max(per_page, 1), MAX_PER_PAGE)
        page = max(page, 1)
        segments = self.segments_under(want.segment, scope)
        ranked = self._ranked(want, segments, scope)
        rows = ranked.rows((page - 1) * per_page, page * per_page)
        titles = self._titles([NamedNode(r.asset) for r in rows], scope)
        rows = [_with(r, title=titles.get(r.asset, r.asset)) for r in rows]
        return Ranking(ranked.size, page, per_page, rows, [s.value for s in segments])

    def scores(self, segment: NamedNode, scope: Scope) -> dict[str, float]:
        """Every visible asset with results in ``segment`` (and below): IRI → score."""
        try:
            segments = self.segments_under(segment, scope)
        except UnknownSegment:
            return {}
        ranked = self._ranked(ResultFilter(segment=segment), segments, scope)
        return dict(zip(ranked.assets(), ranked.score.tolist(), strict=True))

    def _ranked(self, want: ResultFilter, segments: list[NamedNode], scope: Scope) -> _Ranked:
        snapshot = self.index.snapshot()
        sums = _Sums(snapshot, _selected(snapshot, want, scope, segments), ("asset",))
        impressions, conversions = sums.figures["impressions"], sums.figures["conversions"]
        total = impressions.sum()
        pooled = conversions.sum() / total if total else 0.0
        score = wilson_lower_bounds(
            conversions + PRIOR_IMPRESSIONS * pooled, impressions + PRIOR_IMPRESSIONS
        )
        codes = snapshot.codes["asset"]
        return _Ranked(codes.values, codes.rank()[sums.groups[0]], sums, score)

    # Segment tree --------------------------------------------------------------------------

    def tree(self, want: ResultFilter, scope: Scope, language: str) -> list[SegmentNode]:
        """The audiences scheme as a tree, each segment with its rolled-up totals (``want``'s
        channel, campaign and period apply; its segment does not)."""
        concepts = self.concepts(SEGMENTS, scope, language)
        snapshot = self.index.snapshot()
        sums = _Sums(snapshot, _selected(snapshot, want, scope, None), ("segment",))
        names = snapshot.codes["segment"].values
        direct = {names[code]: sums.row(at) for at, code in enumerate(sums.groups[0])}
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
                sum(direct[s]["impressions"] for s in under if s in direct),
                sum(direct[s]["conversions"] for s in under if s in direct),
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
        snapshot = self.index.snapshot()
        selected = _selected(snapshot, ResultFilter(), scope, None, asset=asset)
        sums = _Sums(snapshot, selected, ("segment", "channel"))
        found = []
        for at, (segment_code, channel_code) in enumerate(zip(*sums.groups, strict=True)):
            segment = snapshot.codes["segment"].values[segment_code]
            channel = snapshot.codes["channel"].values[channel_code]
            found.append(
                BreakdownRow(
                    **sums.row(at),
                    segment=segment,
                    segment_label=segments.get(segment, (segment,))[0],
                    channel=channel,
                    channel_label=channels.get(channel, (channel,))[0],
                )
            )
        return sorted(found, key=lambda r: (r.segment_label.casefold(), -r.impressions))

    def campaigns(self, scope: Scope, language: str) -> list[tuple[str, str]]:
        """The campaigns the reader's visible results name: (IRI, label), by label."""
        snapshot = self.index.snapshot()
        codes = np.unique(snapshot.columns["campaign"][snapshot.visible(scope)])
        iris = [snapshot.codes["campaign"].values[code] for code in codes]
        labels: dict[str, dict[str, str]] = {iri: {} for iri in iris}
        if iris:
            query = _LABELS.format(values=_values(NamedNode(iri) for iri in iris))
            for row in self.store.select(query, scope=self._vocabulary("campaigns", scope)):
                label = row["label"]
                if isinstance(label, Literal):
                    labels[row["c"].value][label.language or ""] = label.value
        named = [(iri, _pick(by_language, language, iri)) for iri, by_language in labels.items()]
        return sorted(named, key=lambda pair: pair[1].casefold())

    def _vocabulary(self, slug: str, scope: Scope) -> Scope:
        """The part of ``scope`` that holds vocabulary ``slug``."""
        return scope.within([self.iris.vocab_graph(slug).value])

    def _titles(self, assets: list[NamedNode], scope: Scope) -> dict[str, str]:
        if not assets:
            return {}
        scope = asset_graphs_of(scope, self.iris)
        rows = self.store.select(_TITLES.format(values=_values(assets)), scope=scope)
        return {row["asset"].value: row["title"].value for row in rows if "title" in row}


def _selected(
    snapshot: Snapshot,
    want: ResultFilter,
    scope: Scope,
    segments: list[NamedNode] | None,
    asset: NamedNode | None = None,
) -> np.ndarray:
    """Which rows of ``snapshot`` count: visible in ``scope`` and matching ``want``."""
    columns, codes = snapshot.columns, snapshot.codes
    mask = snapshot.visible(scope)
    chosen = {"segment": [s.value for s in segments] if segments is not None else None}
    for name, value in (("channel", want.channel), ("campaign", want.campaign), ("asset", asset)):
        if value is not None:
            chosen[name] = [value.value]
    for name, values in chosen.items():
        table = codes[name].lookup(values)
        if table is not None:
            mask &= table[columns[name]]
    if want.start is not None:
        mask &= columns["start"] >= want.start.toordinal()
    if want.end is not None:
        mask &= columns["end"] <= want.end.toordinal()
    return mask


class _Sums:
    """The counts of the selected rows, summed per distinct combination of ``by`` (dense
    codes, so one ``bincount`` per count does it)."""

    def __init__(self, snapshot: Snapshot, mask: np.ndarray, by: tuple[str, ...]) -> None:
        rows = None if mask.all() else np.flatnonzero(mask)  # None: every row (a root segment)

        def chosen(column: np.ndarray) -> np.ndarray:
            return column if rows is None else column[rows]

        sizes = tuple(max(len(snapshot.codes[name].values), 1) for name in by)
        combined = chosen(snapshot.columns[by[0]])
        for name, size in zip(by[1:], sizes[1:], strict=True):
            combined = combined * size + chosen(snapshot.columns[name])
        cells = int(np.prod(sizes))
        present = np.flatnonzero(np.bincount(combined, minlength=cells))
        self.groups = list(np.unravel_index(present, sizes))
        self.figures = {
            name: np.bincount(combined, weights=chosen(snapshot.weights(name)), minlength=cells)[
                present
            ]
            for name in COUNTS
        }

    def row(self, at: int) -> dict[str, int]:
        return {name: int(self.figures[name][at]) for name in COUNTS}


@dataclass(frozen=True)
class _Ranked:
    """Assets with their sums and scores (indexed alike), ranked when a page is asked for: by
    score, then conversions, impressions and name."""

    names: list[str]  # asset IRIs by code
    by_name: np.ndarray  # each asset's place in name order
    sums: _Sums
    score: np.ndarray

    @property
    def size(self) -> int:
        return len(self.score)

    def assets(self) -> list[str]:
        return [self.names[code] for code in self.sums.groups[0]]

    def rows(self, start: int, end: int) -> list[AssetPerformance]:
        order = self._first(min(end, self.size))[start:]
        return [
            AssetPerformance(
                **self.sums.row(int(at)),
                asset=self.names[self.sums.groups[0][at]],
                score=float(self.score[at]),
            )
            for at in order
        ]

    def _first(self, count: int) -> np.ndarray:
        """The first ``count`` in ranking order. Only the candidates scoring at least the
        ``count``-th best score are sorted (ties at that score included, so none is lost)."""
        if count <= 0:
            return np.zeros(0, dtype=np.int64)
        candidates = np.arange(self.size)
        if count < self.size:
            threshold = np.partition(self.score, self.size - count)[self.size - count]
            candidates = np.flatnonzero(self.score >= threshold)
        figures = self.sums.figures
        keys = (
            self.by_name[candidates],
            -figures["impressions"][candidates],
            -figures["conversions"][candidates],
            -self.score[candidates],
        )
        return candidates[np.lexsort(keys)][:count]


def _values(nodes: Iterable[NamedNode]) -> str:
    """Validated IRIs as the body of a VALUES block (N-Triples form: nothing can break out)."""
    return " ".join(str(NamedNode(node.value)) for node in nodes)


def _with(row: AssetPerformance, **changes: str) -> AssetPerformance:
    return AssetPerformance(**{**row.__dict__, **changes})


def _pick(labels: dict[str, str], language: str, fallback: str) -> str:
    for wanted in (language, "en", ""):
        if wanted in labels:
            return labels[wanted]
    return next(iter(labels.values()), fallback.rsplit("/", 1)[-1])
