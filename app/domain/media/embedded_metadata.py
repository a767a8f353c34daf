"""Embedded EXIF, IPTC IIM and XMP metadata, read with Pillow alone.

Where sources disagree on a text field, XMP wins over IPTC and IPTC over EXIF (the rule of the
Metadata Working Group). Bad metadata never raises: every problem found is noted in `warnings`
and the rest is still read. Only a file Pillow cannot open at all raises `BadFile`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image, IptcImagePlugin

from app.domain.media import xmp
from app.domain.media.images import DEFAULT_MAX_PIXELS, open_image
from app.domain.media.metadata_values import clean, clean_all, parse_date

# EXIF tags (IFD0, Exif IFD, GPS IFD)
_IMAGE_DESCRIPTION, _MAKE, _MODEL, _ORIENTATION = 0x010E, 0x010F, 0x0110, 0x0112
_ARTIST, _COPYRIGHT, _EXIF_IFD, _GPS_IFD = 0x013B, 0x8298, 0x8769, 0x8825
_DATE_TIME_ORIGINAL, _OFFSET_TIME_ORIGINAL = 0x9003, 0x9011
_GPS_LATITUDE_REF, _GPS_LATITUDE, _GPS_LONGITUDE_REF, _GPS_LONGITUDE = 1, 2, 3, 4

# IPTC IIM record 1 and 2 datasets
_CODED_CHARACTER_SET = (1, 90)
_UTF8_ESCAPE = b"\x1b%G"
_OBJECT_NAME, _KEYWORDS, _DATE_CREATED, _TIME_CREATED = 5, 25, 55, 60
_BY_LINE, _HEADLINE, _COPYRIGHT_NOTICE, _CAPTION = 80, 105, 116, 120

# XMP namespaces
_DC = "http://purl.org/dc/elements/1.1/"
_PHOTOSHOP = "http://ns.adobe.com/photoshop/1.0/"
_IPTC_CORE = "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"
_XMP = "http://ns.adobe.com/xap/1.0/"
# IPTC Core text fields read alike from IIM and XMP (IPTC Photo Metadata Standard 2023.1):
# (fact, IIM record 2 dataset, XMP namespace, XMP property)
_IPTC_CORE_TEXTS = (
    ("credit", 110, _PHOTOSHOP, "Credit"),  # Credit Line
    ("source", 115, _PHOTOSHOP, "Source"),
    ("city", 90, _PHOTOSHOP, "City"),
    ("sublocation", 92, _IPTC_CORE, "Location"),
    ("state", 95, _PHOTOSHOP, "State"),  # Province/State
    ("country", 101, _PHOTOSHOP, "Country"),
    ("country_code", 100, _IPTC_CORE, "CountryCode"),
    ("instructions", 40, _PHOTOSHOP, "Instructions"),
)
_EXIF_NS = "http://ns.adobe.com/exif/1.0/"
_TIFF_NS = "http://ns.adobe.com/tiff/1.0/"


Facts = dict[str, Any]


@dataclass
class EmbeddedMetadata:
    """Descriptive and technical metadata found inside an image file.

    `width` and `height` are the pixel size as stored, before `orientation` is applied.
    """

    title: str | None = None
    headline: str | None = None
    description: str | None = None
    creators: list[str] = field(default_factory=list)
    copyright: str | None = None
    keywords: list[str] = field(default_factory=list)
    date_taken: datetime | None = None
    make: str | None = None
    model: str | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None
    width: int | None = None
    height: int | None = None
    orientation: int | None = None
    credit: str | None = None  # the IPTC Core fields of _IPTC_CORE_TEXTS
    source: str | None = None
    city: str | None = None
    sublocation: str | None = None
    state: str | None = None
    country: str | None = None
    country_code: str | None = None
    instructions: str | None = None
    warnings: list[str] = field(default_factory=list)


def read_embedded_metadata(path: Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> EmbeddedMetadata:
    """Read EXIF, IPTC and XMP from an image; raise `BadFile` only if it cannot be opened."""
    notes: list[str] = []
    with open_image(path, max_pixels=max_pixels) as image:
        width, height = image.size
        exif = _guarded("EXIF", _exif_facts, image, notes)
        iptc = _guarded("IPTC", _iptc_facts, image, notes)
        xmp = _guarded("XMP", _xmp_facts, image, notes)
    return EmbeddedMetadata(
        title=_first_of("title", xmp, iptc),
        headline=_first_of("headline", xmp, iptc),
        description=_first_of("description", xmp, iptc, exif),
        creators=_first_of("creators", xmp, iptc, exif) or [],
        copyright=_first_of("copyright", xmp, iptc, exif),
        keywords=_unique([*xmp.get("keywords", []), *iptc.get("keywords", [])]),
        date_taken=_first_of("date_taken", exif, xmp, iptc),
        make=_first_of("make", exif, xmp),
        model=_first_of("model", exif, xmp),
        gps_lat=exif.get("gps_lat"),
        gps_lon=exif.get("gps_lon"),
        width=width,
        height=height,
        orientation=exif.get("orientation"),
        warnings=notes,
        **{name: _first_of(name, xmp, iptc) for name, *_ in _IPTC_CORE_TEXTS},
    )


def document_metadata(own: Facts, packet: bytes | None) -> EmbeddedMetadata:
    """The metadata of a file that is not an image (a PDF): ``own`` holds what its format says
    in its own fields (title, description, creators, keywords, and date_taken as ISO 8601
    text), cleaned here; its XMP packet (:func:`app.domain.media.xmp.find_packet`) wins over them,
    as it wins over IPTC in an image."""
    notes: list[str] = []
    mine = {
        "title": clean(own.get("title"), "title", notes),
        "description": clean(own.get("description"), "subject", notes),
        "creators": clean_all(own.get("creators", []), "author", notes),
        "keywords": clean_all(own.get("keywords", []), "keywords", notes),
        "date_taken": parse_date(own.get("date_taken"), "creation date", notes),
    }
    found = _guarded("XMP", _packet_facts, packet, notes) if packet else {}
    return EmbeddedMetadata(
        title=_first_of("title", found, mine),
        headline=found.get("headline"),
        description=_first_of("description", found, mine),
        creators=_first_of("creators", found, mine) or [],
        copyright=found.get("copyright"),
        keywords=_unique([*found.get("keywords", []), *mine["keywords"]]),
        date_taken=_first_of("date_taken", found, mine),
        warnings=notes,
        **{name: found.get(name) for name, *_ in _IPTC_CORE_TEXTS},
    )


def _packet_facts(packet: bytes, notes: list[str]) -> Facts:
    return xmp_facts(xmp.packet_properties(packet), notes)


def _guarded(
    label: str,
    reader: Callable[[Any, list[str]], Facts],
    source: Any,
    notes: list[str],
) -> Facts:
    try:
        return reader(source, notes)
    except Exception as error:  # metadata is optional: a broken block must not stop an ingest
        detail = (str(error).splitlines() or [type(error).__name__])[0]
        notes.append(f"{label} not read: {detail}")
        return {}


def _first_of(name: str, *sources: Facts) -> Any:
    return next((source[name] for source in sources if source.get(name)), None)


def _unique(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for value in values:
        if value.casefold() not in seen:
            seen.add(value.casefold())
            kept.append(value)
    return kept


# --- EXIF ---------------------------------------------------------------------------------------


def _exif_facts(image: Image.Image, notes: list[str]) -> Facts:
    exif = image.getexif()
    exif_ifd = _ifd(exif, _EXIF_IFD, "EXIF", notes)
    gps_ifd = _ifd(exif, _GPS_IFD, "GPS", notes)
    artist = _exif_text(exif, _ARTIST, "EXIF Artist", notes)
    original = _exif_text(exif_ifd, _DATE_TIME_ORIGINAL, "EXIF DateTimeOriginal", notes)
    offset = _exif_text(exif_ifd, _OFFSET_TIME_ORIGINAL, "EXIF OffsetTimeOriginal", notes)
    orientation = exif.get(_ORIENTATION)
    return {
        "description": _exif_text(exif, _IMAGE_DESCRIPTION, "EXIF ImageDescription", notes),
        "make": _exif_text(exif, _MAKE, "EXIF Make", notes),
        "model": _exif_text(exif, _MODEL, "EXIF Model", notes),
        "copyright": _exif_text(exif, _COPYRIGHT, "EXIF Copyright", notes),
        # EXIF separates several artists with semicolons
        "creators": [name.strip() for name in (artist or "").split(";") if name.strip()],
        "date_taken": parse_date(
            f"{original} {offset or ''}" if original else None, "EXIF DateTimeOriginal", notes
        ),
        "orientation": orientation if orientation in range(1, 9) else None,
        **_gps_position(gps_ifd, notes),
    }


def _ifd(exif: Image.Exif, tag: int, label: str, notes: list[str]) -> dict[int, Any]:
    try:
        return dict(exif.get_ifd(tag))
    except Exception as error:  # a bad offset or a truncated directory
        notes.append(f"{label} IFD not read: {error}")
        return {}


def _exif_text(tags: dict[int, Any], tag: int, where: str, notes: list[str]) -> str | None:
    value = tags.get(tag)
    if isinstance(value, str | bytes):
        # EXIF ASCII values end at the first NUL; some cameras leave junk after it
        value = value.split("\x00" if isinstance(value, str) else b"\x00", 1)[0]
    if isinstance(value, str):
        value = _undo_latin1(value)
    return clean(value, where, notes)


def _undo_latin1(text: str) -> str:
    """Pillow reads EXIF text as Latin-1, but phones and editors write UTF-8 there."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:  # really Latin-1 (or already decoded): keep it
        return text


