"""Embedded EXIF, IPTC and XMP metadata: known facts of the real corpus, precedence, cleaning."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import CORPUS_IMAGES, corpus_params, metadata_scan
from PIL import Image, IptcImagePlugin

from app.domain.media.embedded_metadata import EmbeddedMetadata, read_embedded_metadata
from app.domain.media.images import BadFile

pytestmark = pytest.mark.corpus("images")  # every test reads a corpus picture

CORPUS = CORPUS_IMAGES
UNOPENABLE = {"pillow__broken.png", "pillow__zero_width.gif", "pillow__decompression_bomb.gif"}
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

SCAN = metadata_scan()  # empty without the corpus: its tests skip (fail in CI)


def read(name: str) -> EmbeddedMetadata:
    return read_embedded_metadata(CORPUS / name)


def texts_of(metadata: EmbeddedMetadata) -> list[str]:
    single = [metadata.title, metadata.headline, metadata.description, metadata.copyright]
    single += [metadata.make, metadata.model]
    return [text for text in single if text is not None] + metadata.creators + metadata.keywords


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")  # pillow__hopper_bad_exif.jpg, on purpose
@pytest.mark.parametrize("name", corpus_params(sorted(SCAN), "images", "METADATA-SCAN.csv"))
def test_every_corpus_file_returns_metadata_or_bad_file(name: str) -> None:
    if name in UNOPENABLE:
        with pytest.raises(BadFile):
            read(name)
        return

    metadata = read(name)

    assert f"{metadata.width}x{metadata.height}" == SCAN[name]["size"]
    assert all(isinstance(note, str) for note in metadata.warnings)
    for text in texts_of(metadata):
        assert text == text.strip() and text
        assert not CONTROL_CHARACTERS.search(text.replace("\n", "").replace("\t", ""))
    assert metadata.gps_lat is None or -90 <= metadata.gps_lat <= 90
    assert metadata.gps_lon is None or -180 <= metadata.gps_lon <= 180


def test_iptc_keywords_and_exif_camera() -> None:
    metadata = read("pillow__iptc.jpg")

    assert metadata.keywords == ["HvK", "2006", "summer", "July", "holiday", "Hungary", "Budapest"]
    assert (metadata.make, metadata.model) == ("Nokia", "N70-1")
    assert metadata.date_taken == datetime(2006, 7, 8, 21, 14, 45)


def test_canon_40d_camera_and_date() -> None:
    metadata = read("exif-samples__Canon_40D.jpg")

    assert (metadata.make, metadata.model) == ("Canon", "Canon EOS 40D")
    assert metadata.date_taken == datetime(2008, 5, 30, 15, 56, 1)
    assert metadata.orientation == 1
    # its GPS IFD holds only a GPSVersionID: present, but there is no position to read
    assert (metadata.gps_lat, metadata.gps_lon) == (None, None)
    assert metadata.warnings == []


@pytest.mark.parametrize(
    ("name", "latitude", "longitude"),
    [
        ("exif-samples__87_OSError.jpg", 43.785594, 11.234619),
        ("exif-samples__IMG_5195.HEIC", 39.051344, -94.288772),  # west is negative
        ("exif-samples__Kodak_CX7530.jpg", -0.3713, 36.056417),  # south is negative
        ("exif-samples__HMD_Nokia_8.3_5G_hdr.heif", 40.662994, -3.763741),
        ("exif-samples__67-0_length_string.jpg", 51.025, 7.591944),
        ("pillow__ifd_tag_type.tiff", 35.599999, -111.661827),
    ],
)
def test_gps_position_in_signed_decimal_degrees(name, latitude, longitude) -> None:
    metadata = read(name)

    assert metadata.gps_lat == pytest.approx(latitude, abs=1e-5)
    assert metadata.gps_lon == pytest.approx(longitude, abs=1e-5)


def test_an_impossible_gps_position_is_dropped_with_a_warning() -> None:
    metadata = read("pillow__exif_gps.jpg")  # latitude 4294967295, no hemisphere

    assert (metadata.gps_lat, metadata.gps_lon) == (None, None)
    assert any("GPS" in note for note in metadata.warnings)


def test_blue_square_title_keywords_and_description() -> None:
    metadata = read("exif-samples__BlueSquare.jpg")

    assert metadata.title == "Blue Square Test File - .jpg"
    # XMP dc:subject and IPTC 2:25 carry the same five keywords: kept once, in order
    assert metadata.keywords == ["XMP", "Blue Square", "test file", "Photoshop", ".jpg"]
    assert metadata.description.startswith("XMPFiles BlueSquare test file")
    assert metadata.date_taken == datetime(
        2005, 9, 7, 15, 7, 40, tzinfo=timezone(-timedelta(hours=7))
    )


def test_utf8_iptc_caption_and_creator() -> None:
    metadata = read("exif-samples__no_exif.jpg")  # IPTC declares UTF-8 in dataset 1:90

    assert metadata.description == "Der Goalie bin ig"
    assert metadata.title == "Der Goalie bin ig"
    assert metadata.creators == ["CREDIT"]
    assert metadata.keywords == ["tag"]
    assert metadata.warnings == []


def test_exif_strings_end_at_the_first_nul() -> None:
    metadata = read("exif-samples__WWL_(Polaroid)_ION230.jpg")  # Model is "ION230\0F"

    assert metadata.model == "ION230"
    assert metadata.make == "WWL"
    assert "\x00" not in metadata.model


def test_padding_and_blank_values_are_cleaned() -> None:
    padded = read("exif-samples__32-lens_data.jpeg")
    blank = read("exif-samples__canon_hdr_YES.jpg")  # blank EXIF and IPTC captions
    spaces = read("exif-samples__Fujifilm_FinePix6900ZOOM.jpg")  # Copyright is four spaces

    assert padded.creators == ["Ilya Kurikhin"]
    assert padded.copyright == "Ilya Kurikhin"
    assert blank.description is None
    assert blank.creators == [] and blank.copyright is None
    assert spaces.copyright is None
    assert read("exif-samples__Pentax_K10D.jpg").model == "PENTAX K10D"


def test_headline_title_and_creator_from_xmp() -> None:
    metadata = read("exif-samples__long_description.jpg")

    assert metadata.headline == "Enduring Freedom"
    assert metadata.title == "030904-A-2140D-006"
    assert metadata.creators == ["SSG KYLE DAVIS"]
    assert metadata.description.startswith("Operation Mountain Viper")
    assert metadata.copyright is None  # an empty rdf:Alt


def test_rights_from_xmp() -> None:
    metadata = read("exif-samples__Pentax_K10D.jpg")

    assert metadata.copyright == "Laitche (This file is in the public domain.)"
    assert metadata.creators == ["Laitche"]


@pytest.mark.parametrize(
    ("name", "taken"),
    [
        # EXIF DateTimeOriginal with OffsetTimeOriginal
        (
            "exif-samples__IMG_5195.HEIC",
            datetime(2021, 4, 11, 15, 47, 53, tzinfo=timezone(-timedelta(hours=5))),
        ),
        # IPTC 2:55 + 2:60 only
        ("pillow__app13-multiple.jpg", datetime(2019, 10, 14, 15, 0, 20, tzinfo=UTC)),
        # XMP xmp:CreateDate only
        ("exif-samples__image01551.jpg", datetime(2011, 9, 23, 12, 43, 3, tzinfo=UTC)),
        # XMP photoshop:DateCreated, a date without a time
        ("exif-samples__long_description.jpg", datetime(2003, 8, 31)),
        # EXIF wins over the IPTC and XMP dates
        ("exif-samples__87_OSError.jpg", datetime(2005, 12, 14, 14, 39, 47)),
    ],
)
def test_date_taken_from_each_source(name: str, taken: datetime) -> None:
    assert read(name).date_taken == taken


def test_orientation_is_reported() -> None:
    assert read("exif-samples__portrait_6.jpg").orientation == 6
    assert read("pillow__xmp_tags_orientation.png").orientation == 3


def test_a_truncated_image_still_yields_what_can_be_read() -> None:
    metadata = read("pillow__truncated_image.png")

    assert (metadata.width, metadata.height) == (640, 480)
    assert any("truncated" in note for note in metadata.warnings)


def test_the_decompression_bomb_is_refused() -> None:
    with pytest.raises(BadFile, match="too large"):
        read("pillow__decompression_bomb.gif")


# --- precedence and decoding, on a corpus picture re-saved with chosen metadata -----------------

XMP_PACKET = """<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
      xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">
   <dc:title><rdf:Alt>
    <rdf:li xml:lang="de">Titel</rdf:li>
    <rdf:li xml:lang="x-default">Title</rdf:li>
   </rdf:Alt></dc:title>
   <dc:description>
    <rdf:Alt><rdf:li xml:lang="x-default">from XMP</rdf:li></rdf:Alt>
   </dc:description>
   <dc:subject><rdf:Bag><rdf:li>alpha</rdf:li><rdf:li>Beta</rdf:li></rdf:Bag></dc:subject>
   <photoshop:Headline>  Headline from XMP  </photoshop:Headline>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"""


@pytest.fixture
def resaved(tmp_path: Path) -> Path:
    """pillow__hopper_orientation_6.jpg re-saved with EXIF and XMP that disagree on purpose."""
    with Image.open(CORPUS / "pillow__hopper_orientation_6.jpg") as original:
        exif = Image.Exif()
        exif[0x010E] = "from EXIF"  # ImageDescription
        exif[0x013B] = "Exif Artist; Second Artist"
        exif[0x8298] = "© EXIF".encode()  # UTF-8 in an ASCII tag, as phones write it
        exif[0x010F] = "Maker\x07"  # a control character: dropped
        exif[0x0110] = "Model  \x00junk"
        target = tmp_path / "resaved.jpg"
        original.save(target, "JPEG", exif=exif, xmp=XMP_PACKET.encode())
    return target


def fake_iptc(monkeypatch, datasets: dict) -> None:
    monkeypatch.setattr(IptcImagePlugin, "getiptcinfo", lambda image: datasets)


def test_xmp_wins_over_iptc_which_wins_over_exif(resaved: Path, monkeypatch) -> None:
    fake_iptc(
        monkeypatch,
        {
            (1, 90): b"\x1b%G",
            (2, 5): b"IPTC title",
            (2, 25): [b"beta", b"gamma"],
            (2, 80): [b"IPTC Creator"],
            (2, 116): b"\xc2\xa9 IPTC",
            (2, 120): b"from IPTC",
        },
    )

    metadata = read_embedded_metadata(resaved)

    assert metadata.title == "Title"  # the x-default alternative
    assert metadata.headline == "Headline from XMP"
    assert metadata.description == "from XMP"
    assert metadata.creators == ["IPTC Creator"]  # no dc:creator in the XMP
    assert metadata.copyright == "© IPTC"
    assert metadata.keywords == ["alpha", "Beta", "gamma"]
    assert metadata.model == "Model"
    assert metadata.make is None
    assert any("control characters" in note for note in metadata.warnings)


def test_exif_fills_in_when_nothing_else_has_a_value(resaved: Path, monkeypatch) -> None:
    fake_iptc(monkeypatch, {})
    monkeypatch.setattr(Image.Image, "getxmp", lambda self, **options: {})

    metadata = read_embedded_metadata(resaved)

    assert metadata.description == "from EXIF"
    assert metadata.creators == ["Exif Artist", "Second Artist"]
    assert metadata.copyright == "© EXIF"
    assert metadata.title is None


@pytest.mark.parametrize(
    ("datasets", "caption", "warned"),
    [
        ({(1, 90): b"\x1b%G", (2, 120): "Grüezi mitenand".encode()}, "Grüezi mitenand", False),
        ({(2, 120): "Grüezi mitenand".encode()}, "Grüezi mitenand", False),
        ({(2, 120): "Grüezi mitenand".encode("latin-1")}, "Grüezi mitenand", False),
        ({(1, 90): b"\x1b%G", (2, 120): "Grüezi".encode("latin-1")}, "Grüezi", True),
    ],
)
def test_iptc_text_encodings(resaved: Path, monkeypatch, datasets, caption, warned) -> None:
    fake_iptc(monkeypatch, datasets)
    monkeypatch.setattr(Image.Image, "getxmp", lambda self, **options: {})

    metadata = read_embedded_metadata(resaved)

    assert metadata.description == caption
    assert any("declared UTF-8" in note for note in metadata.warnings) is warned


def test_a_failing_metadata_block_is_a_warning_not_an_error(resaved: Path, monkeypatch) -> None:
    def broken(*_args, **_options):
        raise SyntaxError("malformed packet")

    monkeypatch.setattr(Image.Image, "getxmp", broken)
    monkeypatch.setattr(IptcImagePlugin, "getiptcinfo", broken)

    metadata = read_embedded_metadata(resaved)

    assert metadata.description == "from EXIF"
    assert "XMP not read: malformed packet" in metadata.warnings
    assert "IPTC not read: malformed packet" in metadata.warnings
