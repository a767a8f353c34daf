"""The search index: a SQLite file in the data folder, kept in step with the graph.

Oxigraph has no full-text index, and counting a dozen facets over a million assets in SPARQL
takes seconds, so search reads a derived index. The graph stays the only source of truth:
the index holds, per asset, only what the graph says about the asset itself, read back from
the graph after every write (:mod:`.entries`):

- ``asset``: its ordinal ``n``, id, named graph (its access scope), date added, title sort
  key, and the ids of its facet values (``term``), packed as an int32 array;
- ``text``: an FTS5 table of its folded title and body (its other searchable text fields),
  and of their stems, ``rowid`` = ``n``;
- ``removed``: a log of deleted ordinals, from which the in-memory columns catch up;
- ``pending``: writes in flight (see below); ``meta``: schema version, rebuild epoch, and the
  signature of the fields it was built for (:attr:`~.layout.Facets.signature`).

Which fields it holds comes from the field registry (:mod:`.layout`), never from a list here.
Labels, hierarchy and merges of concepts are never stored: the query resolves words to
concepts through the vocabulary at query time, so a taxonomist's edit needs no reindex.

Why it cannot drift from the graph:

1. Every write of an asset record goes through
:class:`~app.domain.assets.repository.AssetRepository`,
   which wraps the store write in :meth:`SearchIndex.changing`: the asset is marked pending
   before the write; after it, the index re-reads the record from the graph (never from the
   draft) and replaces its row, in one SQLite transaction that also clears the mark. The
   graph read happens inside that transaction, so two syncs of one asset cannot interleave.
2. A mark left behind by a crash, or by a failed sync, is healed by a later search. Until
   then the index cannot vouch for that asset (its access may have changed, or it may be
   gone), so searches fail closed: they neither count nor list it (:meth:`Snapshot.visible`).
   Its mark and the columns are read in one SQLite read transaction, so a search sees either
   the mark or the entry that replaced it. An index that cannot be read at all raises
   :class:`SearchUnavailable` rather than answer from a state it cannot check.
3. Bulk loads (``atrium import``, ``atrium demo --synthetic``) rebuild it, and
   ``atrium reindex`` rebuilds (or, with ``--check``, compares) it on demand.
4. A change to the fields it holds (a profile import that adds a facet, say) rebuilds it by
   itself: every row is in the layout that ``meta`` names, and whoever finds the current
   registry's signature different, before a search or within a write, rebuilds it first.
5. ``tests/test_search_index.py`` compares it with the graph after writes, deletes, access
   changes and label edits (:meth:`SearchIndex.differences`, :mod:`.checking`).
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Protocol

import numpy as np

import app.domain.search.columns as columnar
from app.domain.iris import Iris
from app.domain.search.checking import differences
from app.domain.search.columns import Columns
from app.domain.search.entries import entries_in_batches, read_entries
from app.domain.search.layout import Facets, facets_for
from app.domain.search.rows import Interner, replace_row
from app.domain.search.snapshot import SearchUnavailable, Snapshot, readable
from app.domain.shapes.registry import FieldRegistry
from app.namespaces import sparql_prefixes
from app.storage.graphstore import GraphStore, Scope, StoreError

log = logging.getLogger(__name__)

SCHEMA_VERSION = "2"  # 2: the stems of the words (:mod:`.stems`)
BATCH = 500  # assets read from the graph per query while rebuilding
HEAL_AFTER_SECONDS = 30.0  # a pending mark this old belongs to a write that died
RETRY_SECONDS = 5.0  # a sync that failed in this process is retried by a search this often

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS asset (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    graph INTEGER NOT NULL,
    submitted INTEGER NOT NULL,
    title_key TEXT NOT NULL,
    digest TEXT NOT NULL,
    facts BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS asset_by_title ON asset (title_key, n);
CREATE TABLE IF NOT EXISTS term (
    t INTEGER PRIMARY KEY,
    facet TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (facet, value)
);
CREATE VIRTUAL TABLE IF NOT EXISTS text USING fts5 (
    title, body, title_stems, body_stems, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS removed (seq INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pending (id TEXT PRIMARY KEY, since REAL NOT NULL);
"""
_TABLES = ("asset", "term", "text", "removed", "pending")
_FIELDS = "fields"  # the meta key of the signature of the fields the rows hold

