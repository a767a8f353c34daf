"""A content-addressed store of files, keyed by the lowercase hex SHA-256 of their bytes.

Layout: ``root/ab/cd/abcd…`` (the first two pairs of hex digits make two folder levels, so no
folder grows too large). Identical bytes are stored once. Every write is atomic and durable:
the bytes go to a temporary file ``root/.incoming/….part``, are flushed and fsynced, renamed
into place, and the target folder is fsynced; a failure at any step leaves no temporary file and
nothing stored.

What a killed process leaves behind is swept (:mod:`app.domain.operations.cleanup`) without touching
work in progress: a writer holds an advisory lock (``flock``) on its ``.part`` file, so a sweep
removes only the ones nobody holds; and a stored file's modification time says when it was last
put, so an unused file is removed only when nobody has put it for the grace period (a writer
putting it takes its lock shared, a sweep exclusively). This module knows nothing about the web
or RDF.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK_SIZE = 1 << 20
INCOMING = ".incoming"  # root/.incoming/: the .part files of writes in progress
PARTIAL_SUFFIX = ".part"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_FILE_MODE = 0o644  # mkstemp makes 0600 files; stored media are ordinary readable files

ChunkSource = Callable[[], Iterable[bytes]]


@dataclass(frozen=True)
class StoredFile:
    """The result of a put: `created` is False when the same bytes were already stored."""

    sha256: str
    size: int
    created: bool


class MediaStore:
    """Files on disk under `root`, addressed by the SHA-256 of their content."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.incoming = self.root / INCOMING

    def path(self, sha256: str) -> Path:
        """Where the file with this hash lives (whether or not it exists)."""
        _check_hash(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        """Open a stored file for reading; FileNotFoundError if it is not stored."""
        return self.path(sha256).open("rb")

    def delete(self, sha256: str) -> bool:
        """Remove a stored file; returns False if it was not there."""
        try:
            self.path(sha256).unlink()
        except FileNotFoundError:
            return False
        return True

    def iter_hashes(self) -> Iterator[str]:
        """The hashes of every stored file (temporary files left by a crash are skipped)."""
        for first in _subfolders(self.root):
            for second in _subfolders(first):
                for name in sorted(os.listdir(second)):
                    if self._is_stored_name(second, name) and (second / name).is_file():
                        yield name

    def put_bytes(self, data: bytes, sha256: str | None = None) -> StoredFile:
        """Store bytes held in memory (``sha256``: their hash, if the caller has it already)."""
        sha256 = sha256 or hash_bytes(data)
        return self._put(sha256, len(data), lambda: [data])

    def put_file(self, path: Path, hashed: tuple[str, int] | None = None) -> StoredFile:
        """Store a copy of a file, reading it in chunks (it may be larger than memory).

        ``hashed``: the file's (hash, size) from :func:`hash_file`, if the caller took it
        already; the copy is checked against it either way, so a wrong one stores nothing."""
        sha256, size = hashed or hash_file(path)
        return self._put(sha256, size, lambda: _read_chunks(path))

    def _put(self, sha256: str, size: int, chunks: ChunkSource) -> StoredFile:
        target = self.path(sha256)
        if _mark_in_use(target):
            return StoredFile(sha256, size, created=False)
        _ensure_folder(target.parent, self.root)
        _ensure_folder(self.incoming, self.root)
        _write_atomically(target, chunks(), sha256, self.incoming)
        return StoredFile(sha256, size, created=True)

    # Sweeping what killed processes left ----------------------------------------------------

    def abandoned_partials(self, before: float, *, everywhere: bool = False) -> Iterator[Path]:
        """``.part`` files of killed writes: no writer holds them, last written before ``before``
        (a timestamp). ``everywhere``: also the storage folders, where older versions wrote
        them (``.….part`` beside the target), which takes a walk of the whole store."""
        folders = [self.incoming]
        if everywhere:
            folders += [second for first in _subfolders(self.root) for second in _subfolders(first)]
        for folder in folders:
            for path in _files_in(folder):
                if not path.name.endswith(PARTIAL_SUFFIX):
                    continue
                if _changed_before(path, before) and not _is_held(path):
                    yield path

    def remove_partial(self, path: Path, before: float) -> int | None:
        """Remove an abandoned ``.part`` file; its size, or None when a writer holds it or
        wrote to it since ``before``."""
        return _remove_if_idle(path, before)

    def unused_since(self, before: float) -> Iterator[str]:
        """The hashes of stored files nobody has put since ``before`` (a timestamp)."""
        for sha256 in self.iter_hashes():
            if _changed_before(self.path(sha256), before):
                yield sha256

    def remove_unused(self, sha256: str, before: float) -> int | None:
        """Remove a stored file no record uses, unless someone has put it since ``before``.

        A writer putting these bytes takes the file's lock shared and refreshes its time; this
        takes it exclusively and removes the file only if the time is still old, so the file a
        writer was told is stored is never the one removed (a writer that finds it removed
        stores it again). Returns the bytes freed, or None when in use or not there."""
        return _remove_if_idle(self.path(sha256), before)

    def _is_stored_name(self, folder: Path, name: str) -> bool:
        return _SHA256.fullmatch(name) is not None and folder == self.path(name).parent


def _check_hash(sha256: object) -> None:
    """Only exactly 64 lowercase hex digits: anything else could walk out of the store."""
    if not isinstance(sha256, str) or _SHA256.fullmatch(sha256) is None:
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")


def _mark_in_use(target: Path) -> bool:
    """If `target` is stored, refresh its time (holding its lock shared) and say True: no sweep
    removes it now as unused. False when it is not there, or a sweep removed it meanwhile."""
    try:
        with open(target, "rb") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH)
            if os.fstat(handle.fileno()).st_nlink == 0:
                return False  # removed by a sweep while this waited for the lock
            os.utime(handle.fileno())
            return True
    except FileNotFoundError:
        return False


