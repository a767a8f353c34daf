"""Shared pytest fixtures.

Graph stores: every storage test runs against the embedded pyoxigraph store and against real
servers on loopback, ``oxigraph serve`` and Virtuoso (DESIGN.md, "Fixed choices: Scale-out").
"""

from __future__ import annotations

import atexit
import csv
import datetime as dt
import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import jinja2
import jinja2.bccache
import pytest
import requests
from flask import Flask
from virtuoso_server import REMOTE_SERVERS, SparqlService, free_port, sparql_service, stop
from werkzeug.security import generate_password_hash

import app.domain.people.users as users_module
from app.config import Config
from app.domain.assets import rights
from app.service import Atrium
from app.storage.embedded import EmbeddedStore
from app.storage.graphstore import GraphStore

# --------------------------------------------------------------------------------------------
# Oxigraph server
# --------------------------------------------------------------------------------------------

SERVER_START_SECONDS = 20.0


def _oxigraph_binary() -> str:
    """The ``oxigraph`` command of the PyPI package: beside this Python, else on PATH."""
    beside_python = Path(sys.executable).parent / "oxigraph"
    if beside_python.is_file():
        return str(beside_python)
    on_path = shutil.which("oxigraph")
    if on_path is None:
        pytest.fail(
            "the remote-store tests need the `oxigraph` server binary: "
            "pip install oxigraph (it is in the `test` extra of pyproject.toml)",
            pytrace=False,
        )
    return on_path


