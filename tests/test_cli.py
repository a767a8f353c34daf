"""The ``atrium`` command line, run in-process as a user would call it."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS_IMAGES, need_corpus

from app.cli.main import main
from app.cli.parser import build_parser


@pytest.fixture
def some_images(tmp_path: Path) -> Path:
    images = need_corpus("images")
    folder = tmp_path / "incoming"
    (folder / "nested").mkdir(parents=True)
    shutil.copyfile(images / "pillow__flower.jpg", folder / "flower.jpg")
    shutil.copyfile(images / "pillow__iptc.jpg", folder / "nested" / "iptc.jpg")
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_ingest_reports_and_exits_0_when_all_went_in(data_dir, some_images, capsys) -> None:
    status, out, _ = run(capsys, "ingest", str(some_images), "--department", "marketing", "--quiet")
    assert status == 0
    assert "2 ingested, 0 duplicates skipped, 0 failed" in out
    status, out, _ = run(capsys, "ingest", str(some_images), "--department", "marketing", "--quiet")
    assert status == 0
    assert "0 ingested, 2 duplicates skipped" in out


def test_ingest_exits_1_when_some_failed_and_keeps_the_rest(data_dir, some_images, capsys) -> None:
    shutil.copyfile(CORPUS_IMAGES / "pillow__truncated_jpeg.jpg", some_images / "broken.jpg")
    status, out, _ = run(capsys, "ingest", str(some_images), "--department", "hr", "--quiet")
    assert status == 1
    assert "2 ingested, 0 duplicates skipped, 1 failed" in out
    assert "FAILED  " in out and "broken.jpg" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["ingest", "--department", "marketing"],
        ["ingest", "missing-folder", "--department", "marketing"],
        ["ingest", ".", "--department", "nobody"],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_2(data_dir, capsys, argv: list[str]) -> None:
    try:
        status = main(argv)
    except SystemExit as exit_:  # argparse's own usage errors
        status = exit_.code
    assert status == 2


def test_validate_lists_incomplete_assets_and_exits_1(data_dir, some_images, capsys) -> None:
    run(capsys, "ingest", str(some_images), "--department", "hr", "--quiet")
    status, out, _ = run(capsys, "validate")
    assert status == 1
    assert "INCOMPLETE" in out and "consent" in out
    assert "2 assets checked: 0 break the core shape, 2 lack fields" in out


def test_validate_exits_0_on_a_clean_store(data_dir, some_images, capsys) -> None:
    run(capsys, "ingest", str(some_images), "--department", "marketing", "--quiet")
    status, out, _ = run(capsys, "validate")
    assert status == 0, out


def test_sparql_prints_a_table_csv_and_json(data_dir, some_images, capsys) -> None:
    run(capsys, "ingest", str(some_images), "--department", "marketing", "--quiet")
    query = (
        "PREFIX dam: <https://w3id.org/atrium/ns#> SELECT ?a WHERE { ?a a dam:Asset } ORDER BY ?a"
    )
    status, out, _ = run(capsys, "sparql", query)
    assert status == 0 and "(2 rows)" in out
    status, out, _ = run(capsys, "sparql", query, "--format", "csv")
    assert out.splitlines()[0] == "a" and len(out.splitlines()) == 3
    status, out, _ = run(capsys, "sparql", query, "--format", "json")
    assert len(json.loads(out)["results"]["bindings"]) == 2


def test_sparql_refuses_updates_and_bad_syntax(data_dir, capsys, tmp_path: Path) -> None:
    status, _, err = run(capsys, "sparql", "DELETE WHERE { ?s ?p ?o }")
    assert status == 2 and "not valid SPARQL" in err
    query_file = tmp_path / "q.rq"
    query_file.write_text("SELECT * WHERE { ?s ?p }")
    status, _, err = run(capsys, "sparql", "-f", str(query_file))
    assert status == 2


def test_stats_json(data_dir, some_images, capsys) -> None:
    run(
        capsys,
        "ingest",
        str(some_images),
        "--department",
        "marketing",
        "--access",
        "public",
        "--quiet",
    )
    status, out, _ = run(capsys, "stats", "--json")
    stats = json.loads(out)
    assert status == 0
    assert stats["assets"] == 2
    assert stats["concepts"] > 50 and stats["schemes"] >= 7 and stats["triples"] > 1000
    assert stats["by_department"]["marketing"] == 2
    assert stats["by_access"] == {"public": 2, "internal": 0, "restricted": 0}


def test_export_then_import_restores_exactly(
    data_dir, some_images, capsys, tmp_path, monkeypatch
) -> None:
    run(capsys, "ingest", str(some_images), "--department", "marketing", "--quiet")
    backup = tmp_path / "backup"
    status, out, _ = run(capsys, "export", str(backup))
    assert status == 0
    original_quads = set((backup / "graph.nq").read_text().splitlines())
    original_media = {
        p.name: p.read_bytes() for p in (data_dir / "media").rglob("*") if p.is_file()
    }

    restored = tmp_path / "restored"
    monkeypatch.setenv("ATRIUM_DATA", str(restored))
    status, out, err = run(capsys, "import", str(backup))
    assert status == 0, err
    again = tmp_path / "again"
    run(capsys, "export", str(again))
    assert set((again / "graph.nq").read_text().splitlines()) == original_quads
    restored_media = {
        p.name: p.read_bytes() for p in (restored / "media").rglob("*") if p.is_file()
    }
    assert restored_media == original_media

    status, _, err = run(capsys, "import", str(backup))  # not empty any more
    assert status == 2 and "not empty" in err


def test_import_refuses_a_damaged_backup(
    data_dir, some_images, capsys, tmp_path, monkeypatch
) -> None:
    run(capsys, "ingest", str(some_images), "--department", "marketing", "--quiet")
    backup = tmp_path / "backup"
    run(capsys, "export", str(backup))
    victim = next((backup / "media").iterdir())
    victim.write_bytes(b"tampered")
    monkeypatch.setenv("ATRIUM_DATA", str(tmp_path / "restored"))
    status, _, err = run(capsys, "import", str(backup))
    assert status == 2 and "damaged" in err


def test_every_command_names_a_handler_that_exists() -> None:
    commands = build_parser()._subparsers._group_actions[0].choices  # noqa: SLF001
    handlers = {sub.get_default("handler") for sub in commands.values()}
    assert len(handlers) >= 20
    for handler in handlers:
        module = importlib.import_module(f"app.cli.{handler.module}")
        assert callable(getattr(module, handler.function)), handler


def test_the_command_line_starts_without_the_domain() -> None:
    """What --help and a command sent to a running server import: the grammar, not the domain
    (importing that takes about a second, at every command)."""
    code = (
        "import sys; from app.cli.main import main; from app.cli.parser import build_parser; "
        "build_parser().parse_args(['sparql', '--format', 'csv', 'ASK {}']); "
        "print(sorted(m for m in sys.modules if m.startswith(('app.domain', 'app.service', "
        "'app.web', 'rdflib', 'pyshacl', 'PIL'))))"
    )
    imported = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert imported.strip() == "[]"
