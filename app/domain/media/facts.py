"""What a reader learns from a document, video or audio file, whatever its kind.

Each reader (``read(path, limits) -> MediaFacts``, one module per kind in this package) runs in
an ingest worker process, never raises for a bad file but raises
:class:`~app.domain.media.images.BadFile` with a one-line reason, and caps its own work by
:class:`Limits`. Ingest turns the facts into the asset's record and renditions; nothing here
knows about the graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.domain.media.embedded_metadata import EmbeddedMetadata
from app.domain.media.images import Rendition


@dataclass(frozen=True)
class Limits:
    """How much work one file may cost."""

    max_pixels: int  # largest picture decoded or rendered
    max_pages: int = 20  # pages rendered as previews, and read for text
    max_text_chars: int = 200_000  # text kept for search
    max_seconds: float = 30.0  # media time decoded to find a poster frame or draw a waveform


@dataclass
class MediaFacts:
    """The facts found; None or empty where the kind has no such fact.

    ``renditions``: ``thumbnail`` and ``preview`` JPEGs (and ``page-2``… for documents) as
    ingest stores them. ``metadata``: embedded title, creators, description, keywords, dates
    and GPS, in the same shape as an image's, so that one mapping turns it into the record.
    """

    mime: str
    renditions: dict[str, Rendition] = field(default_factory=dict)
    metadata: EmbeddedMetadata | None = None
    pages: int | None = None
    duration_seconds: float | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    codecs: list[str] = field(default_factory=list)
    text: str | None = None  # a document's text layer, at most Limits.max_text_chars
    needs_web_rendition: bool = False  # a video browsers cannot play as it is
    album: str | None = None  # the album (or series) a recording's tags name
