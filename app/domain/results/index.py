"""The results observed, in memory: numpy columns that sum and rank a segment in milliseconds.

Summing a segment's observations in SPARQL takes seconds at a million of them, so the
performance figures are read from a derived snapshot. The graph stays the only source of
truth; the snapshot holds one row per observation (its asset, segment, channel, campaign,
period, results graph and counts) and is kept in step by two means:

1. **Writes in this process** (:class:`~app.domain.results.observations.Observations` and
   :class:`~app.domain.results.observations.ResultHomes`) tell it what they wrote, moved or
   dropped (:meth:`ResultsIndex.writing`); it applies that before the next read.
2. **Writes anywhere else** (another Atrium process on the same remote store, say) are caught
   by the results revision: every results write adds one to ``schema:version`` of the results
   dataset, in the state graph (:attr:`ResultsIndex.state_graph`), before it starts and again
   when it ends. Every read compares it with the revision the snapshot stands for, and a
   difference that this process's own writes do not explain rebuilds the snapshot from the
   graph first, so a read never counts what the graph no longer says (an access change
   included).

Access: an observation lives in the results graph of its asset's access, which
:class:`~app.domain.results.observations.ResultHomes` moves with the asset, so an observation
counts for a reader exactly when its results graph is in the reader's scope.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pyoxigraph import Literal, NamedNode

from app.domain.iris import Iris
from app.domain.results import index_file
from app.domain.results.cube import COUNTS, Observation
from app.domain.results.index_file import Revision
from app.namespaces import sparql_prefixes
from app.storage.graphstore import GraphStore, Scope

DIMENSIONS = ("asset", "segment", "channel", "campaign", "graph")
SAVE_SECONDS = 60.0  # at most this often, the snapshot is written to its file after changes
NONE_YET: Revision = ("", 0)  # no results were ever written

_PREFIXES = sparql_prefixes()
_ALL = (
    _PREFIXES
    + """SELECT ?o ?g ?asset ?segment ?channel ?campaign ?start ?end ?i ?k ?v WHERE {
  GRAPH ?g {
    ?o a qb:Observation ; dam:observedAsset ?asset ; dam:segment ?segment ;
       dam:channel ?channel ; dam:campaign ?campaign ; dam:periodStart ?start ;
       dam:periodEnd ?end ; dam:impressions ?i ; dam:clicks ?k ; dam:conversions ?v .
  }
  FILTER(STRSTARTS(STR(?g), ?results))
}"""
)
_REVISION = (
    "SELECT ?n ?id WHERE { GRAPH ?g { ?dataset schema:version ?n ; schema:identifier ?id } }"
)
_BUMP = (
    _PREFIXES
    + """DELETE { GRAPH ?g { ?dataset schema:version ?n } }
INSERT { GRAPH ?g { ?dataset schema:version ?next ; schema:identifier ?id } }
WHERE {
  OPTIONAL { GRAPH ?g { ?dataset schema:version ?n } }
  OPTIONAL { GRAPH ?g { ?dataset schema:identifier ?known } }
  BIND(COALESCE(?n, 0) + 1 AS ?next)
  BIND(COALESCE(?known, STRUUID()) AS ?id)
}"""
)


def observation_key(iri: str) -> int:
    """The 64-bit row key of an observation: the first 16 hex digits of its IRI's key."""
    return int(iri.rsplit("/", 1)[-1][:16], 16)


@dataclass(frozen=True)
class Row:
    """One observation as the index holds it."""

    key: int
    asset: str
    segment: str
    channel: str
    campaign: str
    graph: str
    start: dt.date
    end: dt.date
    impressions: int
    clicks: int
    conversions: int


def index_row(observation: Observation, iri: NamedNode, graph: NamedNode) -> Row:
    """An observation stored in ``graph``, as the index holds it."""
    return Row(
        observation_key(iri.value),
        observation.asset.value,
        observation.segment.value,
        observation.channel.value,
        observation.campaign.value,
        graph.value,
        observation.start,
        observation.end,
        observation.impressions,
        observation.clicks,
        observation.conversions,
    )


class Codes:
    """Strings interned as small integers, in order of arrival."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self.ids: dict[str, int] = {}
        self._rank = np.zeros(0, dtype=np.int64)

    @classmethod
    def of(cls, values: Sequence[str]) -> Codes:
        codes = cls()
        for value in values:
            codes.code(value)
        return codes

    def rank(self) -> np.ndarray:
        """Each code's position in the sorted values (ties in a ranking break by name)."""
        if len(self._rank) != len(self.values):
            order = sorted(range(len(self.values)), key=self.values.__getitem__)
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            self._rank = rank
        return self._rank

    def code(self, value: str) -> int:
        found = self.ids.get(value)
        if found is None:
            found = self.ids[value] = len(self.values)
            self.values.append(value)
        return found

    def lookup(self, values: Sequence[str] | None) -> np.ndarray | None:
        """A boolean table over codes, true for ``values`` (None: every value)."""
        if values is None:
            return None
        table = np.zeros(len(self.values) + 1, dtype=bool)
        table[[self.ids[v] for v in values if v in self.ids]] = True
        return table


