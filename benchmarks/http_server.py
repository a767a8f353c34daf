"""A real ``atrium serve`` (waitress, its own process) on loopback, for the HTTP benchmarks.

Shared by autocomplete_bench.py and http_load_bench.py (scripts, not a package: each runs with
benchmarks/ first on ``sys.path``).
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

START_SECONDS = 120
REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def atrium_serve(folder: Path, **environment: str) -> Iterator[str]:
    """``atrium serve`` over the data folder ``folder``; yields its base URL, stops it after."""
    port = free_port()
    env = {**os.environ, "ATRIUM_DATA": str(folder), **environment}
    log_path = folder / "serve.log"
    command = [sys.executable, "-m", "app", "serve", "--port", str(port)]
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if server.poll() is not None:
                raise SystemExit(f"atrium serve exited: {log_path.read_text()}")
            try:  # the first page reads the vocabularies: slow over a 100k-concept scheme
                requests.get(f"{base}/", timeout=START_SECONDS)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise SystemExit("atrium serve did not answer") from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def form_value(html: str, name: str) -> str:
    """The value of the form input ``name`` in a page (the CSRF token, a version)."""
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    if found is None:
        raise SystemExit(f"no input {name!r} in the page")
    return found.group(1)


def sign_in(base: str, name: str, password: str) -> requests.Session:
    """A session signed in through the real login form."""
    session = requests.Session()
    token = form_value(session.get(f"{base}/login").text, "csrf_token")
    data = {"name": name, "password": password, "csrf_token": token}
    response = session.post(f"{base}/login", data=data, allow_redirects=False)
    if response.status_code != 302:
        raise SystemExit(f"sign-in failed: {response.status_code}")
    return session


def percentile(samples: list[float], fraction: float) -> float:
    """The ``fraction`` quantile (0.95 for p95) of at least two samples."""
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[round(fraction * 100) - 1]


def milliseconds(samples: list[float]) -> str:
    median = statistics.median(samples) * 1000
    return f"median {median:.1f} ms, p95 {percentile(samples, 0.95) * 1000:.1f} ms"