def _gps_position(gps: dict[int, Any], notes: list[str]) -> Facts:
    if _GPS_LATITUDE not in gps and _GPS_LONGITUDE not in gps:
        return {}
    latitude = _degrees(gps.get(_GPS_LATITUDE), gps.get(_GPS_LATITUDE_REF), "NS", 90)
    longitude = _degrees(gps.get(_GPS_LONGITUDE), gps.get(_GPS_LONGITUDE_REF), "EW", 180)
    if latitude is None or longitude is None:
        notes.append("GPS: position ignored, it is incomplete or out of range")
        return {}
    return {"gps_lat": latitude, "gps_lon": longitude}


def _degrees(value: Any, reference: Any, hemispheres: str, limit: float) -> float | None:
    """Signed decimal degrees from EXIF (degrees, minutes, seconds) rationals and N/S or E/W."""
    if isinstance(reference, bytes):
        reference = reference.decode("ascii", "replace")
    reference = (reference or "").replace("\x00", "").strip().upper()
    if reference not in (hemispheres[0], hemispheres[1]) or not isinstance(value, tuple):
        return None
    try:
        parts = [float(part) for part in value[:3]]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = sum(part / 60**index for index, part in enumerate(parts))
    if not 0 <= degrees <= limit:  # NaN (a zero denominator) fails this test too
        return None
    return -degrees if reference == hemispheres[1] else degrees


