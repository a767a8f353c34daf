"""``atrium ingest PATH…``: files and folders into assets, with a progress bar."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from app.cli.status import EXIT_FAILED, EXIT_OK, UsageError
from app.domain.media.ingest import (
    Ingester,
    IngestOptions,
    IngestReport,
    IngestUsageError,
    Outcome,
    find_files,
)
from app.service import Atrium


def ingest(args: argparse.Namespace, atrium: Atrium) -> int:
    options = IngestOptions(args.department, args.access, args.subject, args.settings)
    try:
        files = find_files(args.paths)
        ingester = Ingester(atrium)
        resolved = ingester.resolve(options)
    except IngestUsageError as error:
        raise UsageError(str(error)) from None
    report = with_progress(files, args.quiet, lambda tick: ingester.run(files, resolved, tick))
    print_ingest_summary(report)
    return EXIT_OK if report.ok else EXIT_FAILED


def with_progress(
    items: list, quiet: bool, work: Callable[[Callable[[Outcome], None]], IngestReport]
) -> IngestReport:
    """Run ``work(tick)`` with a progress bar on standard error that ``tick`` advances."""
    from tqdm import tqdm

    with tqdm(total=len(items), unit="file", disable=quiet, file=sys.stderr) as bar:

        def tick(outcome: Outcome) -> None:
            bar.update(1)

        return work(tick)


def print_ingest_summary(report: IngestReport) -> None:
    ingested = report.with_status("ingested")
    duplicates = report.with_status("duplicate")
    failed = report.with_status("failed")
    print(f"{len(ingested)} ingested, {len(duplicates)} duplicates skipped, {len(failed)} failed")
    for outcome in ingested:
        incomplete = (
            [f"incomplete: {', '.join(outcome.missing_fields())}"] if outcome.missing else []
        )
        for note in [*outcome.notes, *incomplete]:
            print(f"  note    {outcome.path.name} ({outcome.asset_id}): {note}")
    for outcome in duplicates:
        print(f"  skipped {outcome.path}: {outcome.reason}")
    for outcome in failed:
        print(f"  FAILED  {outcome.path}: {outcome.reason}")
