"""Pages beside a SPARQL flood: page p95 with 20 anonymous never-ending queries, against idle.

Hardening M2's "done when": a load test of 20 anonymous long queries beside page traffic shows
page p95 within 20 % of the idle figure.

A real server (``atrium serve``: waitress, 8 threads, its own process) on loopback, over a data
folder of demo size (72 synthetic assets, the demo collection's count, plus the vocabularies).
One client asks for ``/`` and ``/api/search`` in turn, one request at a time, and its latencies
are taken idle, and while 20 anonymous clients, spread over several loopback addresses
(127.0.0.2, 127.0.0.3…: the whole of 127.0.0.0/8 reaches a server bound to 127.0.0.1), each
keep sending a query that never ends (a triple cross join) and that the server stops at its
time limit. A refused client (429, 503) tries again after ``Retry-After`` seconds, as HTTP
asks, or after at most ``--patience`` seconds: impatient clients add a flood of requests (each
refusal is cheap, but it is a request the server reads, routes and answers beside the pages).
Idle and loaded blocks alternate
(``--rounds``), so that other work on the machine weighs on both alike; before an idle block
the last long queries reach their time limit (``--timeout``, shorter than the default 30 s for
that reason only).

It prints both p95 (and medians), their ratio (target ≤ 1.2), and what the long queries got.

Usage: python benchmarks/sparql_load_bench.py [--assets 72] [--requests 150] [--rounds 3]
                                              [--clients 20] [--addresses 10] [--timeout 10]
                                              [--patience SECONDS]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

from app.config import Config
from app.domain.demo.synthetic import load_synthetic
from app.service import Atrium

# client_from is shared with the tests (tests/http_helpers.py); tests/ is no package
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from http_helpers import client_from  # noqa: E402

LONG_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
PAGES = ("/", "/api/search")
START_SECONDS = 120
RAMP_SECONDS = 3.0  # the flood reaches its full size before the pages are timed


def prepare(folder: Path, assets: int) -> None:
    with Atrium(Config.from_env({"ATRIUM_DATA": str(folder)})) as atrium:
        atrium.init()
        load_synthetic(atrium, folder / "synthetic.nq", assets)
        (folder / "synthetic.nq").unlink()
        atrium.search_index.rebuild()
        print(f"{assets} synthetic assets, {atrium.store.triple_count():,} triples in the store")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(folder: Path, port: int, timeout: float) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "ATRIUM_DATA": str(folder), "ATRIUM_QUERY_TIMEOUT": f"{timeout}"}
    log = (folder / "serve.log").open("wb")
    command = [sys.executable, "-m", "app", "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"atrium serve exited: {(folder / 'serve.log').read_text()}")
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=5)
            return server
        except requests.ConnectionError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("atrium serve did not answer")


def page_latencies(base: str, count: int) -> list[float]:
    """Seconds per page request, ``/`` and ``/api/search`` in turn, one at a time."""
    session = requests.Session()
    latencies = []
    for number in range(count):
        started = time.perf_counter()
        response = session.get(base + PAGES[number % len(PAGES)], timeout=120)
        latencies.append(time.perf_counter() - started)
        response.raise_for_status()
    return latencies


class Flood:
    """``clients`` anonymous clients, each sending the never-ending query again and again."""

    def __init__(self, base: str, clients: int, addresses: int, patience: float | None) -> None:
        self.outcomes: Counter[str] = Counter()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(
                target=self._client,
                args=(base, f"127.0.0.{2 + number % addresses}", patience),
                daemon=True,
            )
            for number in range(clients)
        ]

    def __enter__(self) -> Flood:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()

    def _client(self, base: str, address: str, patience: float | None) -> None:
        session = client_from(address)
        while not self._stop.is_set():
            try:
                response = session.get(f"{base}/sparql", params={"query": LONG_QUERY}, timeout=300)
            except requests.RequestException:
                self._count("connection error")
                return
            self._count(outcome(response))
            if response.status_code in (429, 503) and "Retry-After" in response.headers:
                wait = float(response.headers["Retry-After"])
                self._stop.wait(wait if patience is None else min(patience, wait))

    def _count(self, outcome: str) -> None:
        with self._lock:
            self.outcomes[outcome] += 1


def outcome(response: requests.Response) -> str:
    if response.status_code == 503 and "time limit" in response.text:
        return "ran until the time limit (503)"
    if response.status_code in (429, 503):
        return f"refused at once ({response.status_code})"
    return str(response.status_code)


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def report(name: str, samples: list[float]) -> None:
    print(
        f"{name}: {len(samples)} requests, median {statistics.median(samples) * 1000:.1f} ms, "
        f"p95 {p95(samples) * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=72)
    parser.add_argument("--requests", type=int, default=150, help="per block")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--addresses", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--patience", type=float, default=None, help="default: Retry-After")
    args = parser.parse_args()
    print(f"# Pages beside {args.clients} anonymous long SPARQL queries, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "data"
        prepare(folder, args.assets)
        port = free_port()
        server = start_server(folder, port, args.timeout)
        base = f"http://127.0.0.1:{port}"
        idle: list[float] = []
        loaded: list[float] = []
        outcomes: Counter[str] = Counter()
        try:
            page_latencies(base, 30)  # warm-up: caches, the search index's columns
            for _ in range(args.rounds):
                idle += page_latencies(base, args.requests)
                with Flood(base, args.clients, args.addresses, args.patience) as flood:
                    time.sleep(RAMP_SECONDS)
                    loaded += page_latencies(base, args.requests)
                    outcomes += flood.outcomes
                time.sleep(args.timeout + 1)  # the last long queries reach their time limit
        finally:
            server.kill()
            server.wait()
    report("idle", idle)
    report(f"beside {args.clients} long queries from {args.addresses} addresses", loaded)
    ratio = p95(loaded) / p95(idle)
    patience = "Retry-After" if args.patience is None else f"at most {args.patience:g} s"
    print(f"page p95 ratio loaded / idle: {ratio:.2f} (target <= 1.20); clients waited {patience}")
    print(f"the long queries, while the pages were timed: {dict(outcomes)}")


if __name__ == "__main__":
    main()
