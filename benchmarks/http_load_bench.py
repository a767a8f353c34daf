"""HTTP under concurrent load (issue 14, part 4): throughput and latency per route.

A real ``atrium serve`` (waitress, its own process) on loopback, over a data folder with the demo
collection (``--demo`` drawn JPEGs, ingested with their renditions) and ``--assets`` synthetic
metadata-only records. N clients (threads, each with its own signed-in ``requests.Session``;
``--clients 1,8,32``) send requests one after another for ``--seconds`` each, every request a
random pick of the mix:

- ``/search``: the HTML search page, no filter, a word of a title, or page 2;
- ``/api/search``: the same as JSON (all facets and the first page);
- ``/assets/<id>``: an asset's page;
- ``/assets/<id>/thumbnail``: a demo asset's thumbnail;
- ``/sparql``: a small SELECT (assets per department), as an analytics tool sends it.

Then 8 clients send searches only, for the searches/s the server reaches when nothing else
competes. The same searches come back again and again, so most are answered from the kept
answers and their written parts (``ATRIUM_REMEMBERED_SEARCHES``); the last phase runs them on a
server that keeps none, every answer computed and written anew. Before that last phase, at
the largest number of clients, the same mix runs twice more, without and with one client
posting a SPARQL query that runs to its time limit (``--query-timeout``, a three-way cross
join) over and over: the issue's target is that it adds no more than 20% to the p95 of the
pages (``/search`` and ``/assets/<id>``).

For each number of clients it prints requests/s, searches/s (the two search routes), and per
route the count, p50/p95/p99 and errors by status (other than 200, or no answer; the clients
share one account, so its share of the SPARQL workers runs out first: 429 is by design). The
issue's target on 2 cores: 200 searches/s with search p95 < 300 ms. The clients share the
machine with the server (and Python's GIL among themselves), which costs the server part of the
cores.

Usage: python benchmarks/http_load_bench.py [--assets 10000] [--demo 72] [--clients 1,8,32]
                                            [--seconds 20] [--query-timeout 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import statistics
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import requests
from http_server import atrium_serve, percentile, sign_in

from app.config import Config
from app.domain.demo.loader import load_demo
from app.domain.demo.synthetic import load_synthetic
from app.service import Atrium

READER, PASSWORD = "bench-admin", "bench-password-1234"
SEARCH_ROUTES = ("/search", "/api/search")
MIX = (*SEARCH_ROUTES, "/assets/<id>", "/assets/<id>/thumbnail", "/sparql")
PAGE_ROUTES = ("/search", "/assets/<id>")
SMALL_QUERY = """PREFIX dam: <https://w3id.org/atrium/ns#>
SELECT ?department (COUNT(?asset) AS ?assets)
WHERE { ?asset dam:department ?department } GROUP BY ?department"""
HEAVY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@dataclass
class Targets:
    """What the clients ask for: asset ids, ids with a thumbnail, words of titles."""

    assets: list[str]
    thumbnails: list[str]
    words: list[str]
    routes: tuple[str, ...] = MIX

    def request(self, rng: random.Random) -> tuple[str, str, dict[str, str]]:
        """(route name, path, query parameters) of one random request of the mix."""
        route = rng.choice(self.routes)
        if route == "/sparql":
            return route, route, {"query": SMALL_QUERY}
        if route in SEARCH_ROUTES:
            params = rng.choice(({}, {"q": rng.choice(self.words)}, {"page": "2"}))
            return route, route, params
        if route == "/assets/<id>":
            return route, f"/assets/{rng.choice(self.assets)}", {}
        return route, f"/assets/{rng.choice(self.thumbnails)}/thumbnail", {}


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    lock: threading.Lock = field(default_factory=threading.Lock)
    until: float = 0.0

    def add(self, route: str, seconds: float, status: int) -> None:
        """One answer; ``status`` 0: none came."""
        with self.lock:
            self.latencies[route].append(seconds)
            if status != 200:
                self.errors[route][status] += 1

    def errors_of(self, route: str) -> str:
        found = self.errors[route]
        return ", ".join(f"{n}× {status or 'no answer'}" for status, n in sorted(found.items()))


def prepare(folder: Path, assets: int, demo: int) -> list[str]:
    """Fill the data folder; returns the demo assets' ids (they have thumbnails)."""
    with Atrium(Config.from_env({"ATRIUM_DATA": str(folder)})) as atrium:
        atrium.init()
        start = time.perf_counter()
        report = load_demo(atrium, folder / "demo-images", demo)
        assert report.ok, [o.reason for o in report.outcomes if o.status == "failed"]
        load_synthetic(atrium, folder / "synthetic.nq", assets)
        (folder / "synthetic.nq").unlink()
        atrium.search_index.rebuild()
        atrium.users.add(READER, "admin", [], PASSWORD)
        seconds = time.perf_counter() - start
        print(
            f"{demo} demo assets and {assets:,} synthetic ones, "
            f"{atrium.store.triple_count():,} triples, prepared in {seconds:.0f} s"
        )
    return [outcome.asset_id for outcome in report.outcomes if outcome.asset_id]


