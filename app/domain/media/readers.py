"""Which reader learns the facts of a file that is not a still image, chosen by its media type.

``application/pdf``: :mod:`.pdf`; ``video/*``: :mod:`.video`; ``audio/*``: :mod:`.audio`. The
reader's module is imported when first needed, so that a missing native library (or a reader
not written yet) costs only its kind: such files, and every other kind of document, get the
card that shows their type (:func:`app.domain.media.cards.generic_rendition`) and nothing more.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from pathlib import Path

from app.domain.media.cards import generic_rendition
from app.domain.media.facts import Limits, MediaFacts
from app.domain.media.images import BadFile

log = logging.getLogger(__name__)

Reader = Callable[[Path, str, Limits], MediaFacts]
_BY_TYPE = {"application/pdf": "pdf"}  # exact media types, then the major type names a module
_BY_MAJOR = {"video": "video", "audio": "audio"}


def read_media(path: Path, mime: str, limits: Limits) -> MediaFacts:
    """The facts of the file at ``path``, always with a thumbnail and a preview.

    Raises :class:`BadFile` (one line) for a file its reader cannot use, whatever the reader
    raised: one bad file must never stop an ingest of many.
    """
    reader = reader_for(mime)
    if reader is None:
        return MediaFacts(mime=mime, renditions=generic_rendition(mime, path.name))
    try:
        facts = reader(path, mime, limits)
    except (BadFile, OSError):
        raise
    except Exception as error:  # a reader's bug is this file's failure, not the whole run's
        log.exception("reading %s as %s failed", path, mime)
        detail = (str(error).splitlines() or [type(error).__name__])[0]
        raise BadFile(f"cannot be read as {mime}: {detail}") from error
    if "thumbnail" not in facts.renditions or "preview" not in facts.renditions:
        facts.renditions = {**generic_rendition(mime, path.name), **facts.renditions}
    return facts


def reader_for(mime: str) -> Reader | None:
    """The ``read`` function for ``mime``; None when no reader can be imported for it."""
    name = _BY_TYPE.get(mime) or _BY_MAJOR.get(mime.split("/", 1)[0])
    if name is None:
        return None
    try:
        module = importlib.import_module(f"{__package__}.{name}")
    except ImportError as error:
        log.info("no %s reader (%s): %s files get their type card", name, error, mime)
        return None
    return getattr(module, "read", None)
