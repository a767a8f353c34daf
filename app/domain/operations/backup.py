"""Backup and restore: the whole graph as N-Quads plus the media files, byte for byte.

``export`` writes ``graph.nq``, ``media/`` (one file per SHA-256, named by it), the data
folder's databases (``auth.sqlite``: passwords, tokens, sessions; :mod:`.backup_files`) and,
last, ``manifest.json``: the quad count, a SHA-256 of the graph file, the media files it holds,
the hashes the graph refers to whose file the media store did not have at export time
(metadata-only records), each database's SHA-256, and the base IRI of the graph. Media files
no asset refers to any more are left out; derived indexes are rebuilt on import, not copied.

``import`` checks the whole backup before it writes anything: the manifest's keys and types,
the graph file's hash, that it parses to the end and holds as many quads as the manifest says,
that every media file is there with the right hash and is referred to by the graph, that
every file the graph refers to is in the backup (or was already missing at export), that each
database is intact, and that the backup's base IRI is the target's. Any problem refuses the
import with the list of them.

While an import writes, a journal file in the data folder (:class:`ImportJournal`) names the
backup. If the import stops half-way (a crash, a full disk), the journal stays: other commands
refuse to run on the half-loaded folder, and ``import --resume`` clears the store and loads the
same backup again; ``import --replace`` restores a backup over whatever the store holds.
"""

from __future__ import annotations

import json
import re
import shutil
import typing
from collections.abc import Callable, Sequence
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Literal as OneOf

import pyoxigraph

from app.config import record_base_iri
from app.domain.operations.backup_files import (
    base_iri_problems,
    copy_database,
    database_problems,
    file_sha256,
    files_type_problem,
    unlisted_files,
)
from app.domain.operations.journal import Journal
from app.namespaces import DAM
from app.storage.graphstore import GraphStore
from app.storage.media import MediaStore

FORMAT_VERSION = 1
JOURNAL_NAME = "import-in-progress.json"
RestoreMode = OneOf["new", "resume", "replace"]

_SHA256 = re.compile(r"[0-9a-f]{64}")
_SHOWN_PROBLEMS = 50  # a badly broken backup could have thousands; the count says the rest


class BackupError(Exception):
    """The backup folder or the target store is not fit for the operation; says why."""


class BackupRefused(BackupError):
    """The backup failed its checks; ``problems`` lists every one, nothing was written."""

    def __init__(self, folder: Path, problems: list[str]) -> None:
        self.problems = problems
        shown = [f"  - {problem}" for problem in problems[:_SHOWN_PROBLEMS]]
        if len(problems) > _SHOWN_PROBLEMS:
            shown.append(f"  … and {len(problems) - _SHOWN_PROBLEMS} more")
        super().__init__(
            f"the backup in {folder} cannot be restored, nothing was written:\n" + "\n".join(shown)
        )


@dataclass
class Manifest:
    """``manifest.json``; its fields and their types are what an import checks."""

    format: int
    quads: int
    graph_sha256: str
    media: list[str]
    media_missing: list[str] = field(default_factory=list)  # absent from the store at export
    files: dict[str, str] = field(default_factory=dict)  # databases beside the graph → SHA-256
    base_iri: str = ""  # what every IRI of the graph was minted under ("": an older backup)


@dataclass
class BackupSummary:
    quads: int
    media_files: int
    missing_media: int = 0  # referred to by the graph, but not in the media store
    unreferenced_media: int = 0  # in the media store, but referred to by nothing (left out)


@dataclass
class _GraphFacts:
    quads: int
    references: dict[str, str]  # SHA-256 the graph refers to → a subject that refers to it


# --- export ----------------------------------------------------------------------------------


def export_all(
    store: GraphStore,
    media: MediaStore,
    folder: Path,
    *,
    databases: Sequence[Path] = (),
    base_iri: str = "",
) -> BackupSummary:
    """Back up the graph, the media it refers to and ``databases`` (the data folder's SQLite
    files) into the new or empty ``folder``."""
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty; export into a new or empty folder")
    (folder / "media").mkdir(parents=True, exist_ok=True)
    graph_file = folder / "graph.nq"
    with graph_file.open("wb") as output:
        store.dump(output)
    facts = _read_graph(graph_file)
    present = sorted(h for h in facts.references if media.exists(h))
    for sha256 in present:
        shutil.copyfile(media.path(sha256), folder / "media" / sha256)
    for database in databases:
        copy_database(database, folder / database.name)
    manifest = Manifest(
        format=FORMAT_VERSION,
        quads=facts.quads,
        graph_sha256=file_sha256(graph_file),
        media=present,
        media_missing=sorted(set(facts.references) - set(present)),
        files={database.name: file_sha256(folder / database.name) for database in databases},
        base_iri=base_iri,
    )
    (folder / "manifest.json").write_text(json.dumps(asdict(manifest), indent=1))
    unreferenced = sum(1 for h in media.iter_hashes() if h not in facts.references)
    return BackupSummary(facts.quads, len(present), len(manifest.media_missing), unreferenced)