class Snapshot:
    """Immutable columns, one entry per observation; ``codes`` name the dimension values."""

    def __init__(self, codes: dict[str, Codes], columns: dict[str, np.ndarray]) -> None:
        self.codes = codes
        self.columns = columns
        self._weights: dict[str, np.ndarray] = {}

    def weights(self, count: str) -> np.ndarray:
        """A count column as floats, as ``np.bincount`` weighs (converted once, not per sum)."""
        found = self._weights.get(count)
        if found is None:
            found = self._weights[count] = self.columns[count].astype(np.float64)
        return found

    @classmethod
    def empty(cls) -> Snapshot:
        codes = {name: Codes() for name in DIMENSIONS}
        return cls(codes, {name: np.zeros(0, dtype=np.int64) for name in COLUMNS})

    @property
    def size(self) -> int:
        return len(self.columns["key"])

    def with_rows(self, rows: Sequence[Row]) -> Snapshot:
        """These rows added, each replacing any row of the same key."""
        if not rows:
            return self
        latest = {row.key: row for row in rows}
        kept = ~np.isin(self.columns["key"], np.fromiter(latest, dtype=np.uint64))
        added = _columns(self.codes, latest.values())
        columns = {
            name: np.concatenate([self.columns[name][kept], added[name]]) for name in COLUMNS
        }
        return Snapshot(self.codes, columns)

    def with_asset_moved(self, asset: str, graph: str | None) -> Snapshot:
        """The asset's rows in ``graph`` (None: dropped, with the asset)."""
        code = self.codes["asset"].ids.get(asset)
        if code is None:
            return self
        mine = self.columns["asset"] == code
        if graph is None:
            return Snapshot(self.codes, {n: c[~mine] for n, c in self.columns.items()})
        columns = dict(self.columns)
        columns["graph"] = np.where(mine, self.codes["graph"].code(graph), columns["graph"])
        return Snapshot(self.codes, columns)

    def visible(self, scope: Scope) -> np.ndarray:
        """Which rows ``scope`` may see: those in its results graphs."""
        table = self.codes["graph"].lookup(scope.graphs)
        if table is None:
            return np.ones(self.size, dtype=bool)
        return table[self.columns["graph"]]


COLUMNS = ("key", *DIMENSIONS, "start", "end", *COUNTS)


def _columns(codes: dict[str, Codes], rows: Sequence[Row] | Iterator[Row]) -> dict:
    found: dict[str, list[int]] = {name: [] for name in COLUMNS}
    for row in rows:
        found["key"].append(row.key)
        for name in DIMENSIONS:
            found[name].append(codes[name].code(getattr(row, name)))
        found["start"].append(row.start.toordinal())
        found["end"].append(row.end.toordinal())
        for name in COUNTS:
            found[name].append(getattr(row, name))
    return {
        name: np.asarray(values, dtype=np.uint64 if name == "key" else np.int64)
        for name, values in found.items()
    }


