"""The change feed: how several Atrium processes over one remote store keep their search in step.

Each process has its own search index, which its own writes keep in step (the index is one of
the repository's record watchers). Writes made by another process reach it through a feed kept
in the graph (``{base}graphs/changes``), written around every record write:

    <{base}changes/{uuid}> dam:changeOf <asset> ; dam:byProcess "…" ;
        prov:startedAtTime "…"^^xsd:dateTime ; prov:endedAtTime "…"^^xsd:dateTime .

The entry is written, with its start only, *before* the record, and its end *after*. Before
every search a process reads the entries of the others (:meth:`ChangeFeed.catch_up`): an asset
whose change has started but not ended is marked pending in its index, so no search lists or
counts it (the index fails closed on pending assets); once the end is there, the asset is read
again from the graph. So a search never shows an asset as it was once another process began to
change it, and shows the change as soon as it is written: there is no polling interval.

Each catch-up reads the entries started or ended in the last :data:`LOOKBACK_SECONDS`, which
allows for clocks of several machines that differ by that much; each entry is applied once. A
process that dies between start and end leaves the asset pending in the others until their index
heals it (it reads the asset again after ``HEAL_AFTER_SECONDS``). Entries older than
:data:`KEEP_SECONDS` are swept by whichever process catches up next, so the feed stays small
under a long ingest. Only a remote store needs the feed: an embedded store has one process, and
the CLI goes through it.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

from pyoxigraph import Literal, Quad

from app.domain.iris import Iris
from app.namespaces import DAM, PROV, XSD, sparql_prefixes
from app.storage.graphstore import GraphStore, Scope, substitute

LOOKBACK_SECONDS = 60.0  # allowed difference between the clocks of the processes' machines
KEEP_SECONDS = 3 * LOOKBACK_SECONDS  # entries older than this are swept

_ENTRIES = (
    sparql_prefixes()
    + """
SELECT ?entry ?asset ?end WHERE {
  GRAPH ?feed {
    ?entry dam:changeOf ?asset ; dam:byProcess ?process ; prov:startedAtTime ?start .
    OPTIONAL { ?entry prov:endedAtTime ?end }
  }
  FILTER(?process != ?me && COALESCE(?end, ?start) >= ?since)
}"""
)
_SWEEP = (
    sparql_prefixes()
    + """
DELETE { GRAPH ?feed { ?entry ?p ?o } } WHERE {
  GRAPH ?feed { ?entry prov:startedAtTime ?start ; ?p ?o }
  FILTER(?start < ?before)
}"""
)


class FollowingIndex(Protocol):
    """What the feed needs of a search index: to fail closed on an asset, then to re-read it."""

    def mark_pending(self, asset_id: str) -> None: ...

    def sync(self, asset_ids: Sequence[str]) -> None: ...


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _time(moment: dt.datetime) -> Literal:
    return Literal(moment.isoformat(), datatype=XSD.dateTime)


class ChangeFeed:
    """This process's side of the feed: a record watcher that writes it, a reader that follows."""

    def __init__(self, store: GraphStore, iris: Iris) -> None:
        self.store = store
        self.iris = iris
        self.graph = iris.changes_graph
        self.process = Literal(str(uuid.uuid4()))
        self._lock = threading.Lock()
        self._since = _now() - dt.timedelta(seconds=LOOKBACK_SECONDS)
        self._started: set[str] = set()  # entries applied as started (the asset marked pending)
        self._ended: dict[str, dt.datetime] = {}  # entries applied as ended, by when seen
        self._swept = _now()

    @contextmanager
    def changing(self, asset_id: str) -> Iterator[None]:
        """Wrap a write of the asset's record: its feed entry starts before and ends after."""
        entry = self.iris.new_change_entry()
        self.store.insert(
            [
                Quad(entry, DAM.changeOf, self.iris.asset(asset_id), self.graph),
                Quad(entry, DAM.byProcess, self.process, self.graph),
                Quad(entry, PROV.startedAtTime, _time(_now()), self.graph),
            ]
        )
        try:
            yield
        finally:
            self.store.insert([Quad(entry, PROV.endedAtTime, _time(_now()), self.graph)])

    def catch_up(self, index: FollowingIndex) -> int:
        """Apply the other processes' entries not applied yet; returns how many."""
        with self._lock:
            since = self._since
            rows = self.store.select(
                _ENTRIES,
                scope=Scope.everything(),
                bindings={"feed": self.graph, "me": self.process, "since": _time(since)},
            )
            applied = 0
            to_sync: list[str] = []
            for row in rows:
                entry, asset_id = row["entry"].value, self.iris.asset_id(row["asset"].value)
                if asset_id is None or entry in self._ended:
                    continue
                if "end" in row:
                    self._ended[entry] = _now()
                    self._started.discard(entry)
                    to_sync.append(asset_id)
                    applied += 1
                elif entry not in self._started:
                    self._started.add(entry)
                    index.mark_pending(asset_id)
                    applied += 1
            if to_sync:
                index.sync(sorted(set(to_sync)))
            self._forget_before(_now() - dt.timedelta(seconds=LOOKBACK_SECONDS))
            if _now() - self._swept > dt.timedelta(seconds=LOOKBACK_SECONDS):
                self._swept = _now()
                self.sweep()
            return applied

    def _forget_before(self, moment: dt.datetime) -> None:
        """Read from ``moment`` on next time; entries ended before it are not read again."""
        self._since = max(self._since, moment)
        horizon = moment - dt.timedelta(seconds=LOOKBACK_SECONDS)
        self._ended = {e: seen for e, seen in self._ended.items() if seen >= horizon}

    def sweep(self, older_than: float = KEEP_SECONDS) -> None:
        """Remove the entries started more than ``older_than`` seconds ago."""
        before = _now() - dt.timedelta(seconds=older_than)
        sweep = substitute(_SWEEP, {"feed": self.graph, "before": _time(before)})
        self.store.update(sweep, graphs={self.graph.value})
