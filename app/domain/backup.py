"""Backup and restore: the whole graph as N-Quads plus the media files, byte for byte.

``export`` writes ``graph.nq``, ``media/`` (same content-addressed layout as the live store)
and ``manifest.json`` (counts and a SHA-256 of the graph file). ``restore`` only fills an empty
store, checks every media file against its hash, and loads the graph in one bulk load.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from app.storage.graphstore import GraphStore
from app.storage.media import MediaStore

FORMAT_VERSION = 1


class BackupError(Exception):
    """The backup folder or the target store is not fit for the operation; says why."""


@dataclass
class BackupSummary:
    quads: int
    media_files: int


def export_all(store: GraphStore, media: MediaStore, folder: Path) -> BackupSummary:
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty; export into a new or empty folder")
    (folder / "media").mkdir(parents=True, exist_ok=True)
    graph_file = folder / "graph.nq"
    with graph_file.open("wb") as output:
        store.dump(output)
    hashes = sorted(media.iter_hashes())
    for sha256 in hashes:
        target = folder / "media" / sha256
        shutil.copyfile(media.path(sha256), target)
    quads = _count_lines(graph_file)
    manifest = {
        "format": FORMAT_VERSION,
        "quads": quads,
        "graph_sha256": _sha256(graph_file),
        "media": hashes,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return BackupSummary(quads, len(hashes))


def restore_all(store: GraphStore, media: MediaStore, folder: Path) -> BackupSummary:
    manifest = _read_manifest(folder)
    if store.graphs():
        raise BackupError("the store is not empty; import restores into an empty data folder")
    graph_file = folder / "graph.nq"
    if _sha256(graph_file) != manifest["graph_sha256"]:
        raise BackupError(f"{graph_file} does not match its manifest: the backup is damaged")
    for sha256 in manifest["media"]:
        source = folder / "media" / sha256
        if not source.is_file() or _sha256(source) != sha256:
            raise BackupError(f"media file {sha256} is missing or damaged in the backup")
    for sha256 in manifest["media"]:
        media.put_file(folder / "media" / sha256)
    store.load_dump(graph_file)
    return BackupSummary(manifest["quads"], len(manifest["media"]))


def _read_manifest(folder: Path) -> dict:
    path = folder / "manifest.json"
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise BackupError(f"{folder} holds no manifest.json: not an Atrium export") from None
    except json.JSONDecodeError as error:
        raise BackupError(f"{path} is not valid JSON: {error}") from None
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"{path}: unknown backup format {manifest.get('format')!r}")
    return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())
