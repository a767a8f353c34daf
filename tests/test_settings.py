"""Every operational number is a setting: setting its variable changes what Atrium does, and a
bad value stops with a message that names the variable."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import BASE_IRI, TEST_PASSWORD, add_user, csrf_token, http_sign_in, serving
from http_helpers import client_from
from PIL import Image
from search_helpers import put_asset
from waitress.server import create_server

from app.cli.main import main
from app.config import SETTINGS, Config, ConfigError
from app.service import Atrium
from app.web import create_app
from app.web.serving import waitress_options


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


NUMBER_SETTINGS = [s.env for s in SETTINGS if _is_number(s.default)]


@pytest.fixture
def configured(tmp_path: Path) -> Iterator:  # noqa: ANN201
    """``configured(ATRIUM_X="…", …)``: an initialised Atrium read from those variables."""
    made: list[Atrium] = []

    def make(**env: str) -> Atrium:
        base = {"ATRIUM_DATA": str(tmp_path / f"data-{len(made)}"), "ATRIUM_BASE_IRI": BASE_IRI}
        atrium = Atrium(Config.from_env({**base, **env}))
        atrium.init()
        made.append(atrium)
        return atrium

    yield make
    for atrium in made:
        atrium.close()


# Bad values ---------------------------------------------------------------------------------


@pytest.mark.parametrize("env", NUMBER_SETTINGS)
@pytest.mark.parametrize("value", ["lots", "-1", "nan"])
def test_a_bad_number_is_refused_naming_its_variable(env: str, value: str) -> None:
    with pytest.raises(ConfigError, match=env):
        Config.from_env({"ATRIUM_DATA": "/nonexistent", env: value})


def test_every_number_setting_is_checked() -> None:
    assert {"ATRIUM_SERVER_THREADS", "ATRIUM_MAX_ZIP_ASSETS"} <= set(NUMBER_SETTINGS)
    for env in ("ATRIUM_QUERY_WORKERS", "ATRIUM_ANONYMOUS_QUERIES", "ATRIUM_INGEST_WORKERS"):
        with pytest.raises(ConfigError, match=env):  # unset by default, numbers when set
            Config.from_env({"ATRIUM_DATA": "/nonexistent", env: "two"})


def test_the_cli_says_which_setting_is_wrong(data_dir: Path, monkeypatch, capsys) -> None:  # noqa: ANN001
    monkeypatch.setenv("ATRIUM_SERVER_THREADS", "0")
    assert main(["stats"]) == 2
    error = capsys.readouterr().err
    assert "ATRIUM_SERVER_THREADS" in error and "'0'" in error and "Traceback" not in error


# Server threads and ingest workers ----------------------------------------------------------


def test_server_threads_are_the_waitress_pool(configured) -> None:  # noqa: ANN001
    for threads in (3, 8):
        atrium = configured(ATRIUM_SERVER_THREADS=str(threads))
        app = create_app(atrium)
        server = create_server(
            app, host="127.0.0.1", port=0, **waitress_options(app, atrium.config)
        )
        try:
            assert len(server.task_dispatcher.threads) == threads
        finally:
            server.close()


def test_one_ingest_worker_reads_the_files_in_process(configured, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from app.domain.media import prepare
    from app.domain.media.ingest import Ingester, IngestOptions

    folder = tmp_path / "photos"
    folder.mkdir()
    for n in range(prepare.SMALL_BATCH + 1):
        Image.new("RGB", (32, 32), (n * 20, 0, 0)).save(folder / f"{n}.png")
    atrium = configured(ATRIUM_INGEST_WORKERS="1")

    def no_pool(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("one worker: no process pool")

    monkeypatch.setattr(prepare, "ProcessPoolExecutor", no_pool)
    ingester = Ingester(atrium)
    report = ingester.run(sorted(folder.iterdir()), ingester.resolve(IngestOptions("operations")))
    assert report.ok and len(report.outcomes) == prepare.SMALL_BATCH + 1


# Search budgets -----------------------------------------------------------------------------


def test_the_facet_budget_marks_facets_out_of_time(configured) -> None:  # noqa: ANN001
    for seconds, timed_out in (("0", True), ("60", False)):
        atrium = configured(ATRIUM_FACET_SECONDS=seconds)
        put_asset(atrium, "Harbour at dawn", keywords=["harbour"])
        facets = create_app(atrium).test_client().get("/api/search").get_json()["facets"]
        assert facets and all(f["timed_out"] is timed_out for f in facets), seconds


def test_the_budget_of_all_facets_is_a_setting(configured) -> None:  # noqa: ANN001
    atrium = configured(ATRIUM_FACETS_SECONDS="0", ATRIUM_SUGGESTION_SECONDS="0.25")
    put_asset(atrium, "Harbour at dawn", keywords=["harbour"])
    facets = create_app(atrium).test_client().get("/api/search").get_json()["facets"]
    assert facets and all(f["timed_out"] for f in facets)
    assert atrium.search.limits.suggestion_seconds == 0.25


# Sign-in limits and sessions ----------------------------------------------------------------


def _try_sign_in(client: requests.Session, base_url: str, name: str, password: str) -> int:
    form = client.get(f"{base_url}/login").text
    token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    data = {"name": name, "password": password, "csrf_token": token}
    return client.post(f"{base_url}/login", data=data, allow_redirects=False).status_code


def test_sign_in_failures_and_lockouts_are_settings(configured) -> None:  # noqa: ANN001
    atrium = configured(ATRIUM_SIGN_IN_FAILURES="2", ATRIUM_SIGN_IN_FAILURES_PER_ADDRESS="3")
    name = add_user(atrium, "viewer")
    with serving(atrium) as base_url:
        guesser = client_from("127.0.0.2")
        codes = [_try_sign_in(guesser, base_url, name, "x" * 12) for _ in range(3)]
        assert codes == [401, 401, 429]
        assert _try_sign_in(guesser, base_url, name, TEST_PASSWORD) == 429
        other = client_from("127.0.0.3")
        codes = [_try_sign_in(other, base_url, f"nobody-{n}", "x" * 12) for n in range(4)]
        assert codes == [401, 401, 401, 429]  # the address, whatever the names
    unlocked = configured(ATRIUM_SIGN_IN_FAILURES="2", ATRIUM_SIGN_IN_LOCKOUT_MINUTES="0")
    name = add_user(unlocked, "viewer")
    with serving(unlocked) as base_url:
        guesser = client_from("127.0.0.2")
        assert [_try_sign_in(guesser, base_url, name, "x" * 12) for _ in range(3)] == [401] * 3
        assert _try_sign_in(guesser, base_url, name, TEST_PASSWORD) == 302


def test_the_session_lifetime_is_a_setting(configured) -> None:  # noqa: ANN001
    for hours, lasts in (("0", False), ("12", True)):
        atrium = configured(ATRIUM_SESSION_HOURS=hours)
        with serving(atrium) as base_url:
            session = http_sign_in(base_url, add_user(atrium, "viewer"))
            assert session.get(f"{base_url}/api/me").json()["signed_in"] is lasts, hours


# Uploads, zips and bulk actions -------------------------------------------------------------


def _png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, "PNG")
    return out.getvalue()


def test_files_per_upload_is_a_setting(configured, sign_in) -> None:  # noqa: ANN001
    atrium = configured(ATRIUM_MAX_FILES_PER_UPLOAD="2")
    client = create_app(atrium).test_client()
    sign_in(client, "contributor", ("marketing",))
    assert "2 files at most" in client.get("/upload").get_data(as_text=True)
    files = [(io.BytesIO(_png(c)), f"{c}.png") for c in ("red", "blue", "green")]
    data = {"department": "marketing", "access": "public", "csrf_token": csrf_token(client)}
    answer = client.post("/upload", data={**data, "file": files})
    assert answer.status_code == 413 and "2 files at most" in answer.get_data(as_text=True)
    assert client.get("/api/search").get_json()["total"] == 0


def test_the_zip_cap_is_a_setting(configured) -> None:  # noqa: ANN001
    atrium = configured(ATRIUM_MAX_ZIP_ASSETS="2")
    ids = [put_asset(atrium, f"Photo {n}") for n in range(3)]
    client = create_app(atrium).test_client()
    token = csrf_token(client)
    refused = client.post("/bulk/zip", data={"asset": ids, "csrf_token": token})
    assert refused.status_code == 413 and "at most 2 assets" in refused.get_data(as_text=True)
    taken = client.post("/bulk/zip", data={"asset": ids[:2], "csrf_token": token})
    assert taken.status_code == 200 and taken.mimetype == "application/zip"


def test_the_bulk_cap_is_a_setting(configured, sign_in) -> None:  # noqa: ANN001
    atrium = configured(ATRIUM_MAX_BULK_ASSETS="2")
    ids = [put_asset(atrium, f"Photo {n}") for n in range(3)]
    client = create_app(atrium).test_client()
    sign_in(client, "contributor", ("marketing",))
    form = {"action": "edit", "csrf_token": csrf_token(client)}
    refused = client.post("/bulk/review", data={**form, "asset": ids})
    assert refused.status_code == 413 and "at most 2 assets" in refused.get_data(as_text=True)
    assert client.post("/bulk/review", data={**form, "asset": ids[:2]}).status_code == 200


# Health -------------------------------------------------------------------------------------


def test_the_health_store_limit_is_a_setting(configured) -> None:  # noqa: ANN001
    from app.web.health import CHECKS

    atrium = configured(ATRIUM_HEALTH_STORE_SECONDS="0.3")
    app = create_app(atrium)
    assert app.test_client().get("/healthz").status_code == 200
    assert app.extensions[CHECKS].store_probe.timeout == 0.3
