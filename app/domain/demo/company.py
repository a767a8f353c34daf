"""The fictitious company behind the demo collection: its departments, the scenes each one
photographs, its people, products and cameras."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

Color = tuple[int, int, int]


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
