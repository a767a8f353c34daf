"""A real Virtuoso process on loopback for the remote-store tests, like ``oxigraph serve``.

Debian's ``virtuoso-opensource`` 7.2 (``virtuoso-t``, ``isql-vt``). Each test session gets its
own database folder and a generated ``virtuoso.ini``: free loopback ports for HTTP and for the
SQL server (which ``isql-vt`` uses to grant rights), small buffers so that it starts in seconds,
no periodic checkpoint. Once its SPARQL endpoint answers, :func:`prepare` does what the README's
"Running on Virtuoso" asks of an operator: it lets the endpoint's ``SPARQL`` account update,
and hides Virtuoso's own graphs from that account, so that the store's graphs are Atrium's.

When Virtuoso is not installed or does not start, the tests that need it skip with one line,
unless ``ATRIUM_REQUIRE_VIRTUOSO`` is set (as in ``.ci/run``): then they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from app.storage.remote import RemoteStore

VIRTUOSO = "virtuoso-t"
ISQL = "isql-vt"
START_SECONDS = 90.0  # a fresh database takes about 5 s; more when other tests load the cores
DBA_PASSWORD = "dba"  # a fresh database's; the server listens on loopback for one session
# Graph-level security (Virtuoso 7 "RDF Graph Level Security"): a private graph is one the
# anonymous SPARQL account ("nobody") has no rights on. 3 = read and write, no sponging (fetching
# URLs on a query's behalf).
PRIVATE_GRAPHS = "http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs"
ATRIUM_GRAPH_RIGHTS = 3


@dataclass(frozen=True)
class SparqlService:
    """A running SPARQL 1.1 service and the endpoint paths Atrium's settings would name."""

    name: str
    url: str
    query_path: str = "/query"
    update_path: str = "/update"
    gsp_path: str = "/store"

    def settings(self) -> dict[str, str]:
        """The ATRIUM_STORE* settings that point Atrium at this service."""
        return {
            "ATRIUM_STORE": self.url,
            "ATRIUM_STORE_QUERY_PATH": self.query_path,
            "ATRIUM_STORE_UPDATE_PATH": self.update_path,
            "ATRIUM_STORE_GSP_PATH": self.gsp_path,
        }

    def store(self, **options: object) -> RemoteStore:
        """A RemoteStore on this service; ``options`` override its paths or timeout."""
        paths = {"query_path": self.query_path, "update_path": self.update_path}
        paths["gsp_path"] = self.gsp_path
        return RemoteStore(self.url, **{**paths, **options})  # type: ignore[arg-type]


def unavailable(reason: str) -> None:
    """Skip (in one line), or fail where Virtuoso is required."""
    if os.environ.get("ATRIUM_REQUIRE_VIRTUOSO"):
        pytest.fail(f"{reason}; ATRIUM_REQUIRE_VIRTUOSO is set", pytrace=False)
    pytest.skip(reason)


def write_ini(folder: Path, http_port: int, sql_port: int) -> Path:
    db = folder / "db"
    db.mkdir()
    ini = folder / "virtuoso.ini"
    ini.write_text(
        f"""[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 0
DirsAllowed = {folder}
NumberOfBuffers = 2000
MaxDirtyBuffers = 1500
VADInstallDir = {folder}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}
ServerThreads = 8
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 120
""",
        encoding="utf-8",
    )
    return ini