class ResultsIndex:
    """The snapshot of every results graph, brought up to date before each read; ``path``
    (optional) is its file (:mod:`.index_file`)."""

    def __init__(self, store: GraphStore, iris: Iris, path: Path | None = None) -> None:
        self.store = store
        self.iris = iris
        self.path = path
        self.state_graph = iris.graph("results-state")
        self._lock = threading.RLock()
        self._snapshot: Snapshot | None = None
        self._revision: Revision | None = None  # what the snapshot and pending changes stand for
        self._pending: list[tuple[str, object]] = []
        self._saved: Revision | None = None
        self._saved_at = 0.0

    def snapshot(self) -> Snapshot:
        """The observations as the graph holds them now."""
        with self._lock:
            revision = self.revision()
            if revision != self._revision or self._snapshot is None:
                self._snapshot = self._known(revision) or self._read_all()
                self._revision, self._pending = revision, []
                self._save(at_once=True)
            elif self._pending:
                snapshot = self._snapshot
                for change, value in self._pending:
                    if change == "rows":
                        snapshot = snapshot.with_rows(value)  # type: ignore[arg-type]
                    else:
                        snapshot = snapshot.with_asset_moved(*value)  # type: ignore[misc]
                self._snapshot, self._pending = snapshot, []
                self._save(at_once=False)
            return self._snapshot

    @contextmanager
    def writing(self) -> Iterator[Changes]:
        """Around a write of results: collect what it changes, then count the revision.

        When the revision moved by exactly this write, the changes are applied to the snapshot
        (lazily, on the next read); otherwise someone else wrote too and the next read rebuilds.
        """
        with self._lock:
            if self._snapshot is None:  # follow this write if that costs nothing
                revision = self.revision()
                self._snapshot = self._known(revision)
                self._revision = revision if self._snapshot is not None else None
            changes = Changes()
            before = self._revision
            # Counted before the write as well as after it: a process killed in between leaves
            # the revision moved, so the index file no longer matches and the graph is read.
            self._bump()
            try:
                yield changes
            finally:  # a write that failed part-way is counted too, so it is read back
                self._bump()
            after = self.revision()
            if before is not None and after == (after[0], before[1] + 2) and changes.known:
                for item in changes.items:  # rows written in a row are applied at once
                    if item[0] == "rows" and self._pending and self._pending[-1][0] == "rows":
                        self._pending[-1][1].extend(item[1])  # type: ignore[attr-defined]
                    else:
                        self._pending.append(item)
                self._revision = after
            else:
                self._revision = None

    def revision(self) -> Revision:
        rows = self.store.select(
            _PREFIXES + _REVISION, scope=Scope.everything(), bindings=self._state()
        )
        return (rows[0]["id"].value, int(rows[0]["n"].value)) if rows else NONE_YET

    def close(self) -> None:
        """Write the snapshot to its file if it is current and changed since last written."""
        with self._lock:
            if self._snapshot is not None and self._revision == self.revision():
                self.snapshot()
                self._save(at_once=True)

    def _known(self, revision: Revision) -> Snapshot | None:
        """The snapshot of ``revision`` without reading the graph: empty, or from its file."""
        if revision == NONE_YET:
            return Snapshot.empty()
        saved = index_file.load(self.path, revision) if self.path is not None else None
        if saved is None or set(saved[0]) != set(DIMENSIONS) or set(saved[1]) != set(COLUMNS):
            return None
        codes = {name: Codes.of(values) for name, values in saved[0].items()}
        return Snapshot(codes, saved[1])

    def _save(self, at_once: bool) -> None:
        if self.path is None or self._snapshot is None or self._revision in (None, self._saved):
            return
        if not at_once and time.monotonic() - self._saved_at < SAVE_SECONDS:
            return
        codes = {name: found.values for name, found in self._snapshot.codes.items()}
        index_file.save(self.path, self._revision, codes, self._snapshot.columns)
        self._saved, self._saved_at = self._revision, time.monotonic()

    def _bump(self) -> None:
        self.store.update(_BUMP, bindings=self._state(), graphs={self.state_graph.value})

    def _state(self) -> dict[str, NamedNode]:
        return {"g": self.state_graph, "dataset": self.iris.results_dataset}

    def _read_all(self) -> Snapshot:
        results = Literal(self.iris.graph("results/").value)
        solutions = self.store.query(_ALL, scope=Scope.everything(), bindings={"results": results})
        days: dict[str, dt.date] = {}

        def day(value: str) -> dt.date:
            found = days.get(value)
            if found is None:
                found = days[value] = dt.date.fromisoformat(value)
            return found

        rows = (
            Row(
                observation_key(s["o"].value),
                s["asset"].value,
                s["segment"].value,
                s["channel"].value,
                s["campaign"].value,
                s["g"].value,
                day(s["start"].value),
                day(s["end"].value),
                int(s["i"].value),
                int(s["k"].value),
                int(s["v"].value),
            )
            for s in solutions  # type: ignore[union-attr]
        )
        empty = Snapshot.empty()
        return Snapshot(empty.codes, _columns(empty.codes, rows))


class Changes:
    """What one results write did, in order: rows written, assets moved or dropped."""

    def __init__(self) -> None:
        self.items: list[tuple[str, object]] = []
        self.known = True  # False: the write cannot say what it changed; read it all back

    def unknown(self) -> None:
        self.known = False

    def written(self, observation: Observation, iri: NamedNode, graph: NamedNode) -> None:
        row = index_row(observation, iri, graph)
        if self.items and self.items[-1][0] == "rows":
            self.items[-1][1].append(row)  # type: ignore[attr-defined]
        else:
            self.items.append(("rows", [row]))

    def moved(self, asset: str, graph: str | None) -> None:
        self.items.append(("moved", (asset, graph)))
