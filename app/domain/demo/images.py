"""The demo collection: procedurally drawn JPEGs of a fictitious bicycle maker's departments.

``generate_demo_collection`` writes images that look like a real company's media library
(a scene coloured by department, a readable caption) and carry the embedded metadata a DAM
has to read:

- EXIF (CIPA DC-008): Make, Model, Artist, Copyright, ImageDescription and Orientation in
  IFD0, DateTimeOriginal in the Exif IFD, and a GPS IFD with latitude/longitude and their
  N/S, E/W refs. EXIF "ASCII" fields are plain ASCII, so accents are folded there.
- XMP (ISO 16684-1): an ``x:xmpmeta`` / ``rdf:RDF`` packet with dc:title, dc:description,
  dc:rights (rdf:Alt, x-default), dc:creator (rdf:Seq), dc:subject (rdf:Bag) and
  photoshop:Headline, written by Pillow's ``xmp=`` JPEG save option.
- IPTC IIM 4.2, written by hand because Pillow only reads it: an APP13 "Photoshop 3.0"
  segment holding the 8BIM resource 0x0404 with records 1:90 (UTF-8) and 2:05, 2:25,
  2:55, 2:80, 2:105, 2:116, 2:120.

Subject, site, channel and audience labels come from the SKOS files in ``vocabularies/``,
so ingesting the collection links assets to real concepts; keywords mix English, German and
French labels of the same concepts with a few free keywords that match no concept.
Generation is deterministic for a seed, and item *n* does not depend on ``count``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import rdflib
from rdflib.namespace import OWL, RDF, SKOS

from app.domain.concepts import VOCABULARY_DIR
from app.domain.demo.company import (
    CAMERAS,
    CAMPAIGNS,
    CITIES,
    DEPARTMENT_ROTATION,
    DEPARTMENTS,
    FIRST_DAY,
    INCOMPLETE_HR_ORDINALS,
    LAST_DAY,
    PHONE,
    PHOTOGRAPHERS,
    PRODUCTS,
    SITE_WORDS,
    STAFF,
    Scene,
)
from app.domain.demo.drawing import render_stored
from app.domain.demo.metadata_writer import DemoMetadata, encode_jpeg
from app.domain.demo.plan import Plan

# The vocabulary files use relative concept IRIs without @base.
VOCABULARY_BASE = "http://example.invalid/vocab/"
COMPANY = "Voss Cycles GmbH"
JPEG_QUALITY = 85
# The scene is drawn at most this wide, then scaled up: drawing is the slow part.
SKETCH_WIDTH = 640

Color = tuple[int, int, int]


@dataclass
class DemoItem:
    """One generated image and what Atrium should know about it beyond its embedded metadata."""

    path: Path
    department: str
    access: str
    subjects: list[str]
    fields: dict[str, str]
    embedded: DemoMetadata


# --- vocabularies -------------------------------------------------------------------------


@dataclass
class Concept:
    """The labels of one SKOS concept: prefLabels by language, and all altLabels."""

    pref: dict[str, str]
    alt: list[str]
    lat_long: tuple[float, float] | None = None

    @property
    def label(self) -> str:
        return self.pref["en"]


GEO = rdflib.Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")


def load_concepts(path: Path) -> list[Concept]:
    """The non-deprecated concepts of a SKOS file that have an English prefLabel."""
    if not path.is_file():
        return []
    graph = rdflib.Graph()
    graph.parse(path, format="turtle", publicID=VOCABULARY_BASE)
    concepts = [
        _concept(graph, node)
        for node in set(graph.subjects(RDF.type, SKOS.Concept))
        if not graph.value(node, OWL.deprecated)
    ]
    usable = [concept for concept in concepts if "en" in concept.pref]
    # rdflib iterates in hash order, which changes between processes.
    return sorted(usable, key=lambda concept: concept.label)


def _concept(graph: rdflib.Graph, node: rdflib.term.Node) -> Concept:
    pref = {
        label.language or "": str(label)
        for label in graph.objects(node, SKOS.prefLabel)
        if isinstance(label, rdflib.Literal)
    }
    alt = sorted({str(label) for label in graph.objects(node, SKOS.altLabel)})
    lat, long = graph.value(node, GEO.lat), graph.value(node, GEO.long)
    lat_long = (float(lat), float(long)) if lat is not None and long is not None else None
    return Concept(pref=pref, alt=alt, lat_long=lat_long)


@dataclass
class Vocabularies:
    """The schemes the demo draws its labels from; a missing file gives an empty list."""

    subjects: list[Concept]
    sites: list[Concept]
    channels: list[Concept]
    audiences: list[Concept]

    @classmethod
    def load(cls, folder: Path | None = None) -> Vocabularies:
        """The schemes in ``folder`` (default: the repository's ``vocabularies/``)."""
        folder = folder or VOCABULARY_DIR
        return cls(*(load_concepts(folder / f"{name}.ttl") for name in _SCHEME_FILES))


_SCHEME_FILES = ("subjects", "sites", "channels", "audiences")


def find_concept(concepts: Sequence[Concept], wanted: Sequence[str]) -> Concept | None:
    """The first concept whose English prefLabel or any altLabel is one of ``wanted``."""
    wanted_keys = [label.casefold() for label in wanted]
    for key in wanted_keys:
        for concept in concepts:
            names = [concept.label, *concept.alt]
            if key in {name.casefold() for name in names}:
                return concept
    return None


def _pick_subjects(
    concepts: Sequence[Concept], wanted: Sequence[Sequence[str]], rng: random.Random
) -> list[Concept]:
    """A concept for each group of wanted labels the scheme has; any concept if it has none."""
    picked: list[Concept] = []
    for alternatives in wanted:
        concept = find_concept(concepts, alternatives)
        if concept is not None and concept not in picked:
            picked.append(concept)
    if not picked and concepts:
        picked.append(rng.choice(concepts))
    return picked


def _keyword_for(concept: Concept, rng: random.Random) -> str:
    """Mostly the English label; sometimes a German or French label or an altLabel."""
    others = [concept.pref[lang] for lang in ("de", "fr") if lang in concept.pref]
    others += concept.alt
    if others and rng.random() < 0.35:
        return rng.choice(others)
    return concept.label


# --- planning one item ------------------------------------------------------------------------


def _plan(index: int, ordinal: int, department: str, vocab: Vocabularies, seed: int) -> Plan:
    rng = random.Random(f"atrium-demo:{seed}:{index}")
    scenes = DEPARTMENTS[department].scenes
    scene = scenes[ordinal % len(scenes)]
    taken = _random_moment(rng)
    site = rng.choice(_operational_sites(vocab.sites)) if department == "operations" else None
    city = _city_for(scene, site, rng)
    words = _wording(scene, rng, taken, city, site)
    concepts = _pick_subjects(vocab.subjects, scene.subjects, rng)
    keywords = [_keyword_for(concept, rng) for concept in concepts] + _free_keywords(rng, taken)
    fields = _profile_fields(department, ordinal, rng, vocab, taken, site)
    access = "restricted" if department == "hr" and "consentGiven" not in fields else scene.access
    embedded = _embedded(scene, rng, taken, words, keywords, _coordinates(site, city, rng))
    subjects = [concept.label for concept in concepts]
    return Plan(index, department, scene, access, subjects, fields, embedded, rng)


def _operational_sites(sites: list[Concept]) -> list[Concept | None]:
    """Warehouses and plants when the sites scheme has them, else any site."""
    hands_on = [
        site
        for site in sites
        if any(word in name.casefold() for name in (site.label, *site.alt) for word in SITE_WORDS)
    ]
    return hands_on or sites or [None]


def _random_moment(rng: random.Random) -> datetime:
    day = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))
    return datetime(
        day.year, day.month, day.day, rng.randint(7, 18), rng.randrange(60), rng.randrange(60)
    )


