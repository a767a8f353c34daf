"""What the video and audio readers share: opening a file with PyAV, and its tags.

PyAV brings FFmpeg's libraries inside its wheel; no system binary is run. Every FFmpeg error
becomes :class:`~app.domain.media.images.BadFile` with one line a person can read.

Tags are read under FFmpeg's generic metadata keys (libavformat/avformat.h, "Metadata API":
``title``, ``artist``, ``album``, ``date``, ``genre``, ``comment``, ``copyright``,
``creation_time``…), which FFmpeg fills from ID3, Vorbis comments, RIFF INFO, Matroska tags and
QuickTime/MP4 atoms alike, plus the QuickTime ``com.apple.quicktime.*`` keys that phones write.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import av
from av.container import InputContainer

from app.domain.media.embedded_metadata import EmbeddedMetadata
from app.domain.media.images import BadFile

_APPLE = "com.apple.quicktime."
# Each fact, and the tags it is read from, the first present winning.
_TITLE = ("title", _APPLE + "title")
_DESCRIPTION = ("description", _APPLE + "description", "synopsis", "comment")
_CREATORS = ("artist", _APPLE + "artist", "author", _APPLE + "author", "album_artist")
_COPYRIGHT = ("copyright", _APPLE + "copyright")
_KEYWORDS = ("genre", "keywords", _APPLE + "keywords")
_DATES = ("creation_time", _APPLE + "creationdate", "date", "year")
_MAKE = ("make", _APPLE + "make", "com.android.manufacturer")
_MODEL = ("model", _APPLE + "model", "com.android.model")
_LOCATION = ("location", _APPLE + "location.iso6709", "location-eng")
_ALBUM = ("album",)
_SEPARATORS = re.compile(r"\s*[;\x00]\s*")  # how FFmpeg joins several values of one tag
_YEAR_MONTH = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
# ISO 6709: ±DD[MM[SS]][.fraction] then ±DDD[MM[SS]][.fraction], then perhaps altitude and "/"
_ISO_6709 = re.compile(r"^([+-])(\d{2,6})(\.\d+)?([+-])(\d{3,7})(\.\d+)?")


@contextmanager
def opened(path: Path, what: str) -> Iterator[InputContainer]:
    """The file opened for reading; any FFmpeg error inside the block becomes :class:`BadFile`
    ("video cannot be decoded: …" with ``what`` = "video")."""
    try:
        with av.open(str(path), "r") as container:
            yield container
    except BadFile:
        raise
    except av.FFmpegError as error:
        cut = _iso_media_cut(path)
        if cut:
            raise BadFile(f"{what} is truncated: {cut}") from error
        raise BadFile(f"{what} cannot be read: {_reason(error)}") from error
    except (MemoryError, OverflowError, ValueError, IndexError) as error:
        raise BadFile(f"{what} cannot be read: {type(error).__name__}") from error


def _reason(error: av.FFmpegError) -> str:
    detail = (getattr(error, "strerror", None) or str(error) or type(error).__name__).strip()
    first = detail.splitlines()[0] if detail else type(error).__name__
    if "Invalid data" in first:
        return "broken file, wrong extension or not a format FFmpeg knows"
    return first[0].lower() + first[1:]


def _iso_media_cut(path: Path) -> str | None:
    """Why an MP4 or QuickTime file FFmpeg could not open is incomplete, if it is: a top-level
    box (ISO/IEC 14496-12 §4.2: 32-bit size, type, or size 1 and a 64-bit size) runs past
    the end, or the index box ``moov`` never comes (a recording or copy that was stopped)."""
    try:
        size = path.stat().st_size
        with path.open("rb") as file:
            if file.read(8)[4:8] != b"ftyp":
                return None
            offset = 0
            while offset + 8 <= size:
                file.seek(offset)
                header = file.read(16)
                length, kind = int.from_bytes(header[:4], "big"), header[4:8]
                if length == 1 and len(header) == 16:
                    length = int.from_bytes(header[8:16], "big")
                if length < 8 or offset + length > size:
                    return f"it ends at {size:,} bytes, inside a {kind.decode('latin-1')!r} box"
                if kind == b"moov":
                    return None  # complete: FFmpeg failed for another reason
                offset += length
    except OSError:
        return None
    return "it has no index (the 'moov' box): the recording or copy was not finished"


def check_complete(container: InputContainer, path: Path, what: str) -> None:
    """Raise :class:`BadFile` when the container's index points past the end of the file: the
    file was cut short (an interrupted copy or upload)."""
    size = path.stat().st_size
    ends = [e.pos + e.size for s in container.streams for e in s.index_entries if e.pos >= 0]
    if ends and max(ends) > size:
        needed = max(ends)
        raise BadFile(f"{what} is truncated: it ends at {size:,} bytes of the {needed:,} it needs")


def codec_names(container: InputContainer) -> list[str]:
    """FFmpeg's names of the codecs of the video streams, then of the audio streams."""
    streams = [*container.streams.video, *container.streams.audio]
    return list(dict.fromkeys(codec_name(s) for s in streams if s.codec_context))


