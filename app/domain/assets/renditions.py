"""Sizes and formats of an image made on request: JPEG, PNG or WebP at a maximum width.

Each is made once and kept in a cache folder of the data folder, keyed by the original's
SHA-256, the format and the width made: ``root/ab/<sha256>/<width>.<extension>``. The width
made is never wider than the original (nothing is upscaled) nor than the configured maximum,
so asking for 5000 px of a 2000 px image reads the same file as asking for 2000 px. A file
is written to a temporary file beside it and renamed into place, so a reader never sees half
of one; one thread makes a given file while the others asking for it wait and then read it.
Each original keeps at most :data:`MAX_VARIANTS` files, the least recently read going first,
so asking for every possible width cannot fill the disk.

Pictures are made like the stored renditions (:mod:`app.domain.media.images`): first frame, turned
upright, in sRGB; PNG and WebP keep transparency, JPEG puts it on white. No metadata of the
original (EXIF, GPS, XMP) is copied into them.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from app.domain.keyed_locks import KeyedLocks
from app.domain.media.images import (
    JPEG_QUALITY,
    open_image,
    orientation_of,
    to_resizable,
    to_srgb,
    upright,
)

MIN_WIDTH = 16
MAX_VARIANTS = 32  # cached files per original
LEFTOVER_SECONDS = 3600  # a temporary file this old was left by a killed process
_TURNED = (5, 6, 7, 8)  # EXIF orientations that swap width and height
_PROFILE_MODES = ("RGB", "RGBA")  # an RGB ICC profile describes these; others are converted
_making = KeyedLocks()


@dataclass(frozen=True)
class OutputFormat:
    """A format pictures are made in: its ``name`` in requests, and how Pillow writes it."""

    name: str
    pillow: str
    mime: str
    extension: str
    keeps_transparency: bool
    options: dict[str, object] = field(default_factory=dict)


FORMATS: dict[str, OutputFormat] = {
    f.name: f
    for f in (
        OutputFormat("jpeg", "JPEG", "image/jpeg", ".jpg", False, {"quality": JPEG_QUALITY}),
        OutputFormat("png", "PNG", "image/png", ".png", True),
        OutputFormat("webp", "WEBP", "image/webp", ".webp", True, {"quality": JPEG_QUALITY}),
    )
}


class VariantRefused(ValueError):
    """A request for a format or width that is not made; the message says what is."""


@dataclass(frozen=True)
class Variant:
    """What was asked for: a format, and a width (None: as wide as may be made)."""

    format: OutputFormat
    width: int | None = None


@dataclass(frozen=True)
class MadePicture:
    """A cached file; ``made``: False when an earlier request had already made it."""

    path: Path
    format: OutputFormat
    width: int
    height: int
    made: bool


def variant_from(format_name: str | None, width_text: str | None, max_width: int) -> Variant:
    """The variant a request names (``format``: jpeg, png or webp; ``width``: whole pixels,
    empty for as wide as may be made); :class:`VariantRefused` saying what is allowed."""
    chosen = FORMATS.get((format_name or "").strip().lower())
    if chosen is None:
        raise VariantRefused(
            f"format must be one of {', '.join(FORMATS)}, not {format_name or 'nothing'!r}"
        )
    text = (width_text or "").strip()
    if not text:
        return Variant(chosen)
    allowed = f"width must be a whole number of pixels from {MIN_WIDTH} to {max_width}"
    if not text.isascii() or not text.isdigit():
        raise VariantRefused(f"{allowed}, not {width_text!r}")
    width = int(text)
    if not MIN_WIDTH <= width <= max_width:
        raise VariantRefused(f"{allowed}, not {width}")
    return Variant(chosen, width)


class PictureCache:
    """Pictures made from originals on request, kept under ``root``."""

    def __init__(self, root: Path, *, max_pixels: int, max_width: int) -> None:
        self.root = Path(root)
        self.max_pixels = max_pixels
        self.max_width = max_width

    def picture(self, source: Path, sha256: str, variant: Variant) -> MadePicture:
        """The picture of the original at ``source`` (whose SHA-256 is ``sha256``), made now
        or read from the cache. Raises :class:`app.domain.media.images.BadFile` when Pillow cannot
        open or decode the original."""
        width, height = self._size_made(source, variant)
        path = self.folder(sha256) / f"{width}{variant.format.extension}"
        with _making.hold(str(path)):
            if _mark_read(path):
                return MadePicture(path, variant.format, width, height, made=False)
            data = self._render(source, (width, height), variant.format)
            _write_atomically(path, data)
        self._evict(path.parent, keep=path)
        return MadePicture(path, variant.format, width, height, made=True)

    def folder(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def forget(self, sha256: str) -> None:
        """Remove every picture made from this original (when it is no longer stored)."""
        shutil.rmtree(self.folder(sha256), ignore_errors=True)

    def _size_made(self, source: Path, variant: Variant) -> tuple[int, int]:
        """Width and height (upright) of the picture: as asked, never wider than the
        original or the maximum."""
        with open_image(source, max_pixels=self.max_pixels) as image:
            width, height = image.size
            if orientation_of(image) in _TURNED:
                width, height = height, width
        made = min(variant.width or width, width, self.max_width)
        return made, max(1, round(height * made / width))

    def _render(self, source: Path, size: tuple[int, int], output: OutputFormat) -> bytes:
        with open_image(source, max_pixels=self.max_pixels) as image:
            orientation = orientation_of(image)
            stored = size[::-1] if orientation in _TURNED else size
            if image.format in ("JPEG", "MPO"):
                image.draft("RGB", stored)  # libjpeg decodes at 1/2, 1/4 or 1/8 scale
            picture = to_resizable(image)
            if picture.size != stored:
                picture = picture.resize(stored, Image.Resampling.LANCZOS, reducing_gap=3.0)
            picture = upright(picture, orientation)
            profile = picture.info.get("icc_profile") if picture.mode in _PROFILE_MODES else None
            if output.keeps_transparency and picture.has_transparency_data:
                picture = picture.convert("RGBA")
            else:
                picture, profile = to_srgb(picture), None  # sRGB is the default: no profile
            buffer = io.BytesIO()
            picture.save(buffer, output.pillow, icc_profile=profile, **output.options)
        return buffer.getvalue()

    def _evict(self, folder: Path, keep: Path) -> None:
        """Keep at most MAX_VARIANTS pictures in ``folder``, dropping the least recently
        read, and the temporary files killed processes left."""
        pictures, now = [], time.time()
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(folder):
                info = entry.stat(follow_symlinks=False)
                if entry.name.startswith("."):
                    if now - info.st_mtime > LEFTOVER_SECONDS:
                        _remove(Path(entry.path))
                elif entry.path != str(keep):
                    pictures.append((info.st_atime, Path(entry.path)))
        for _, path in sorted(pictures)[: max(0, len(pictures) + 1 - MAX_VARIANTS)]:
            with _making.hold(str(path)):
                _remove(path)


def _mark_read(path: Path) -> bool:
    """Whether ``path`` is made; if so, note it as read now (its modification time stays the
    time it was made)."""
    try:
        info = path.stat()
        os.utime(path, ns=(time.time_ns(), info.st_mtime_ns))
    except FileNotFoundError:
        return False
    return True


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as output:
            output.write(data)
            output.flush()
            os.fsync(output.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        _remove(Path(temporary))
        raise


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
