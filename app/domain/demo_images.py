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

import io
import random
import struct
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import rdflib
from PIL import Image, ImageDraw, ImageFont
from PIL.TiffImagePlugin import IFDRational
from rdflib.namespace import OWL, RDF, SKOS

VOCABULARY_DIR = Path(__file__).resolve().parents[2] / "vocabularies"
# The vocabulary files use relative concept IRIs without @base.
VOCABULARY_BASE = "http://example.invalid/vocab/"
COMPANY = "Voss Cycles GmbH"
JPEG_QUALITY = 85
# The scene is drawn at most this wide, then scaled up: drawing is the slow part.
SKETCH_WIDTH = 640

Color = tuple[int, int, int]


@dataclass
class DemoMetadata:
    """What was embedded in a demo image, as the EXIF, IPTC and XMP readers should find it."""

    title: str
    headline: str
    description: str
    creator: str
    rights: str
    keywords: list[str]
    taken: datetime
    make: str
    model: str
    orientation: int
    gps: tuple[float, float] | None


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


# --- the company ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    """A kind of picture a department takes, with its wording and its subject labels."""

    motif: str
    title: str
    headline: str
    caption: str
    subjects: tuple[tuple[str, ...], ...]
    access: str = "public"
    portrait: bool = False
    place: str | None = None  # a key of CITIES, for the GPS position


@dataclass(frozen=True)
class Department:
    code: str
    wall: tuple[Color, Color]
    floor: Color
    accent: Color
    scenes: tuple[Scene, ...]