# --- import ----------------------------------------------------------------------------------


class ImportJournal(Journal):
    """The file that says an import is writing into this data folder, and from which backup."""

    name = JOURNAL_NAME
    keys = ("backup", "graph_sha256", "started")
    unreadable = {"backup": "(unreadable journal)", "graph_sha256": "", "started": "?"}

    def start(self, folder: Path, manifest: Manifest) -> None:
        self.record({"backup": str(folder.resolve()), "graph_sha256": manifest.graph_sha256})


def unfinished_import_message(entry: dict[str, str]) -> str:
    """How to recover from an import that stopped half-way, in words."""
    return (
        f"an import of {entry['backup']} into this data folder did not finish (started "
        f"{entry['started']}); the store may hold part of it. Finish it with "
        f"`atrium import --resume {entry['backup']}`, or restore a backup in its place with "
        "`atrium import --replace DIR`"
    )


def restore_all(
    store: GraphStore,
    media: MediaStore,
    folder: Path,
    journal: ImportJournal | None = None,
    *,
    mode: RestoreMode = "new",
    after_load: Callable[[], None] | None = None,
    databases: Sequence[Path] = (),
    base_iri: str = "",
) -> BackupSummary:
    """Check the backup, then load it: into an empty store (``new``), again after an
    interrupted import (``resume``), or over whatever the store holds (``replace``).

    ``databases``: where the data folder keeps each database a backup may hold (restored over
    them); ``base_iri``: the target's, which the backup's must be, and is recorded.
    ``after_load`` (the search index rebuild) runs before the journal is removed, so an import
    counts as finished only once everything that follows the graph has followed it. The
    journal defaults to the data folder's, the one that holds the media folder.
    """
    journal = journal or ImportJournal(media.root.parent)
    _check_target(store, folder, journal, mode)
    targets = {path.name: path for path in databases}
    manifest = verify_backup(folder, set(targets), base_iri)
    journal.start(folder, manifest)
    if mode != "new":
        store.clear()
    for sha256 in manifest.media:
        media.put_file(folder / "media" / sha256)
    store.load_dump(folder / "graph.nq")
    for name in manifest.files:
        copy_database(folder / name, targets[name])
    if base_iri or manifest.base_iri:
        record_base_iri(journal.path.parent, base_iri or manifest.base_iri)
    if after_load is not None:
        after_load()
    journal.finish()
    return BackupSummary(manifest.quads, len(manifest.media), len(manifest.media_missing))


def _check_target(store: GraphStore, folder: Path, journal: ImportJournal, mode: str) -> None:
    pending = journal.unfinished()
    if mode == "resume":
        if pending is None:
            raise BackupError("there is no unfinished import to resume here; use atrium import DIR")
        manifest = _read_manifest(folder)
        if manifest is not None and pending["graph_sha256"] != manifest.graph_sha256:
            raise BackupError(
                f"the unfinished import was of {pending['backup']}, not of {folder}: resume it "
                "with that backup, or restore this one with `atrium import --replace DIR`"
            )
    elif mode == "new":
        if pending is not None:
            raise BackupError(unfinished_import_message(pending))
        graphs = store.graphs()
        if graphs:
            raise BackupError(
                f"the store is not empty (it holds {len(graphs)} graphs); import restores into "
                "an empty data folder. Point ATRIUM_DATA at a new folder, or run "
                "`atrium import --replace DIR` to delete everything this store holds and "
                "restore the backup in its place"
            )


def verify_backup(folder: Path, databases: set[str] = frozenset(), base_iri: str = "") -> Manifest:
    """The backup's manifest once every check passed; BackupRefused listing every problem.
    ``databases``: the names of those the target keeps; ``base_iri``: the target's.

    Each check runs on the manifest fields that are usable, so one bad field does not hide the
    other problems."""
    problems: list[str] = []
    valid = _manifest_fields(folder, problems)
    graph_file = folder / "graph.nq"
    facts = None
    if not graph_file.is_file():
        problems.append(f"{graph_file} is missing")
    else:
        if "graph_sha256" in valid and file_sha256(graph_file) != valid["graph_sha256"]:
            problems.append(f"{graph_file} does not match its SHA-256 in the manifest: damaged")
        try:
            facts = _read_graph(graph_file)
        except BackupError as error:
            problems.append(str(error))
    if "quads" in valid and facts is not None and facts.quads != valid["quads"]:
        problems.append(
            f"{graph_file} holds {facts.quads:,} quads, the manifest says {valid['quads']:,}"
        )
    if "media" in valid:
        problems += _media_problems(folder / "media", valid, facts)
    listed: dict[str, str] = valid.get("files", {})  # type: ignore[assignment]
    problems += database_problems(folder, listed, databases)
    problems += unlisted_files(folder, {"manifest.json", "graph.nq", "media", *listed})
    problems += base_iri_problems(str(valid.get("base_iri", "")), base_iri)
    if problems:
        raise BackupRefused(folder, problems)
    return Manifest(**valid)  # type: ignore[arg-type]