# --- IPTC IIM -----------------------------------------------------------------------------------


def _iptc_facts(image: Image.Image, notes: list[str]) -> Facts:
    datasets = IptcImagePlugin.getiptcinfo(image) or {}
    declared_utf8 = datasets.get(_CODED_CHARACTER_SET) == _UTF8_ESCAPE

    def texts(number: int, label: str) -> list[str]:
        values = xmp.as_list(datasets.get((2, number)) or [])
        if declared_utf8 and not all(_is_utf8(value) for value in values):
            notes.append(f"IPTC {label}: declared UTF-8 but is not; read as Latin-1")
        return clean_all(values, f"IPTC {label}", notes)

    date = texts(_DATE_CREATED, "Date Created")
    time = texts(_TIME_CREATED, "Time Created")
    return {
        "title": next(iter(texts(_OBJECT_NAME, "Object Name")), None),
        "headline": next(iter(texts(_HEADLINE, "Headline")), None),
        "description": next(iter(texts(_CAPTION, "Caption")), None),
        "creators": texts(_BY_LINE, "By-line"),
        "copyright": next(iter(texts(_COPYRIGHT_NOTICE, "Copyright Notice")), None),
        "keywords": texts(_KEYWORDS, "Keywords"),
        "date_taken": _iptc_date(date[0] if date else None, time[0] if time else None, notes),
        **{
            name: next(iter(texts(number, label)), None)
            for name, number, _, label in _IPTC_CORE_TEXTS
        },
    }


def _is_utf8(value: Any) -> bool:
    try:
        value.decode("utf-8")
    except (AttributeError, UnicodeDecodeError):
        return False
    return True


def _iptc_date(date: str | None, time: str | None, notes: list[str]) -> datetime | None:
    """IPTC 2:55 "CCYYMMDD" and 2:60 "HHMMSS±HHMM" to one datetime."""
    if not date:
        return None
    text = f"{date[:4]}-{date[4:6]}-{date[6:8]}"
    if time and len(time) >= 6:
        text += f"T{time[:2]}:{time[2:4]}:{time[4:6]}{time[6:]}"
    return parse_date(text, "IPTC Date Created", notes)


# --- XMP ----------------------------------------------------------------------------------------


def _xmp_facts(image: Image.Image, notes: list[str]) -> Facts:
    return xmp_facts(xmp.image_properties(image), notes)


def xmp_facts(properties: xmp.Properties, notes: list[str]) -> Facts:
    """The facts of an XMP packet's properties (:mod:`app.domain.media.xmp`), of an image or not."""

    def texts(namespace: str, name: str) -> list[str]:
        return clean_all(xmp.values(xmp.get(properties, namespace, name)), f"XMP {name}", notes)

    def text(namespace: str, name: str) -> str | None:
        return next(iter(texts(namespace, name)), None)

    dates = (
        (_EXIF_NS, "DateTimeOriginal"),
        (_PHOTOSHOP, "DateCreated"),
        (_XMP, "CreateDate"),
    )
    return {
        "title": text(_DC, "title"),
        "headline": text(_PHOTOSHOP, "Headline"),
        "description": text(_DC, "description"),
        "creators": texts(_DC, "creator"),
        "copyright": text(_DC, "rights"),
        "keywords": texts(_DC, "subject"),
        "make": text(_TIFF_NS, "Make"),
        "model": text(_TIFF_NS, "Model"),
        "date_taken": next(
            (
                parsed
                for namespace, name in dates
                if (parsed := parse_date(text(namespace, name), f"XMP {name}", notes))
            ),
            None,
        ),
        **{name: text(namespace, label) for name, _, namespace, label in _IPTC_CORE_TEXTS},
    }
