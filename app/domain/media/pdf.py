"""PDF documents with PDFium (pypdfium2): pictures of their pages, their text and metadata.

- Renditions: ``preview`` (first page, longest side 1024 px) and ``thumbnail`` (256 px), and
  ``page-2``… up to :attr:`~.facts.Limits.max_pages` at the preview's size, for the page strip.
  Each page is rendered at a scale that keeps it under the preview size and under
  :attr:`~.facts.Limits.max_pixels`, so a page declared a kilometre wide costs no more.
- Metadata: the Info dictionary (Title, Author, Subject, Keywords, CreationDate) and the XMP
  packet of the document, found uncompressed in the file as XMP part 3 asks; XMP wins, as for
  images (:func:`app.domain.media.embedded_metadata.document_metadata`).
- Text: the text layer of the first ``max_pages`` pages, at most ``max_text_chars``
  characters. The record keeps it as a literal (``schema:text``, see
  :mod:`app.domain.media.describe` for why), which is how search finds it.

A file PDFium cannot open (truncated, corrupt, encrypted) raises
:class:`~app.domain.media.images.BadFile` with a one-line reason; nothing else escapes. PDFium is
not thread-safe, so one lock serialises its use within a process (upload threads of the web
server); ingest workers are separate processes and run side by side.
"""

from __future__ import annotations

import math
import mmap
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from app.domain.media.embedded_metadata import document_metadata
from app.domain.media.facts import Limits, MediaFacts
from app.domain.media.images import PREVIEW_SIDE, BadFile, encode_jpeg, renditions_from
from app.domain.media.xmp import find_packet

PAGE_RENDITION = "page-{number}"  # the kind of the rendition of page 2, 3…
MAX_PACKET_BYTES = 1 << 20  # an XMP packet larger than this is not read
_PACKET_HEAD = re.compile(rb"/Type\s*/Metadata")  # the stream dictionary before a packet
_PACKET_HEAD_BYTES = 400
_PDF_DATE = re.compile(
    r"(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?\s*(?:(Z)|([+-])(\d{2})'?(\d{2})?'?)?"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]+")  # kept: tab and line feed
_pdfium = threading.Lock()


def read(path: Path, mime: str, limits: Limits) -> MediaFacts:
    """The facts of the PDF at ``path``; BadFile if PDFium cannot open it."""
    with _opened(path) as document:
        pages = len(document)
        if pages == 0:
            raise BadFile("PDF has no pages")
        info = document.get_metadata_dict(skip_empty=True)
        first = _render(document[0], limits)
        renditions = renditions_from(first)
        for number in range(2, min(pages, limits.max_pages) + 1):  # encoded one at a time
            kind = PAGE_RENDITION.format(number=number)
            renditions[kind] = encode_jpeg(_render(document[number - 1], limits))
        text = _text(document, limits)
    return MediaFacts(
        mime=mime,
        renditions=renditions,
        metadata=document_metadata(_own_fields(info), _packet(path)),
        pages=pages,
        text=text,
    )


def page_kinds(renditions: list[str]) -> list[str]:
    """The page renditions among ``renditions``' kinds, in page order (``page-2``, ``page-3``…)."""
    prefix = PAGE_RENDITION.format(number="")
    numbered = [k for k in renditions if k.startswith(prefix) and k[len(prefix) :].isdigit()]
    return sorted(numbered, key=lambda kind: int(kind[len(prefix) :]))


@contextmanager
def _opened(path: Path) -> Iterator[pdfium.PdfDocument]:
    with _pdfium:
        try:
            document = pdfium.PdfDocument(path)
        except pdfium.PdfiumError as error:
            raise BadFile(_reason(error)) from error
        try:
            yield document
        except pdfium.PdfiumError as error:
            raise BadFile(f"PDF cannot be read: {_reason(error)}") from error
        finally:
            document.close()


def _reason(error: Exception) -> str:
    detail = (str(error).splitlines() or [type(error).__name__])[0]
    if "password" in detail.lower():
        return "PDF is encrypted with a password"
    if "format" in detail.lower() or "not found" in detail.lower():
        return "not a PDF PDFium can read (truncated or corrupt file)"
    return f"PDF cannot be opened: {detail}"


def _render(page: pdfium.PdfPage, limits: Limits) -> Image.Image:
    width, height = page.get_size()  # in points
    if width <= 0 or height <= 0:
        raise BadFile("PDF page has zero width or height")
    scale = min(PREVIEW_SIDE / max(width, height), math.sqrt(limits.max_pixels / (width * height)))
    while math.ceil(width * scale) * math.ceil(height * scale) > limits.max_pixels:
        scale *= 0.99  # PDFium rounds the bitmap's sides up
    bitmap = page.render(scale=scale, may_draw_forms=True)
    try:
        return bitmap.to_pil().convert("RGB")
    finally:
        bitmap.close()
        page.close()


def _text(document: pdfium.PdfDocument, limits: Limits) -> str | None:
    parts: list[str] = []
    room = limits.max_text_chars
    for index in range(min(len(document), limits.max_pages)):
        if room <= 0:
            break
        page = document[index]
        textpage = page.get_textpage()
        try:
            found = textpage.get_text_range()
        finally:
            textpage.close()
            page.close()
        cleaned = _CONTROL.sub(" ", found.replace("\r\n", "\n").replace("\r", "\n")).strip()
        if cleaned:
            parts.append(cleaned[:room])
            room -= len(parts[-1]) + 2
    return "\n\n".join(parts) or None


def _own_fields(info: dict[str, str]) -> dict[str, object]:
    """The Info dictionary (PDF 2.0 §14.3.3) in the names of embedded metadata."""
    keywords = re.split(r"[,;]", info.get("Keywords", ""))
    author = info.get("Author", "")
    return {
        "title": info.get("Title"),
        "description": info.get("Subject"),
        "creators": [name.strip() for name in re.split(r";", author) if name.strip()],
        "keywords": [word.strip() for word in keywords if word.strip()],
        "date_taken": _iso_date(info.get("CreationDate", "")),
    }


def _iso_date(text: str) -> str | None:
    """A PDF date (``D:20240131120000+01'00'``, PDF 2.0 §7.9.4) as ISO 8601 text."""
    match = _PDF_DATE.fullmatch(text.strip())
    if not match:
        return text or None
    year, month, day, hour, minute, second, utc, sign, zone_hours, zone_minutes = match.groups()
    iso = f"{year}-{month or '01'}-{day or '01'}T{hour or '00'}:{minute or '00'}:{second or '00'}"
    if utc:
        return iso + "Z"
    if sign:
        return f"{iso}{sign}{zone_hours}:{zone_minutes or '00'}"
    return iso


def _packet(path: Path) -> bytes | None:
    """The document's XMP packet: the first found after a ``/Type /Metadata`` stream header
    (so that the XMP inside an embedded JPEG is not taken for the document's)."""
    try:
        with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            start = 0
            while (found := data.find(b"<x:xmpmeta", start)) >= 0:
                head = data[max(0, found - _PACKET_HEAD_BYTES) : found]
                if _PACKET_HEAD.search(head):
                    return find_packet(data[found : found + MAX_PACKET_BYTES])
                start = found + 1
    except (OSError, ValueError):  # an empty file cannot be mapped
        return None
    return None