def codec_name(stream: av.stream.Stream) -> str:
    """FFmpeg's name of the codec ("mp3"), not of the decoder that reads it ("mp3float")."""
    return stream.codec_context.codec.canonical_name


def duration_of(container: InputContainer, stream: av.stream.Stream | None) -> float | None:
    """Seconds, from the stream's own duration if it has one, else the container's."""
    if stream is not None and stream.duration and stream.time_base:
        return round(float(stream.duration * stream.time_base), 3)
    if container.duration:
        return round(container.duration / av.time_base, 3)
    return None


def tags_of(container: InputContainer) -> dict[str, str]:
    """The container's tags and then its streams' (Ogg keeps them on the stream), keys in lower
    case (Matroska writes them in capitals); the container's win."""
    tags: dict[str, str] = {}
    for source in (container.metadata, *(s.metadata for s in container.streams)):
        for key, value in source.items():
            if isinstance(value, str) and value.strip():
                tags.setdefault(key.lower(), value.strip())
    return tags


def album_of(tags: dict[str, str]) -> str | None:
    return _first(tags, _ALBUM)


def embedded_metadata(tags: dict[str, str]) -> EmbeddedMetadata | None:
    """The descriptive tags in the shape image metadata has; None when there are none."""
    notes: list[str] = []
    metadata = EmbeddedMetadata(
        title=_first(tags, _TITLE),
        description=_first(tags, _DESCRIPTION),
        creators=_split(_first(tags, _CREATORS)),
        copyright=_first(tags, _COPYRIGHT),
        keywords=_unique(k for key in _KEYWORDS for k in _split(tags.get(key))),
        date_taken=_date(_first(tags, _DATES), notes),
        make=_first(tags, _MAKE),
        model=_first(tags, _MODEL),
        warnings=notes,
    )
    position = _position(_first(tags, _LOCATION), notes)
    if position is not None:
        metadata.gps_lat, metadata.gps_lon = position
    empty = EmbeddedMetadata(warnings=notes)
    return None if metadata == empty and not notes else metadata


def _first(tags: dict[str, str], keys: Iterable[str]) -> str | None:
    return next((tags[key] for key in keys if tags.get(key)), None)


def _split(value: str | None) -> list[str]:
    return _unique(_SEPARATORS.split(value)) if value else []


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v and v.strip()))


def _date(text: str | None, notes: list[str]) -> datetime | None:
    """ISO 8601 (``2024-05-06T07:08:09.000000Z``, as FFmpeg writes creation_time), or a year
    or year and month alone (ID3 ``date``); a time without a zone is taken as UTC, as
    QuickTime stores it."""
    if not text:
        return None
    partial = _YEAR_MONTH.match(text)
    try:
        if partial:
            found = datetime(int(partial[1]), int(partial[2] or 1), 1)
        else:
            found = datetime.fromisoformat(text.replace(" UTC", "Z"))
    except ValueError:
        notes.append(f"date {text!r} not understood")
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def _position(text: str | None, notes: list[str]) -> tuple[float, float] | None:
    """Latitude and longitude of an ISO 6709 point (``+51.5074-000.1278+012.3/``)."""
    if not text:
        return None
    found = _ISO_6709.match(text.strip())
    if found is None:
        notes.append(f"location {text!r} is not an ISO 6709 point")
        return None
    latitude = _degrees(found[1], found[2], found[3], 2)
    longitude = _degrees(found[4], found[5], found[6], 3)
    if abs(latitude) > 90 or abs(longitude) > 180:
        notes.append(f"location {text!r} is off the globe")
        return None
    return latitude, longitude


def _degrees(sign: str, digits: str, fraction: str | None, degree_digits: int) -> float:
    """±DD.D, ±DDMM.M or ±DDMMSS.S (DDD for longitude) as decimal degrees."""
    minutes = degree_digits + 2
    parts = [digits[:degree_digits], digits[degree_digits:minutes], digits[minutes:]]
    values = [float(part) if part else 0.0 for part in parts]
    last = max(i for i, part in enumerate(parts) if part)
    values[last] += float(fraction or 0)
    value = values[0] + values[1] / 60 + values[2] / 3600
    return -value if sign == "-" else value
