"""The cost of ``/sparql`` over the bare store, for a facet-style aggregate query.

The same query, over the same dataset (the graphs an anonymous reader may see), is timed:

- bare: the store itself (the web process's pyoxigraph), the answer serialized as SPARQL JSON;
- endpoint: an HTTP GET to ``/sparql`` on a running Atrium (waitress, as ``atrium serve``), the
  query going through a worker process and the answer streamed back as SPARQL JSON.

It prints the medians and their ratio (target: below 1.3 at 100,000 assets).

Usage: python benchmarks/sparql_bench.py [--assets 100000] [--rounds 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests
from pyoxigraph import QueryResultsFormat
from waitress.server import create_server

from app.config import Config
from app.domain.demo.synthetic import load_synthetic
from app.domain.people.access import ANONYMOUS, scope_for
from app.namespaces import sparql_prefixes
from app.service import Atrium
from app.storage.graphstore import Scope
from app.web import create_app

FACET_QUERY = (
    sparql_prefixes()
    + """SELECT ?subject (COUNT(DISTINCT ?asset) AS ?assets) WHERE {
  ?asset a dam:Asset ; dct:subject ?subject ; dct:format ?format .
  FILTER(STRSTARTS(?format, "image/"))
}
GROUP BY ?subject
ORDER BY DESC(?assets)"""
)


def load(folder: Path, assets: int) -> Atrium:
    atrium = Atrium(Config.from_env({"ATRIUM_DATA": str(folder)}))
    atrium.init()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        load_synthetic(atrium, Path(scratch) / "synthetic.nq", assets)
    print(f"loaded {assets:,} synthetic assets in {time.perf_counter() - started:.0f} s")
    return atrium


def settle(store_dir: Path, quiet_seconds: float = 10, most_seconds: float = 300) -> None:
    """Wait until RocksDB's background compaction after the load is over (files stop changing)."""
    started = last_change = time.monotonic()
    files = set(store_dir.glob("*.sst"))
    while time.monotonic() - last_change < quiet_seconds:
        if time.monotonic() - started > most_seconds:
            print("(compaction still running; timing anyway)")
            return
        time.sleep(1)
        now = set(store_dir.glob("*.sst"))
        if now != files:
            files, last_change = now, time.monotonic()


def bare_query(atrium: Atrium, graphs: list[str]):  # noqa: ANN201
    """The query on the store itself (the web process's pyoxigraph), answer as SPARQL JSON."""
    scope = Scope.of(graphs)

    def once() -> int:
        result = atrium.store.query(FACET_QUERY, scope=scope)
        return len(result.serialize(format=QueryResultsFormat.JSON))

    return once


def endpoint_query(url: str):  # noqa: ANN201
    """The query as an analyst's tool sends it: HTTP GET to /sparql, SPARQL JSON back."""
    session = requests.Session()
    headers = {"Accept": "application/sparql-results+json"}

    def once() -> int:
        response = session.get(url, params={"query": FACET_QUERY}, headers=headers, timeout=300)
        response.raise_for_status()
        return len(response.content)

    return once


def alternate(bare, endpoint, rounds: int) -> tuple[list[float], list[float]]:  # noqa: ANN001
    """Time both, one after the other in each round, so background work hits both alike."""
    # warm-up (caches, the worker's start); both answers are the same SPARQL JSON, byte for byte
    sizes = {bare(), endpoint(), bare(), endpoint()}
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for work, times in ((bare, samples[0]), (endpoint, samples[1])):
            started = time.perf_counter()
            sizes.add(work())
            times.append(time.perf_counter() - started)
    assert len(sizes) == 1, f"the two answers differ in size: {sizes}"
    return samples


def serve(atrium: Atrium) -> str:
    """Serve the app with waitress, as ``atrium serve`` does (a daemon thread: ends with us)."""
    server = create_server(create_app(atrium), host="127.0.0.1", port=0, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    return f"http://127.0.0.1:{server.effective_port}/sparql"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    print(f"# SPARQL endpoint overhead on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        atrium = load(Path(folder), args.assets)
        graphs = list(scope_for(ANONYMOUS, atrium.iris, atrium.store).graphs or ())
        settle(atrium.config.store_dir)
        url = serve(atrium)
        bare, endpoint = alternate(bare_query(atrium, graphs), endpoint_query(url), args.rounds)
        atrium.close()
    bare_median, endpoint_median = statistics.median(bare), statistics.median(endpoint)
    print(
        f"facet query ({args.rounds} rounds): bare store median {bare_median * 1000:.1f} ms; "
        f"through /sparql median {endpoint_median * 1000:.1f} ms; "
        f"overhead ratio {endpoint_median / bare_median:.2f} (target < 1.3)"
    )


if __name__ == "__main__":
    main()
