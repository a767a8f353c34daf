"""A real ``atrium serve`` (waitress, its own process), or ``oxigraph serve``, on loopback.

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
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "app", "serve", "--port", str(port)]
    # the first page reads the vocabularies: slow over a 100k-concept scheme
    with _serving(command, f"{base}/", folder / "serve.log", env):
        yield base


@contextmanager
def oxigraph_serve(folder: Path) -> Iterator[str]:
    """``oxigraph serve`` (the PyPI package's binary) on ``folder``; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    binary = Path(sys.executable).parent / "oxigraph"
    command = [str(binary), "serve", "--location", str(folder), "--bind", f"127.0.0.1:{port}"]
    with _serving(command, f"{base}/query?query=ASK%7B%7D", folder.with_suffix(".log")):
        yield base


@contextmanager
def _serving(
    command: list[str], probe: str, log_path: Path, env: dict[str, str] | None = None
) -> Iterator[None]:
    """The server ``command`` runs, from once ``probe`` answers until the block ends."""
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if server.poll() is not None:
                raise SystemExit(f"{command[0]} exited: {log_path.read_text()}")
            try:
                requests.get(probe, timeout=START_SECONDS)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"{command[0]} did not answer") from None
                time.sleep(0.2)
        yield
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
