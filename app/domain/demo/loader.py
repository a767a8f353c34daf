"""``atrium demo``: the demo collection, and synthetic descriptions for benchmarks.

The demo collection is a set of images this project draws itself (see
:mod:`app.domain.demo.images`), ingested exactly as a user's files would be. The synthetic
set is metadata only: valid asset records with no media behind them, written as N-Quads and
bulk-loaded, for measuring the graph at 100,000 assets and more.

After the images, the demo records results for its marketing assets from
``data/demo-results.csv``, a results file like any other except that its ``asset`` column names
the demo's files (their ids depend on the JPEG encoder's bytes), each replaced by the id its
image was stored under.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Triple

from app.domain.concepts import RESOURCES, ConceptIndex
from app.domain.demo.images import DemoItem, generate_demo_collection
from app.domain.iris import Iris
from app.domain.media.ingest import Ingester, IngestOptions, IngestReport, Outcome
from app.domain.media.prepare import prepare_all
from app.domain.people.access import ACCESS_LEVELS
from app.domain.results.importer import ImportSummary, ResultsImporter
from app.namespaces import DAM, DC, DCAT, DCT, RDF, SCHEMA, XSD
from app.storage.media import hash_bytes


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
    sha256 = hash_bytes(seed_bytes)  # stands for the hash of a file never written
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
