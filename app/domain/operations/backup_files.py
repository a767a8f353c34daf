"""What a backup holds beside the graph and the media (:mod:`.backup`): the data folder's
databases, and the base IRI the graph was minted under.

They hold what the graph does not: users' password hashes, API tokens, server-side sessions
(``auth.sqlite``). Which databases there are is the caller's to say (the service knows where
each lives); derived ones (the search index) are not backed up but rebuilt from the graph.
A live SQLite database is copied with SQLite's own backup API, never as a raw file, so that a
write in progress cannot leave a torn copy.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from app.storage.media import hash_file

_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def copy_database(source: Path, target: Path) -> None:
    """Copy the SQLite database ``source`` over ``target`` (made if absent), page by page in
    one consistent snapshot, whatever other connections do meanwhile."""
    target.parent.mkdir(parents=True, exist_ok=True)
    reader = sqlite3.connect(_read_only(source), uri=True)
    try:
        writer = sqlite3.connect(target)
        try:
            reader.backup(writer)
        finally:
            writer.close()
    finally:
        reader.close()


def files_type_problem(value: object) -> str | None:
    """Why ``value`` is not a manifest's ``files`` mapping (file name → SHA-256), or None."""
    if not isinstance(value, dict):
        return "must map file names to SHA-256 strings"
    for name, digest in value.items():
        if not isinstance(name, str) or not _FILE_NAME.fullmatch(name) or name.endswith("-wal"):
            return f"names a file that cannot be in a data folder: {name!r}"
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            return f"gives {name!r} a value that is not a SHA-256 hex digest"
    return None


def database_problems(folder: Path, listed: dict[str, str], expected: set[str]) -> list[str]:
    """What is wrong with the databases of the backup in ``folder``: missing, damaged, not
    SQLite, or not among those the target data folder keeps (``expected``)."""
    problems = []
    for name, digest in sorted(listed.items()):
        path = folder / name
        if name not in expected:
            problems.append(f"{name} is not a database this Atrium keeps in its data folder")
        if not path.is_file():
            problems.append(f"{name} is listed in the manifest but missing")
        elif file_sha256(path) != digest:
            problems.append(f"{name} does not match its SHA-256 in the manifest: damaged")
        elif problem := _integrity_problem(path):
            problems.append(f"{name} {problem}")
    return problems


def base_iri_problems(backup_base: str, target_base: str) -> list[str]:
    """Why a backup minted under ``backup_base`` cannot go into a folder of ``target_base``."""
    if not backup_base or not target_base or backup_base == target_base:
        return []
    return [
        f"the backup's IRIs are under {backup_base}, this data folder's base IRI is "
        f"{target_base}: import with ATRIUM_BASE_IRI={backup_base} into a new data folder, "
        f"then move it with `atrium rebase {target_base}`"
    ]


def unlisted_files(folder: Path, listed: set[str]) -> list[str]:
    """The entries of the backup folder its manifest does not account for."""
    if not folder.is_dir():
        return []
    return [
        f"{path.name} is in the backup but not in its manifest"
        for path in sorted(folder.iterdir())
        if path.name not in listed
    ]


def _integrity_problem(path: Path) -> str | None:
    try:
        db = sqlite3.connect(_read_only(path), uri=True)
        try:
            verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            db.close()
    except sqlite3.DatabaseError as error:
        return f"is not a readable SQLite database: {error}"
    return None if verdict == "ok" else f"fails SQLite's integrity check: {verdict}"


def _read_only(path: Path) -> str:
    return f"{path.resolve().as_uri()}?mode=ro"


def file_sha256(path: Path) -> str:
    return hash_file(path)[0]
