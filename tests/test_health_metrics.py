"""Health, metrics and access logs, as operators use them (issue 16), over real HTTP.

Nothing here measures time: a query past its limit waits on a file that never comes, and a
hung store is a socket that never answers.
"""

from __future__ import annotations

import io
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from conftest import REPO, add_user, http_sign_in, make_atrium, serving
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families
from sparql_helpers import SHORT_TIME_LIMIT, WAIT, add_asset, with_test_functions

from app.domain.media.ingest import Ingester, IngestOptions
from app.service import Atrium
from app.storage.remote import RemoteStore

METRICS_TOKEN = "metrics-secret-for-tests"
HTTP_TIMEOUT = 60  # a safety net for a broken test; no assertion depends on it
CHECKS = {"store", "search_index", "results_index", "query_workers"}


def scrape(base_url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, by name and labels."""
    response = requests.get(
        f"{base_url}/metrics",
        headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def sample(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def eventually(found: Callable[[], object], seconds: float = 30) -> object:
    """``found()`` once it is truthy: a server thread writes its log line after the response."""
    deadline = time.monotonic() + seconds
    while not (result := found()) and time.monotonic() < deadline:
        time.sleep(0.01)
    return result


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Atrium, str]]:
    atrium = with_test_functions(
        make_atrium(tmp_path / "data", metrics_token=METRICS_TOKEN, query_timeout=SHORT_TIME_LIMIT)
    )
    add_asset(atrium, "0123456789abcdef", "Quarterly secret plans", "public", "marketing")
    try:
        with serving(atrium, like_atrium_serve=True) as base_url:
            yield atrium, base_url
    finally:
        atrium.close()


# /healthz -----------------------------------------------------------------------------------


def test_healthz_is_200_on_a_healthy_service_and_names_each_check(site) -> None:
    _, base_url = site
    requests.get(f"{base_url}/search", params={"q": "plans"}, timeout=HTTP_TIMEOUT)
    response = requests.get(f"{base_url}/healthz", timeout=HTTP_TIMEOUT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == CHECKS
    assert all(check["ok"] for check in body["checks"].values()), body
    assert response.headers["Cache-Control"] == "no-store"
    assert "0123456789abcdef" not in response.text and "plans" not in response.text


def test_healthz_is_503_naming_the_store_when_it_cannot_be_reached(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    atrium = make_atrium(tmp_path / "data")
    embedded, atrium.store = atrium.store, RemoteStore(f"http://127.0.0.1:{closed_port}")
    try:
        with serving(atrium) as base_url:
            response = requests.get(f"{base_url}/healthz", timeout=HTTP_TIMEOUT)
    finally:
        atrium.store = embedded
        atrium.close()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["checks"]["store"] == {
        "ok": False,
        "detail": "failed a trivial query; the server log says why",
    }
    assert str(closed_port) not in response.text, "the store's address is for the log only"


def test_a_store_that_never_answers_fails_the_check_within_its_short_limit(
    tmp_path: Path,
) -> None:
    atrium = make_atrium(tmp_path / "data", health_store_seconds=0.2)
    embedded = atrium.store
    try:
        with socket.socket() as silent:  # the kernel accepts connections; nothing answers
            silent.bind(("127.0.0.1", 0))
            silent.listen(8)
            atrium.store = RemoteStore(f"http://127.0.0.1:{silent.getsockname()[1]}")
            with serving(atrium) as base_url:
                first = requests.get(f"{base_url}/healthz", timeout=HTTP_TIMEOUT)
                second = requests.get(f"{base_url}/healthz", timeout=HTTP_TIMEOUT)
                probes = [t for t in threading.enumerate() if t.name == "atrium-health-store"]
    finally:  # the socket is closed by now, which ends the probe's request
        atrium.store = embedded
        atrium.close()
    assert first.status_code == second.status_code == 503
    detail = "did not answer a trivial query within 0.2 s"
    assert first.json()["checks"]["store"] == {"ok": False, "detail": detail}
    assert len(probes) == 1, "a hung store holds one probe, not one per check"


def test_a_sync_that_failed_puts_the_search_index_out_of_step(site) -> None:
    atrium, base_url = site
    atrium.search_index._failed["0123456789abcdef"] = time.monotonic()  # noqa: SLF001
    response = requests.get(f"{base_url}/healthz", timeout=HTTP_TIMEOUT)
    assert response.status_code == 503
    check = response.json()["checks"]["search_index"]
    assert check["ok"] is False and "not synced" in check["detail"]
    assert "0123456789abcdef" not in response.text


# /metrics -----------------------------------------------------------------------------------


def test_metrics_are_refused_without_the_token(site) -> None:
    _, base_url = site
    assert requests.get(f"{base_url}/metrics", timeout=HTTP_TIMEOUT).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    refused = requests.get(f"{base_url}/metrics", headers=wrong, timeout=HTTP_TIMEOUT)
    assert refused.status_code == 401
    assert "atrium_" not in refused.text


def test_metrics_show_latency_per_route_and_the_query_counters(site, tmp_path: Path) -> None:
    _, base_url = site
    before = scrape(base_url)
    for asset in ("0123456789abcdef", "fedcba9876543210"):  # two paths, one route
        requests.get(f"{base_url}/assets/{asset}", timeout=HTTP_TIMEOUT)
    requests.get(f"{base_url}/", timeout=HTTP_TIMEOUT)
    answered = requests.get(f"{base_url}/sparql", params={"query": "ASK {}"}, timeout=HTTP_TIMEOUT)
    assert answered.status_code == 200
    never = f'SELECT ?ok WHERE {{ BIND(<{WAIT}>("{tmp_path / "never"}") AS ?ok) }}'
    stopped = requests.get(f"{base_url}/sparql", params={"query": never}, timeout=HTTP_TIMEOUT)
    assert stopped.status_code == 503 and "ATRIUM_QUERY_TIMEOUT" in stopped.text
    histogram = "atrium_http_request_duration_seconds_count"

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    def both_sparql_requests_recorded() -> bool:  # once the server has closed the last body
        nonlocal after
        after = scrape(base_url)
        return moved(histogram, endpoint="sparql.endpoint") >= 2

    after: dict = {}
    eventually(both_sparql_requests_recorded, 5)
    assert moved(histogram, endpoint="assets.page") == 2
    assert moved(histogram, endpoint="browse.index") == 1
    assert moved(histogram, endpoint="sparql.endpoint") == 2
    bucket = [k for k in after if k[0] == "atrium_http_request_duration_seconds_bucket"]
    assert bucket, "a histogram, with buckets"
    endpoints = {dict(labels).get("endpoint") for name, labels in after if name == histogram}
    assert not any(e.startswith("/") for e in endpoints), "labels are endpoints, not paths"
    assert moved("atrium_http_requests_total", status="2xx") >= 2
    assert moved("atrium_http_requests_total", status="5xx") == 1
    assert moved("atrium_query_jobs_total") == 2
    assert moved("atrium_query_timeouts_total", phase="running") == 1
    assert ("atrium_query_queue_length", ()) in after
    assert sample(after, "atrium_query_workers", state="busy") == 0


def test_metrics_count_ingested_files_by_source_and_outcome(site, tmp_path: Path) -> None:
    atrium, base_url = site
    before = scrape(base_url)
    good, broken = tmp_path / "good.png", tmp_path / "broken.png"
    Image.new("RGB", (40, 30), "teal").save(good)
    broken.write_bytes(b"\x89PNG not really")
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("marketing", "internal", settings=["title=Teal"]))
    statuses = [o.status for o in ingester.run([good, broken], options).outcomes]
    assert statuses == ["ingested", "failed"]
    contributor = http_sign_in(base_url, add_user(atrium, "contributor", ("marketing",)))
    page = contributor.get(f"{base_url}/upload", timeout=HTTP_TIMEOUT).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), "olive").save(picture, "PNG")
    uploaded = contributor.post(
        f"{base_url}/upload",
        data={"csrf_token": token, "department": "marketing", "title": "Olive"},
        files={"file": ("olive.png", picture.getvalue(), "image/png")},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )
    assert uploaded.status_code == 302, uploaded.text
    after = scrape(base_url)

    def moved(source: str, outcome: str) -> float:
        name = "atrium_ingested_files_total"
        return sample(after, name, source=source, outcome=outcome) - sample(
            before, name, source=source, outcome=outcome
        )

    assert moved("ingest", "ingested") == 1
    assert moved("ingest", "failed") == 1
    assert moved("upload", "ingested") == 1


# Access logs --------------------------------------------------------------------------------


def test_one_access_line_per_request_with_secrets_stripped(
    site, caplog: pytest.LogCaptureFixture
) -> None:
    atrium, base_url = site
    caplog.set_level(logging.INFO, logger="atrium.access")
    name = add_user(atrium, "viewer", ("marketing",))
    client = http_sign_in(base_url, name)
    response = client.get(
        f"{base_url}/search",
        params={"q": "plans", "token": "hunter2-token", "password": "hunter2"},
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 200

    def lines() -> list[logging.LogRecord]:
        return [
            r for r in caplog.records if r.name == "atrium.access" and "/search?" in r.getMessage()
        ]

    found = eventually(lines)
    assert found and len(found) == 1, [r.getMessage() for r in caplog.records]
    line = found[0].getMessage()
    assert "hunter2" not in line
    assert line.startswith("GET /search?q=plans&token=[removed]&password=[removed] 200 ")
    assert re.search(rf" \d+\.\dms {len(response.content)}B {re.escape(name)}$", line), line
    anonymous = requests.get(f"{base_url}/healthz", timeout=HTTP_TIMEOUT)
    healthz = eventually(
        lambda: [r for r in caplog.records if r.getMessage().startswith("GET /healthz ")]
    )
    assert healthz and healthz[0].getMessage().endswith(f" {len(anonymous.content)}B -")
    assert not [r for r in caplog.records if r.name.startswith("waitress")], "no second line"


def test_atrium_serve_writes_one_access_line_per_request(tmp_path: Path) -> None:
    """Under ``atrium serve`` itself: waitress gives the root logger a handler too, and the
    line must still be written once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "ATRIUM_DATA": str(tmp_path / "data"), "ATRIUM_QUERY_WORKERS": "1"}
    env.update(ATRIUM_METRICS_TOKEN=METRICS_TOKEN, PYTHONUNBUFFERED="1")
    for name in ("ATRIUM_STORE", "ATRIUM_BASE_IRI"):
        env.pop(name, None)
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(port)],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=output,
        )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        assert eventually(lambda: _answers(f"{base_url}/healthz"), 90), log.read_text()
        requests.get(f"{base_url}/search", params={"q": "x", "token": "t0p"}, timeout=HTTP_TIMEOUT)
        assert eventually(lambda: "GET /search?" in log.read_text())
    finally:
        server.terminate()
        server.wait(timeout=30)
    lines = [line for line in log.read_text().splitlines() if "/search?" in line]
    assert len(lines) == 1, lines
    assert "atrium.access: GET /search?q=x&token=[removed] 200 " in lines[0]
    assert lines[0].endswith("B -") and "t0p" not in log.read_text()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.ConnectionError:
        return False
