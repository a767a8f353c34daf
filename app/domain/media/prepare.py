"""The worker side of ingest: what one file holds, learnt without touching the store.

:func:`prepare` hashes, sniffs and decodes one file (in a worker process when there are many,
:func:`prepare_all`); the main process then checks and stores the :class:`PreparedFile`
(:mod:`app.domain.media.ingest`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from app.domain.media.embedded_metadata import EmbeddedMetadata, read_embedded_metadata
from app.domain.media.facts import Limits, MediaFacts
from app.domain.media.images import BadFile, ImageInfo, Rendition, read_image
from app.domain.media.readers import read_media
from app.domain.media.types import guess_mime
from app.storage.media import hash_file

SMALL_BATCH = 8  # below this, worker processes cost more than they save


@dataclass
class PreparedFile:
    """What a worker learnt about one file; ``error`` is set when the file is unusable."""

    path: Path
    sha256: str = ""
    size: int = 0
    mime: str = "application/octet-stream"
    info: ImageInfo | None = None
    metadata: EmbeddedMetadata | None = None
    renditions: dict[str, Rendition] = field(default_factory=dict)
    facts: MediaFacts | None = None  # what the reader of a document, video or audio file found
    error: str | None = None


def prepare(path: Path, max_pixels: int) -> PreparedFile:
    """Hash, decode and describe one file. Runs in a worker process; never raises."""
    prepared = PreparedFile(path)
    try:
        prepared.sha256, prepared.size = hash_file(path)
        prepared.mime = guess_mime(path)
        if prepared.size == 0:
            raise BadFile("file is empty")
        if _is_document(prepared.mime):
            facts = prepared.facts = read_media(path, prepared.mime, Limits(max_pixels))
            prepared.mime, prepared.renditions = facts.mime, facts.renditions
            prepared.metadata = facts.metadata
            return prepared
        prepared.info, prepared.renditions = read_image(path, max_pixels=max_pixels)
        prepared.mime = prepared.info.mime
        prepared.metadata = read_embedded_metadata(path, max_pixels=max_pixels)
    except BadFile as error:
        prepared.error = str(error)
    except OSError as error:
        prepared.error = f"cannot read the file: {error.strerror or error}"
    return prepared


def _is_document(mime: str) -> bool:
    """Files we store and describe without decoding: anything that is not an image."""
    return not mime.startswith("image/") and mime != "application/octet-stream"


def prepare_all(paths: list[Path], max_pixels: int, workers: int = 0) -> Iterator[PreparedFile]:
    """``workers``: processes reading the files (0: one per CPU core, at most 8)."""
    if len(paths) < SMALL_BATCH or workers == 1:
        yield from (prepare(path, max_pixels) for path in paths)
        return
    workers = workers or min(os.cpu_count() or 1, 8)
    with ProcessPoolExecutor(workers) as pool:
        yield from pool.map(prepare, paths, [max_pixels] * len(paths), chunksize=2)