def _is_held(path: Path) -> bool:
    """Whether a process holds the lock of `path` now (a writer at work)."""
    try:
        with open(path, "rb") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except FileNotFoundError:
        return False
    return False


def _remove_if_idle(path: Path, before: float) -> int | None:
    """Remove `path` if nobody holds its lock and it has not changed since `before`; its size,
    else None. The lock is held while removing, so nobody takes the file up meanwhile."""
    try:
        with open(path, "rb") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            info = os.fstat(handle.fileno())
            if info.st_mtime >= before or os.stat(path).st_ino != info.st_ino:
                return None
            os.unlink(path)
    except (BlockingIOError, FileNotFoundError):
        return None
    return info.st_size


def hash_bytes(data: bytes) -> str:
    """The SHA-256 (hex) that bytes are stored under."""
    return hashlib.sha256(data).hexdigest()


def hash_file(path: Path) -> tuple[str, int]:
    """The SHA-256 (hex) a file is stored under, and its size; read once, in chunks."""
    digest = hashlib.sha256()
    size = 0
    for chunk in _read_chunks(path):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _read_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK_SIZE):
            yield chunk


def _write_atomically(target: Path, chunks: Iterable[bytes], sha256: str, incoming: Path) -> None:
    """Write to a temporary file in `incoming`, check the hash, fsync, rename, fsync folder."""
    handle, temporary = tempfile.mkstemp(dir=incoming, suffix=PARTIAL_SUFFIX)
    try:
        with os.fdopen(handle, "wb") as output:
            fcntl.flock(output, fcntl.LOCK_EX)  # a sweep leaves a held .part file alone
            digest = hashlib.sha256()
            for chunk in chunks:
                digest.update(chunk)
                output.write(chunk)
            # the source may have changed since it was hashed; never store bytes under a wrong name
            if digest.hexdigest() != sha256:
                raise OSError(f"content changed while being stored (expected {sha256})")
            os.fchmod(output.fileno(), _FILE_MODE)
            output.flush()
            os.fsync(output.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_folder(target.parent)


def _ensure_folder(folder: Path, root: Path) -> None:
    """Create the folder and any missing parents up to `root`, making each creation durable."""
    if folder.is_dir():
        return
    if folder == root:
        root.mkdir(parents=True, exist_ok=True)
        return
    _ensure_folder(folder.parent, root)
    with contextlib.suppress(FileExistsError):  # another writer may create it at the same time
        folder.mkdir()
        _fsync_folder(folder.parent)


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _subfolders(folder: Path) -> list[Path]:
    """The storage folders in `folder` (``.incoming`` and other dot folders are not)."""
    if not folder.is_dir():
        return []
    return sorted(
        Path(entry.path)
        for entry in os.scandir(folder)
        if entry.is_dir(follow_symlinks=False) and not entry.name.startswith(".")
    )


def _files_in(folder: Path) -> list[Path]:
    try:
        return sorted(Path(e.path) for e in os.scandir(folder) if e.is_file(follow_symlinks=False))
    except FileNotFoundError:
        return []


def _changed_before(path: Path, before: float) -> bool:
    try:
        return path.stat().st_mtime < before
    except FileNotFoundError:
        return False