def _wait_until_answering(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            pytest.fail(
                f"oxigraph serve exited with {process.returncode}:\n{output}", pytrace=False
            )
        try:
            requests.get(f"{base_url}/query", params={"query": "ASK {}"}, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    output = log.read_text(errors="replace")
    pytest.fail(
        f"oxigraph serve did not answer on {base_url} within {SERVER_START_SECONDS} s:\n{output}",
        pytrace=False,
    )


@contextmanager
def oxigraph_serving(folder: Path) -> Iterator[str]:
    """An ``oxigraph serve`` process on loopback, its data in ``folder``; its base URL."""
    address = f"127.0.0.1:{free_port()}"
    command = [_oxigraph_binary(), "serve", "--location", str(folder / "data"), "--bind", address]
    log = folder / "server.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
    base_url = f"http://{address}"
    try:
        _wait_until_answering(process, base_url, log)
        yield base_url
    finally:
        stop(process, seconds=10)


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of an ``oxigraph serve`` process shared by the whole test session."""
    with oxigraph_serving(tmp_path_factory.mktemp("oxigraph")) as base_url:
        yield base_url


# --------------------------------------------------------------------------------------------
# Graph stores
# --------------------------------------------------------------------------------------------


@pytest.fixture(params=["embedded", *REMOTE_SERVERS])
def graph_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """An empty graph store: embedded on disk, or remote on each shared server."""
    store: GraphStore
    if request.param == "embedded":
        store = EmbeddedStore(tmp_path / "store")
    else:
        store = sparql_service(request, request.param).store()
        store.clear()
    try:
        yield store
    finally:
        store.close()


# --------------------------------------------------------------------------------------------
# Atrium services and the corpus
# --------------------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]
# The shared corpus (never copied into the repository); ATRIUM_CORPUS points elsewhere.
CORPUS = Path(os.environ.get("ATRIUM_CORPUS") or REPO.parent / "shared" / "corpus")
CORPUS_IMAGES = CORPUS / "images"
BASE_IRI = "http://atrium.test/"


def corpus_required() -> bool:
    """True where the corpus tests must run, not skip: ``ATRIUM_REQUIRE_CORPUS`` (set by .ci/run)
    or ``CI`` ("true" or "1")."""
    ci = os.environ.get("CI", "").strip().lower() in ("true", "1")
    return ci or bool(os.environ.get("ATRIUM_REQUIRE_CORPUS"))


def need_corpus(*parts: str) -> Path:
    """The corpus path ``<corpus>/<parts>``; when it is not there, skip the test (or, called at
    import, the whole module, in one line), or fail it where the corpus is required. For a
    whole test or module, the marker ``@pytest.mark.corpus(*parts)`` does the same."""
    path = CORPUS.joinpath(*parts)
    if path.exists():
        return path
    reason = f"corpus missing: no {path} (set ATRIUM_CORPUS; default ../shared/corpus)"
    if corpus_required():
        pytest.fail(f"{reason}; ATRIUM_REQUIRE_CORPUS is set", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def corpus_params(values: Iterable[object], *parts: str) -> list[object]:
    """Parameters read from the corpus at collection, for ``parametrize``: ``values``, or when
    ``../shared/corpus/<parts>`` is not there, one placeholder marked ``corpus(*parts)``, so
    the test is still collected and skips (fails in CI) with the reason; an empty parameter
    set would only skip, even in CI."""
    if CORPUS.joinpath(*parts).exists():
        return list(values)
    return [pytest.param(None, id="corpus-missing", marks=pytest.mark.corpus(*parts))]


def metadata_scan() -> dict[str, dict[str, str]]:
    """The rows of the corpus' images/METADATA-SCAN.csv by file name; empty without it."""
    path = CORPUS_IMAGES / "METADATA-SCAN.csv"
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as scan_file:
        return {row["file"]: row for row in csv.DictReader(scan_file)}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "corpus(*parts): needs ../shared/corpus/<parts>; skips without it (fails when CI is set)",
    )


# --------------------------------------------------------------------------------------------
# Slow tests: the whole suite leaves them out unless CI is set or ATRIUM_SLOW=1
# --------------------------------------------------------------------------------------------

_SLOW_LEFT_OUT = pytest.StashKey[int]()


def runs_slow_tests() -> bool:
    """Whether a run of the whole suite includes the tests marked ``slow``: in CI (``CI`` is
    "true" or "1"), or with ``ATRIUM_SLOW=1``."""
    ci = os.environ.get("CI", "").strip().lower() in ("true", "1")
    return ci or os.environ.get("ATRIUM_SLOW", "").strip() == "1"


def _names_tests_itself(config: pytest.Config) -> bool:
    """The command line names files or tests, or picks by marker: those run, slow or not."""
    suite = Path(__file__).parent.resolve()
    named = any(Path(arg.split("::")[0]).resolve() != suite for arg in config.args)
    return named or "slow" in (config.getoption("markexpr") or "")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if runs_slow_tests() or _names_tests_itself(config):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]
    config.stash[_SLOW_LEFT_OUT] = len(slow)
    if hasattr(config, "workeroutput"):  # a pytest-xdist worker: tell the controller
        config.workeroutput["slow_left_out"] = len(slow)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:  # noqa: ANN001 - pytest-xdist's hook
    """Under pytest-xdist the controller collects nothing: each worker says what it left out
    (every worker collects the whole suite, so each says the same)."""
    left_out = getattr(node, "workeroutput", {}).get("slow_left_out", 0)
    config = node.config
    config.stash[_SLOW_LEFT_OUT] = max(config.stash.get(_SLOW_LEFT_OUT, 0), left_out)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:  # noqa: ANN001
    left_out = config.stash.get(_SLOW_LEFT_OUT, 0)
    if left_out:
        terminalreporter.write_line(
            f"{left_out} slow tests left out; ATRIUM_SLOW=1 make test runs them (CI does)."
        )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """``@pytest.mark.corpus(*parts)``: check before any fixture reads the corpus."""
    for marker in item.iter_markers(name="corpus"):
        need_corpus(*marker.args)


TODAY = dt.datetime.now(dt.UTC).date()  # the day the rights tests work their dates out from


