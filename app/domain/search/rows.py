"""Writing entries (:mod:`.entries`) into the rows of the SQLite index (:mod:`.index`)."""

from __future__ import annotations

import sqlite3

import numpy as np

from app.domain.search.columns import GRAPH
from app.domain.search.entries import Entry


class Interner:
    """Term ids of (facet, value) pairs, made as needed, remembered for one transaction."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.known: dict[tuple[str, str], int] = {}

    def __call__(self, facet: str, value: str) -> int:
        key = (facet, value)
        if key not in self.known:
            self.db.execute("INSERT OR IGNORE INTO term (facet, value) VALUES (?, ?)", key)
            found = self.db.execute("SELECT t FROM term WHERE facet = ? AND value = ?", key)
            self.known[key] = found.fetchone()[0]
        return self.known[key]


def replace_row(db: sqlite3.Connection, term: Interner, asset_id: str, entry: Entry | None) -> None:
    """Make the index row of ``asset_id`` say ``entry`` (None: the asset is gone)."""
    old = db.execute("SELECT n, digest FROM asset WHERE id = ?", (asset_id,)).fetchone()
    if old is not None and entry is not None and old[1] == entry.digest:
        return
    if old is not None:
        db.execute("DELETE FROM asset WHERE n = ?", (old[0],))
        db.execute("DELETE FROM text WHERE rowid = ?", (old[0],))
        db.execute("INSERT INTO removed (n) VALUES (?)", (old[0],))
    if entry is None:
        return
    facts = np.asarray(sorted(term(f, v) for f, v in entry.facts), dtype="<i4").tobytes()
    cursor = db.execute(
        "INSERT INTO asset (id, graph, submitted, title_key, digest, facts) VALUES (?,?,?,?,?,?)",
        (asset_id, term(GRAPH, entry.graph), entry.submitted, entry.title_key, entry.digest, facts),
    )
    db.execute(
        "INSERT INTO text (rowid, title, body, title_stems, body_stems) VALUES (?, ?, ?, ?, ?)",
        (cursor.lastrowid, entry.title, entry.body, entry.title_stems, entry.body_stems),
    )
