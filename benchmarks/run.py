"""``make bench``: the figures the core issue names, printed as medians.

- ingest of generated 3000×2000 JPEGs with embedded metadata (renditions and validation
  included): images per second, per core used, and where the time goes;
- metadata-only load of synthetic asset descriptions, and its ratio to a raw pyoxigraph bulk
  load of the same quads;
- SHACL validation cost per asset on write.

Usage: python benchmarks/run.py [--images 1000] [--synthetic 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pyoxigraph import RdfFormat, Store

from app.config import Config
from app.domain.demo.images import generate_demo_collection
from app.domain.demo.synthetic import write_synthetic
from app.domain.media.embedded_metadata import read_embedded_metadata
from app.domain.media.images import read_image
from app.domain.media.ingest import Ingester, IngestOptions
from app.domain.media.prepare import prepare
from app.service import Atrium
from app.storage.media import hash_file
from app.storage.terms import to_rdflib_graph as to_rdflib

MAX_PIXELS = 200_000_000


def timed(work: Callable[..., object], *args: object, **kwargs: object) -> float:
    start = time.perf_counter()
    work(*args, **kwargs)
    return time.perf_counter() - start


def fresh_atrium(folder: Path) -> Atrium:
    atrium = Atrium(Config.from_env({"ATRIUM_DATA": str(folder)}))
    atrium.init()
    return atrium


def bench_ingest(images: int, work: Path) -> None:
    print(f"\n## Ingest of {images} generated 3000×2000 JPEGs (EXIF, IPTC, XMP)")
    started = time.perf_counter()
    items = generate_demo_collection(work / "images", count=images, size=(3000, 2000))
    print(f"generated in {time.perf_counter() - started:.0f} s (not counted)")
    paths = [item.path for item in items]
    atrium = fresh_atrium(work / "ingest")
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("training", "internal"))
    seconds = timed(lambda: ingester.run(paths, options))
    cores = min(os.cpu_count() or 1, 8)
    rate = images / seconds
    print(
        f"ingested {images} in {seconds:.1f} s: {rate:.1f} images/s with {cores} worker "
        f"processes = {rate / cores:.1f} images/s per core (target ≥ 40, issue 14)"
    )
    where_the_time_goes(paths[:40], atrium, ingester, options)
    atrium.close()


def where_the_time_goes(paths: list[Path], atrium: Atrium, ingester: Ingester, options) -> None:  # noqa: ANN001
    steps: dict[str, list[float]] = {
        k: [] for k in ("hash", "decode+renditions", "metadata", "describe+validate")
    }
    for path in paths:
        steps["hash"].append(timed(hash_file, path))
        steps["decode+renditions"].append(timed(read_image, path, max_pixels=MAX_PIXELS))
        steps["metadata"].append(timed(read_embedded_metadata, path))
        prepared = prepare(path, MAX_PIXELS)
        draft = ingester.describe(prepared, "f" * 16, options)
        steps["describe+validate"].append(timed(atrium.assets.validate, draft))
    print(
        "median per image, one core: "
        + ", ".join(
            f"{name} {statistics.median(values) * 1000:.1f} ms" for name, values in steps.items()
        )
    )


def bench_synthetic(count: int, rounds: int, work: Path) -> None:
    print(f"\n## Metadata-only load of {count:,} synthetic assets")
    ours, raw, rebuilds = [], [], []
    for round_ in range(rounds):
        atrium = fresh_atrium(work / f"synthetic-{round_}")
        dump = work / f"synthetic-{round_}.nq"
        start = time.perf_counter()
        quads = write_synthetic(dump, atrium.iris, atrium.concepts(), count)
        atrium.store.load_dump(dump)
        ours.append(time.perf_counter() - start)
        rebuilds.append(timed(atrium.search_index.rebuild))
        atrium.close()
        raw_store = Store(str(work / f"raw-{round_}"))
        raw.append(timed(raw_store.bulk_load, path=str(dump), format=RdfFormat.N_QUADS))
    print(
        f"{quads:,} quads; atrium demo --synthetic: median {statistics.median(ours):.1f} s "
        f"(target < 60 s); raw pyoxigraph bulk_load of the same file: median "
        f"{statistics.median(raw):.1f} s; ratio {statistics.median(ours) / statistics.median(raw):.2f}"  # noqa: E501
    )
    rebuild = statistics.median(rebuilds)
    print(
        f"search index rebuild of the same assets: median {rebuild:.1f} s, "
        f"{rebuild / statistics.median(ours):.2f}x the load (target ≤ 1, issue 14)"
    )


def bench_validation(work: Path, rounds: int = 200) -> None:
    print("\n## SHACL validation per asset on write")
    atrium = fresh_atrium(work / "validation")
    item = generate_demo_collection(work / "one", count=1)[0]
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions(item.department, "internal"))
    prepared = prepare(item.path, MAX_PIXELS)
    draft = ingester.describe(prepared, prepared.sha256[:16], options)
    graph = to_rdflib(draft.with_flags(False) + draft.context)
    atrium.validator.check(graph, draft.department)
    samples = [
        timed(lambda: atrium.validator.check(graph, draft.department)) for _ in range(rounds)
    ]
    whole = [timed(atrium.assets.validate, draft) for _ in range(rounds)]
    print(
        f"{len(draft.triples)} triples: pyshacl check median "
        f"{statistics.median(samples) * 1000:.2f} ms; "
        f"with conversion to rdflib: median {statistics.median(whole) * 1000:.2f} ms"
    )
    atrium.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--synthetic", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"# Atrium benchmarks on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        bench_validation(work)
        bench_synthetic(args.synthetic, args.rounds, work)
        bench_ingest(args.images, work)


if __name__ == "__main__":
    main()
