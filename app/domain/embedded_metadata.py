"""Embedded EXIF, IPTC IIM and XMP metadata, read with Pillow alone.

Where sources disagree on a text field, XMP wins over IPTC and IPTC over EXIF (the rule of the
Metadata Working Group). Bad metadata never raises: every problem found is noted in `warnings`
and the rest is still read. Only a file Pillow cannot open at all raises `BadFile`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from PIL import Image, IptcImagePlugin

from app.domain.images import DEFAULT_MAX_PIXELS, open_image

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
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML = "http://www.w3.org/XML/1998/namespace"
_DC = "http://purl.org/dc/elements/1.1/"
_PHOTOSHOP = "http://ns.adobe.com/photoshop/1.0/"
_XMP = "http://ns.adobe.com/xap/1.0/"
_EXIF_NS = "http://ns.adobe.com/exif/1.0/"
_TIFF_NS = "http://ns.adobe.com/tiff/1.0/"

# tab, line feed and carriage return are allowed inside captions; no other control character
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_DATE = re.compile(
    r"(\d{4})(?:[-:](\d{2})(?:[-:](\d{2}))?)?"  # date; EXIF separates with colons
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"  # time; fractions are dropped
    r"\s*(Z|[+-]\d{1,2}:?\d{2})?"  # zone
)
_DATE_DEFAULTS = (0, 1, 1, 0, 0, 0)  # a year alone means 1 January, midnight
_ZONE = re.compile(r"([+-])(\d{1,2}):?(\d{2})")

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
    )


def _guarded(
    label: str,
    reader: Callable[[Image.Image, list[str]], Facts],
    image: Image.Image,
    notes: list[str],
) -> Facts:
    try:
        return reader(image, notes)
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


# --- cleaning -----------------------------------------------------------------------------------


def _clean(value: Any, where: str, notes: list[str]) -> str | None:
    """A usable string, or None: NULs and surrounding space go, control characters reject."""
    if isinstance(value, bytes):
        value = _decode(value)
    if not isinstance(value, str):
        if value is not None:
            notes.append(f"{where}: ignored a value that is not text")
        return None
    text = value.replace("\x00", "").strip()
    if _CONTROL_CHARACTERS.search(text):
        notes.append(f"{where}: ignored a value containing control characters")
        return None
    return text or None


def _clean_all(values: Iterable[Any], where: str, notes: list[str]) -> list[str]:
    cleaned = (_clean(value, where, notes) for value in values)
    return [text for text in cleaned if text]


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _parse_date(text: str | None, where: str, notes: list[str]) -> datetime | None:
    """EXIF ("2008:05:30 15:56:01"), ISO 8601 / XMP (also partial) and compact IPTC dates."""
    if not text:
        return None
    match = _DATE.fullmatch(text.strip())
    try:
        if not match:
            raise ValueError(text)
        *parts, zone = match.groups()
        numbers = [
            int(part) if part else default
            for part, default in zip(parts, _DATE_DEFAULTS, strict=True)
        ]
        return datetime(*numbers, tzinfo=_zone(zone))
    except ValueError:
        notes.append(f"{where}: {text!r} is not a valid date")
        return None


def _zone(text: str | None) -> timezone | None:
    if not text:
        return None
    if text == "Z":
        return UTC
    sign, hours, minutes = _ZONE.fullmatch(text).groups()
    offset = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-offset if sign == "-" else offset)


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
        "date_taken": _parse_date(
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
    return _clean(value, where, notes)


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
        values = _as_list(datasets.get((2, number)) or [])
        if declared_utf8 and not all(_is_utf8(value) for value in values):
            notes.append(f"IPTC {label}: declared UTF-8 but is not; read as Latin-1")
        return _clean_all(values, f"IPTC {label}", notes)

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
    return _parse_date(text, "IPTC Date Created", notes)


# --- XMP ----------------------------------------------------------------------------------------


def _xmp_facts(image: Image.Image, notes: list[str]) -> Facts:
    properties = _xmp_properties(image)

    def texts(namespace: str, name: str) -> list[str]:
        return _clean_all(_xmp_values(_get(properties, namespace, name)), f"XMP {name}", notes)

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
                if (parsed := _parse_date(text(namespace, name), f"XMP {name}", notes))
            ),
            None,
        ),
    }


def _xmp_properties(image: Image.Image) -> dict[str, Any]:
    """The properties of every rdf:Description in the packet, merged (the first one wins)."""
    try:
        packet = image.getxmp(strip_namespaces=False)
    except TypeError:  # Pillow before 13 always strips namespaces; `_get` copes with both
        packet = image.getxmp()
    merged: dict[str, Any] = {}
    for description in _descriptions(packet):
        for key, value in description.items():
            merged.setdefault(key, value)
    return merged


def _descriptions(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [found for item in node for found in _descriptions(item)]
    if not isinstance(node, dict):
        return []
    description = _get(node, _RDF, "Description")
    if description is not None:
        return [item for item in _as_list(description) if isinstance(item, dict)]
    return [found for value in node.values() for found in _descriptions(value)]


def _get(node: dict[str, Any], namespace: str, name: str) -> Any:
    return node.get(f"{{{namespace}}}{name}", node.get(name))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _xmp_values(value: Any) -> list[Any]:
    """The items of a simple value, an rdf:Bag / rdf:Seq, or an rdf:Alt (x-default first)."""
    if isinstance(value, list):  # a property repeated in several places
        return [item for part in value for item in _xmp_values(part)]
    if not isinstance(value, dict):
        return [value]
    entries = _container_entries(value)
    if entries is not None:
        return _language_first([entry for entry in entries if entry is not None])
    return [value["text"]] if "text" in value else []


def _container_entries(value: dict[str, Any]) -> list[Any] | None:
    for container in ("Bag", "Seq", "Alt"):
        for key in (f"{{{_RDF}}}{container}", container):
            if key in value:
                items = value[key]
                return _as_list(_get(items, _RDF, "li")) if isinstance(items, dict) else []
    return None


def _language_first(entries: list[Any]) -> list[Any]:
    """Plain items as they are; language alternatives as text, the x-default one first."""
    ranked = sorted(entries, key=lambda entry: _language(entry) != "x-default")
    return [entry.get("text") if isinstance(entry, dict) else entry for entry in ranked]


def _language(entry: Any) -> str | None:
    return _get(entry, _XML, "lang") if isinstance(entry, dict) else None