def wait_until_answering(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-1:]
            unavailable(f"virtuoso-t exited with {process.returncode}: {' '.join(tail)}")
        try:
            if requests.get(f"{base_url}/sparql", params={"query": "ASK {}"}, timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    unavailable(f"Virtuoso did not answer on {base_url}/sparql within {START_SECONDS:g} s")


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def own_graphs(base_url: str) -> list[str]:
    """The graphs of a fresh database: all of them are Virtuoso's own."""
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    answer = requests.post(
        f"{base_url}/sparql",
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    answer.raise_for_status()
    return [row["g"]["value"] for row in answer.json()["results"]["bindings"]]


def prepare(base_url: str, sql_port: int, folder: Path) -> None:
    """Let the SPARQL account update, and make Virtuoso's own graphs private to it."""
    statements = [
        'GRANT SPARQL_UPDATE TO "SPARQL";',
        f"DB.DBA.RDF_GRAPH_GROUP_CREATE ({sql_literal(PRIVATE_GRAPHS)}, 1);",
        *(
            f"DB.DBA.RDF_GRAPH_GROUP_INS ({sql_literal(PRIVATE_GRAPHS)}, {sql_literal(graph)});"
            for graph in own_graphs(base_url)
        ),
        "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 0, 1);",
        f"DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', {ATRIUM_GRAPH_RIGHTS});",
    ]
    script = folder / "grants.sql"
    script.write_text("\n".join(statements) + "\n", encoding="utf-8")
    # isql-vt exits 0 even when a statement fails, so its output is checked for errors
    done = subprocess.run(
        [shutil.which(ISQL) or ISQL, f"127.0.0.1:{sql_port}", "dba", DBA_PASSWORD, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
        pytest.fail(f"granting rights on Virtuoso failed:\n{done.stdout}{done.stderr}")


@contextmanager
def running_virtuoso(folder: Path, http_port: int, sql_port: int) -> Iterator[SparqlService]:
    """A Virtuoso server with its database in ``folder``, stopped on exit."""
    binary = shutil.which(VIRTUOSO)
    if binary is None or shutil.which(ISQL) is None:
        unavailable(
            "Virtuoso is not installed (apt-get install virtuoso-opensource): "
            "the Virtuoso remote-store tests need virtuoso-t and isql-vt"
        )
    ini = write_ini(folder, http_port, sql_port)
    log = folder / "server.log"
    with log.open("wb") as log_file:
        command = [binary, "+foreground", "+configfile", str(ini)]
        process = subprocess.Popen(command, cwd=folder, stdout=log_file, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{http_port}"
    try:
        wait_until_answering(process, base_url, log)
        prepare(base_url, sql_port, folder)
        yield SparqlService(
            "virtuoso", base_url, "/sparql", "/sparql", gsp_path="/sparql-graph-crud"
        )
    finally:
        stop(process, seconds=20)


def stop(process: subprocess.Popen[bytes], seconds: float) -> None:
    """Ask a server process to end; kill it when it has not within ``seconds``."""
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparqlService]:
    """A Virtuoso process shared by the whole test session (conftest.py imports it)."""
    folder = tmp_path_factory.mktemp("virtuoso")
    with running_virtuoso(folder, free_port(), free_port()) as service:
        yield service


# Every remote-store test runs once per real server: ask for ``remote_service`` (conftest.py).
REMOTE_SERVERS = [pytest.param(name, marks=pytest.mark.remote) for name in ("oxigraph", "virtuoso")]


def sparql_service(request: pytest.FixtureRequest, name: str) -> SparqlService:
    """The running service ``name`` ("oxigraph" or "virtuoso"), started on first use."""
    if name == "oxigraph":
        return SparqlService("oxigraph", request.getfixturevalue("oxigraph_server"))
    return request.getfixturevalue("virtuoso_server")


@pytest.fixture(params=REMOTE_SERVERS, name="remote_service")
def remote_services(request: pytest.FixtureRequest) -> SparqlService:
    """A running SPARQL service (Oxigraph server, then Virtuoso) and its endpoint paths."""
    return sparql_service(request, request.param)


def known_limitation(request: pytest.FixtureRequest, limitation: str) -> None:
    """Expect the running test to fail when it runs on Virtuoso, for ``limitation`` (strict: it
    must fail there, so the mark goes once Virtuoso can do it)."""
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and "virtuoso" in callspec.params.values():
        request.applymarker(pytest.mark.xfail(reason=f"Virtuoso 7.2: {limitation}", strict=True))
