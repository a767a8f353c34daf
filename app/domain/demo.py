"""``atrium demo``: the demo collection, and synthetic descriptions for benchmarks.

The demo collection is a set of images this project draws itself (see
:mod:`app.domain.demo_images`), ingested exactly as a user's files would be. The synthetic
set is metadata only: valid asset records with no media behind them, written as N-Quads and
bulk-loaded, for measuring the graph at 100,000 assets and more.

After the images, the demo records results for its marketing assets: a CSV drawn from their
ids (which depend on the JPEG encoder's bytes, so it is made here, not shipped) with a fixed
seed, written to ``{ATRIUM_DATA}/demo-results.csv`` and imported like any results file.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Triple

from app.domain.access import ACCESS_LEVELS
from app.domain.demo_images import DemoItem, generate_demo_collection
from app.domain.ingest import Ingester, IngestOptions, IngestReport, Outcome, prepare_all
from app.domain.iris import Iris
from app.domain.results.importer import ImportSummary, ResultsImporter
from app.domain.vocabularies import ConceptIndex
from app.namespaces import DAM, DC, DCAT, DCT, RDF, SCHEMA, XSD


def load_demo(
    atrium,  # noqa: ANN001 - app.service.Atrium
    folder: Path,
    count: int = 72,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> IngestReport:
    """Draw the demo images into ``folder`` and ingest each with its department's fields."""
    items = generate_demo_collection(folder, count=count)
    ingester = Ingester(atrium)
    prepared = prepare_all([item.path for item in items], atrium.config.max_image_pixels)
    options = (ingester.resolve(_options(item)) for item in items)
    report = ingester.run_items(zip(prepared, options, strict=True), on_outcome)
    marketing = [
        outcome.asset_id
        for item, outcome in zip(items, report.outcomes, strict=True)
        if item.department == "marketing" and outcome.asset_id and outcome.status != "failed"
    ]
    load_demo_results(atrium, marketing, atrium.config.data_dir / "demo-results.csv")
    return report


# Results of the marketing assets ------------------------------------------------------------

# (name, first day, last day, channels): three campaigns of vocabularies/campaigns.ttl.
DEMO_CAMPAIGNS = (
    (
        "Spring collection 2025",
        dt.date(2025, 2, 1),
        dt.date(2025, 5, 31),
        ("print", "web", "email"),
    ),
    (
        "Ride the city 2025",
        dt.date(2025, 4, 1),
        dt.date(2025, 9, 30),
        ("social-media", "web", "tv-video"),
    ),
    (
        "Eurobike 2025",
        dt.date(2025, 6, 1),
        dt.date(2025, 7, 15),
        ("events", "social-media", "email"),
    ),
)
# The customers' narrower segments, and partners: never a broader one beside its narrower
# ones, as totals roll up through skos:broader.
DEMO_SEGMENTS = ("consumers", "small-businesses", "enterprise-customers", "partners")
RESULT_COLUMNS = (
    "asset", "segment", "channel", "campaign", "start", "end",
    "impressions", "clicks", "conversions", "spend", "revenue",
)  # fmt: skip


def demo_results(asset_ids: list[str], seed: int = 0) -> list[dict[str, str]]:
    """Plausible results for the assets, the same for the same ids and seed: each asset in one
    campaign, reaching two or three segments on one or two of its channels, month by month."""
    rows = []
    for number, asset_id in enumerate(asset_ids):
        rng = random.Random(f"demo-results-{seed}-{asset_id}")
        name, first, last, channels = DEMO_CAMPAIGNS[number % len(DEMO_CAMPAIGNS)]
        segments = rng.sample(DEMO_SEGMENTS, rng.randint(2, 3))
        for start, end in _months(first, last)[: rng.randint(2, 3)]:
            for channel in rng.sample(channels, rng.randint(1, 2)):
                for segment in segments:
                    rows.append(_figures(rng, asset_id, segment, channel, name, start, end))
    return rows


