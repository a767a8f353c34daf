"""Hardening of backup and restore: items L1 (the import trusts its manifest) and L2 (a crashed
import can only be recovered by hand).

Each test runs the real command line in a child process (``python -m app``, or the same entry
point with a crash injected), with ``ATRIUM_DATA`` pointing at a folder of its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BASE_IRI, CORPUS_IMAGES, REPO, make_atrium

from app.domain.operations.backup import export_all

pytestmark = pytest.mark.corpus("images")

CLI_SECONDS = 180


def atrium(data_dir: Path, *argv: str, code: str | None = None) -> subprocess.CompletedProcess:
    """Run ``atrium ARGV`` on ``data_dir`` in a child process (``code``: instead of ``-m app``,
    a script that ends by calling the same entry point)."""
    env = {**os.environ, "ATRIUM_DATA": str(data_dir), "ATRIUM_BASE_IRI": BASE_IRI}
    env.pop("ATRIUM_STORE", None)
    launch = ["-c", code] if code is not None else ["-m", "app"]
    return subprocess.run(
        [sys.executable, *launch, *argv],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_SECONDS,
    )


def refused(result: subprocess.CompletedProcess) -> str:
    """The error of a command that had to refuse: non-zero exit, words, no traceback."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("atrium import: "), result.stderr
    return result.stderr


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup of a store holding two ingested images (six media files with renditions)."""
    root = tmp_path_factory.mktemp("backup-origin")
    data_dir = root / "data"
    images = [CORPUS_IMAGES / "pillow__flower.jpg", CORPUS_IMAGES / "pillow__iptc.jpg"]
    ingest = atrium(data_dir, "ingest", *map(str, images), "--department", "marketing", "--quiet")
    assert ingest.returncode == 0, ingest.stderr
    export = atrium(data_dir, "export", str(root / "backup"))
    assert export.returncode == 0, export.stderr
    return root / "backup"


@pytest.fixture
def backup(original: Path, tmp_path: Path) -> Path:
    """A copy of the backup this test may damage."""
    return Path(shutil.copytree(original, tmp_path / "backup"))


def manifest_of(backup: Path) -> dict:
    return json.loads((backup / "manifest.json").read_text())


def write_manifest(backup: Path, manifest: dict) -> None:
    (backup / "manifest.json").write_text(json.dumps(manifest))


def snapshot(data_dir: Path, tmp_path: Path) -> tuple[set[str], dict[str, bytes]]:
    """What a data folder holds, as a fresh export of it shows: quads and media files."""
    folder = tmp_path / f"check-{len(list(tmp_path.glob('check-*')))}"
    result = atrium(data_dir, "export", str(folder))
    assert result.returncode == 0, result.stderr
    quads = set((folder / "graph.nq").read_text().splitlines())
    media = {path.name: path.read_bytes() for path in (folder / "media").iterdir()}
    return quads, media


def as_exported(backup: Path) -> tuple[set[str], dict[str, bytes]]:
    quads = set((backup / "graph.nq").read_text().splitlines())
    return quads, {path.name: path.read_bytes() for path in (backup / "media").iterdir()}


def stored_media(data_dir: Path) -> list[Path]:
    media = data_dir / "media"
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


# --- L1: everything is checked, against the graph as well as the manifest, before any write ----


def test_l1_a_media_file_removed_with_its_manifest_line_is_refused(
    backup: Path, tmp_path: Path
) -> None:
    manifest = manifest_of(backup)
    victim = manifest["media"].pop(0)
    (backup / "media" / victim).unlink()
    write_manifest(backup, manifest)

    error = refused(atrium(tmp_path / "restored", "import", str(backup)))
    assert f"graph.nq refers to media file {victim}" in error
    assert "which the backup does not hold" in error
    assert stored_media(tmp_path / "restored") == []


def test_l1_a_wrong_quad_count_is_refused(backup: Path, tmp_path: Path) -> None:
    manifest = manifest_of(backup)
    actual = manifest["quads"]
    write_manifest(backup, {**manifest, "quads": actual - 1})

    error = refused(atrium(tmp_path / "restored", "import", str(backup)))
    assert f"holds {actual:,} quads, the manifest says {actual - 1:,}" in error


@pytest.mark.parametrize("key", ["format", "quads", "graph_sha256", "media"])
def test_l1_a_missing_manifest_key_is_a_clear_refusal(
    backup: Path, tmp_path: Path, key: str
) -> None:
    manifest = manifest_of(backup)
    del manifest[key]
    write_manifest(backup, manifest)

    error = refused(atrium(tmp_path / "restored", "import", str(backup)))
    assert f"the key {key!r} is missing" in error


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("quads", "3802", "'quads' must be a whole number"),
        ("quads", True, "'quads' must be a whole number"),
        ("media", "abc", "'media' must be a list of SHA-256 strings"),
        ("media", ["../../etc/passwd"], "not SHA-256 hex digests"),
        ("graph_sha256", 42, "'graph_sha256' must be a string"),
        ("format", 2, "unknown backup format 2"),
    ],
)
def test_l1_a_manifest_value_of_the_wrong_type_is_a_clear_refusal(
    backup: Path, tmp_path: Path, key: str, value: object, expected: str
) -> None:
    write_manifest(backup, {**manifest_of(backup), key: value})

    error = refused(atrium(tmp_path / "restored", "import", str(backup)))
    assert expected in error


@pytest.mark.parametrize("missing", ["graph.nq", "manifest.json", "a media file"])
def test_l1_a_missing_file_is_a_clear_refusal(backup: Path, tmp_path: Path, missing: str) -> None:
    if missing == "a media file":
        victim = manifest_of(backup)["media"][0]
        (backup / "media" / victim).unlink()
        expected = f"media file {victim} is listed in the manifest but missing"
    else:
        (backup / missing).unlink()
        expected = "graph.nq is missing" if missing == "graph.nq" else "holds no manifest.json"

    error = refused(atrium(tmp_path / "restored", "import", str(backup)))
    assert expected in error


@pytest.mark.slow
def test_l1_a_syntax_error_in_graph_nq_is_found_before_any_media_file_is_copied(
    backup: Path, original: Path, tmp_path: Path
) -> None:
    graph = backup / "graph.nq"
    lines = graph.read_text().splitlines(keepends=True)
    broken = len(lines) // 2
    lines[broken] = '<http://atrium.test/x> "a literal cannot be a predicate" <http://x> .\n'
    graph.write_text("".join(lines))
    manifest = manifest_of(backup)
    write_manifest(
        backup, {**manifest, "graph_sha256": hashlib.sha256(graph.read_bytes()).hexdigest()}
    )
    restored = tmp_path / "restored"

    error = refused(atrium(restored, "import", str(backup)))
    assert "graph.nq is not valid N-Quads" in error and f"line {broken + 1} " in error
    assert stored_media(restored) == []
    # the store was left empty: a good backup goes in with no --replace
    assert atrium(restored, "import", str(original)).returncode == 0
    assert snapshot(restored, tmp_path) == as_exported(original)


def test_l1_a_media_file_the_graph_does_not_refer_to_is_refused(
    backup: Path, tmp_path: Path
) -> None:
    stray = b"bytes no asset describes"
    sha256 = hashlib.sha256(stray).hexdigest()
    (backup / "media" / sha256).write_bytes(stray)
    manifest = manifest_of(backup)
    write_manifest(backup, {**manifest, "media": sorted([*manifest["media"], sha256])})
    (backup / "media" / "notes.txt").write_text("left here by hand")

    error = refused(atrium(tmp_path / "restored", "import", str(backup)))
    assert f"media file {sha256} is referred to by nothing in graph.nq" in error
    assert "media/notes.txt is in the backup but not in its manifest" in error


def test_l1_every_problem_is_listed_at_once(backup: Path, tmp_path: Path) -> None:
    manifest = manifest_of(backup)
    victim = manifest["media"].pop()
    (backup / "media" / victim).unlink()
    (backup / "media" / manifest["media"][0]).write_bytes(b"tampered")
    write_manifest(backup, {**manifest, "quads": 1, "graph_sha256": "0" * 64})

    error = refused(atrium(tmp_path / "restored", "import", str(backup)))
    assert "does not match its SHA-256 in the manifest" in error
    assert "the manifest says 1" in error
    assert f"media file {manifest['media'][0]} does not match its hash: damaged" in error
    assert f"refers to media file {victim}" in error
    assert stored_media(tmp_path / "restored") == []


@pytest.mark.slow
def test_l1_metadata_only_records_and_unused_media_survive_a_round_trip(tmp_path: Path) -> None:
    """Records whose file was never stored (``demo --synthetic``) are listed as missing at
    export, so the import accepts them; a media file no record uses is left out."""
    service = make_atrium(tmp_path / "data")
    try:
        from app.domain.demo.synthetic import load_synthetic

        load_synthetic(service, tmp_path / "synthetic.nq", 3)
        service.media.put_bytes(b"left by a deleted asset")
        summary = export_all(service.store, service.media, tmp_path / "backup")
    finally:
        service.close()
    assert (summary.media_files, summary.missing_media, summary.unreferenced_media) == (0, 3, 1)
    assert len(manifest_of(tmp_path / "backup")["media_missing"]) == 3

    result = atrium(tmp_path / "restored", "import", str(tmp_path / "backup"))
    assert result.returncode == 0, result.stderr
    assert snapshot(tmp_path / "restored", tmp_path)[0] == as_exported(tmp_path / "backup")[0]


# --- L2: an interrupted import is finished or replaced by a command, not by hand ---------------

DIE_WHILE_LOADING = """
import os, sys, tempfile
from pathlib import Path
from pyoxigraph import RdfFormat
from app.storage.embedded import EmbeddedStore