def _city_for(scene: Scene, site: Concept | None, rng: random.Random) -> str:
    if scene.place is not None:
        return scene.place
    if site is not None:
        for city in CITIES:
            if city.casefold() in site.label.casefold():
                return city
    return rng.choice(list(CITIES))


def _coordinates(site: Concept | None, city: str, rng: random.Random) -> tuple[float, float] | None:
    if site is None and rng.random() < 0.15:
        return None  # no GPS fix: studio shots, older cameras
    lat, long = site.lat_long if site and site.lat_long else CITIES[city]
    # A few hundred metres of scatter, so photos of one place do not share one point.
    return round(lat + rng.uniform(-0.004, 0.004), 6), round(long + rng.uniform(-0.004, 0.004), 6)


def _wording(
    scene: Scene, rng: random.Random, taken: datetime, city: str, site: Concept | None
) -> dict[str, str]:
    person, role = rng.choice(STAFF)
    values = {
        "year": str(taken.year),
        "city": city,
        "site": site.label if site else f"{city} warehouse",
        "person": person,
        "role": role,
        "product": rng.choice(PRODUCTS),
    }
    texts = {"title": scene.title, "headline": scene.headline, "caption": scene.caption}
    return {name: text.format(**values) for name, text in texts.items()}


def _free_keywords(rng: random.Random, taken: datetime) -> list[str]:
    quarter = f"Q{(taken.month - 1) // 3 + 1} {taken.year}"
    extras = [rng.choice(STAFF)[0], "press kit", "intranet", "Jahresrückblick"]
    return [quarter] if rng.random() < 0.5 else [quarter, rng.choice(extras)]


