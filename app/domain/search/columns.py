"""The search index in memory: numpy columns that count facets and rank pages in milliseconds.

Every asset has an ordinal (its row number in the SQLite index, never reused). A set of assets
is a boolean mask over ordinals; each facet is two parallel arrays, ``owner`` (ordinals, in
ascending order) and ``term`` (the id of the value), one entry per (asset, value) pair. So:

- the assets holding any of some values: ``mask[owner[lookup[term]]] = True``;
- a facet's counts within a mask: ``bincount(term[mask[owner]])``, one pass, all values at once;
- an asset counted once per group of values (a concept tree's level): the facet's distinct
  (asset, group) pairs, found once per snapshot, then a bincount of those whose asset is in
  the mask.

A :class:`Columns` is an immutable snapshot; :func:`catch_up` makes the next one from the
SQLite index by reading only what changed (rows with a higher ordinal are new, the ``removed``
log lists ordinals deleted since), and reloads everything after a rebuild or when too much of
the snapshot is dead.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

GRAPH = "graph"  # the pseudo-facet of each asset's named graph (its access scope)
RELOAD_DEAD_SHARE = 0.3  # reload when this share of ordinals is dead
RELOAD_NEW_SHARE = 0.2  # reload rather than append when this share is new
DENSE_CELLS = 32_000_000  # up to this, a tree level is counted with a flag per (concept, asset)
KEPT_PAIRS = 2  # a snapshot keeps tree levels' pairs up to this many times its entries


@dataclass(frozen=True)
class Terms:
    """Facet values interned as small integers: ``(facet, value)`` ↔ term id."""

    facet: tuple[str, ...]
    value: tuple[str, ...]
    ids: dict[tuple[str, str], int]

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, str, str]], base: Terms | None = None) -> Terms:
        facet = list(base.facet) if base else [""]  # ids start at 1; 0 stands for none
        value = list(base.value) if base else [""]
        ids = dict(base.ids) if base else {}
        for term, facet_name, text in rows:
            while len(facet) <= term:
                facet.append("")
                value.append("")
            facet[term], value[term] = facet_name, text
            ids[(facet_name, text)] = term
        return cls(tuple(facet), tuple(value), ids)

    @property
    def size(self) -> int:
        return len(self.facet)

    def lookup(self, facet: str, values: Iterable[str]) -> np.ndarray:
        """A boolean array over term ids, true for the given values of ``facet``."""
        found = np.zeros(self.size, dtype=bool)
        found[self.ids_of(facet, values)] = True
        return found

    def ids_of(self, facet: str, values: Iterable[str]) -> list[int]:
        """The term ids of those of ``values`` that ``facet`` holds."""
        ids = self.ids
        return [ids[key] for key in ((facet, v) for v in values) if key in ids]


@dataclass(frozen=True)
class FactColumn:
    owner: np.ndarray  # int32 ordinals, ascending
    term: np.ndarray  # int32 term ids


@dataclass
class Columns:
    """One consistent snapshot of the index (never changed once made, except its caches)."""

    epoch: int
    last_ordinal: int
    removed_seq: int
    alive: np.ndarray  # bool by ordinal
    graph: np.ndarray  # int32 term id of the asset's graph, by ordinal
    submitted: np.ndarray  # int64 seconds since 1970 (date added), by ordinal
    facts: dict[str, FactColumn]
    terms: Terms
    dead: int = 0
    _cache: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _pairs: dict[tuple, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def size(self) -> int:
        return len(self.alive)

    def empty_mask(self) -> np.ndarray:
        return np.zeros(self.size, dtype=bool)

    def in_graphs(self, graphs: Sequence[str] | None) -> np.ndarray:
        """The live assets stored in one of ``graphs`` (None: in any graph)."""
        if graphs is None:
            return self.alive.copy()
        return self.terms.lookup(GRAPH, graphs)[self.graph] & self.alive

    def having(self, facet: str, values: Iterable[str]) -> np.ndarray:
        """The assets holding any of ``values`` in ``facet``."""
        column = self.facts.get(facet)
        mask = self.empty_mask()
        if column is None:
            return mask
        lookup = self.terms.lookup(facet, values)
        mask[np.compress(lookup[column.term], column.owner)] = True
        return mask

    def counts(self, facet: str, mask: np.ndarray) -> np.ndarray:
        """How many assets of ``mask`` hold each term of ``facet`` (an array by term id)."""
        column = self.facts.get(facet)
        if column is None:
            return np.zeros(self.terms.size, dtype=np.int64)
        return np.bincount(np.compress(mask[column.owner], column.term), minlength=self.terms.size)

    def terms_of(self, facet: str, ordinal: int) -> np.ndarray:
        """The term ids one asset holds in ``facet``."""
        column = self.facts.get(facet)
        if column is None:
            return np.zeros(0, dtype=np.int32)
        start, end = np.searchsorted(column.owner, [ordinal, ordinal + 1])
        return column.term[start:end]

    def distinct_owners(
        self, facet: str, groups: Sequence[list[int]], mask: np.ndarray
    ) -> np.ndarray:
        """For each group of term ids, how many assets of ``mask`` hold one of them in
        ``facet``, each asset counted once per group (a concept tree's level: one group per
        concept, its subtree's terms). Whether an entry repeats its asset's pair does not
        depend on the mask, so the pairs are found once per snapshot and groups, and a count
        is one pass over them (10M assets: 24 ms a level, not 120)."""
        column = self.facts.get(facet)
        if column is None:
            return np.zeros(len(groups), dtype=np.int64)
        key = (facet, tuple(tuple(group) for group in groups))
        with self._lock:
            pairs = self._pairs.pop(key, None)
        if pairs is None:
            pairs = distinct_pairs(column, groups, self.terms.size)
        with self._lock:
            self._pairs[key] = pairs  # the most recently used last
            room = KEPT_PAIRS * sum(len(c.owner) for c in self.facts.values())
            while sum(len(owner) for owner, _ in self._pairs.values()) > room:
                del self._pairs[next(iter(self._pairs))]
        owner, group = pairs
        return np.bincount(np.compress(mask[owner], group), minlength=len(groups))

    def cached(self, key: str, make) -> np.ndarray:  # noqa: ANN001 - a function making the array
        """An array derived from this snapshot, made once (the title order, say)."""
        with self._lock:
            if key not in self._cache:
                self._cache[key] = make()
            return self._cache[key]


# Loading from SQLite ------------------------------------------------------------------------

_STATE = """
SELECT (SELECT value FROM meta WHERE key = 'epoch'),
       (SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'asset'),
       (SELECT COALESCE(MAX(seq), 0) FROM removed)
"""
# Rows read as a few long strings per chunk, which numpy parses: a Python object per row
# and column took 2 s per million rows. One pass makes the strings, so they agree row for row.
_ROWS = """
SELECT group_concat(n), group_concat(graph), group_concat(submitted),
       group_concat(length(facts) / 4), group_concat(hex(facts), '')
FROM (SELECT n, graph, submitted, facts FROM asset WHERE n > ? AND n <= ? ORDER BY n)
"""
_ROWS_PER_READ = 200_000  # some 25 MB of hex text: far below SQLite's longest string (1 GB)


def load(db: sqlite3.Connection, facets: Sequence[str]) -> Columns:
    """The whole index as columns."""
    with reading(db):
        epoch, last, removed_seq = db.execute(_STATE).fetchone()
        terms = Terms.from_rows(db.execute("SELECT t, facet, value FROM term"))
        rows = _Rows.read(db, 0, last)
    size = last + 1
    alive = np.zeros(size, dtype=bool)
    alive[rows.ordinals] = True
    return Columns(
        epoch=int(epoch or 0),
        last_ordinal=last,
        removed_seq=removed_seq,
        alive=alive,
        graph=rows.scatter(size, rows.graphs),
        submitted=rows.scatter(size, rows.submitted),
        facts=rows.split(terms, facets),
        terms=terms,
    )


def catch_up(columns: Columns | None, db: sqlite3.Connection, facets: Sequence[str]) -> Columns:
    """The snapshot after what changed since ``columns`` (the same object if nothing did);
    loaded anew if ``facets`` are not the columns it has (the fields to index changed)."""
    if columns is None or tuple(columns.facts) != tuple(facets):
        return load(db, facets)
    with reading(db):
        epoch, last, removed_seq = db.execute(_STATE).fetchone()
        state = (last, removed_seq, int(epoch or 0))
        if state == (columns.last_ordinal, columns.removed_seq, columns.epoch):
            return columns
        removed = [
            n for (n,) in db.execute("SELECT n FROM removed WHERE seq > ?", (columns.removed_seq,))
        ]
        room = max(columns.size, 5000)
        dead = columns.dead + len(removed)
        reload = (
            int(epoch or 0) != columns.epoch
            or dead > RELOAD_DEAD_SHARE * room
            or last - columns.last_ordinal > RELOAD_NEW_SHARE * room
        )
        if not reload:
            terms = Terms.from_rows(
                db.execute("SELECT t, facet, value FROM term WHERE t >= ?", (columns.terms.size,)),
                base=columns.terms,
            )
            rows = _Rows.read(db, columns.last_ordinal, last)
    if reload:
        return load(db, facets)
    size = last + 1
    alive = _grown(columns.alive, size)
    alive[[n for n in removed if n < columns.size]] = False
    alive[rows.ordinals] = True
    graph = _grown(columns.graph, size)
    graph[rows.ordinals] = rows.graphs
    submitted = _grown(columns.submitted, size)
    submitted[rows.ordinals] = rows.submitted
    added = rows.split(terms, facets)
    facts = {
        name: FactColumn(
            np.concatenate([columns.facts[name].owner, added[name].owner]),
            np.concatenate([columns.facts[name].term, added[name].term]),
        )
        for name in facets
    }
    return Columns(
        columns.epoch, last, removed_seq, alive, graph, submitted, facts, terms, dead=dead
    )


class reading:
    """A read transaction, so that every query of a load sees the same state of the index;
    within one already open, that one (so that a caller can read more in the same state)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.opened = False

    def __enter__(self) -> None:
        self.opened = not self.db.in_transaction
        if self.opened:
            self.db.execute("BEGIN")

    def __exit__(self, *exc_info: object) -> None:
        if self.opened:
            self.db.execute("COMMIT")


@dataclass(frozen=True)
class _Rows:
    """Index rows read from SQLite, as arrays."""

    ordinals: np.ndarray
    graphs: np.ndarray
    submitted: np.ndarray
    owners: np.ndarray  # one entry per (asset, term)
    terms: np.ndarray

    @classmethod
    def read(cls, db: sqlite3.Connection, after: int, last: int) -> _Rows:
        numbers: list[list[np.ndarray]] = [[], [], [], []]  # n, graph, submitted, facts held
        facts: list[np.ndarray] = []
        for start in range(after, last, _ROWS_PER_READ):
            *texts, hex_facts = db.execute(
                _ROWS, (start, min(start + _ROWS_PER_READ, last))
            ).fetchone()
            if texts[0] is None:  # no row left in this stretch
                continue
            for column, text in zip(numbers, texts, strict=True):
                column.append(np.fromstring(text, dtype=np.int64, sep=","))
            facts.append(np.frombuffer(bytes.fromhex(hex_facts), dtype="<i4"))
        ordinals, graphs, submitted, lengths, terms = (
            np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
            for parts in (*numbers, facts)
        )
        return cls(
            ordinals,
            graphs.astype(np.int32),
            submitted,
            np.repeat(ordinals.astype(np.int32), lengths),
            terms.astype(np.int32),
        )

    def scatter(self, size: int, values: np.ndarray) -> np.ndarray:
        array = np.zeros(size, dtype=values.dtype)
        array[self.ordinals] = values
        return array

    def split(self, terms: Terms, facets: Sequence[str]) -> dict[str, FactColumn]:
        """Per facet, its (owner, term) entries, in the owners' order."""
        position = {name: index for index, name in enumerate(facets)}
        facet_of_term = np.asarray([position.get(f, -1) for f in terms.facet], dtype=np.int16)
        facet_of_fact = (
            facet_of_term[self.terms] if self.terms.size else self.terms.astype(np.int16)
        )
        return {
            name: FactColumn(
                self.owners[facet_of_fact == index], self.terms[facet_of_fact == index]
            )
            for name, index in position.items()
        }


def _grown(array: np.ndarray, size: int) -> np.ndarray:
    grown = np.zeros(size, dtype=array.dtype)
    grown[: len(array)] = array
    return grown


def distinct_pairs(
    entries: FactColumn, groups: Sequence[list[int]], terms: int
) -> tuple[np.ndarray, np.ndarray]:
    """The (owner, group) pairs of ``entries`` whose term is in a group (of term ids below
    ``terms``), each pair once: an asset holding two terms of a group is one pair."""
    owner, group = _entries_by_group(entries, groups, terms)
    if owner.size == 0 or not np.any(owner[1:] == owner[:-1]):  # one entry per asset
        return owner, group
    assets = int(owner[-1]) + 1
    if len(groups) * assets <= DENSE_CELLS:  # a flag per (group, asset): 1M x 10 in 14 ms
        held = np.zeros((len(groups), assets), dtype=bool)
        held[group, owner] = True
        group, owner = np.nonzero(held)
        return owner.astype(np.int32), group.astype(np.int32)
    # Group by group, each group's owners still ascending (a stable sort: a radix sort for
    # 16-bit keys), so an asset's first entry in a group is where the pair changes.
    keys = group.astype(np.int16 if len(groups) < 2**15 else np.int32)
    order = np.argsort(keys, kind="stable")
    owner, group = owner[order], group[order]
    first = np.ones(owner.size, dtype=bool)
    first[1:] = (owner[1:] != owner[:-1]) | (group[1:] != group[:-1])
    return _compressed(first, owner, group)


def _entries_by_group(
    entries: FactColumn, groups: Sequence[list[int]], terms: int
) -> tuple[np.ndarray, np.ndarray]:
    """(owner, group) of each entry whose term is in a group, once per group it is in (SKOS
    lets a concept sit under two broader ones of a level), owners ascending."""
    term_ids = np.fromiter((t for g in groups for t in g), dtype=np.int64)
    group_ids = np.repeat(np.arange(len(groups), dtype=np.int32), [len(g) for g in groups])
    in_groups = np.bincount(term_ids, minlength=terms)
    if in_groups.max(initial=0) <= 1:
        group_of = np.full(terms, -1, dtype=np.int32)
        group_of[term_ids] = group_ids
        group = group_of[entries.term]
        owner, group = _compressed(group >= 0, entries.owner, group)
        return owner, group
    order = np.argsort(term_ids, kind="stable")
    first_pair = np.concatenate(([0], np.cumsum(in_groups)))  # of each term, in ``order``
    repeats = in_groups[entries.term]
    owner = np.repeat(entries.owner, repeats)
    starts = np.repeat(first_pair[entries.term], repeats)
    offsets = np.arange(owner.size) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    return owner, group_ids[order][starts + offsets]


def _compressed(keep: np.ndarray, *arrays: np.ndarray) -> list[np.ndarray]:
    """The elements of each array where ``keep`` is true: the positions once, then a take per
    array (three times faster than indexing each with the boolean mask: 2M entries, 3 ms not 10)."""
    positions = np.flatnonzero(keep)
    return [array.take(positions) for array in arrays]
