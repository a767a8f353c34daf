"""Synthetic asset descriptions for benchmarks: valid records with no media behind them.

They are written as N-Quads text and bulk-loaded. The text is formatted directly from the
N-Triples forms of the terms, worked out once, not through a pyoxigraph term per value: making
1.85 million terms took longer than loading them (issue 14: the load within 1.3× of a raw
``bulk_load``). Every value comes from the lists below or is a number or a date, so none needs
escaping; the IRIs are minted by :class:`~app.domain.iris.Iris`.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from app.domain.concepts import ConceptIndex
from app.domain.iris import Iris
from app.domain.people.access import ACCESS_LEVELS
from app.namespaces import DAM, DC, DCAT, DCT, RDF, SCHEMA, XSD
from app.storage.media import hash_bytes

_DEPARTMENTS = ["marketing", "hr", "training", "operations", "research", "publishing", "legal"]
_ACCESS = ["public"] * 6 + ["internal"] * 3 + ["restricted"]
_FORMATS = [("image/jpeg", "image")] * 8 + [("image/png", "image"), ("application/pdf", "document")]
_CREATORS = ["Ana Souza", "Jonas Weber", "Claire Martin", "Kenji Sato", "Ola Nordmann", "Priya Rao"]
_WORDS = "annual report launch portrait site visit workshop prototype fair audit harbour".split()  # noqa: SIM905


class _Terms:
    """The N-Triples forms of every constant term a record uses."""

    def __init__(self, iris: Iris) -> None:
        self.type = str(RDF.type)
        self.asset = str(DAM.Asset)
        self.file = str(DAM.File)
        self.identifier = str(DCT.identifier)
        self.title = str(DCT.title)
        self.format = str(DCT.format)
        self.kind = str(DCT.type)
        self.created = str(DCT.created)
        self.submitted = str(DCT.dateSubmitted)
        self.creator = str(DC.creator)
        self.keywords = str(SCHEMA.keywords)
        self.subject = str(DCT.subject)
        self.department = str(DAM.department)
        self.access = str(DAM.accessLevel)
        self.has_file = str(DAM.hasFile)
        self.sha256 = str(DAM.sha256)
        self.size = str(DCAT.byteSize)
        self.encoding = str(SCHEMA.encodingFormat)
        self.consent = str(DAM.consentGiven)
        self.consent_expires = str(DAM.consentExpires)
        self.site = str(DAM.site)
        self.event_date = str(DAM.eventDate)
        self.contract = str(DAM.contractReference)
        self.retention = str(DAM.retentionUntil)
        self.levels = {name: str(level) for name, level in ACCESS_LEVELS.items()}
        self.departments = {d: str(iris.concept(f"departments/{d}")) for d in _DEPARTMENTS}
        self.kinds = {k: str(iris.concept(f"asset-types/{k}")) for _, k in _FORMATS}
        self.graphs = {
            (a, d): str(iris.asset_graph(a, d)) for a in ACCESS_LEVELS for d in _DEPARTMENTS
        }
        self.date_time, self.date = f"^^{XSD.dateTime}", f"^^{XSD.date}"
        self.integer, self.boolean = f"^^{XSD.integer}", f"^^{XSD.boolean}"


@dataclass
class _SyntheticVocabulary:
    subjects: list[str]
    sites: list[str]


def write_synthetic(
    path: Path, iris: Iris, concepts: ConceptIndex, count: int, seed: int = 0
) -> int:
    """Write ``count`` valid asset records (no media) as N-Quads; returns the quad count."""
    rng = random.Random(seed)
    vocab = _SyntheticVocabulary(
        subjects=sorted(c for c in concepts.schemes if concepts.is_subject(c)),
        sites=sorted(c for c in concepts.schemes if concepts.in_scheme(c, "sites")),
    )
    terms = _Terms(iris)
    quads = 0
    with path.open("w", encoding="utf-8") as output:
        for number in range(count):
            department = rng.choice(_DEPARTMENTS)
            access = rng.choice(_ACCESS)
            if department == "hr" and access == "public":
                access = "restricted"
            graph = terms.graphs[access, department]
            record = _synthetic_record(terms, iris, rng, number, department, access, vocab)
            output.write("".join(f"{s} {p} {o} {graph} .\n" for s, p, o in record))
            quads += len(record)
    return quads


def _synthetic_record(
    t: _Terms,
    iris: Iris,
    rng: random.Random,
    number: int,
    department: str,
    access: str,
    vocab: _SyntheticVocabulary,
) -> list[tuple[str, str, str]]:
    seed_bytes = f"synthetic-{number}".encode()
    sha256 = hash_bytes(seed_bytes)  # stands for the hash of a file never written
    asset_id = sha256[:16]
    iri, file_iri = str(iris.asset(asset_id)), str(iris.asset_file(asset_id))
    mime, kind = rng.choice(_FORMATS)
    taken = dt.datetime(2015, 1, 1) + dt.timedelta(minutes=rng.randrange(12 * 365 * 24 * 60))
    title = f"{rng.choice(_WORDS).capitalize()} {rng.choice(_WORDS)} {number}"
    triples = [
        (iri, t.type, t.asset),
        (iri, t.identifier, f'"{asset_id}"'),
        (iri, t.title, f'"{title}"'),
        (iri, t.format, f'"{mime}"'),
        (iri, t.kind, t.kinds[kind]),
        (iri, t.created, f'"{taken.isoformat()}"{t.date_time}'),
        (iri, t.submitted, f'"2026-11-01T00:00:00"{t.date_time}'),
        (iri, t.creator, f'"{rng.choice(_CREATORS)}"'),
        (iri, t.keywords, f'"{rng.choice(_WORDS)}"'),
        (iri, t.department, t.departments[department]),
        (iri, t.access, t.levels[access]),
        (iri, t.has_file, file_iri),
        (file_iri, t.type, t.file),
        (file_iri, t.sha256, f'"{sha256}"'),
        (file_iri, t.size, f'"{rng.randrange(10**4, 10**7)}"{t.integer}'),
        (file_iri, t.encoding, f'"{mime}"'),
    ]
    for subject in rng.sample(vocab.subjects, k=min(len(vocab.subjects), rng.randint(1, 3))):
        triples.append((iri, t.subject, f"<{subject}>"))
    if department == "hr" and kind == "image":
        triples += [
            (iri, t.consent, f'"true"{t.boolean}'),
            (iri, t.consent_expires, f'"2028-12-31"{t.date}'),
        ]
    if department == "operations" and kind == "image":
        triples += [
            (iri, t.site, f"<{rng.choice(vocab.sites)}>"),
            (iri, t.event_date, f'"{taken.date().isoformat()}"{t.date}'),
        ]
    if department == "legal":
        triples += [
            (iri, t.contract, f'"CTR-{taken.year}-{number % 10000:04d}"'),
            (iri, t.retention, f'"{taken.year + 10}-12-31"{t.date}'),
        ]
    return triples


def load_synthetic(atrium, path: Path, count: int, seed: int = 0) -> int:  # noqa: ANN001
    """Write and bulk-load ``count`` synthetic assets; returns the number of quads loaded."""
    quads = write_synthetic(path, atrium.iris, atrium.concepts(), count, seed)
    atrium.store.load_dump(path)
    return quads