DEPARTMENTS: dict[str, Department] = {
    "marketing": Department(
        "MKT",
        ((238, 120, 92), (252, 214, 160)),
        (96, 64, 58),
        (34, 94, 168),
        (
            Scene(
                "product",
                "{product}: studio shot for the {year} catalogue",
                "The new {product} is here",
                "The {product} photographed on a seamless backdrop for the print and web "
                "catalogue, {year} collection.",
                (("bicycle", "e-bike"), ("product photo", "product shot"), ("products",)),
            ),
            Scene(
                "fair",
                "Our stand at the Eurobike trade fair, Frankfurt",
                "Crowds at our Eurobike stand",
                "Visitors try the new range at our stand in hall 8. Über 3 000 Besucher in "
                "three days.",
                (("trade fair", "trade show"), ("exhibition stand", "booth"), ("customer",)),
                place="Frankfurt",
            ),
            Scene(
                "people",
                "Customer workshop in {city}: café-style feedback",
                "Customers shape the next model",
                "Twelve long-time customers tested prototypes and shared feedback over coffee "
                "in {city}.",
                (("customer", "customers"), ("prototype",), ("events", "event")),
            ),
            Scene(
                "outdoor",
                "Test ride in the Alps for the spring campaign",
                "Ride further this spring",
                "A rider on the {product} on a mountain road above Innsbruck, shot for the "
                "spring campaign.",
                (("e-bike", "bicycle"), ("product in use", "lifestyle shot"), ("mountain",)),
                place="Innsbruck",
            ),
            Scene(
                "fair",
                "Press conference: launch of the {product}",
                "{product}: now in shops",
                "The head of product presents the {product} to the trade press in {city}.",
                (("product launch", "launch"), ("press conference",), ("bicycle",)),
            ),
        ),
    ),
    "operations": Department(
        "OPS",
        ((120, 134, 150), (196, 204, 212)),
        (70, 72, 78),
        (242, 184, 28),
        (
            Scene(
                "forklift",
                "{site}: forklift safety briefing",
                "Safety first on the warehouse floor",
                "The shift lead walks new drivers through the forklift safety rules at {site}.",
                (("forklift",), ("safety",), ("warehouse",), ("high-visibility clothing",)),
            ),
            Scene(
                "warehouse",
                "{site}: loading bay, early shift",
                "Outbound by 6 a.m.",
                "Trucks are loaded with frames and wheels for the morning run from {site}.",
                (("truck", "lorry"), ("warehouse",), ("logistics",), ("pallet",)),
            ),
            Scene(
                "people",
                "{site}: protective equipment check",
                "Helmets, gloves, boots: checked",
                "Weekly check of personal protective equipment before the night shift at {site}.",
                (("protective equipment", "ppe"), ("safety helmet", "hard hat"), ("safety",)),
            ),
            Scene(
                "warehouse",
                "{site}: incident review, aisle 14",
                "Near miss in aisle 14",
                "A collapsed pallet in aisle 14 at {site}; nobody was hurt. Photographed for "
                "the incident report.",
                (("incident", "near miss"), ("pallet",), ("warehouse",)),
                access="internal",
            ),
            Scene(
                "workshop",
                "{site}: new assembly line commissioned",
                "Line 3 is running",
                "The new wheel assembly line at {site} on its first day of production.",
                (("production line", "assembly line"), ("industrial robot",), ("factory",)),
            ),
        ),
    ),
    "hr": Department(
        "HR",
        ((92, 140, 120), (200, 228, 210)),
        (90, 110, 96),
        (220, 120, 60),
        (
            Scene(
                "portrait",
                "Staff portrait: {person}",
                "{person}, {role}",
                "{person}, {role}, photographed for the staff directory.",
                (("staff portrait", "headshot"), ("people",)),
                access="restricted",
                portrait=True,
            ),
            Scene(
                "people",
                "Team day at the Wannsee, Berlin",
                "Logistics team day",
                "The logistics team on their annual team day: rowing on the Wannsee and a "
                "barbecue in Berlin.",
                (("team", "group photo"), ("company celebration",), ("nature",)),
                place="Berlin",
            ),
            Scene(
                "people",
                "Welcome breakfast for new starters in {city}",
                "Willkommen, bienvenue, welcome",
                "Fourteen new colleagues met their mentors at the welcome breakfast in {city}.",
                (("onboarding", "induction"), ("team",), ("people",)),
                access="internal",
            ),
            Scene(
                "people",
                "Long-service awards {year}",
                "25 years at Voss",
                "{person} receives the long-service award for 25 years with the company.",
                (("company celebration", "anniversary"), ("certificate",), ("people",)),
            ),
        ),
    ),
    "training": Department(
        "TRN",
        ((76, 110, 176), (214, 226, 246)),
        (120, 96, 76),
        (250, 250, 250),
        (
            Scene(
                "classroom",
                "First-aid course in the {city} training room",
                "Everyone a first aider",
                "Staff practise the recovery position during the two-day first-aid course in "
                "{city}.",
                (("training session", "course"), ("first aid",), ("safety",)),
            ),
            Scene(
                "workshop",
                "Apprentices at the wheel-truing workshop",
                "Learning the craft",
                "Second-year apprentices learn to true wheels by hand in the training workshop.",
                (("apprenticeship", "apprentice"), ("training session",), ("bicycle",)),
            ),
            Scene(
                "classroom",
                "Recording an e-learning module on data protection",
                "Data protection, explained in ten minutes",
                "The studio recording of the new e-learning module on data protection (GDPR).",
                (("e-learning",), ("computer", "laptop"), ("training session",)),
            ),
            Scene(
                "forklift",
                "Forklift licence practical exam",
                "Licensed to lift",
                "Candidates take the practical part of the forklift licence exam.",
                (("forklift",), ("training session",), ("certificate",)),
            ),
            Scene(
                "classroom",
                "Leadership seminar: Führung im Wandel",
                "Leading through change",
                "Team leads from Germany and France at the leadership seminar «Führung im Wandel».",
                (("training session", "seminar"), ("management",), ("presentation",)),
            ),
            Scene(
                "people",
                "Fire drill at the Berlin head office",
                "Everybody out in four minutes",
                "The yearly evacuation drill: staff gather at the assembly point in the courtyard.",
                (("fire drill", "evacuation drill"), ("fire safety",), ("safety",)),
                place="Berlin",
            ),
        ),
    ),
    "research": Department(
        "RND",
        ((40, 60, 84), (120, 170, 190)),
        (60, 70, 80),
        (90, 230, 210),
        (
            Scene(
                "lab",
                "Battery cell analysis in the Cambridge lab",
                "Longer range, lighter packs",
                "Cycling tests on new battery cells in the Cambridge electrochemistry lab.",
                (("laboratory", "lab"), ("laboratory equipment",), ("battery",)),
                place="Cambridge",
            ),
            Scene(
                "product",
                "Prototype frame on the fatigue test rig",
                "100 000 cycles and counting",
                "Prototype frame P-17 on the fatigue test rig; results go to the design review.",
                (("prototype",), ("bicycle",), ("experiment", "test")),
                access="internal",
                place="Cambridge",
            ),
            Scene(
                "outdoor",
                "Field test of the cargo-bike prototype",
                "Cargo bike meets the Alps",
                "Field test of the cargo-bike prototype on gravel roads near Innsbruck.",
                (("cargo bike",), ("prototype",), ("mountain",)),
                place="Innsbruck",
            ),
            Scene(
                "lab",
                "Microscopy of a recycled-aluminium sample",
                "Frames from recycled metal",
                "A recycled-aluminium sample under the microscope, for the next frame generation.",
                (("microscope",), ("laboratory",), ("sustainability", "recycling")),
                place="Cambridge",
            ),
        ),
    ),
    "publishing": Department(
        "PUB",
        ((150, 40, 60), (240, 200, 190)),
        (80, 40, 44),
        (250, 240, 230),
        (
            Scene(
                "document",
                "Cover of the {year} annual report",
                "Annual report {year}",
                "Cover design of the {year} annual report, first proof.",
                (("annual report",), ("report",)),
                portrait=True,
            ),
            Scene(
                "document",
                "Product brochure {year}: print proof",
                "Die neue Kollektion",
                "Print proof of the {year} product brochure, German edition (Broschüre).",
                (("brochure",), ("marketing material",), ("bicycle",)),
            ),
            Scene(
                "document",
                "Assembly manual for the {product}",
                "Step by step",
                "Pages of the multilingual assembly manual (DE/FR/EN) for the {product}.",
                (("manual", "user guide"), ("e-bike", "bicycle")),
            ),
        ),
    ),
    "legal": Department(
        "LEG",
        ((60, 60, 72), (190, 186, 176)),
        (70, 56, 44),
        (200, 170, 90),
        (
            Scene(
                "document",
                "Contract signing with the Nordic distributor",
                "A new partner in Scandinavia",
                "Signing of the distribution agreement with Cykelhuset Nord ApS in København.",
                (("contract", "agreement"), ("documents",)),
                access="internal",
                place="København",
            ),
            Scene(
                "document",
                "Trademark specimen: logo on packaging",
                "Our mark in use",
                "Specimen of use of the Voss word mark on retail packaging, for the trademark "
                "filing.",
                (("trademark",), ("logo",), ("packaging",)),
            ),
        ),
    ),
}

