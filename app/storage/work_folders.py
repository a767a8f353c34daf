"""Private folders for work in progress, under one root, and the sweep of abandoned ones.

A folder (``root/upload-k3j9x2ab/``) is held for as long as its work lasts by an advisory lock
(``flock``) on its ``.lock`` file, and removed when the work ends, whatever way it ends. A
killed process cannot remove its folder, but the operating system releases its lock: a sweep,
from this process or another, removes the folders nobody holds whose contents have not changed
for the grace period. The age also covers the instant between making a folder and locking it.
This module knows nothing about the web or RDF.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

LOCK_NAME = ".lock"


@dataclass(frozen=True)
class Leftover:
    """A file or folder a sweep found abandoned: where, and how many bytes it holds."""

    path: Path
    size: int


class WorkFolders:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @contextmanager
    def folder(self, kind: str) -> Iterator[Path]:
        """A new private folder named after ``kind`` (``upload-…``), held until the block ends,
        then removed with everything in it."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=self.root))
        try:
            with open(path / LOCK_NAME, "wb") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    yield path
                finally:
                    shutil.rmtree(path, ignore_errors=True)  # while still holding the lock
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def abandoned(self, before: float) -> Iterator[Leftover]:
        """The entries of the root nobody holds and nothing in which changed since ``before``
        (a timestamp)."""
        for path in _entries(self.root):
            if not _changed_since(path, before) and not _held(path):
                yield Leftover(path, tree_size(path))

    def remove(self, leftover: Leftover, before: float) -> bool:
        """Remove an abandoned entry, unless it was taken up or changed since it was found."""
        return remove_tree_if_idle(leftover.path, before)


def remove_tree_if_idle(path: Path, before: float) -> bool:
    """Remove the file or folder ``path`` if nobody holds it and nothing in it changed since
    ``before``; whether it was removed."""
    if _changed_since(path, before):
        return False
    try:
        if not path.is_dir() or path.is_symlink():
            path.unlink()
            return True
        with _lock_of(path) as held_elsewhere:
            if held_elsewhere:
                return False
            shutil.rmtree(path)
    except FileNotFoundError:
        return False
    return True


def tree_size(path: Path) -> int:
    """Bytes in the file, or in every file below the folder."""
    if not path.is_dir() or path.is_symlink():
        return _stat_size(path)
    return sum(_stat_size(Path(top) / name) for top, _, names in os.walk(path) for name in names)


def _stat_size(path: Path) -> int:
    try:
        return path.lstat().st_size
    except FileNotFoundError:
        return 0


def newest_change(path: Path) -> float:
    """The latest modification time of ``path`` and, for a folder, of anything below it."""
    try:
        newest = path.lstat().st_mtime
    except FileNotFoundError:
        return 0.0
    if path.is_dir() and not path.is_symlink():
        for top, folders, names in os.walk(path):
            for name in folders + names:
                try:
                    newest = max(newest, (Path(top) / name).lstat().st_mtime)
                except FileNotFoundError:
                    continue
    return newest


def _changed_since(path: Path, before: float) -> bool:
    return newest_change(path) >= before


@contextmanager
def _lock_of(folder: Path) -> Iterator[bool]:
    """Take the folder's lock, without waiting, for the block; yields True when another
    process holds it. A folder without a lock file has no holder."""
    try:
        lock = open(folder / LOCK_NAME, "rb")  # noqa: SIM115 - closed below, after the block
    except FileNotFoundError:
        yield False
        return
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield True
            return
        yield False


def _held(path: Path) -> bool:
    if not path.is_dir() or path.is_symlink():
        return False
    with _lock_of(path) as held_elsewhere:
        return held_elsewhere


def _entries(folder: Path) -> list[Path]:
    try:
        return sorted(Path(entry.path) for entry in os.scandir(folder))
    except FileNotFoundError:
        return []
