"""``atrium demo``: the demo collection, and synthetic descriptions for benchmarks.

The demo collection is a set of images this project draws itself (see
:mod:`app.domain.demo.images`), ingested exactly as a user's files would be. The synthetic
set (:mod:`app.domain.demo.synthetic`) is metadata only, for measuring the graph at 100,000
assets and more.

After the images, the demo records results for its marketing assets from
``data/demo-results.csv``, a results file like any other except that its ``asset`` column names
the demo's files (their ids depend on the JPEG encoder's bytes), each replaced by the id its
image was stored under.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from pathlib import Path

from app.domain.concepts import RESOURCES
from app.domain.demo.images import DemoItem, generate_demo_collection
from app.domain.media.ingest import Ingester, IngestOptions, IngestReport, Outcome
from app.domain.media.prepare import prepare_all
from app.domain.results.importer import ImportSummary, ResultsImporter


def load_demo(
    atrium,  # noqa: ANN001 - app.service.Atrium
    folder: Path,
    count: int = 72,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> IngestReport:
    """Draw the demo images into ``folder`` and ingest each with its department's fields."""
    items = generate_demo_collection(folder, count=count)
    ingester = Ingester(atrium)
    config = atrium.config
    prepared = prepare_all(
        [item.path for item in items], config.max_image_pixels, config.ingest_workers
    )
    options = (ingester.resolve(_options(item)) for item in items)
    report = ingester.run_items(zip(prepared, options, strict=True), on_outcome)
    stored = {
        item.path.name: outcome.asset_id
        for item, outcome in zip(items, report.outcomes, strict=True)
        if outcome.asset_id and outcome.status != "failed"
    }
    load_demo_results(atrium, stored)
    return report


# Results of the marketing assets ------------------------------------------------------------

DEMO_RESULTS = RESOURCES / "data" / "demo-results.csv"


def load_demo_results(
    atrium,  # noqa: ANN001 - app.service.Atrium
    asset_ids: Mapping[str, str],
    path: Path = DEMO_RESULTS,
) -> ImportSummary:
    """Import the demo's results file, whose ``asset`` column names demo files: each name
    becomes the id of the asset ``asset_ids`` gives for it (rows of other files are left out,
    as when the demo loads fewer images)."""
    with path.open(encoding="utf-8", newline="") as file:
        rows = [
            {**row, "asset": asset_ids[row["asset"]]}
            for row in csv.DictReader(file)
            if row["asset"] in asset_ids
        ]
    return ResultsImporter(atrium).run(rows)


def _options(item: DemoItem) -> IngestOptions:
    return IngestOptions(
        department=item.department,
        access=item.access,
        subjects=list(item.subjects),
        settings=[f"{name}={value}" for name, value in item.fields.items()],
    )
