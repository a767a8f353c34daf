"""What a download is called, and how a size reads to a person.

A download is named after its asset's title, slugified (letters and digits of any script,
accents dropped, everything else a single ``-``, at most :data:`SLUG_CHARS` characters), with
the extension of its media type: ``harbour-at-dawn.jpg``, ``harbour-at-dawn-preview.jpg``,
``harbour-at-dawn-800px.webp``. Without a usable title, the original file's name stands in, and
without that the asset's id.
"""

from __future__ import annotations

import mimetypes
import unicodedata
from pathlib import PurePath

from app.domain.media.types import mime_from_name

SLUG_CHARS = 80
UNKNOWN_TYPE = "application/octet-stream"
_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB")


def slug(text: str, max_chars: int = SLUG_CHARS) -> str:
    """``text`` as lowercase words joined by ``-``: no punctuation, space, control character
    or accent; "" when nothing is left. Cut at a word boundary when it is longer."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    words = "".join(c if c.isalnum() else " " for c in letters.lower()).split()
    joined = unicodedata.normalize("NFC", "-".join(words))
    if len(joined) <= max_chars:
        return joined
    cut = joined[:max_chars]
    return cut.rsplit("-", 1)[0] if "-" in cut else cut


def extension_for(mime: str, original_name: str = "") -> str:
    """The file name extension (with its dot) for ``mime``: the original's own when it says
    the same type (``.jpeg`` stays ``.jpeg``), else the usual one for the type, else the
    original's, else ""."""
    suffix = PurePath(original_name).suffix.lower()
    usable = suffix if 1 < len(suffix) <= 10 and suffix[1:].isalnum() else ""
    if usable and (mime_from_name(PurePath(original_name)) == mime or mime == UNKNOWN_TYPE):
        return usable
    known = mimetypes.guess_extension(mime) if mime and mime != UNKNOWN_TYPE else None
    return known or usable


def download_name(
    title: str | None,
    original_name: str | None,
    asset_id: str,
    extension: str,
    variant: str = "",
) -> str:
    """The name a download is offered under: ``<title slug>[-<variant>]<extension>``."""
    stem = slug(title or "") or slug(PurePath(original_name or "").stem) or asset_id
    return f"{stem}-{variant}{extension}" if variant else f"{stem}{extension}"


def human_size(count: int) -> str:
    """A size in bytes as a person reads it, in binary units: ``999 bytes``, ``1.5 KiB``,
    ``12 MiB``, ``200 MiB`` (three significant digits at most; no trailing ``.0``)."""
    if count < 1024:
        return "1 byte" if count == 1 else f"{count} bytes"
    value = float(count)
    for unit in _UNITS:
        value /= 1024
        shown = f"{value:.1f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.0f}"
        if float(shown) < 1024 or unit == _UNITS[-1]:
            return f"{shown} {unit}"
    raise AssertionError("unreachable")  # the last unit always returns