# One round of the departments; the collection repeats it, so proportions hold for any count.
DEPARTMENT_ROTATION = (
    "marketing", "operations", "hr", "training", "research", "marketing",
    "operations", "hr", "publishing", "training", "research", "marketing",
    "operations", "hr", "training", "legal", "research", "marketing",
)  # fmt: skip
# HR items (by position among the HR items) left without consent fields, so incomplete.
INCOMPLETE_HR_ORDINALS = (4, 6)

CITIES: dict[str, tuple[float, float]] = {
    "Berlin": (52.5200, 13.4050),
    "Hamburg": (53.5511, 9.9937),
    "Cambridge": (52.2053, 0.1218),
    "Madrid": (40.4168, -3.7038),
    "Rotterdam": (51.9244, 4.4777),
    "Lyon": (45.7640, 4.8357),
    "Zürich": (47.3769, 8.5417),
    "Frankfurt": (50.1109, 8.6821),
    "København": (55.6761, 12.5683),
    "Innsbruck": (47.2692, 11.4041),
    "Lisbon": (38.7223, -9.1393),
    "Montréal": (45.5019, -73.5674),
    "São Paulo": (-23.5558, -46.6396),
    "Melbourne": (-37.8136, 144.9631),
}
PHOTOGRAPHERS = (
    "Léa Moreau", "Jonas Müller", "Sven Aßmann", "Priya Natarajan", "Tomás Ortega",
    "Hannah Schäfer",
)  # fmt: skip
STAFF = (
    ("Jürgen Weiß", "warehouse lead"), ("Amélie Durand", "head of design"),
    ("Søren Nielsen", "logistics planner"), ("Zoë Martín", "HR business partner"),
    ("Maximilian Groß", "frame engineer"), ("Inès Lefèvre", "product manager"),
    ("Kwame Mensah", "service technician"), ("Aiko Tanaka", "data analyst"),
)  # fmt: skip
PRODUCTS = ("Stadtrad Ü3", "Alpenblick e-MTB", "Café Racer 28", "Kettenfrei Cargo")
CAMERAS = (
    ("Canon", "Canon EOS R6"), ("NIKON CORPORATION", "NIKON Z 6_2"), ("FUJIFILM", "X-T4"),
    ("SONY", "ILCE-7M3"),
)  # fmt: skip
PHONE = ("Apple", "iPhone 13 Pro")
CAMPAIGNS = ("Ride the city {year}", "Frühjahrskollektion {year}", "Eurobike {year}")
SITE_WORDS = ("warehouse", "plant", "factory", "depot", "distribution")
FIRST_DAY, LAST_DAY = date(2019, 1, 1), date(2026, 10, 31)


# --- planning one item ------------------------------------------------------------------------


@dataclass
class Plan:
    """Everything decided about one image before any pixel is drawn."""

    index: int
    department: str
    scene: Scene
    access: str
    subjects: list[str]
    fields: dict[str, str]
    embedded: DemoMetadata
    # Drawing goes on with the item's own random stream, so item n never depends on count.
    rng: random.Random = field(repr=False)

    @property
    def filename(self) -> str:
        code = DEPARTMENTS[self.department].code
        return f"{code}_{self.embedded.taken:%Y%m%d}_{self.index + 1:04d}.jpg"


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
        expires = taken.date() + timedelta(days=365 * rng.randint(2, 5))
        return {"consentGiven": "true", "consentExpires": expires.isoformat()}
    if department == "operations" and site is not None:
        return {"site": site.label, "eventDate": taken.date().isoformat()}
    if department == "marketing" and rng.random() < 0.75:
        return _marketing_fields(rng, vocab, taken)
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