def _profile_fields(
    department: str,
    ordinal: int,
    rng: random.Random,
    vocab: Vocabularies,
    taken: datetime,
    site: Concept | None,
) -> dict[str, str]:
    if department == "hr" and ordinal not in INCOMPLETE_HR_ORDINALS:
        # counted from the collection's last day, not the photo's: an expired consent makes an
        # HR image incomplete, and only INCOMPLETE_HR_ORDINALS are meant to be
        expires = LAST_DAY + timedelta(days=365 * rng.randint(2, 5))
        return {"consentGiven": "true", "consentExpires": expires.isoformat()}
    if department == "operations" and site is not None:
        return {"site": site.label, "eventDate": taken.date().isoformat()}
    if department == "marketing" and rng.random() < 0.75:
        return _marketing_fields(rng, vocab, taken)
    if department == "legal":
        return {
            "contractReference": f"CTR-{taken.year}-{ordinal + 1:04d}",
            "retentionUntil": f"{taken.year + 10}-12-31",
        }
    return {}


def _marketing_fields(rng: random.Random, vocab: Vocabularies, taken: datetime) -> dict[str, str]:
    fields = {"campaign": rng.choice(CAMPAIGNS).format(year=taken.year)}
    if vocab.channels:
        fields["channel"] = rng.choice(vocab.channels).label
    if vocab.audiences:
        fields["audience"] = rng.choice(vocab.audiences).label
    return fields


def _embedded(
    scene: Scene,
    rng: random.Random,
    taken: datetime,
    words: dict[str, str],
    keywords: list[str],
    gps: tuple[float, float] | None,
) -> DemoMetadata:
    make, model = PHONE if scene.portrait else rng.choice(CAMERAS)
    return DemoMetadata(
        title=words["title"],
        headline=words["headline"],
        description=words["caption"],
        creator=rng.choice(PHOTOGRAPHERS),
        rights=f"© {taken.year} {COMPANY}",
        keywords=keywords,
        taken=taken,
        make=make,
        model=model,
        # A phone held upright stores landscape pixels and says "rotate 90° clockwise".
        orientation=6 if scene.portrait else 1,
        gps=gps,
    )


# --- the collection -------------------------------------------------------------------------------


def department_sequence(count: int) -> list[tuple[str, int]]:
    """Each item's department and its position among that department's items."""
    seen: dict[str, int] = {}
    sequence = []
    for index in range(count):
        department = DEPARTMENT_ROTATION[index % len(DEPARTMENT_ROTATION)]
        sequence.append((department, seen.get(department, 0)))
        seen[department] = seen.get(department, 0) + 1
    return sequence


def generate_demo_collection(
    folder: Path, *, count: int = 72, size: tuple[int, int] = (1600, 1067), seed: int = 0
) -> list[DemoItem]:
    """Write ``count`` demo JPEGs of ``size`` pixels into ``folder`` and describe them.

    Every file stores ``size`` pixels; the portraits among them (EXIF orientation 6) show
    upright as ``size`` turned on its side. The same ``seed`` gives the same bytes, and the
    first items do not depend on ``count``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    vocab = Vocabularies.load()
    items = []
    for index, (department, ordinal) in enumerate(department_sequence(count)):
        plan = _plan(index, ordinal, department, vocab, seed)
        path = folder / plan.filename
        path.write_bytes(encode_jpeg(render_stored(plan, size), plan.embedded))
        items.append(
            DemoItem(path, department, plan.access, plan.subjects, plan.fields, plan.embedded)
        )
    return items