def discover(base: str, thumbnails: list[str]) -> Targets:
    """Asset ids and title words from the search API's first pages, as a client finds them."""
    session = sign_in(base, READER, PASSWORD)
    assets, words = list(thumbnails), set()
    for page in range(1, 11):
        found = session.get(f"{base}/api/search", params={"page": str(page)}).json()
        for card in found["results"]:
            assets.append(card["id"])
            words.update(w for w in (card["title"] or "").split() if len(w) > 3 and w.isalpha())
    return Targets(assets, thumbnails, sorted(words) or ["asset"])


def client(base: str, targets: Targets, tally: Tally, start: threading.Barrier, seed: int) -> None:
    rng = random.Random(seed)
    session = sign_in(base, READER, PASSWORD)
    start.wait()  # every client signed in: the clock starts
    while time.monotonic() < tally.until:
        route, path, params = targets.request(rng)
        start = time.perf_counter()
        try:
            status = session.get(base + path, params=params, timeout=60).status_code
        except requests.RequestException:
            status = 0
        tally.add(route, time.perf_counter() - start, status)


def heavy_queries(base: str, stop: threading.Event, answers: list[int]) -> None:
    """Post the cross join until ``stop``; each runs to the server's time limit (an error)."""
    session = sign_in(base, READER, PASSWORD)
    while not stop.is_set():
        response = session.post(f"{base}/sparql", data={"query": HEAVY_QUERY}, timeout=120)
        answers.append(response.status_code)


def run(base: str, targets: Targets, clients: int, seconds: float) -> Tally:
    tally = Tally()

    def start_clock() -> None:
        tally.until = time.monotonic() + seconds

    start = threading.Barrier(clients, action=start_clock)
    threads = [
        threading.Thread(target=client, args=(base, targets, tally, start, n))
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = sum(len(samples) for samples in tally.latencies.values())
    searches = sum(len(tally.latencies[route]) for route in SEARCH_ROUTES)
    errors = sum(sum(found.values()) for found in tally.errors.values())
    print(
        f"\n## {clients} client(s), {seconds:g} s: {total / seconds:.1f} requests/s, "
        f"{searches / seconds:.1f} searches/s, {errors} errors"
    )
    for route in sorted(tally.latencies):
        samples = tally.latencies[route]
        figures = ", ".join(
            f"{name} {value * 1000:.1f} ms"
            for name, value in (
                ("p50", statistics.median(samples)),
                ("p95", percentile(samples, 0.95)),
                ("p99", percentile(samples, 0.99)),
            )
        )
        errors = tally.errors_of(route) or "0"
        print(f"{route:24} {len(samples):6} requests, {figures}, errors: {errors}")
    every_search = [s for route in SEARCH_ROUTES for s in tally.latencies[route]]
    if every_search:
        p95 = percentile(every_search, 0.95) * 1000
        print(f"searches: p95 {p95:.1f} ms (target: 200 searches/s with p95 < 300 ms)")
    return tally


def page_p95(tally: Tally) -> float:
    return percentile([s for route in PAGE_ROUTES for s in tally.latencies[route]], 0.95)


def with_a_heavy_query(base: str, targets: Targets, clients: int, seconds: float) -> None:
    print(f"\n# Pages with and without a SPARQL query at its time limit ({clients} clients)")
    quiet = page_p95(run(base, targets, clients, seconds))
    stop, answers = threading.Event(), []
    heavy = threading.Thread(target=heavy_queries, args=(base, stop, answers))
    heavy.start()
    time.sleep(1)  # the query is running before the clock starts
    loaded = page_p95(run(base, targets, clients, seconds))
    stop.set()
    heavy.join()
    ratio = loaded / quiet
    print(
        f"page p95: {quiet * 1000:.1f} ms alone, {loaded * 1000:.1f} ms beside the query "
        f"({len(answers)} run(s) to the limit, statuses {sorted(set(answers))}): "
        f"×{ratio:.2f} (target ≤ ×1.20: {'met' if ratio <= 1.2 else 'missed'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--demo", type=int, default=72)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--query-timeout", type=float, default=5.0)
    args = parser.parse_args()
    levels = [int(n) for n in args.clients.split(",")]
    print(f"# HTTP load benchmark ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "data"
        thumbnails = prepare(folder, args.assets, args.demo)
        with atrium_serve(folder, ATRIUM_QUERY_TIMEOUT=str(args.query_timeout)) as base:
            targets = discover(base, thumbnails)
            print(
                f"the mix: {len(targets.assets)} asset pages, {len(targets.thumbnails)} "
                f"thumbnails, {len(targets.words)} title words"
            )
            for clients in levels:
                run(base, targets, clients, args.seconds)
            print("\n# Searches only (the two search routes, nothing else in the mix)")
            run(base, dataclasses.replace(targets, routes=SEARCH_ROUTES), 8, args.seconds)
            with_a_heavy_query(base, targets, max(levels), args.seconds)
        print("\n# Searches only, nothing remembered: every answer computed and written anew")
        with atrium_serve(folder, ATRIUM_REMEMBERED_SEARCHES="0") as base:
            run(base, dataclasses.replace(targets, routes=SEARCH_ROUTES), 8, args.seconds)


if __name__ == "__main__":
    main()
