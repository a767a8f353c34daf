"""Comparing the search index with the graph (``atrium reindex --check``, and the tests)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import numpy as np
from pyoxigraph import NamedNode

from app.domain.iris import Iris
from app.domain.search.entries import Entry, read_entries
from app.domain.search.layout import Facets
from app.storage.graphstore import GraphStore

BATCH = 500  # assets read from the graph per query


def differences(
    db: sqlite3.Connection,
    store: GraphStore,
    iris: Iris,
    assets: Sequence[NamedNode],
    facets: Facets,
) -> list[str]:
    """How the index in ``db`` differs from the graph's ``assets``, one line per asset (empty:
    in step), for the fields of ``facets``."""
    expected: dict[str, Entry] = {}
    for start in range(0, len(assets), BATCH):
        expected.update(read_entries(store, iris, assets[start : start + BATCH], facets))
    stored = stored_entries(db)
    lines = [f"{i}: a write is pending" for (i,) in db.execute("SELECT id FROM pending")]
    for asset_id in sorted(expected.keys() | stored.keys()):
        want, have = expected.get(asset_id), stored.get(asset_id)
        if have is None:
            lines.append(f"{asset_id}: in the graph, missing from the index")
        elif want is None:
            lines.append(f"{asset_id}: in the index, not in the graph")
        elif want != have:
            lines.append(f"{asset_id}: differs: index {have} ≠ graph {want}")
    return lines


def stored_entries(db: sqlite3.Connection) -> dict[str, Entry]:
    """Every entry the index holds, by asset id."""
    terms = {t: (facet, value) for t, facet, value in db.execute("SELECT * FROM term")}
    text = {n: tuple(texts) for n, *texts in db.execute("SELECT rowid, * FROM text")}
    entries = {}
    query = "SELECT n, id, graph, submitted, title_key, facts FROM asset"
    for n, asset_id, graph, submitted, title_key, blob in db.execute(query):
        ids = np.frombuffer(blob, dtype="<i4")
        title, body, title_stems, body_stems = text.get(n, ("", "", "", ""))
        entries[asset_id] = Entry(
            asset_id, terms[graph][1], submitted, title_key,
            frozenset(terms[int(t)] for t in ids), title, body, title_stems, body_stems,
        )  # fmt: skip
    return entries