# --- drawing ------------------------------------------------------------------------------------


class Sketch:
    """Drawing in fractions of the canvas: x of the width, y and sizes of the height."""

    def __init__(self, image: Image.Image) -> None:
        self.image = image
        self.draw = ImageDraw.Draw(image)
        self.width, self.height = image.size

    def x(self, fraction: float) -> float:
        return fraction * self.width

    def y(self, fraction: float) -> float:
        return fraction * self.height

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: Color, radius=0.0) -> None:
        box = (self.x(x0), self.y(y0), self.x(x1), self.y(y1))
        self.draw.rounded_rectangle(box, radius=self.y(radius), fill=fill)

    def circle(self, cx: float, cy: float, r: float, fill=None, outline=None, width=0.0) -> None:
        box = (self.x(cx) - self.y(r), self.y(cy - r), self.x(cx) + self.y(r), self.y(cy + r))
        self.draw.ellipse(box, fill=fill, outline=outline, width=max(1, round(self.y(width))))

    def line(self, points: Sequence[tuple[float, float]], fill: Color, width: float) -> None:
        xy = [(self.x(px), self.y(py)) for px, py in points]
        self.draw.line(xy, fill=fill, width=max(1, round(self.y(width))), joint="curve")

    def polygon(self, points: Sequence[tuple[float, float]], fill: Color) -> None:
        self.draw.polygon([(self.x(px), self.y(py)) for px, py in points], fill=fill)

    def offset(self, x: float, dy: float) -> float:
        """``x`` moved by ``dy`` heights: keeps round things round on any aspect."""
        return x + dy * self.height / self.width


def _shade(color: Color, factor: float) -> Color:
    return tuple(max(0, min(255, round(channel * factor))) for channel in color)  # type: ignore[return-value]


def _jitter(color: Color, rng: random.Random, amount: int = 18) -> Color:
    return tuple(max(0, min(255, c + rng.randint(-amount, amount))) for c in color)  # type: ignore[return-value]


def _gradient(size: tuple[int, int], top: Color, bottom: Color) -> Image.Image:
    mask = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def _backdrop(size: tuple[int, int], plan: Plan, horizon: float) -> Image.Image:
    department = DEPARTMENTS[plan.department]
    top, bottom = (_jitter(color, plan.rng) for color in department.wall)
    image = _gradient(size, top, bottom)
    floor_height = round(size[1] * (1 - horizon))
    if floor_height > 0:
        floor = _jitter(department.floor, plan.rng)
        floor_image = _gradient((size[0], floor_height), _shade(floor, 1.25), _shade(floor, 0.7))
        image.paste(floor_image, (0, size[1] - floor_height))
    return image


