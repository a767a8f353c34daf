"""The demo collection: what is written into each image can be read back with Pillow."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest
import rdflib
from PIL import Image, ImageOps
from PIL.IptcImagePlugin import getiptcinfo
from rdflib.namespace import SKOS

from app.domain.demo import images as demo_images
from app.domain.demo.images import (
    VOCABULARY_BASE,
    VOCABULARY_DIR,
    DemoItem,
    generate_demo_collection,
)
from app.domain.demo.metadata_writer import EXIF_IFD, GPS_IFD, exif_text

SMALL = (240, 160)


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> list[DemoItem]:
    """The default collection, as ``atrium demo`` makes it."""
    return generate_demo_collection(tmp_path_factory.mktemp("demo"))


def english_pref_labels(scheme: str) -> set[str]:
    graph = rdflib.Graph()
    graph.parse(VOCABULARY_DIR / f"{scheme}.ttl", format="turtle", publicID=VOCABULARY_BASE)
    return {str(label) for label in graph.objects(None, SKOS.prefLabel) if label.language == "en"}


def all_labels(scheme: str) -> set[str]:
    graph = rdflib.Graph()
    graph.parse(VOCABULARY_DIR / f"{scheme}.ttl", format="turtle", publicID=VOCABULARY_BASE)
    return {str(o) for p in (SKOS.prefLabel, SKOS.altLabel) for o in graph.objects(None, p)}


def xmp_of(path: Path) -> dict:
    with Image.open(path) as image:
        return image.getxmp()["xmpmeta"]["RDF"]["Description"]


def iptc_of(path: Path) -> dict:
    with Image.open(path) as image:
        return getiptcinfo(image)


def as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def decimal_degrees(dms: tuple, ref: str) -> float:
    degrees, minutes, seconds = (float(part) for part in dms)
    value = degrees + minutes / 60 + seconds / 3600
    return -value if ref in ("S", "W") else value


def test_default_collection_covers_the_company(collection: list[DemoItem]) -> None:
    departments = Counter(item.department for item in collection)
    assert len(collection) >= 60
    assert len(departments) >= 5
    assert {"marketing", "hr", "training", "operations", "research"} <= departments.keys()
    assert {"publishing", "legal"} <= departments.keys()
    access = Counter(item.access for item in collection)
    assert access["public"] > len(collection) / 2
    assert access["internal"] > 0
    assert all(item.path.is_file() for item in collection)


def test_some_hr_assets_are_restricted(collection: list[DemoItem]) -> None:
    restricted = [item for item in collection if item.access == "restricted"]
    assert len(restricted) >= 3
    assert all(item.department == "hr" for item in restricted)
    assert any("Staff portrait" in item.subjects for item in restricted)


def test_two_hr_items_lack_consent_and_are_restricted(collection: list[DemoItem]) -> None:
    hr = [item for item in collection if item.department == "hr"]
    incomplete = [item for item in hr if "consentGiven" not in item.fields]
    assert len(incomplete) == 2
    assert all(item.access == "restricted" and not item.fields for item in incomplete)
    for item in hr:
        if item not in incomplete:
            assert item.fields["consentGiven"] == "true"
            assert item.fields["consentExpires"] > item.embedded.taken.date().isoformat()


def test_operations_items_name_a_site_and_an_event_date(collection: list[DemoItem]) -> None:
    sites = english_pref_labels("sites")
    for item in collection:
        if item.department == "operations":
            assert item.fields["site"] in sites
            assert item.fields["eventDate"] == item.embedded.taken.date().isoformat()


def test_marketing_fields_use_the_vocabularies(collection: list[DemoItem]) -> None:
    marketing = [item for item in collection if item.department == "marketing"]
    with_fields = [item for item in marketing if item.fields]
    assert with_fields
    channels, audiences = english_pref_labels("channels"), english_pref_labels("audiences")
    for item in with_fields:
        assert item.fields["campaign"]
        assert item.fields["channel"] in channels
        assert item.fields["audience"] in audiences


def test_subjects_are_english_pref_labels(collection: list[DemoItem]) -> None:
    subjects = english_pref_labels("subjects")
    assert all(item.subjects for item in collection)
    for item in collection:
        assert set(item.subjects) <= subjects


def test_keywords_mix_languages_and_free_words(collection: list[DemoItem]) -> None:
    english, labels = english_pref_labels("subjects"), all_labels("subjects")
    keywords = [keyword for item in collection for keyword in item.embedded.keywords]
    assert any(keyword in labels and keyword not in english for keyword in keywords)
    assert any(keyword not in labels for keyword in keywords)
    assert any(not keyword.isascii() for keyword in keywords)
    for item in collection:
        free = [keyword for keyword in item.embedded.keywords if keyword not in labels]
        assert 1 <= len(free) <= 2


def test_dates_spread_over_the_years(collection: list[DemoItem]) -> None:
    years = {item.embedded.taken.year for item in collection}
    assert years <= set(range(2019, 2027))
    assert len(years) >= 6


def test_exif_reads_back(collection: list[DemoItem]) -> None:
    for item in collection:
        meta = item.embedded
        with Image.open(item.path) as image:
            exif = image.getexif()
        assert exif[0x010F] == meta.make
        assert exif[0x0110] == meta.model
        assert exif[0x013B] == exif_text(meta.creator)
        assert exif[0x8298] == exif_text(meta.rights)
        assert exif[0x010E] == exif_text(meta.description)
        assert exif[0x0112] == meta.orientation
        assert exif.get_ifd(EXIF_IFD)[0x9003] == meta.taken.strftime("%Y:%m:%d %H:%M:%S")


def test_exif_text_is_ascii() -> None:
    assert exif_text("© 2024 Jürgen Weiß, Søren, Amélie") == "(c) 2024 Jurgen Weiss, Soren, Amelie"


def test_gps_reads_back_with_the_sign_in_the_refs(collection: list[DemoItem]) -> None:
    located = [item for item in collection if item.embedded.gps is not None]
    assert len(located) > len(collection) / 2
    refs = set()
    for item in collection:
        with Image.open(item.path) as image:
            gps = image.getexif().get_ifd(GPS_IFD)
        if item.embedded.gps is None:
            assert not gps
            continue
        lat, long = item.embedded.gps
        refs |= {gps[1], gps[3]}
        assert decimal_degrees(gps[2], gps[1]) == pytest.approx(lat, abs=1e-5)
        assert decimal_degrees(gps[4], gps[3]) == pytest.approx(long, abs=1e-5)
    assert refs == {"N", "S", "E", "W"}


def test_iptc_reads_back(collection: list[DemoItem]) -> None:
    for item in collection:
        meta = item.embedded
        iptc = iptc_of(item.path)
        assert iptc[(1, 90)] == b"\x1b%G"
        assert iptc[(2, 5)].decode() == meta.title
        assert iptc[(2, 105)].decode() == meta.headline
        assert iptc[(2, 120)].decode() == meta.description
        assert iptc[(2, 80)].decode() == meta.creator
        assert iptc[(2, 116)].decode() == meta.rights
        assert iptc[(2, 55)] == meta.taken.strftime("%Y%m%d").encode()
        assert [word.decode() for word in as_list(iptc[(2, 25)])] == meta.keywords


def test_xmp_reads_back(collection: list[DemoItem]) -> None:
    for item in collection:
        meta = item.embedded
        xmp = xmp_of(item.path)
        assert xmp["title"]["Alt"]["li"] == {"lang": "x-default", "text": meta.title}
        assert xmp["description"]["Alt"]["li"]["text"] == meta.description
        assert xmp["rights"]["Alt"]["li"]["text"] == meta.rights
        assert xmp["creator"]["Seq"]["li"] == meta.creator
        assert as_list(xmp["subject"]["Bag"]["li"]) == meta.keywords
        assert xmp["Headline"] == meta.headline


def test_non_ascii_survives_in_iptc_and_xmp(collection: list[DemoItem]) -> None:
    item = next(item for item in collection if "ß" in item.embedded.creator)
    assert iptc_of(item.path)[(2, 80)].decode() == item.embedded.creator
    assert xmp_of(item.path)["creator"]["Seq"]["li"] == item.embedded.creator
    assert any(not item.embedded.title.isascii() for item in collection)


def test_iptc_segment_follows_app0_and_app1(collection: list[DemoItem]) -> None:
    data = collection[0].path.read_bytes()
    markers, position = [], 2
    while data[position + 1] != 0xDA:  # up to the start of scan
        markers.append(data[position + 1])
        position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    app_markers = [marker for marker in markers if 0xE0 <= marker <= 0xEF]
    assert app_markers == [0xE0, 0xE1, 0xE1, 0xED]
    assert markers[: len(app_markers)] == app_markers


def test_rotated_images_come_upright_with_exif_transpose(collection: list[DemoItem]) -> None:
    rotated = [item for item in collection if item.embedded.orientation == 6]
    assert 2 <= len(rotated) < len(collection) / 4
    for item in rotated:
        with Image.open(item.path) as image:
            assert image.size == (1600, 1067)
            upright = ImageOps.exif_transpose(image)
        assert upright.size == (1067, 1600)
        # The caption band (dark) is at the bottom of the upright picture.
        bottom = upright.crop((0, 1500, 1067, 1600)).convert("L").resize((1, 1)).getpixel((0, 0))
        top = upright.crop((0, 0, 1067, 100)).convert("L").resize((1, 1)).getpixel((0, 0))
        assert bottom < top


def test_images_have_the_requested_size(tmp_path: Path) -> None:
    items = generate_demo_collection(tmp_path, count=4, size=SMALL)
    assert len(items) == 4
    for item in items:
        with Image.open(item.path) as image:
            assert image.format == "JPEG"
            assert image.size == SMALL


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    def digests(folder: Path, seed: int) -> list[str]:
        items = generate_demo_collection(folder, count=6, size=SMALL, seed=seed)
        return [hashlib.sha256(item.path.read_bytes()).hexdigest() for item in items]

    first = digests(tmp_path / "a", 0)
    assert digests(tmp_path / "b", 0) == first
    assert digests(tmp_path / "c", 1) != first


def test_first_items_do_not_depend_on_count(tmp_path: Path) -> None:
    few = generate_demo_collection(tmp_path / "few", count=3, size=SMALL)
    many = generate_demo_collection(tmp_path / "many", count=8, size=SMALL)
    assert [item.embedded for item in few] == [item.embedded for item in many[:3]]


def test_an_unfamiliar_vocabulary_still_gives_subjects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vocabularies = tmp_path / "vocabularies"
    vocabularies.mkdir()
    (vocabularies / "subjects.ttl").write_text(
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        '<subjects/kite> a skos:Concept ; skos:prefLabel "Kite"@en, "Drachen"@de .\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(demo_images, "VOCABULARY_DIR", vocabularies)
    items = generate_demo_collection(tmp_path / "out", count=5, size=SMALL)
    assert all(item.subjects == ["Kite"] for item in items)
    operations = next(item for item in items if item.department == "operations")
    assert "site" not in operations.fields  # no sites scheme: the item stays incomplete
