"""The auth database: the SQLite file of users, API tokens and browser sessions
(:class:`app.domain.people.users.UserStore`), kept out of the graph so that no SPARQL query
can reach a secret's hash."""

from __future__ import annotations

import sqlite3
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    departments TEXT NOT NULL DEFAULT '',
    disabled INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY,
    user TEXT NOT NULL REFERENCES users(name),
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    expires TEXT,
    last_used TEXT
);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    user TEXT NOT NULL REFERENCES users(name),
    created TEXT NOT NULL,
    expires REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions(user);
"""


# Columns added since the first release, with their types: an older auth.sqlite gains them.
_ADDED_COLUMNS = {
    "tokens": {"expires": "TEXT", "last_used": "TEXT"},
    "users": {"last_sign_in": "TEXT"},
}


def connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=10)
    db.row_factory = sqlite3.Row
    return db


def prepare(path: Path) -> None:
    """Create the tables, or bring a file made by an older version up to date."""
    with connect(path) as db:
        db.executescript(_SCHEMA)
        _add_missing_columns(db)


def _add_missing_columns(db: sqlite3.Connection) -> None:
    """Bring an auth.sqlite made by an older version up to date (no data changes)."""
    db.execute("BEGIN IMMEDIATE")  # two processes starting at once add each column once
    for table, columns in _ADDED_COLUMNS.items():
        present = {row["name"] for row in db.execute(f"PRAGMA table_info({table})")}
        for column, kind in columns.items():
            if column not in present:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    db.commit()