def _months(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    months, start = [], first
    while start <= last:
        following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        months.append((start, min(following - dt.timedelta(days=1), last)))
        start = following
    return months


def _figures(
    rng: random.Random, asset_id: str, segment: str, channel: str, campaign: str,
    start: dt.date, end: dt.date,
) -> dict[str, str]:  # fmt: skip
    impressions = rng.randint(2_000, 80_000)
    clicks = round(impressions * rng.uniform(0.004, 0.04))
    conversions = round(clicks * rng.uniform(0.02, 0.09))
    spend = impressions * rng.uniform(4.0, 12.0) / 1000
    revenue = conversions * rng.uniform(35, 120)
    values = (
        asset_id, segment, channel, campaign, start.isoformat(), end.isoformat(),
        impressions, clicks, conversions, f"{spend:.2f}", f"{revenue:.2f}",
    )  # fmt: skip
    return dict(zip(RESULT_COLUMNS, map(str, values), strict=True))


def load_demo_results(atrium, asset_ids: list[str], path: Path) -> ImportSummary:  # noqa: ANN001
    """Write the demo results of the assets to ``path`` (CSV) and import them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=RESULT_COLUMNS)
        writer.writeheader()
        writer.writerows(demo_results(asset_ids))
    return ResultsImporter(atrium).run(path)


def _options(item: DemoItem) -> IngestOptions:
    return IngestOptions(
        department=item.department,
        access=item.access,
        subjects=list(item.subjects),
        settings=[f"{name}={value}" for name, value in item.fields.items()],
    )


# Synthetic descriptions -------------------------------------------------------------------

_DEPARTMENTS = ["marketing", "hr", "training", "operations", "research", "publishing", "legal"]
_ACCESS = ["public"] * 6 + ["internal"] * 3 + ["restricted"]
_FORMATS = [("image/jpeg", "image")] * 8 + [("image/png", "image"), ("application/pdf", "document")]
_CREATORS = ["Ana Souza", "Jonas Weber", "Claire Martin", "Kenji Sato", "Ola Nordmann", "Priya Rao"]
_WORDS = "annual report launch portrait site visit workshop prototype fair audit harbour".split()  # noqa: SIM905


def write_synthetic(
    path: Path, iris: Iris, concepts: ConceptIndex, count: int, seed: int = 0
) -> int:
    """Write ``count`` valid asset records (no media) as N-Quads; returns the quad count."""
    rng = random.Random(seed)
    vocab = _SyntheticVocabulary(
        subjects=sorted(c for c in concepts.schemes if concepts.is_subject(c)),
        sites=sorted(c for c in concepts.schemes if concepts.in_scheme(c, "sites")),
    )
    quads = 0
    with path.open("w", encoding="utf-8") as output:
        for number in range(count):
            department = rng.choice(_DEPARTMENTS)
            access = rng.choice(_ACCESS)
            if department == "hr" and access == "public":
                access = "restricted"
            graph = iris.asset_graph(access, department)
            for triple in _synthetic_record(iris, rng, number, department, access, vocab):
                output.write(f"{triple.subject} {triple.predicate} {triple.object} {graph} .\n")
                quads += 1
    return quads


def _synthetic_record(
    iris: Iris,
    rng: random.Random,
    number: int,
    department: str,
    access: str,
    vocab: _SyntheticVocabulary,
) -> list[Triple]:
    seed_bytes = f"synthetic-{number}".encode()
    sha256 = hashlib.sha256(seed_bytes).hexdigest()
    asset_id = sha256[:16]
    iri, file_iri = iris.asset(asset_id), iris.asset_file(asset_id)
    mime, kind = rng.choice(_FORMATS)
    taken = dt.datetime(2015, 1, 1) + dt.timedelta(minutes=rng.randrange(12 * 365 * 24 * 60))
    title = f"{rng.choice(_WORDS).capitalize()} {rng.choice(_WORDS)} {number}"
    triples = [
        Triple(iri, RDF.type, DAM.Asset),
        Triple(iri, DCT.identifier, Literal(asset_id)),
        Triple(iri, DCT.title, Literal(title)),
        Triple(iri, DCT.format, Literal(mime)),
        Triple(iri, DCT.type, iris.concept(f"asset-types/{kind}")),
        Triple(iri, DCT.created, Literal(taken.isoformat(), datatype=XSD.dateTime)),
        Triple(iri, DCT.dateSubmitted, Literal("2026-11-01T00:00:00", datatype=XSD.dateTime)),
        Triple(iri, DC.creator, Literal(rng.choice(_CREATORS))),
        Triple(iri, SCHEMA.keywords, Literal(rng.choice(_WORDS))),
        Triple(iri, DAM.department, iris.concept(f"departments/{department}")),
        Triple(iri, DAM.accessLevel, ACCESS_LEVELS[access]),
        Triple(iri, DAM.hasFile, file_iri),
        Triple(file_iri, RDF.type, DAM.File),
        Triple(file_iri, DAM.sha256, Literal(sha256)),
        Triple(
            file_iri,
            DCAT.byteSize,
            Literal(str(rng.randrange(10**4, 10**7)), datatype=XSD.integer),
        ),
        Triple(file_iri, SCHEMA.encodingFormat, Literal(mime)),
    ]
    for subject in rng.sample(vocab.subjects, k=min(len(vocab.subjects), rng.randint(1, 3))):
        triples.append(Triple(iri, DCT.subject, NamedNode(subject)))
    if department == "hr" and kind == "image":
        triples += [
            Triple(iri, DAM.consentGiven, Literal("true", datatype=XSD.boolean)),
            Triple(iri, DAM.consentExpires, Literal("2028-12-31", datatype=XSD.date)),
        ]
    if department == "operations" and kind == "image":
        triples += [
            Triple(iri, DAM.site, NamedNode(rng.choice(vocab.sites))),
            Triple(iri, DAM.eventDate, Literal(taken.date().isoformat(), datatype=XSD.date)),
        ]
    if department == "legal":
        triples += [
            Triple(iri, DAM.contractReference, Literal(f"CTR-{taken.year}-{number % 10000:04d}")),
            Triple(iri, DAM.retentionUntil, Literal(f"{taken.year + 10}-12-31", datatype=XSD.date)),
        ]
    return triples


@dataclass
class _SyntheticVocabulary:
    subjects: list[str]
    sites: list[str]


def load_synthetic(atrium, path: Path, count: int, seed: int = 0) -> int:  # noqa: ANN001
    """Write and bulk-load ``count`` synthetic assets; returns the number of quads loaded."""
    quads = write_synthetic(path, atrium.iris, atrium.concepts(), count, seed)
    atrium.store.load_dump(path)
    return quads