_ALL_ASSETS = sparql_prefixes() + "SELECT DISTINCT ?a WHERE { ?a a dam:Asset }"
_ANY_ASSET = sparql_prefixes() + "ASK { ?a a dam:Asset }"
_UNSETTLED = """
SELECT n FROM asset WHERE id IN (SELECT id FROM pending UNION SELECT value FROM json_each(?))
"""


class FieldSource(Protocol):
    """Where the current field registry comes from (a
    :class:`~app.domain.shapes.catalogue.ShapeCatalogue`)."""

    @property
    def registry(self) -> FieldRegistry: ...

    def changed(self) -> None:
        """Forget the registry, so that the next one is read from the store."""


class Feed(Protocol):
    """Other processes' writes (:mod:`.change_feed`), applied before every search."""

    def catch_up(self, index: SearchIndex) -> int: ...


class SearchIndex:
    """The SQLite index of one data folder, and its in-memory columns."""

    def __init__(
        self, path: Path, store: GraphStore, iris: Iris, shapes: FieldSource, feed: Feed | None
    ) -> None:
        self.path = path
        self.store = store
        self.iris = iris
        self.shapes = shapes
        self.feed = feed
        self._local = threading.local()
        self._columns: Columns | None = None
        self._columns_lock = threading.Lock()
        self._write_lock = threading.Lock()  # this process's writers queue here, not in SQLite
        self._failed: dict[str, float] = {}  # asset id → when its sync last failed here
        self._create()

    def facets(self) -> Facets:
        """The facets, and the fields to index, of the current field registry."""
        return facets_for(self.shapes.registry)

    # Connections ----------------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections stay in the thread that made them)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA cache_size = -65536")  # 64 MiB: rebuilds of a million assets
            self._local.db = db
        return db

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once so that syncs of one asset are serialised (the
        threads of this process wait for each other here, however long a rebuild takes)."""
        with self._write_lock:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = self._db()
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError:
            self._set_aside()
            db = self._db()
        version = None
        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone():
            found = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            version = found[0] if found else None
        if version not in (None, SCHEMA_VERSION):
            for table in (*_TABLES, "meta"):
                db.execute(f"DROP TABLE IF EXISTS {table}")
        db.executescript(_SCHEMA)
        with self._writing() as db:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            # A new index over an empty store is complete; over a full one, it is built on use.
            built = "0" if self.store.ask(_ANY_ASSET, scope=Scope.everything()) else "1"
            db.execute("INSERT OR IGNORE INTO meta VALUES ('epoch', ?)", (built,))
            # Built for no fields yet: the first write or search builds it for the current ones.
            db.execute("INSERT OR IGNORE INTO meta VALUES (?, '')", (_FIELDS,))

    def _set_aside(self) -> None:
        """Move an index file SQLite cannot read out of the way, kept for a post-mortem; the
        new one is built from the graph (the index is derived data)."""
        self.close()
        aside = self.path.with_name(f"{self.path.name}.unreadable")
        log.warning("search index: %s cannot be read; moved to %s", self.path, aside)
        self.path.replace(aside)
        for suffix in ("-wal", "-shm"):
            self.path.with_name(f"{self.path.name}{suffix}").unlink(missing_ok=True)

    def _meta(self, db: sqlite3.Connection | None = None) -> dict[str, str]:
        return dict((db or self._db()).execute("SELECT key, value FROM meta").fetchall())

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # The write path -------------------------------------------------------------------------

    @contextmanager
    def changing(self, asset_id: str) -> Iterator[None]:
        """Wrap a write of the asset's record: afterwards the index holds what the graph holds."""
        self._mark(asset_id)
        try:
            yield
        finally:
            try:
                self.sync([asset_id])
            except Exception:
                # The graph write stands. Searches leave the asset out until a retry (a search
                # here after RETRY_SECONDS, anywhere after HEAL_AFTER_SECONDS) syncs it.
                self._failed[asset_id] = time.monotonic()
                log.exception("search index: could not sync asset %s; it stays pending", asset_id)
                with suppress(Exception):  # again, in case another sync cleared it meanwhile
                    self._mark(asset_id)

    def mark_pending(self, asset_id: str) -> None:
        """Leave the asset out of every search until its next sync (another process is
        changing it)."""
        self._mark(asset_id)

    def _mark(self, asset_id: str) -> None:
        with self._writing() as db:
            db.execute("INSERT OR REPLACE INTO pending VALUES (?, ?)", (asset_id, time.time()))

    def sync(self, asset_ids: Sequence[str]) -> None:
        """Replace the entries of ``asset_ids`` with what the graph holds now (every entry,
        if the fields to index are no longer those the index holds)."""
        started = time.monotonic()
        with self._writing() as db:
            facets = self._layout(db)
            if self._meta(db)[_FIELDS] != facets.signature:
                self._rebuild(db, facets)  # every entry anew; the rebuild clears every mark
            else:
                assets = [self.iris.asset(i) for i in asset_ids]
                entries = read_entries(self.store, self.iris, assets, facets)
                interner = Interner(db)
                for asset_id in asset_ids:
                    replace_row(db, interner, asset_id, entries.get(asset_id))
                db.executemany("DELETE FROM pending WHERE id = ?", [(i,) for i in asset_ids])
        for asset_id in asset_ids:  # a failure recorded since this sync began still stands
            if self._failed.get(asset_id, math.inf) <= started:
                self._failed.pop(asset_id, None)

    def heal(self) -> int:
        """Sync the assets whose write died before its sync, and those whose sync failed in
        this process at least ``RETRY_SECONDS`` ago; returns how many."""
        cutoff, retry = time.time() - HEAL_AFTER_SECONDS, time.monotonic() - RETRY_SECONDS
        query = "SELECT id FROM pending WHERE since < ?"
        stale = {i for (i,) in self._db().execute(query, (cutoff,))}
        stale |= {i for i, failed in list(self._failed.items()) if failed <= retry}
        if stale:
            self.sync(sorted(stale))
        return len(stale)

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Build the index anew from the graph; returns the number of assets indexed."""
        with self._writing() as db:
            return self._rebuild(db, self._layout(db), progress)

    def _rebuild(
        self,
        db: sqlite3.Connection,
        facets: Facets,
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Within a write transaction: every row anew, holding the fields of ``facets``."""
        assets = [row["a"] for row in self.store.select(_ALL_ASSETS, scope=Scope.everything())]
        for table in _TABLES:
            db.execute(f"DELETE FROM {table}")
        db.execute("DELETE FROM sqlite_sequence")
        interner = Interner(db)
        batches = entries_in_batches(self.store, self.iris, assets, facets, BATCH)
        for number, entries in enumerate(batches, 1):
            for asset_id, entry in sorted(entries.items()):
                replace_row(db, interner, asset_id, entry)
            if progress:
                progress(min(number * BATCH, len(assets)), len(assets))
        # Its segments merged into one, FTS5 reads a common word twice as fast (1M assets:
        # 22 ms, not 44) for some 2 s at the end of a rebuild.
        db.execute("INSERT INTO text (text) VALUES ('optimize')")
        db.execute("UPDATE meta SET value = value + 1 WHERE key = 'epoch'")
        db.execute("UPDATE meta SET value = ? WHERE key = ?", (facets.signature, _FIELDS))
        return len(assets)

    def _layout(self, db: sqlite3.Connection) -> Facets:
        """Within a write transaction, the fields to index: the current registry's. When the
        index was built for others, the registry is read afresh first, since another process
        may have imported a profile that this one has not seen yet."""
        facets = self.facets()
        stored = self._meta(db)[_FIELDS]
        if stored and stored != facets.signature:
            self.shapes.changed()
            facets = self.facets()
        return facets

    # The read path --------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The in-memory columns, the facets they hold and the assets they cannot vouch for,
        consistent with each other; the index is built first if it never was, or rebuilt if it
        holds other fields. Raises :class:`SearchUnavailable` if the index cannot be read."""
        facets = self.facets()
        with readable():
            if _stale(self._meta(), facets):
                facets = self._rebuild_if_stale()
            self._follow_others()
            try:
                self.heal()
            except Exception:  # what it could not sync stays unsettled, and out of every search
                log.exception("search index: could not sync the pending assets")
            db = self._db()
            with self._columns_lock, columnar.reading(db):
                self._columns = columnar.catch_up(self._columns, db, facets.columns)
                return Snapshot(self._columns, facets, self._unsettled(db))

    def _follow_others(self) -> None:
        """Apply the other processes' writes first; if they cannot be read, no search can be
        answered without risking an asset whose access another process just changed."""
        if self.feed is None:
            return
        try:
            self.feed.catch_up(self)
        except StoreError as error:
            log.exception("search index: cannot read the other processes' changes")
            raise SearchUnavailable(
                "Search is unavailable: the changes other Atrium processes made cannot be read "
                f"from the store ({error}). Try again in a moment."
            ) from error

    def _unsettled(self, db: sqlite3.Connection) -> np.ndarray:
        """The ordinals of the assets with a pending mark, or whose sync failed in this
        process (known here even when the failure left no mark: a full disk, a rebuild that
        cleared it)."""
        found = [n for (n,) in db.execute(_UNSETTLED, (json.dumps(list(self._failed)),))]
        return np.asarray(found, dtype=np.int64)

    def columns(self) -> Columns:
        """The current in-memory columns (see :meth:`snapshot`)."""
        return self.snapshot().columns

    def _rebuild_if_stale(self) -> Facets:
        """Rebuild unless another thread or process did meanwhile; the facets it now holds."""
        with self._writing() as db:
            facets = self._layout(db)
            if _stale(self._meta(db), facets):
                log.info("search index: rebuilding it for fields %s", facets.signature)
                self._rebuild(db, facets)
            return facets

    def title_order(self, columns: Columns) -> np.ndarray:
        """Each ordinal's rank when sorted by title (made once per snapshot)."""

        def make() -> np.ndarray:
            query = "SELECT n FROM asset WHERE n <= ? ORDER BY title_key, n"
            ordinals = np.fromiter(
                (n for (n,) in self._db().execute(query, (columns.last_ordinal,))), dtype=np.int64
            )
            rank = np.full(columns.size, len(ordinals), dtype=np.int64)
            rank[ordinals] = np.arange(len(ordinals))
            return rank

        return columns.cached("title", make)

    def matching_text(self, expression: str) -> np.ndarray:
        """The ordinals of assets whose text matches an FTS5 query ``expression``."""
        # One string of all the ordinals is three times faster to read than a row each, and
        # numpy parses it ten times faster than str.split (250k matches at 1M: 3 ms, not 28).
        query = "SELECT group_concat(rowid) FROM text WHERE text MATCH ?"
        with readable():
            found = self._db().execute(query, (expression,)).fetchone()[0]
        return np.fromstring(found, dtype=np.int64, sep=",") if found else np.zeros(0, np.int64)

    def ids(self, ordinals: Iterable[int]) -> dict[int, str]:
        """The asset id of each ordinal."""
        wanted = [int(n) for n in ordinals]
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        with readable():
            rows = self._db().execute(f"SELECT n, id FROM asset WHERE n IN ({marks})", wanted)
            return dict(rows.fetchall())

    def ordinal(self, asset_id: str) -> int | None:
        found = self._db().execute("SELECT n FROM asset WHERE id = ?", (asset_id,)).fetchone()
        return found[0] if found else None

    def ordinals(self, asset_ids: Iterable[str]) -> dict[str, int]:
        """The ordinal of each asset id the index holds (the collection facet's members)."""
        wanted = list(dict.fromkeys(asset_ids))
        found: dict[str, int] = {}
        with readable():
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db().execute(f"SELECT id, n FROM asset WHERE id IN ({marks})", chunk)
                found.update(dict(rows.fetchall()))
        return found

    # Checking -------------------------------------------------------------------------------

    def out_of_step(self) -> str | None:
        """Why searches leave an asset out now (None: in step): a sync failed here, or a write's
        mark outlived ``HEAL_AFTER_SECONDS``. Reads only; :meth:`heal` first retries what is due."""
        with readable():
            query = "SELECT 1 FROM pending WHERE since < ? LIMIT 1"
            stuck = self._db().execute(query, (time.time() - HEAL_AFTER_SECONDS,)).fetchone()
        if self._failed or stuck:
            return "a write was not synced; searches leave its asset out until a retry syncs it"
        return None

    def differences(self) -> list[str]:
        """How the index differs from the graph, one line per asset (empty: in step), for the
        fields of the current registry."""
        assets = [row["a"] for row in self.store.select(_ALL_ASSETS, scope=Scope.everything())]
        return differences(self._db(), self.store, self.iris, assets, self.facets())


def _stale(meta: dict[str, str], facets: Facets) -> bool:
    """Never built over a full store, or built for other fields."""
    return meta["epoch"] == "0" or meta[_FIELDS] != facets.signature
