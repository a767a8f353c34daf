"""``make bench``: results per segment at scale: the CSV import, and ``/api/performance``.

One store is filled with synthetic assets (``atrium demo --synthetic``'s bulk load), then:

- import: ``--rows`` observation rows (default 1,000,000) from one CSV file through
  :class:`app.domain.results.importer.ResultsImporter`, timed once (target < 60 s for 1M);
- the results index: loaded from its file, as a server does at a start;
- ``/api/performance``: the ranking of a segment's assets, through Flask's test client with a
  Bearer token of a marketing viewer, median of ``--rounds`` requests per scenario (target
  median < 100 ms at 100k assets and 1M observations): a root segment (every observation rolls
  up into it), a middle one, and a leaf with a channel filter.

Each asset gets ``rows / assets`` observations, one per month, in segments and channels that
rotate, so every row is a new observation (asset × segment × channel × campaign × period).

Usage: python benchmarks/results_bench.py [--assets 100000] [--rows 1000000] [--rounds 15]
"""

from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from app.config import Config
from app.domain.demo.synthetic import load_synthetic
from app.domain.results.importer import REQUIRED, ResultsImporter
from app.domain.results.index import ResultsIndex
from app.namespaces import sparql_prefixes
from app.service import Atrium
from app.storage.graphstore import Scope
from app.web import create_app

SEGMENTS = (
    "students",
    "young-professionals",
    "families",
    "retirees",
    "sole-traders",
    "craft-businesses",
    "independent-retailers",
    "courier-services",
    "public-sector",
    "manufacturing",
    "logistics",
    "healthcare",
)
CHANNELS = ("web", "social-media", "print", "email", "events", "tv-video")
CAMPAIGNS = ("ride-the-city", "spring-collection", "eurobike")
FIRST_YEAR = 2019
COLUMNS = REQUIRED  # the importer's own columns
READER = ("results-bench", "viewer", ["marketing"])
_ASSETS = sparql_prefixes() + "SELECT ?a WHERE { ?a a dam:Asset } ORDER BY ?a"


def rows(asset_ids: list[str], count: int) -> Iterator[dict[str, str]]:
    """``count`` distinct observation rows spread evenly over the assets."""
    for number in range(count):
        asset_id = asset_ids[number % len(asset_ids)]
        month = number // len(asset_ids)  # the asset's n-th observation: its n-th month
        year = FIRST_YEAR + (month // 12) % 8
        first = dt.date(year, month % 12 + 1, 1)
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        impressions = 200 + (number * 7919) % 5000
        clicks = impressions // (10 + number % 7)
        yield {
            "asset": asset_id,
            "segment": SEGMENTS[(number + month) % len(SEGMENTS)],
            "channel": CHANNELS[month % len(CHANNELS)],
            "campaign": f"{CAMPAIGNS[number % len(CAMPAIGNS)]}-{year}",
            "start": first.isoformat(),
            "end": last.isoformat(),
            "impressions": str(impressions),
            "clicks": str(clicks),
            "conversions": str(clicks // (5 + number % 11)),
        }


def write_csv(path: Path, asset_ids: list[str], count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as output:
        writer = csv.DictWriter(output, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows(asset_ids, count))


def import_rows(atrium: Atrium, path: Path, count: int) -> None:
    store, writing = atrium.store, [0.0, 0]  # seconds inside the store's bulk writes, quads
    bulk_insert = store.bulk_insert

    def timed_bulk_insert(quads: list) -> None:
        began = time.perf_counter()
        bulk_insert(quads)
        writing[0] += time.perf_counter() - began
        writing[1] += len(quads)

    store.bulk_insert = timed_bulk_insert  # type: ignore[method-assign]
    start = time.perf_counter()
    try:
        summary = ResultsImporter(atrium, bulk=True).run(path)  # as `atrium results import`
    finally:
        del store.bulk_insert
    seconds = time.perf_counter() - start
    print(
        f"import of {count:,} CSV rows through ResultsImporter: {seconds:.1f} s "
        f"({count / seconds:,.0f} rows/s; target < 60 s for 1,000,000)"
    )
    print(
        f"  of which the store's bulk loader adding {writing[1]:,} quads: {writing[0]:.1f} s "
        f"({writing[1] / max(writing[0], 1e-9):,.0f} quads/s); the rest reads, checks and "
        "builds the rows"
    )
    for line in summary.lines()[:4]:
        print("  " + line)


def median_ms(action: Callable[[], object], rounds: int) -> float:
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def read_index(atrium: Atrium) -> None:
    """The results index as a server reads it at a start: from its file (saved on exit)."""
    atrium.results_index.close()
    fresh = ResultsIndex(atrium.store, atrium.iris, atrium.results_index.path)
    start = time.perf_counter()
    rows = fresh.snapshot().size
    print(
        f"results index loaded from {fresh.path.name} at a start ({rows:,} observations): "
        f"{time.perf_counter() - start:.2f} s"
    )


def measure_api(atrium: Atrium, rounds: int) -> None:
    client = create_app(atrium).test_client()
    name, role, departments = READER
    if atrium.users.get(name) is None:
        atrium.users.add(name, role, departments, "benchmark password")
    headers = {"Authorization": f"Bearer {atrium.users.issue_token(name, 'bench')[1]}"}
    audiences = atrium.iris.concept
    scenarios = {
        "root segment (customers)": {"segment": audiences("audiences/customers").value},
        "middle segment (consumers)": {"segment": audiences("audiences/consumers").value},
        "leaf + channel (students, web)": {
            "segment": audiences("audiences/students").value,
            "channel": audiences("channels/web").value,
        },
    }
    first = client.get(
        "/api/performance", query_string=scenarios["root segment (customers)"], headers=headers
    )
    if first.status_code != 200:
        raise SystemExit(f"/api/performance answered {first.status_code}: {first.get_data()!r}")
    print(f"/api/performance, median of {rounds} requests (target < 100 ms):")
    for label, params in scenarios.items():
        answer = client.get("/api/performance", query_string=params, headers=headers).get_json()
        ms = median_ms(
            lambda p=params: client.get("/api/performance", query_string=p, headers=headers),
            rounds,
        )
        print(f"  {label}: {ms:.0f} ms ({answer['total']:,} assets ranked)")


def run(assets: int, count: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="atrium-results-bench-") as scratch:
        folder = Path(scratch)
        with Atrium(Config.from_env({"ATRIUM_DATA": str(folder / "data")})) as atrium:
            atrium.init()
            start = time.perf_counter()
            quads = load_synthetic(atrium, folder / "synthetic.nq", assets)
            print(
                f"bulk load of {assets:,} assets ({quads:,} quads): "
                f"{time.perf_counter() - start:.0f} s"
            )
            found = atrium.store.select(_ASSETS, scope=Scope.everything())
            asset_ids = [i for i in (atrium.iris.asset_id(r["a"].value) for r in found) if i]
            path = folder / "results.csv"
            start = time.perf_counter()
            write_csv(path, asset_ids, count)
            print(f"wrote {count:,} rows to CSV: {time.perf_counter() - start:.1f} s")
            import_rows(atrium, path, count)
            read_index(atrium)
            measure_api(atrium, rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    print(
        f"\n## Results per segment: {args.rows:,} observations over {args.assets:,} assets "
        f"({os.cpu_count()} cores)"
    )
    run(args.assets, args.rows, args.rounds)


if __name__ == "__main__":
    main()
