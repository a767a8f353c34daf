"""Two real ``atrium serve`` processes over one real ``oxigraph serve`` (issue 14, part 2).

Each server has its own data folder (its own search index and users), as two machines behind a
load balancer would. A write through the first is in the second's search results and counts
within 2 s, and while an asset turns restricted, no anonymous search of the second lists or
counts it once the first has answered.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import BASE_IRI, REPO, TEST_PASSWORD, oxigraph_serving
from conftest import http_sign_in as sign_in
from PIL import Image
from virtuoso_server import free_port

START_SECONDS = 90
HTTP_TIMEOUT = 30
CATCH_UP_SECONDS = 2.0  # the bound


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An ``oxigraph serve`` of this module's own: the shared one is emptied by other tests."""
    with oxigraph_serving(tmp_path_factory.mktemp("two-servers-store")) as base_url:
        yield base_url


def _serve(folder: Path, store_url: str) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    port = free_port()
    env = {
        **os.environ,
        "ATRIUM_DATA": str(folder),
        "ATRIUM_STORE": store_url,
        "ATRIUM_BASE_IRI": BASE_IRI,
        "ATRIUM_QUERY_WORKERS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    folder.mkdir(parents=True)
    with (folder / "serve.log").open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(port)],
            cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while True:
        assert process.poll() is None, (folder / "serve.log").read_text()
        assert time.monotonic() < deadline, (folder / "serve.log").read_text()
        try:
            if requests.get(f"{base_url}/healthz", timeout=5).status_code == 200:
                return process, base_url, env
        except requests.ConnectionError:
            pass
        time.sleep(0.2)


@pytest.fixture(scope="module")
def servers(store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Both servers (the first started first: it installs the store), and an admin's session
    on the first, with an asset it ingested."""
    folder = tmp_path_factory.mktemp("two-servers")
    running = []
    try:
        for name in ("first", "second"):
            running.append(_serve(folder / name, store_url))
        (first, first_url, env), (_, second_url, _) = running
        added = subprocess.run(
            [sys.executable, "-m", "app", "user", "add", "carol", "--role", "admin",
             "--password-stdin"],
            cwd=folder, env=env, input=TEST_PASSWORD + "\n", capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        yield {"first": first_url, "second": second_url, "admin": sign_in(first_url, "carol"),
               "env": env, "folder": folder}  # fmt: skip
    finally:
        for process, _, _ in running:
            process.terminate()
            process.wait(timeout=60)


def _search(base_url: str, **params: str) -> tuple[int, int]:
    """(results, the largest facet count) of an anonymous /api/search."""
    response = requests.get(f"{base_url}/api/search", params=params, timeout=HTTP_TIMEOUT)
    assert response.status_code == 200, response.text
    found = response.json()
    counts = [v["count"] for facet in found["facets"] for v in facet["values"]]
    return found["total"], max(counts, default=0)


def _until(check, seconds: float) -> float:  # noqa: ANN001
    """Seconds until ``check()`` holds (fails past ``seconds``)."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, "not within the bound"
        time.sleep(0.05)
    return time.monotonic() - started


def _csrf(session: requests.Session, base_url: str) -> str:
    page = session.get(f"{base_url}/search", timeout=HTTP_TIMEOUT).text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _set_access(servers: dict, asset_id: str, access: str) -> None:
    admin, first = servers["admin"], servers["first"]
    answer = admin.post(
        f"{first}/api/bulk/access",
        json={"assets": [asset_id], "access": access},
        headers={"X-CSRF-Token": _csrf(admin, first)},
        timeout=HTTP_TIMEOUT,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["counts"] == {"changed": 1}, answer.json()


def test_an_ingest_through_the_first_is_found_by_the_second(servers: dict) -> None:
    assert _search(servers["second"]) == (0, 0)
    photo = servers["folder"] / "pier.jpg"
    Image.new("RGB", (96, 64), (20, 90, 160)).save(photo)
    ingested = subprocess.run(
        [sys.executable, "-m", "app", "ingest", str(photo), "--department", "marketing",
         "--access", "public", "--set", "title=Pier at noon"],
        cwd=servers["folder"], env=servers["env"], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    assert _until(lambda: _search(servers["second"], q="pier")[0] == 1, CATCH_UP_SECONDS) < 2
    assert _search(servers["second"])[1] == 1  # counted in its facets too


def test_access_holds_on_the_second_while_the_first_changes_it(servers: dict) -> None:
    first, second = servers["first"], servers["second"]
    found = servers["admin"].get(f"{first}/api/search", params={"q": "pier"}, timeout=30).json()
    asset_id = found["results"][0]["id"]
    for _ in range(3):
        _set_access(servers, asset_id, "restricted")
        for _ in range(5):  # every anonymous search from now on: neither listed nor counted
            assert _search(second) == (0, 0)
        _set_access(servers, asset_id, "public")
        _until(lambda: _search(second) == (1, 1), CATCH_UP_SECONDS)
    page = requests.get(f"{second}/assets/{asset_id}", timeout=HTTP_TIMEOUT)
    assert page.status_code == 200 and "Pier at noon" in page.text
