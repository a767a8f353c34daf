"""``atrium init|validate|stats|demo|cleanup|reindex``: the data folder as a whole."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from app.cli.ingest import print_ingest_summary, with_progress
from app.cli.status import EXIT_FAILED, EXIT_OK, UsageError, print_json
from app.domain.assets.store_check import validate_store
from app.domain.demo.loader import load_demo
from app.domain.demo.synthetic import load_synthetic
from app.domain.operations.stats import store_stats
from app.service import Atrium


def init(args: argparse.Namespace, atrium: Atrium) -> int:
    slugs = atrium.init()
    print(f"Atrium data folder: {atrium.config.data_dir}")
    print(f"Installed the ontology and {len(slugs)} vocabularies: {', '.join(slugs)}")
    print(f"Department profiles: {', '.join(atrium.fields.departments)}")
    return EXIT_OK


def validate(args: argparse.Namespace, atrium: Atrium) -> int:
    report = validate_store(atrium.store, atrium.assets)
    for problem in report.refusals:
        print(f"VIOLATION   {problem}")
    for problem in report.missing:
        print(f"INCOMPLETE  {problem}")
    refused_assets = len({p.focus for p in report.refusals})
    incomplete_assets = len({p.focus for p in report.missing})
    print(
        f"{report.assets} assets checked: {refused_assets} break the core shape, "
        f"{incomplete_assets} lack fields their department profile requires"
    )
    return EXIT_OK if report.conforms else EXIT_FAILED


def stats(args: argparse.Namespace, atrium: Atrium) -> int:
    counts = store_stats(atrium.store)
    if args.json:
        print_json(counts)
        return EXIT_OK
    for key, value in counts.items():
        if isinstance(value, dict):
            print(f"{key.replace('_', ' ')}:")
            for name, number in value.items():
                print(f"  {name:<14} {number:>9,}")
        else:
            print(f"{key:<16} {value:>9,}")
    return EXIT_OK


def demo(args: argparse.Namespace, atrium: Atrium) -> int:
    if args.if_empty and store_stats(atrium.store)["assets"]:
        print("The store already holds assets; demo data not loaded.")
        return EXIT_OK
    if args.synthetic:
        with tempfile.TemporaryDirectory() as folder:
            quads = load_synthetic(atrium, Path(folder) / "synthetic.nq", args.synthetic)
        print(f"Loaded {args.synthetic:,} synthetic assets ({quads:,} quads)")
        rebuild_search_index(atrium, quiet=False)
        return EXIT_OK
    folder = atrium.config.data_dir / "demo-images"
    report = with_progress(
        list(range(args.count)), False, lambda tick: load_demo(atrium, folder, args.count, tick)
    )
    print_ingest_summary(report)
    return EXIT_OK if report.ok else EXIT_FAILED


def cleanup(args: argparse.Namespace, atrium: Atrium) -> int:
    """``atrium cleanup``: the sweep the server runs, on demand, listing what it removes."""
    from app.domain.operations.cleanup import Sweeper

    if args.older_than is not None and args.older_than < 0:
        raise UsageError("--older-than takes a number of minutes, 0 or more")
    grace = None if args.older_than is None else args.older_than * 60
    report = Sweeper(atrium, grace).sweep(dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    for item in report.removed:
        print(f"{verb} {item.what:<17} {item.path} ({item.size:,} bytes)")
    print(report.summary())
    return EXIT_OK


def reindex(args: argparse.Namespace, atrium: Atrium) -> int:
    if not args.check:
        rebuild_search_index(atrium, quiet=False)
        return EXIT_OK
    differences = atrium.search_index.differences()
    for line in differences[:50]:
        print(line)
    if differences:
        print(f"{len(differences):,} differences between the search index and the graph; "
              "run atrium reindex to rebuild it")  # fmt: skip
        return EXIT_FAILED
    print("The search index matches the graph")
    return EXIT_OK


def rebuild_search_index(atrium: Atrium, *, quiet: bool) -> None:
    """Build the search index anew from the graph (after a bulk load, or on demand)."""
    from tqdm import tqdm

    with tqdm(unit="asset", disable=quiet, file=sys.stderr, desc="search index") as bar:

        def tick(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        count = atrium.search_index.rebuild(progress=tick)
    print(f"Indexed {count:,} assets for search")