def _vignette(image: Image.Image) -> Image.Image:
    mask = Image.radial_gradient("L").resize(image.size).point(lambda v: min(255, v * 3 // 4))
    return Image.composite(Image.new("RGB", image.size, (20, 18, 24)), image, mask)


def _person(sketch: Sketch, cx: float, feet: float, tall: float, shirt: Color, skin: Color) -> None:
    head = tall * 0.13
    half = tall * 0.17 * sketch.height / sketch.width
    sketch.rect(cx - half, feet - tall * 0.72, cx + half, feet, shirt, radius=tall * 0.1)
    sketch.circle(cx, feet - tall * 0.72 - head * 0.9, head, fill=skin)


SKIN = ((241, 194, 160), (224, 172, 130), (198, 134, 94), (141, 85, 54), (96, 60, 40))


def _crowd(sketch: Sketch, plan: Plan, count: int, feet: float, tall: float) -> None:
    for slot in range(count):
        cx = (slot + 0.5 + plan.rng.uniform(-0.25, 0.25)) / count
        shirt = _jitter(DEPARTMENTS[plan.department].accent, plan.rng, 60)
        row_feet = feet + plan.rng.uniform(-0.03, 0.03)
        _person(
            sketch, cx, row_feet, tall * plan.rng.uniform(0.9, 1.1), shirt, plan.rng.choice(SKIN)
        )


def _bicycle(sketch: Sketch, cx: float, ground: float, wheel: float, color: Color) -> None:
    back, front = sketch.offset(cx, -wheel * 1.25), sketch.offset(cx, wheel * 1.25)
    hub_y = ground - wheel
    for hub_x in (back, front):
        sketch.circle(hub_x, hub_y, wheel, outline=(30, 30, 30), width=wheel * 0.12)
    seat = (sketch.offset(cx, -wheel * 0.35), hub_y - wheel * 1.1)
    bar = (sketch.offset(cx, wheel * 0.9), hub_y - wheel * 1.25)
    crank = (cx, hub_y)
    frame = [(back, hub_y), seat, crank, (back, hub_y), crank, bar, seat, bar, (front, hub_y)]
    sketch.line(frame, color, wheel * 0.1)


def _forklift(sketch: Sketch, x: float, ground: float, size: float, color: Color) -> None:
    body_right = sketch.offset(x, size * 1.3)
    sketch.rect(x, ground - size * 0.75, body_right, ground - size * 0.15, color, radius=0.01)
    sketch.rect(
        x, ground - size * 1.3, sketch.offset(x, size * 0.8), ground - size * 0.75, (40, 40, 44)
    )
    mast = sketch.offset(body_right, size * 0.08)
    sketch.line(
        [(mast, ground - size * 1.6), (mast, ground - size * 0.05)], (50, 50, 50), size * 0.08
    )
    sketch.line(
        [(mast, ground - size * 0.08), (sketch.offset(mast, size * 0.7), ground - size * 0.08)],
        (60, 60, 60),
        size * 0.05,
    )
    for wheel_x in (sketch.offset(x, size * 0.3), sketch.offset(x, size * 1.05)):
        sketch.circle(wheel_x, ground - size * 0.17, size * 0.17, fill=(25, 25, 25))


def _racks(sketch: Sketch, plan: Plan, top: float, bottom: float) -> None:
    for column in range(6):
        left = 0.02 + column * 0.165
        sketch.rect(left, top, left + 0.012, bottom, (200, 90, 40))
        for level in range(4):
            shelf = top + (bottom - top) * (level + 1) / 4
            sketch.rect(left, shelf - 0.012, left + 0.15, shelf, (30, 80, 150))
            _boxes(sketch, plan, left + 0.015, shelf - 0.012, (bottom - top) / 4 * 0.7)


def _boxes(sketch: Sketch, plan: Plan, left: float, shelf: float, height: float) -> None:
    x = left
    while x < left + 0.12 and plan.rng.random() < 0.85:
        width = plan.rng.uniform(0.025, 0.045)
        box_height = height * plan.rng.uniform(0.5, 1.0)
        sketch.rect(x, shelf - box_height, x + width, shelf, _jitter((186, 146, 98), plan.rng, 20))
        x += width + 0.004


def _draw_warehouse(sketch: Sketch, plan: Plan) -> None:
    _racks(sketch, plan, 0.12, 0.66)
    _forklift(sketch, 0.58, 0.86, 0.22, DEPARTMENTS["operations"].accent)
    _crowd(sketch, plan, 2, 0.9, 0.32)


def _draw_forklift(sketch: Sketch, plan: Plan) -> None:
    _racks(sketch, plan, 0.1, 0.6)
    _forklift(sketch, 0.12, 0.85, 0.3, (242, 184, 28))
    _crowd(sketch, plan, 4, 0.95, 0.38)


def _draw_people(sketch: Sketch, plan: Plan) -> None:
    sketch.rect(0.1, 0.12, 0.9, 0.3, _jitter(DEPARTMENTS[plan.department].accent, plan.rng), 0.02)
    _crowd(sketch, plan, plan.rng.randint(4, 7), 0.96, 0.5)


def _draw_portrait(sketch: Sketch, plan: Plan) -> None:
    shirt = _jitter(DEPARTMENTS[plan.department].accent, plan.rng, 50)
    skin = plan.rng.choice(SKIN)
    sketch.circle(0.5, 1.15, 0.42, fill=shirt)  # shoulders
    sketch.rect(sketch.offset(0.5, -0.06), 0.6, sketch.offset(0.5, 0.06), 0.78, skin)  # neck
    sketch.circle(0.5, 0.5, 0.16, fill=skin)
    hair = plan.rng.choice(((60, 40, 30), (200, 160, 90), (30, 30, 30), (120, 60, 30)))
    head_box = [sketch.x(0.5) - sketch.y(0.17), sketch.y(0.32), sketch.x(0.5) + sketch.y(0.17)]
    sketch.draw.chord((*head_box, sketch.y(0.6)), 180, 360, fill=hair)
    for side in (-0.055, 0.055):
        sketch.circle(sketch.offset(0.5, side), 0.52, 0.014, fill=(40, 30, 30))
    mouth = (sketch.x(0.5) - sketch.y(0.06), sketch.y(0.53), sketch.x(0.5) + sketch.y(0.06))
    sketch.draw.arc((*mouth, sketch.y(0.6)), 20, 160, fill=(120, 50, 50), width=2)


def _draw_product(sketch: Sketch, plan: Plan) -> None:
    sketch.circle(0.5, 0.9, 0.1, fill=(240, 236, 228))
    sketch.draw.ellipse(
        (sketch.x(0.2), sketch.y(0.8), sketch.x(0.8), sketch.y(0.95)), fill=(60, 56, 52)
    )
    _bicycle(sketch, 0.5, 0.86, 0.2, _jitter(DEPARTMENTS[plan.department].accent, plan.rng, 60))


def _draw_fair(sketch: Sketch, plan: Plan) -> None:
    accent = DEPARTMENTS[plan.department].accent
    sketch.rect(0.08, 0.08, 0.92, 0.22, accent, 0.01)
    sketch.rect(0.3, 0.11, 0.7, 0.19, (250, 250, 250), 0.01)
    for spot in (0.2, 0.5, 0.8):
        sketch.circle(spot, 0.26, 0.03, fill=(255, 250, 210))
    _bicycle(sketch, 0.25, 0.7, 0.1, (20, 20, 20))
    _crowd(sketch, plan, 6, 0.97, 0.42)


def _draw_outdoor(sketch: Sketch, plan: Plan) -> None:
    sketch.circle(plan.rng.uniform(0.6, 0.9), 0.18, 0.08, fill=(255, 236, 180))
    for peak, shade in ((0.25, 0.62), (0.55, 0.5), (0.85, 0.7)):
        sketch.polygon(
            [(peak - 0.35, 0.62), (peak, plan.rng.uniform(0.18, 0.3)), (peak + 0.35, 0.62)],
            _shade((110, 130, 160), shade + 0.4),
        )
    sketch.polygon([(0.35, 1.0), (0.48, 0.62), (0.52, 0.62), (0.75, 1.0)], (80, 80, 84))
    _bicycle(sketch, 0.6, 0.92, 0.09, _jitter((200, 40, 40), plan.rng, 30))
    _person(sketch, 0.6, 0.76, 0.22, _jitter((30, 90, 170), plan.rng, 30), plan.rng.choice(SKIN))


def _draw_classroom(sketch: Sketch, plan: Plan) -> None:
    sketch.rect(0.2, 0.1, 0.8, 0.45, (248, 248, 246), 0.01)
    for row in range(4):
        width = plan.rng.uniform(0.25, 0.5)
        sketch.rect(0.25, 0.16 + row * 0.07, 0.25 + width, 0.19 + row * 0.07, (60, 90, 160))
    _person(sketch, 0.14, 0.8, 0.5, _jitter((160, 40, 60), plan.rng, 40), plan.rng.choice(SKIN))
    _crowd(sketch, plan, 5, 1.02, 0.36)
    sketch.rect(0.0, 0.86, 1.0, 0.9, (140, 110, 80))


def _draw_workshop(sketch: Sketch, plan: Plan) -> None:
    sketch.rect(0.05, 0.15, 0.95, 0.5, (90, 96, 104), 0.01)
    for tool in range(9):
        x = 0.1 + tool * 0.095
        sketch.line([(x, 0.2), (x, 0.2 + plan.rng.uniform(0.1, 0.25))], (200, 200, 210), 0.012)
    sketch.rect(0.05, 0.66, 0.95, 0.7, (120, 90, 60))
    sketch.circle(0.5, 0.5, 0.14, outline=(30, 30, 30), width=0.02)
    _crowd(sketch, plan, 3, 0.98, 0.36)


def _draw_lab(sketch: Sketch, plan: Plan) -> None:
    sketch.rect(0.0, 0.58, 1.0, 0.64, (235, 238, 240))
    sketch.rect(0.62, 0.2, 0.92, 0.5, (20, 24, 30), 0.01)
    curve = [
        (0.64 + i * 0.028, 0.45 - 0.2 * (i / 10) ** 0.5 + plan.rng.uniform(-0.02, 0.02))
        for i in range(10)
    ]
    sketch.line(curve, DEPARTMENTS["research"].accent, 0.008)
    for slot in range(5):
        x, liquid = 0.08 + slot * 0.1, _jitter((90, 200, 120), plan.rng, 80)
        sketch.polygon([(x, 0.45), (x + 0.02, 0.45), (x + 0.045, 0.58), (x - 0.025, 0.58)], liquid)
    _person(sketch, 0.55, 0.98, 0.5, (245, 245, 245), plan.rng.choice(SKIN))


def _draw_document(sketch: Sketch, plan: Plan) -> None:
    for sheet in range(3):
        left = 0.12 + sheet * 0.26 + plan.rng.uniform(-0.02, 0.02)
        _page(sketch, plan, left, 0.14 + plan.rng.uniform(-0.03, 0.03))
    sketch.line([(0.7, 0.9), (0.9, 0.7)], (20, 20, 60), 0.02)  # a pen


def _page(sketch: Sketch, plan: Plan, left: float, top: float) -> None:
    sketch.rect(left, top, left + 0.22, top + 0.62, (250, 248, 240), 0.005)
    heading = DEPARTMENTS[plan.department].wall[0]
    sketch.rect(left + 0.02, top + 0.04, left + 0.2, top + 0.12, heading)
    for line in range(9):
        line_top = top + 0.17 + line * 0.045
        line_end = left + 0.02 + plan.rng.uniform(0.1, 0.18)
        sketch.rect(left + 0.02, line_top, line_end, line_top + 0.015, (120, 120, 128))


MOTIFS: dict[str, tuple[float, Callable[[Sketch, Plan], None]]] = {
    # motif: (horizon as a fraction of the height, drawing routine)
    "warehouse": (0.66, _draw_warehouse),
    "forklift": (0.6, _draw_forklift),
    "people": (0.62, _draw_people),
    "portrait": (1.0, _draw_portrait),
    "product": (0.78, _draw_product),
    "fair": (0.7, _draw_fair),
    "outdoor": (0.62, _draw_outdoor),
    "classroom": (0.7, _draw_classroom),
    "workshop": (0.66, _draw_workshop),
    "lab": (0.6, _draw_lab),
    "document": (0.85, _draw_document),
}


def render_upright(plan: Plan, size: tuple[int, int]) -> Image.Image:
    """The picture the right way up: a scene drawn small, scaled to ``size``, then captioned."""
    scale = min(1.0, SKETCH_WIDTH / max(size))
    small = (max(1, round(size[0] * scale)), max(1, round(size[1] * scale)))
    horizon, draw_motif = MOTIFS[plan.scene.motif]
    image = _backdrop(small, plan, horizon)
    draw_motif(Sketch(image), plan)
    image = _vignette(image).resize(size, Image.Resampling.BILINEAR)
    _caption(image, plan)
    return image


@lru_cache(maxsize=64)
def _font(pixel_size: int) -> tuple[ImageFont.FreeTypeFont, bool]:
    """A font and whether it has accented letters (Pillow's built-in one has only ASCII)."""
    for name in ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf", "arial.ttf"):
        try:
            return ImageFont.truetype(name, pixel_size), True
        except OSError:
            continue
    return ImageFont.load_default(pixel_size), False  # type: ignore[return-value]


def _caption(image: Image.Image, plan: Plan) -> None:
    width, height = image.size
    band_top = round(height * 0.84)
    band = image.crop((0, band_top, width, height))
    image.paste(Image.blend(band, Image.new("RGB", band.size, (0, 0, 0)), 0.6), (0, band_top))
    meta = plan.embedded
    credit = f"{plan.department.upper()}  ·  {meta.taken:%Y-%m-%d}  ·  Photo: {meta.creator}"
    margin = width * 0.03
    lines = (
        (meta.title, 0.025, height // 24, (255, 255, 255)),
        (credit, 0.095, height // 42, (220, 220, 220)),
    )
    draw = ImageDraw.Draw(image)
    for text, top, pixel_size, colour in lines:
        font, shown = _fitted(text, width - 2 * margin, pixel_size)
        draw.text((margin, band_top + height * top), shown, font=font, fill=colour)


def _fitted(text: str, max_width: float, pixel_size: int) -> tuple[ImageFont.FreeTypeFont, str]:
    """The largest font up to ``pixel_size`` that fits ``text`` in ``max_width``.

    Also returns the text to draw: accents folded when only Pillow's ASCII font is available.
    """
    while True:
        font, unicode_ok = _font(max(6, pixel_size))
        shown = text if unicode_ok else exif_text(text)
        if pixel_size <= 6 or font.getlength(shown) <= max_width:
            return font, shown
        pixel_size = pixel_size * 9 // 10


def render_stored(plan: Plan, size: tuple[int, int]) -> Image.Image:
    """The pixels as the camera stores them: turned a quarter left when orientation is 6."""
    if plan.embedded.orientation == 6:
        upright = render_upright(plan, (size[1], size[0]))
        # exif_transpose undoes orientation 6 with ROTATE_270, so store it ROTATE_90.
        return upright.transpose(Image.Transpose.ROTATE_90)
    return render_upright(plan, size)


# --- metadata encoding ----------------------------------------------------------------------------

_ASCII_REPLACEMENTS = str.maketrans(
    {"ß": "ss", "©": "(c)", "ø": "o", "Ø": "O", "æ": "ae", "«": '"', "»": '"', "·": "-"}
)


def exif_text(text: str) -> str:
    """``text`` as EXIF ASCII: accents dropped, a few letters spelled out (ß → ss)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_REPLACEMENTS))
    return (
        "".join(char for char in decomposed if not unicodedata.combining(char))
        .encode("ascii", "replace")
        .decode("ascii")
    )


EXIF_IFD, GPS_IFD = 0x8769, 0x8825


def build_exif(meta: DemoMetadata) -> Image.Exif:
    """IFD0, Exif IFD (DateTimeOriginal) and, when there is a fix, the GPS IFD."""
    exif = Image.Exif()
    exif[0x010F] = meta.make
    exif[0x0110] = meta.model
    exif[0x0112] = meta.orientation
    exif[0x013B] = exif_text(meta.creator)
    exif[0x8298] = exif_text(meta.rights)
    exif[0x010E] = exif_text(meta.description)
    exif.get_ifd(EXIF_IFD)[0x9003] = f"{meta.taken:%Y:%m:%d %H:%M:%S}"
    if meta.gps is not None:
        exif.get_ifd(GPS_IFD).update(_gps_tags(*meta.gps))
    return exif


def _gps_tags(lat: float, long: float) -> dict[int, object]:
    return {
        0x0000: b"\x02\x03\x00\x00",  # GPSVersionID 2.3
        0x0001: "N" if lat >= 0 else "S",
        0x0002: _degrees_minutes_seconds(abs(lat)),
        0x0003: "E" if long >= 0 else "W",
        0x0004: _degrees_minutes_seconds(abs(long)),
    }


def _degrees_minutes_seconds(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    hundredths_of_seconds = round(((value - degrees) * 60 - minutes) * 6000)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(hundredths_of_seconds, 100)


def build_xmp(meta: DemoMetadata) -> bytes:
    """An XMP packet with the Dublin Core and Photoshop fields of ``meta``."""

    def alt(text: str) -> str:
        return f'<rdf:Alt><rdf:li xml:lang="x-default">{escape(text)}</rdf:li></rdf:Alt>'

    keywords = "".join(f"<rdf:li>{escape(keyword)}</rdf:li>" for keyword in meta.keywords)
    packet = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <dc:title>{alt(meta.title)}</dc:title>
   <dc:description>{alt(meta.description)}</dc:description>
   <dc:rights>{alt(meta.rights)}</dc:rights>
   <dc:creator><rdf:Seq><rdf:li>{escape(meta.creator)}</rdf:li></rdf:Seq></dc:creator>
   <dc:subject><rdf:Bag>{keywords}</rdf:Bag></dc:subject>
   <photoshop:Headline>{escape(meta.headline)}</photoshop:Headline>
   <photoshop:DateCreated>{meta.taken.isoformat()}</photoshop:DateCreated>
   <xmp:CreatorTool>Atrium demo generator</xmp:CreatorTool>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return packet.encode("utf-8")


# IIM maximum lengths in bytes (IPTC IIM 4.2, section 6).
IIM_LIMITS = {5: 64, 25: 64, 55: 8, 80: 32, 105: 256, 116: 128, 120: 2000}


def build_iim(meta: DemoMetadata) -> bytes:
    """IIM records 1 and 2, datasets in ascending order, text in UTF-8 (declared by 1:90)."""
    datasets = [
        (1, 90, b"\x1b%G"),
        (2, 0, b"\x00\x04"),  # record version 4
        (2, 5, _iim_text(5, meta.title)),
        *((2, 25, _iim_text(25, keyword)) for keyword in meta.keywords),
        (2, 55, meta.taken.strftime("%Y%m%d").encode("ascii")),
        (2, 80, _iim_text(80, meta.creator)),
        (2, 105, _iim_text(105, meta.headline)),
        (2, 116, _iim_text(116, meta.rights)),
        (2, 120, _iim_text(120, meta.description)),
    ]
    return b"".join(
        struct.pack(">BBBH", 0x1C, record, number, len(data)) + data
        for record, number, data in datasets
    )


def _iim_text(dataset: int, text: str) -> bytes:
    """UTF-8, cut to the dataset's limit without splitting a character."""
    return text.encode("utf-8")[: IIM_LIMITS[dataset]].decode("utf-8", "ignore").encode("utf-8")


def photoshop_app13(iim: bytes) -> bytes:
    """A JPEG APP13 segment: "Photoshop 3.0", one 8BIM resource 0x0404 holding ``iim``."""
    padded = iim + b"\x00" * (len(iim) % 2)
    # 8BIM, resource id, empty Pascal name padded to even length, data size, data.
    resource = (
        b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iim)) + padded
    )
    payload = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def insert_after_app0_app1(jpeg: bytes, segment: bytes) -> bytes:
    """``jpeg`` with ``segment`` placed after its leading APP0 and APP1 segments."""
    position = 2  # after SOI
    while jpeg[position] == 0xFF and jpeg[position + 1] in (0xE0, 0xE1):
        (length,) = struct.unpack(">H", jpeg[position + 2 : position + 4])
        position += 2 + length
    return jpeg[:position] + segment + jpeg[position:]


def encode_jpeg(image: Image.Image, meta: DemoMetadata) -> bytes:
    """JPEG bytes of ``image`` carrying EXIF, XMP and IPTC IIM for ``meta``."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, exif=build_exif(meta), xmp=build_xmp(meta))
    return insert_after_app0_app1(buffer.getvalue(), photoshop_app13(build_iim(meta)))


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