def load_half_then_die(self, path):
    lines = path.read_text().splitlines(keepends=True)
    half = Path(tempfile.mkdtemp()) / "half.nq"
    half.write_text("".join(lines[: len(lines) // 2]))
    self._store.bulk_load(path=str(half), format=RdfFormat.N_QUADS)
    self._store.flush()
    os._exit(137)  # killed: no cleanup, no exception handler runs

EmbeddedStore.load_dump = load_half_then_die
from app.cli.main import main
sys.exit(main(sys.argv[1:]))
"""

DIE_WHILE_COPYING_MEDIA = """
import os, sys
from app.storage.media import MediaStore

real_put_file = MediaStore.put_file
copied = []

def put_two_then_die(self, path):
    if len(copied) == 2:
        os._exit(137)
    copied.append(path)
    return real_put_file(self, path)

MediaStore.put_file = put_two_then_die
from app.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("crash", [DIE_WHILE_LOADING, DIE_WHILE_COPYING_MEDIA])
@pytest.mark.slow
def test_l2_an_interrupted_import_is_finished_by_import_resume(
    original: Path, tmp_path: Path, crash: str
) -> None:
    restored = tmp_path / "restored"
    killed = atrium(restored, "import", str(original), code=crash)
    assert killed.returncode == 137, killed.stderr

    # every other command refuses instead of initialising the half-restored folder
    stats = atrium(restored, "stats")
    assert stats.returncode == 2 and "Traceback" not in stats.stderr
    assert "did not finish" in stats.stderr
    assert f"atrium import --resume {original}" in stats.stderr
    again = refused(atrium(restored, "import", str(original)))
    assert "did not finish" in again and "--resume" in again

    resumed = atrium(restored, "import", "--resume", str(original))
    assert resumed.returncode == 0, resumed.stderr
    assert snapshot(restored, tmp_path) == as_exported(original)
    assert atrium(restored, "stats").returncode == 0


@pytest.mark.slow
def test_l2_resume_refuses_another_backup_and_when_nothing_was_interrupted(
    original: Path, backup: Path, tmp_path: Path
) -> None:
    restored = tmp_path / "restored"
    error = refused(atrium(restored, "import", "--resume", str(original)))
    assert "no unfinished import to resume" in error

    assert atrium(restored, "import", str(original), code=DIE_WHILE_LOADING).returncode == 137
    other = tmp_path / "other"
    assert atrium(tmp_path / "empty", "export", str(other)).returncode == 0
    error = refused(atrium(restored, "import", "--resume", str(other)))
    assert f"the unfinished import was of {original}" in error
    # --replace restores another backup in place of the interrupted one
    assert atrium(restored, "import", "--replace", str(other)).returncode == 0
    assert snapshot(restored, tmp_path)[0] == as_exported(other)[0]


@pytest.mark.slow
def test_l2_the_not_empty_refusal_says_how_to_recover(original: Path, tmp_path: Path) -> None:
    restored = tmp_path / "restored"
    assert atrium(restored, "init").returncode == 0  # what any other command does first

    error = refused(atrium(restored, "import", str(original)))
    assert "the store is not empty" in error and "atrium import --replace DIR" in error

    replaced = atrium(restored, "import", "--replace", str(original))
    assert replaced.returncode == 0, replaced.stderr
    assert snapshot(restored, tmp_path) == as_exported(original)


@pytest.mark.slow
def test_l2_a_refused_replace_leaves_the_store_as_it_was(
    original: Path, backup: Path, tmp_path: Path
) -> None:
    restored = tmp_path / "restored"
    assert atrium(restored, "import", str(original)).returncode == 0
    write_manifest(backup, {**manifest_of(backup), "quads": 7})

    error = refused(atrium(restored, "import", "--replace", str(backup)))
    assert "the manifest says 7" in error
    assert snapshot(restored, tmp_path) == as_exported(original)
