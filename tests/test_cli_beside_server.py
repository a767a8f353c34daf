"""The CLI beside a running server (issue 16): a real ``atrium serve`` process, and the real
``atrium`` command (``python -m app``) run while it serves, from another working folder.

The commands go through the server's admin socket (app/cli/admin_socket.py), so the embedded
store keeps one writer and the server sees every change at once (search included).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from conftest import REPO, TEST_PASSWORD, http_sign_in
from PIL import Image

START_SECONDS = 90
CLI_SECONDS = 120
HTTP_TIMEOUT = 30
STOP_FIRST = "stop the server first"

SKOS_FILE = """\
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <http://example.org/tools/> .
ex:scheme a skos:ConceptScheme ; skos:prefLabel "Workshop tools"@en .
ex:hammer a skos:Concept ; skos:inScheme ex:scheme ; skos:topConceptOf ex:scheme ;
    skos:prefLabel "Hammer"@en .
ex:chisel a skos:Concept ; skos:inScheme ex:scheme ; skos:topConceptOf ex:scheme ;
    skos:prefLabel "Chisel"@en .
ex:scheme skos:hasTopConcept ex:hammer, ex:chisel .
"""


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    data_dir: Path
    env: dict[str, str]
    log: Path

    @property
    def socket(self) -> Path:
        return self.data_dir / "admin.sock"

    def cli(self, *argv: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
        """``atrium ARGV`` run from ``cwd``, as an administrator would in another terminal."""
        return subprocess.run(
            [sys.executable, "-m", "app", *argv],
            cwd=cwd,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=CLI_SECONDS,
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.ConnectionError:
        return False


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A real ``atrium serve`` on a fresh data folder, running from the repository."""
    port = _free_port()
    data_dir = tmp_path / "data"
    env = {**os.environ, "ATRIUM_DATA": str(data_dir), "ATRIUM_QUERY_WORKERS": "1"}
    env["PYTHONUNBUFFERED"] = "1"
    for name in ("ATRIUM_STORE", "ATRIUM_BASE_IRI"):
        env.pop(name, None)
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(port)],
            cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    running = Server(process, f"http://127.0.0.1:{port}", data_dir, env, log)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not (running.socket.exists() and _answers(f"{running.base_url}/healthz")):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield running
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=60)


def _search(server: Server, session: requests.Session | None = None) -> dict:
    getter = session or requests
    response = getter.get(f"{server.base_url}/api/search", timeout=HTTP_TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_cli_works_through_the_running_server(server: Server, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"  # the client's working folder: not the server's
    (elsewhere / "photos").mkdir(parents=True)
    Image.new("RGB", (96, 64), (200, 30, 40)).save(elsewhere / "photos" / "red.jpg")
    (elsewhere / "tools.ttl").write_text(SKOS_FILE, encoding="utf-8")

    assert stat.S_IMODE(server.socket.stat().st_mode) == 0o600
    assert stat.S_ISSOCK(server.socket.stat().st_mode)

    # A user added by the CLI signs in over HTTP at once; the password came on stdin.
    added = server.cli(
        "user", "add", "carol", "--role", "admin", "--password-stdin",
        cwd=elsewhere, stdin=TEST_PASSWORD + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "Created carol (admin)" in added.stdout
    session = http_sign_in(server.base_url, "carol")

    # An ingest by a relative path (of the client's folder) is found at once by search.
    assert _search(server, session)["total"] == 0
    ingested = server.cli(
        "ingest", "photos/red.jpg", "--department", "marketing", "--access", "public",
        cwd=elsewhere,
    )  # fmt: skip
    assert ingested.returncode == 0, ingested.stderr
    assert "1 ingested, 0 duplicates skipped, 0 failed" in ingested.stdout
    assert _search(server)["total"] == 1

    imported = server.cli("vocab", "import", "tools.ttl", cwd=elsewhere)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "2 concepts" in imported.stdout
    listed = server.cli("vocab", "list", cwd=elsewhere)
    assert "Workshop tools" in listed.stdout
    browser_page = requests.get(f"{server.base_url}/vocab/", timeout=HTTP_TIMEOUT)
    assert "Workshop tools" in browser_page.text  # the server's vocabulary browser has it

    validated = server.cli("validate", cwd=elsewhere)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "1 assets checked" in validated.stdout

    stats = server.cli("stats", "--json", cwd=elsewhere)
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["assets"] == 1

    exported = server.cli("export", "backup", cwd=elsewhere)
    assert exported.returncode == 0, exported.stderr
    backup = elsewhere / "backup"
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["quads"] > 0 and len(manifest["media"]) >= 1
    assert (backup / "graph.nq").is_file() and (backup / "auth.sqlite").is_file()
    assert not (REPO / "backup").exists()  # not the server's working folder

    reindexed = server.cli("reindex", cwd=elsewhere)
    assert reindexed.returncode == 0, reindexed.stderr
    assert "Indexed 1 assets for search" in reindexed.stdout
    assert server.cli("reindex", "--check", cwd=elsewhere).returncode == 0
    assert _search(server)["total"] == 1

    # Binary output arrives as it was written: the vocabulary's Turtle, byte for byte.
    turtle = subprocess.run(
        [sys.executable, "-m", "app", "vocab", "export", "subjects"],
        cwd=elsewhere, env=server.env, capture_output=True, timeout=CLI_SECONDS,
    )  # fmt: skip
    assert turtle.returncode == 0, turtle.stderr
    assert b"@prefix skos:" in turtle.stdout
    # A usage error in the command comes back with its status and message.
    unknown = server.cli("vocab", "export", "no-such-scheme", cwd=elsewhere)
    assert unknown.returncode == 2 and "no-such-scheme" in unknown.stderr

    # The server's own log still gets its access lines, and none of the commands' output.
    log = server.log.read_text()
    assert "atrium.access: GET /api/search" in log
    assert "Created carol" not in log and "Indexed 1 assets" not in log


def test_commands_that_need_the_store_alone_are_refused(server: Server, tmp_path: Path) -> None:
    backup = tmp_path / "backup"
    assert server.cli("export", str(backup), cwd=tmp_path).returncode == 0
    for argv in (["import", str(backup)], ["serve"], ["rebase", "http://dam.example.org/"]):
        refused = server.cli(*argv, cwd=tmp_path)
        assert refused.returncode == 2, (argv, refused.stdout, refused.stderr)
        assert STOP_FIRST in refused.stderr, refused.stderr
        assert f"atrium {argv[0]}:" in refused.stderr
    assert server.process.poll() is None  # still serving
    assert _answers(f"{server.base_url}/healthz")


def test_a_stale_socket_does_not_block_the_cli(server: Server, tmp_path: Path) -> None:
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=30)
    assert server.socket.exists()  # killed -9: nobody removed it
    stats = server.cli("stats", "--json", cwd=tmp_path)  # runs here, on the freed store
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["assets"] == 0
    added = server.cli(
        "user", "add", "dave", "--password-stdin", cwd=tmp_path, stdin=TEST_PASSWORD + "\n"
    )
    assert added.returncode == 0, added.stderr
    assert "dave" in server.cli("user", "list", cwd=tmp_path).stdout


def test_a_stopped_server_removes_its_socket(server: Server) -> None:
    server.process.terminate()
    server.process.wait(timeout=60)
    assert not server.socket.exists(), server.log.read_text()