@pytest.fixture
def rights_clock_on_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rights dates are read against :data:`TODAY` (at noon, UTC) for the whole test: a
    module that works its dates out once, at import, would otherwise see them move at
    midnight."""
    noon = dt.datetime.combine(TODAY, dt.time(12), tzinfo=dt.UTC)
    monkeypatch.setattr(rights, "now", lambda: noon)


def make_atrium(data_dir: Path, store: GraphStore | None = None, **settings: object) -> Atrium:
    """An initialised Atrium on ``data_dir`` (embedded store unless ``store`` is given).

    A new data folder on the embedded store starts as a copy of one initialised once per test
    session: ``init()`` takes about half a second (it parses and installs every shipped
    vocabulary and shape), which over the suite's tests came to minutes. ``init()`` itself still
    runs in the tests of ``atrium init`` and ``atrium demo``, and on folders that exist already."""
    config = Config.from_env(
        {"ATRIUM_DATA": str(data_dir), "ATRIUM_BASE_IRI": BASE_IRI}, **settings
    )
    if store is None and not (data_dir.exists() and any(data_dir.iterdir())):
        shutil.copytree(_initialised_folder(config.base_iri), data_dir, dirs_exist_ok=True)
        return Atrium(config)
    atrium = Atrium(config, store=store)
    atrium.init()
    return atrium


# Passwords: werkzeug's default scrypt costs about 0.1 s a hash, and the suite adds users and
# signs in thousands of times. Here they are hashed with scrypt at a lower cost; a hash records
# its parameters, so checking one is unchanged, and servers started by the tests keep the default.
users_module.generate_password_hash = functools.partial(
    generate_password_hash, method="scrypt:1024:8:1"
)


class _TemplatesCompiledOnce(jinja2.BytecodeCache):
    """Templates compiled once per test process: each test's app has a Jinja environment of its
    own, and each compiled every template it rendered again (about a minute of the suite). Every
    app here is made by ``create_app``, so their environments compile a template alike; a
    template's code is kept with its source's checksum, so an edited template compiles again."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self._compiled:
            bucket.bytecode_from_string(self._compiled[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": _TemplatesCompiledOnce()}


_INITIALISED: dict[str, Path] = {}  # by base IRI: a data folder as init() leaves it


def _initialised_folder(base_iri: str) -> Path:
    if base_iri not in _INITIALISED:
        folder = Path(tempfile.mkdtemp(prefix="atrium-initialised-")) / "data"
        config = Config.from_env({"ATRIUM_DATA": str(folder), "ATRIUM_BASE_IRI": base_iri})
        with Atrium(config) as atrium:
            atrium.init()
        atexit.register(shutil.rmtree, folder.parent, ignore_errors=True)
        _INITIALISED[base_iri] = folder
    return _INITIALISED[base_iri]


@pytest.fixture
def atrium(tmp_path: Path) -> Iterator[Atrium]:
    """A fresh, initialised Atrium on the embedded store, with its own data folder."""
    service = make_atrium(tmp_path / "data")
    yield service
    service.close()


@pytest.fixture
def client(atrium: Atrium):  # noqa: ANN201
    """A Flask test client of ``atrium``."""
    from app.web import create_app

    return create_app(atrium).test_client()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The data folder the ``atrium`` command finds in its environment (not made yet)."""
    folder = tmp_path / "data"
    monkeypatch.setenv("ATRIUM_DATA", str(folder))
    monkeypatch.setenv("ATRIUM_BASE_IRI", BASE_IRI)
    monkeypatch.delenv("ATRIUM_STORE", raising=False)
    return folder


@pytest.fixture
def remote_atrium(tmp_path: Path, remote_service: SparqlService) -> Iterator[Atrium]:
    """A fresh, initialised Atrium on each shared remote server."""
    with atrium_on(remote_service, tmp_path / "data") as service:
        yield service


@contextmanager
def atrium_on(remote: SparqlService, data_dir: Path) -> Iterator[Atrium]:
    """A fresh, initialised Atrium on ``remote``, emptied first (the servers are shared)."""
    store = remote.store()
    store.clear()
    service = make_atrium(data_dir, store=store)
    try:
        yield service
    finally:
        service.close()


@pytest.fixture(scope="session")
def corpus_atrium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Atrium, object]]:
    """One Atrium with every corpus image ingested (shared: read it, never write to it)."""
    from app.domain.media.ingest import Ingester, IngestOptions, find_files

    images = need_corpus("images")
    service = make_atrium(tmp_path_factory.mktemp("corpus") / "data")
    ingester = Ingester(service)
    options = ingester.resolve(IngestOptions("operations", "public"))
    report = ingester.run(find_files([images]), options)
    yield service, report
    service.close()


# --------------------------------------------------------------------------------------------
# Users: signing in a test client, API tokens, CSRF tokens
# --------------------------------------------------------------------------------------------

TEST_PASSWORD = "correct horse battery"


def add_user(atrium: Atrium, role: str, departments: tuple[str, ...] = ()) -> str:
    """A new user with ``role`` and ``departments``; returns the user name."""
    name = f"{role}-{'-'.join(departments) or 'all'}-{len(atrium.users.all())}"
    atrium.users.add(name, role, list(departments), TEST_PASSWORD)
    return name


def csrf_token(client) -> str:  # noqa: ANN001 - a Flask test client
    """The CSRF token of the client's session (made on first use, as a page would)."""
    with client.session_transaction() as session:
        if "csrf" not in session:
            session["csrf"] = "test-csrf-token"
        return session["csrf"]


@pytest.fixture
def sign_in():  # noqa: ANN201
    """``sign_in(client, role="viewer", departments=("marketing",))`` signs a new user in."""

    def sign(client, role: str = "viewer", departments: tuple[str, ...] = ()) -> str:  # noqa: ANN001
        atrium = client.application.extensions["atrium"]
        name = add_user(atrium, role, tuple(departments))
        response = client.post(
            "/login",
            data={"name": name, "password": TEST_PASSWORD, "csrf_token": csrf_token(client)},
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return name

    return sign


@pytest.fixture
def api_token():  # noqa: ANN201
    """``api_token(atrium, role="viewer", departments=())`` returns a Bearer token's secret."""

    def issue(atrium: Atrium, role: str = "viewer", departments: tuple[str, ...] = ()) -> str:
        name = add_user(atrium, role, tuple(departments))
        return atrium.users.issue_token(name, "test")[1]

    return issue


# --------------------------------------------------------------------------------------------
# A running app on loopback, for tests with a real HTTP client
# --------------------------------------------------------------------------------------------


# How often werkzeug's server loop looks whether it was told to stop: its default, half a
# second, was the wait of every test's teardown (over a minute of the suite).
SHUTDOWN_POLL_SECONDS = 0.01


@contextmanager
def serving(
    atrium: Atrium, *, like_atrium_serve: bool = False, app: Flask | None = None
) -> Iterator[str]:
    """Serve ``create_app(atrium)`` (or ``app``, made from it) on a free loopback port; yields
    the base URL.

    ``like_atrium_serve``: under waitress with the options ``atrium serve`` gives it (a fixed
    pool of threads: a request beyond them waits), instead of werkzeug's thread per request."""
    from app.web import create_app

    app = app or create_app(atrium)
    if like_atrium_serve:
        from waitress.server import create_server

        from app.web.serving import waitress_options

        options = waitress_options(app, atrium.config)
        server = create_server(app, host="127.0.0.1", port=0, **options)
        run, stop, port = server.run, server.close, server.effective_port
    else:
        from werkzeug.serving import make_server

        server = make_server("127.0.0.1", 0, app, threaded=True)
        run = functools.partial(server.serve_forever, poll_interval=SHUTDOWN_POLL_SECONDS)
        stop, port = server.shutdown, server.server_port
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop()
        thread.join(timeout=5)


@pytest.fixture
def site(atrium: Atrium) -> Iterator[tuple[Atrium, str]]:
    """``atrium`` served on loopback: (the service, its base URL). A module that needs
    something in it first overrides ``site(atrium, site)`` (or ``client(atrium, client)``)."""
    with serving(atrium) as base_url:
        yield atrium, base_url


def http_sign_in(base_url: str, name: str, password: str = TEST_PASSWORD) -> requests.Session:
    """A requests session signed in through the real login form (CSRF token and all)."""
    client = requests.Session()
    form = client.get(f"{base_url}/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    response = client.post(
        f"{base_url}/login",
        data={"name": name, "password": password, "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text
    return client


# Fixtures from helpers: the remote servers' ``remote_service`` and ``virtuoso_server``
# (tests/virtuoso_server.py); every corpus vocabulary, imported once a session (vocab_helpers).
from virtuoso_server import remote_services, virtuoso_server  # noqa: E402, F401
from vocab_helpers import corpus_vocabularies  # noqa: E402, F401

# --------------------------------------------------------------------------------------------
# Headless Chromium (Debian's) for the browser tests
# --------------------------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """One Chromium per test process: starting Playwright's driver and a browser costs about a
    second of CPU, which each browser test paid before."""
    if not CHROMIUM.exists():
        if os.environ.get("ATRIUM_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required here: apt-get install chromium chromium-driver")
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def browser(chromium) -> Iterator[object]:  # noqa: ANN001 - a Playwright browser
    """The process's Chromium with no page open: each page or context is a fresh profile
    (cookies, storage, cache), and whatever a test leaves open is closed after it."""
    assert chromium.is_connected(), "Chromium exited during an earlier test"
    assert not chromium.contexts, "an earlier test's pages are still open"
    yield chromium
    for context in chromium.contexts:
        context.close()


def browser_sign_in(page, base_url: str, name: str) -> None:  # noqa: ANN001 - a Playwright page
    """Sign ``name`` in through the login form, as a person would."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base_url}/")