def _read_manifest(folder: Path) -> Manifest | None:
    """The manifest when every field of it is usable, else None."""
    problems: list[str] = []
    valid = _manifest_fields(folder, problems)
    return None if problems else Manifest(**valid)  # type: ignore[arg-type]


def _manifest_fields(folder: Path, problems: list[str]) -> dict[str, object]:
    """The manifest's fields that have the right type; why the others do not, in ``problems``."""
    path = folder / "manifest.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        problems.append(f"{folder} holds no manifest.json: not an Atrium export")
        return {}
    except (OSError, ValueError) as error:
        problems.append(f"{path} cannot be read as JSON: {error}")
        return {}
    if not isinstance(data, dict):
        problems.append(f"{path} is not a JSON object")
        return {}
    valid = {}
    types = typing.get_type_hints(Manifest)
    for spec in fields(Manifest):
        if spec.name not in data:
            if spec.default is MISSING and spec.default_factory is MISSING:
                problems.append(f"{path}: the key {spec.name!r} is missing")
            continue
        wrong = _type_problem(data[spec.name], types[spec.name])
        if wrong:
            problems.append(f"{path}: {spec.name!r} {wrong}")
        else:
            valid[spec.name] = data[spec.name]
    if valid.get("format", FORMAT_VERSION) != FORMAT_VERSION:
        problems.append(f"{path}: unknown backup format {valid['format']!r} (this Atrium reads 1)")
    return valid


def _type_problem(value: object, expected: object) -> str | None:
    """Why ``value`` is not of the manifest type ``expected`` (int, str, list or dict)."""
    if typing.get_origin(expected) is dict:
        return files_type_problem(value)
    if typing.get_origin(expected) is list:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            return "must be a list of SHA-256 strings"
        bad = [item for item in value if _SHA256.fullmatch(item) is None]
        if bad:
            return f"holds {len(bad)} entries that are not SHA-256 hex digests, e.g. {bad[0]!r}"
        return "lists the same file twice" if len(set(value)) != len(value) else None
    if expected is int:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        return None if ok else "must be a whole number"
    if not isinstance(value, str):
        return "must be a string"
    return None


def _media_problems(
    media_dir: Path, manifest: dict[str, typing.Any], facts: _GraphFacts | None
) -> list[str]:
    problems = []
    listed = set(manifest["media"])
    on_disk = {path.name for path in media_dir.iterdir()} if media_dir.is_dir() else set()
    for name in sorted(on_disk - listed):
        problems.append(f"media/{name} is in the backup but not in its manifest")
    for sha256 in manifest["media"]:
        path = media_dir / sha256
        if sha256 not in on_disk or not path.is_file():
            problems.append(f"media file {sha256} is listed in the manifest but missing")
        elif file_sha256(path) != sha256:
            problems.append(f"media file {sha256} does not match its hash: damaged")
        if facts is not None and sha256 not in facts.references:
            problems.append(f"media file {sha256} is referred to by nothing in graph.nq")
    if facts is not None:
        known_missing = set(manifest.get("media_missing", []))
        for sha256, subject in sorted(facts.references.items()):
            if sha256 not in listed and sha256 not in known_missing:
                problems.append(
                    f"graph.nq refers to media file {sha256} (from {subject}), "
                    "which the backup does not hold"
                )
    return problems


def _read_graph(path: Path) -> _GraphFacts:
    """Parse the whole N-Quads file: its quad count and the media files it refers to."""
    quads = 0
    references: dict[str, str] = {}
    try:
        for quad in pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.N_QUADS):
            quads += 1
            value = quad.object
            names_a_file = quad.predicate == DAM.sha256 and isinstance(value, pyoxigraph.Literal)
            if names_a_file and _SHA256.fullmatch(value.value):
                references.setdefault(value.value, str(quad.subject))
    except SyntaxError as error:
        raise BackupError(f"{path} is not valid N-Quads: {error.msg}") from None
    except OSError as error:
        raise BackupError(f"{path} cannot be read: {error}") from None
    return _GraphFacts(quads, references)
