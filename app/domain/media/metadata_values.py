"""Text and dates as embedded metadata holds them, made usable or refused with a note.

Text: NULs and surrounding space go; a value with other control characters is refused (tab,
line feed and carriage return are allowed). Bytes are UTF-8, else Latin-1. Dates: EXIF
("2008:05:30 15:56:01"), ISO 8601 as XMP writes it (also partial: "2024", "2024-05") and the
compact IPTC forms. Every refusal is noted in ``notes``, naming where the value was found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

# tab, line feed and carriage return are allowed inside captions; no other control character
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_DATE = re.compile(
    r"(\d{4})(?:[-:](\d{2})(?:[-:](\d{2}))?)?"  # date; EXIF separates with colons
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"  # time; fractions are dropped
    r"\s*(Z|[+-]\d{1,2}:?\d{2})?"  # zone
)
_DATE_DEFAULTS = (0, 1, 1, 0, 0, 0)  # a year alone means 1 January, midnight
_ZONE = re.compile(r"([+-])(\d{1,2}):?(\d{2})")


def clean(value: Any, where: str, notes: list[str]) -> str | None:
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


def clean_all(values: Iterable[Any], where: str, notes: list[str]) -> list[str]:
    cleaned = (clean(value, where, notes) for value in values)
    return [text for text in cleaned if text]


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def parse_date(text: str | None, where: str, notes: list[str]) -> datetime | None:
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
