"""What type of file this is: its leading bytes first, then its name, else a text check.

The tables say which magic numbers, ISO media brands, RIFF types and OOXML folders name
which media type; ``mimetypes`` answers for everything else by the file's name.
"""

from __future__ import annotations

import mimetypes
import zipfile
from pathlib import Path

_EXTRA_TYPES = {
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".avif": "image/avif",
    ".webp": "image/webp",
    ".mpo": "image/mpo",
}
_ISO_MEDIA_BRANDS = {
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"heim": "image/heic",
    b"heis": "image/heic",
    b"mif1": "image/heif",
    b"msf1": "image/heif",
    b"avif": "image/avif",
    b"avis": "image/avif",
    b"qt  ": "video/quicktime",
    b"M4A ": "audio/mp4",
    b"M4B ": "audio/mp4",
}
_MAGIC = [
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"ID3", "audio/mpeg"),
    (b"OggS", "audio/ogg"),
    (b"\x1aE\xdf\xa3", "video/webm"),
]
_HEAD_BYTES = 512
_RIFF_TYPES = {b"WEBP": "image/webp", b"AVI ": "video/x-msvideo", b"WAVE": "audio/wav"}
_OOXML_FOLDERS = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def guess_mime(path: Path) -> str:
    """The media type of a file: its leading bytes first, then its name, else a text check."""
    path = Path(path)
    head = _read_head(path)
    return (
        _sniff(head, path)
        or mime_from_name(path)
        or ("text/plain" if _looks_like_text(head) else "application/octet-stream")
    )


def mime_from_name(path: Path) -> str | None:
    return _EXTRA_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]


def _read_head(path: Path) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read(_HEAD_BYTES)
    except OSError:
        return b""


def _sniff(head: bytes, path: Path) -> str | None:
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF":
        return _RIFF_TYPES.get(head[8:12])
    if head[4:8] == b"ftyp":
        return _ISO_MEDIA_BRANDS.get(head[8:12], "video/mp4")
    if head.startswith(b"PK\x03\x04"):
        return _zip_mime(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: legacy .doc, .xls, .ppt, .msg
        return mime_from_name(path) or "application/x-ole-storage"
    return None


def _zip_mime(path: Path) -> str:
    """Tell office documents (OOXML, OpenDocument, EPUB) from plain ZIP archives."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                return archive.read("mimetype").decode("ascii").strip() or "application/zip"
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError, KeyError):
        return "application/zip"
    for folder, mime in _OOXML_FOLDERS.items():
        if any(name.startswith(folder) for name in names):
            return mime
    return "application/zip"


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # only a multi-byte character cut off by the end of the window we read
        return len(head) == _HEAD_BYTES and error.start >= _HEAD_BYTES - 3
    return True
