"""The base IRI recorded in the data folder, the refusal of another, and ``atrium rebase``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from conftest import REPO
from PIL import Image

from app.cli.main import main
from app.config import Config, recorded_base_iri
from app.domain.operations.rebase import JOURNAL_NAME
from app.namespaces import DAM
from app.service import Atrium
from app.storage.embedded import EmbeddedStore
from app.storage.graphstore import Scope

OLD = "http://old.atrium.test/"
NEW = "https://dam.example.org/"
SERVE_SECONDS = 120


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("ATRIUM_DATA", str(folder))
    monkeypatch.delenv("ATRIUM_BASE_IRI", raising=False)
    monkeypatch.delenv("ATRIUM_STORE", raising=False)
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def graph_names(data_dir: Path) -> list[str]:
    store = EmbeddedStore(data_dir / "store")
    try:
        return sorted(graph.value for graph in store.graphs())
    finally:
        store.close()


def a_photo(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "harbour.jpg"
    Image.new("RGB", (64, 48), (30, 90, 160)).save(path, "JPEG")
    return path


def serve(data_dir: Path, port: int, base_iri: str | None) -> subprocess.Popen[str]:
    env = {**os.environ, "ATRIUM_DATA": str(data_dir), "ATRIUM_QUERY_WORKERS": "1"}
    env.pop("ATRIUM_STORE", None)
    env.pop("ATRIUM_BASE_IRI", None)
    if base_iri is not None:
        env["ATRIUM_BASE_IRI"] = base_iri
    command = [sys.executable, "-m", "app", "serve", "--port", str(port)]
    return subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def assert_refusal(message: str, recorded: str, configured: str) -> None:
    assert "ATRIUM_BASE_IRI" in message
    assert recorded in message and configured in message
    assert f"atrium rebase {configured}" in message
    assert "Traceback" not in message


def test_init_records_the_base_of_the_port_it_is_given(data_dir, capsys) -> None:
    status, _, err = run(capsys, "init", "--port", "5177")
    assert status == 0, err
    assert recorded_base_iri(data_dir) == "http://127.0.0.1:5177/"
    assert "http://127.0.0.1:5177/graphs/ontology" in graph_names(data_dir)
    # Unset, the base is the recorded one, whatever port a later command names.
    assert Config.from_env(port=8080).base_iri == "http://127.0.0.1:5177/"


def test_a_new_folder_without_a_port_mints_on_5000(data_dir, capsys) -> None:
    assert run(capsys, "init")[0] == 0
    assert recorded_base_iri(data_dir) == "http://127.0.0.1:5000/"


def test_make_run_passes_its_port_to_init() -> None:
    dry_run = subprocess.run(
        ["make", "-n", "run", "PORT=5177"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert "app init --port 5177" in dry_run.stdout, dry_run.stdout + dry_run.stderr
    assert "app serve --port 5177" in dry_run.stdout


def test_a_command_with_another_base_is_refused(data_dir, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ATRIUM_BASE_IRI", OLD)
    assert run(capsys, "init")[0] == 0
    monkeypatch.setenv("ATRIUM_BASE_IRI", NEW)
    for argv in (["stats"], ["user", "add", "carla", "--role", "viewer"]):
        status, out, err = run(capsys, *argv)
        assert status == 2, out
        assert err.startswith(f"atrium {argv[0]}: "), err
        assert_refusal(err, OLD, NEW)
    assert f"{NEW}graphs/ontology" not in graph_names(data_dir)  # nothing written under NEW


def test_serve_with_another_base_exits_with_the_way_out(data_dir, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ATRIUM_BASE_IRI", OLD)
    assert run(capsys, "init")[0] == 0
    server = serve(data_dir, free_port(), NEW)
    try:
        out, err = server.communicate(timeout=SERVE_SECONDS)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 2, out + err
    assert "Atrium is serving" not in out
    assert_refusal(err, OLD, NEW)


def test_serve_on_a_new_folder_mints_iris_on_its_port(data_dir) -> None:
    port = free_port()
    server = serve(data_dir, port, None)
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + SERVE_SECONDS
        while True:
            assert server.poll() is None, server.communicate()
            try:
                page = requests.get(
                    f"{base}vocab/departments/hr", headers={"Accept": "text/turtle"}, timeout=5
                )
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "atrium serve did not answer"
                time.sleep(0.2)
        assert page.status_code == 200, page.text
        assert f"{base}vocab/" in page.text, page.text
        assert recorded_base_iri(data_dir) == base
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert f"{base}graphs/ontology" in graph_names(data_dir)


def test_rebase_moves_every_iri_and_rebuilds_the_indexes(
    data_dir, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("ATRIUM_BASE_IRI", OLD)
    photo = a_photo(tmp_path / "incoming")
    status, _, err = run(capsys, "ingest", str(photo), "--department", "marketing", "--quiet")
    assert status == 0, err
    assert run(capsys, "user", "add", "carla", "--role", "viewer")[0] == 0
    before = graph_names(data_dir)

    monkeypatch.setenv("ATRIUM_BASE_IRI", NEW)
    status, out, err = run(capsys, "rebase", NEW)
    assert status == 0, err
    assert f"{OLD} → {NEW}" in out
    assert recorded_base_iri(data_dir) == NEW
    after = graph_names(data_dir)
    assert after == sorted(NEW + name[len(OLD) :] for name in before)

    with Atrium(Config.from_env()) as atrium:
        everything = Scope.everything()
        leftovers = atrium.store.select(
            "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } "
            f'FILTER(STRSTARTS(STR(?s), "{OLD}") || STRSTARTS(STR(?o), "{OLD}")) }} LIMIT 1',
            scope=everything,
        )
        assert leftovers == []
        assets = atrium.store.select(
            f"SELECT ?a WHERE {{ ?a a <{DAM.Asset.value}> }}", scope=everything
        )
        assert [row["a"].value[: len(NEW) + 7] for row in assets] == [f"{NEW}assets/"]
        assert atrium.users.get("carla").iri == f"{NEW}users/carla"
        assert atrium.search_index.differences() == []
    monkeypatch.delenv("ATRIUM_BASE_IRI")  # unset: the recorded base, now the new one
    status, out, err = run(capsys, "reindex", "--check")
    assert status == 0, err + out


def test_a_rebase_killed_half_way_refuses_other_commands_then_finishes(
    data_dir, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("ATRIUM_BASE_IRI", OLD)
    assert run(capsys, "user", "add", "carla", "--role", "viewer")[0] == 0
    before = len(graph_names(data_dir))

    def killed(self, path):  # noqa: ANN001, ANN202 - the process dies as the load starts
        raise KeyboardInterrupt

    with monkeypatch.context() as crash:
        crash.setattr(EmbeddedStore, "load_dump", killed)
        with pytest.raises(KeyboardInterrupt):
            main(["rebase", NEW])
    assert (data_dir / JOURNAL_NAME).exists()
    assert graph_names(data_dir) == []  # cleared, not yet loaded

    for base in (OLD, NEW):
        monkeypatch.setenv("ATRIUM_BASE_IRI", base)
        status, _, err = run(capsys, "stats")
        assert status == 2
        assert "did not finish" in err and f"atrium rebase {NEW}" in err, err
    status, out, err = run(capsys, "rebase", "https://elsewhere.example/")
    assert status == 2 and f"atrium rebase {NEW}" in err, err

    status, out, err = run(capsys, "rebase", NEW)
    assert status == 0, err
    assert not (data_dir / JOURNAL_NAME).exists()
    names = graph_names(data_dir)
    assert len(names) == before and all(name.startswith(NEW) for name in names)
    assert run(capsys, "user", "list")[1].count("carla") == 1
