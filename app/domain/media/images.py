"""Image decoding and renditions with Pillow.

Every image Atrium keeps gets a JPEG preview (longest side 1024 px) and thumbnail (256 px);
every other file gets a neat card showing its type (:mod:`app.domain.media.cards`), so that
every asset has a picture.
Bad files (truncated, corrupt, decompression bombs, wrong extension) raise `BadFile` with a
one-line reason a person understands; no Pillow exception escapes this module.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pillow_heif
from PIL import Image, ImageCms, UnidentifiedImageError

from app.domain.media.types import guess_mime
from app.storage.media import hash_bytes

pillow_heif.register_heif_opener()

DEFAULT_MAX_PIXELS = 200_000_000
PREVIEW_SIDE = 1024
THUMBNAIL_SIDE = 256
JPEG_QUALITY = 85

_ORIENTATION_TAG = 0x0112
_HIGH_DEPTH_MODES = {"I;16", "I;16B", "I;16L", "I;16N", "I", "F"}
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class BadFile(Exception):
    """A file that cannot be used as an image; `reason` is one line for a person to read."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ImageInfo:
    """What `probe` learns about an image. Width and height are as displayed (after rotation)."""

    format: str
    mime: str
    width: int
    height: int
    frames: int
    orientation: int | None


@dataclass(frozen=True)
class Rendition:
    """A derived JPEG picture of an asset."""

    data: bytes
    width: int
    height: int

    @cached_property
    def sha256(self) -> str:
        """The hash the picture is stored under (taken once: the record and the store share it)."""
        return hash_bytes(self.data)


# --- Pillow's bomb guard ------------------------------------------------------------------------


class _PillowLimitSwitch:
    """Switches off Pillow's process-wide pixel limit while Atrium applies its configured one.

    Pillow reads `Image.MAX_IMAGE_PIXELS` (a module global) and refuses to even open an image
    above twice that limit, before we could learn its size. Callers share one switch-off; the
    last one out restores the original value, so the change never outlives a decode.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._saved_limit: int | None = None

    @contextmanager
    def lifted(self) -> Iterator[None]:
        with self._lock:
            if self._users == 0:
                self._saved_limit = Image.MAX_IMAGE_PIXELS
                Image.MAX_IMAGE_PIXELS = None
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    Image.MAX_IMAGE_PIXELS = self._saved_limit


_pillow_limit = _PillowLimitSwitch()


# --- opening and probing ------------------------------------------------------------------------


@contextmanager
def open_image(path: Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Iterator[Image.Image]:
    """Open an image (header only) after checking its size against `max_pixels`.

    Any exception raised by Pillow, here or in the body of the `with` block, becomes `BadFile`.
    """
    with _pillow_limit.lifted():
        try:
            with Image.open(path) as image:
                _check_size(image.width, image.height, max_pixels)
                yield image
        except BadFile:
            raise
        except UnidentifiedImageError as error:
            if _header_declares_zero_size(path):
                raise BadFile("image has zero width or height") from error
            raise BadFile(_reason(error)) from error
        except Exception as error:
            raise BadFile(_reason(error)) from error


def probe(path: Path, *, max_pixels: int) -> ImageInfo:
    """Identify an image and decode its first frame fully, so that broken files fail here."""
    with open_image(path, max_pixels=max_pixels) as image:
        image.load()
        return _info(image, path)


def read_image(path: Path, *, max_pixels: int) -> tuple[ImageInfo, dict[str, Rendition]]:
    """What ingest needs, opening and decoding the file once: its facts and its renditions.

    Decoding for the preview (at reduced scale for JPEG) reads all of the compressed data, so
    a truncated or corrupt file fails here just as it would in :func:`probe`.
    """
    with open_image(path, max_pixels=max_pixels) as image:
        info = _info(image, path)
        preview = _preview_image(image)
    return info, renditions_from(preview)


def _info(image: Image.Image, path: Path) -> ImageInfo:
    orientation = orientation_of(image)
    width, height = image.size
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return ImageInfo(
        format=image.format or "unknown",
        mime=image.get_format_mimetype() or guess_mime(path),
        width=width,
        height=height,
        frames=getattr(image, "n_frames", 1),
        orientation=orientation,
    )


def _check_size(width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise BadFile("image has zero width or height")
    if width * height > max_pixels:
        raise BadFile(
            f"image is too large: {width}×{height} px exceeds the {max_pixels:,} px limit "
            "(decompression bomb guard)"
        )


def _reason(error: Exception) -> str:
    if isinstance(error, UnidentifiedImageError):
        return "not an image Pillow can read (broken file or wrong extension)"
    if isinstance(error, Image.DecompressionBombError):
        return "image is too large (decompression bomb guard)"
    if isinstance(error, MemoryError):
        return "image needs more memory to decode than is available"
    detail = (str(error).splitlines() or [type(error).__name__])[0]
    if isinstance(error, OSError) and "truncated" in detail:
        return "image is truncated"
    return f"image cannot be decoded: {detail}"


def _header_declares_zero_size(path: Path) -> bool:
    """Whether a GIF or PNG header says 0 px wide or high (Pillow just calls these unreadable)."""
    try:
        with open(path, "rb") as file:
            head = file.read(24)
    except OSError:
        return False
    if head[:6] in (b"GIF87a", b"GIF89a") and len(head) >= 10:
        sizes = (head[6:8], head[8:10])
    elif head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        sizes = (head[16:20], head[20:24])
    else:
        return False
    return any(int.from_bytes(size, "little") == 0 for size in sizes)


def orientation_of(image: Image.Image) -> int | None:
    try:
        value = image.getexif().get(_ORIENTATION_TAG)
    except Exception:  # a broken EXIF block must not make a good picture unusable
        return None
    return value if isinstance(value, int) and 1 <= value <= 8 else None


# --- renditions ---------------------------------------------------------------------------------


def renditions_of_picture(picture: Image.Image) -> dict[str, Rendition]:
    """The "preview" and "thumbnail" of a picture drawn or decoded elsewhere (a video's
    poster frame, a waveform), made exactly as an image file's are."""
    return renditions_from(_preview_image(picture))


def renditions_from(preview: Image.Image) -> dict[str, Rendition]:
    """The "preview" (this picture, as JPEG) and the "thumbnail" shrunk from it."""
    thumbnail = preview.copy()
    # reducing_gap 1.0: averaging whole blocks first (4×4 from a 1024 px preview), then a
    # bicubic pass over what is left; three times faster than a gap of 2.0, and as close
    # (within 0.6 of 255 per channel) to a Lanczos shrink of the full-size image
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.BICUBIC, 1.0)
    return {"preview": encode_jpeg(preview), "thumbnail": encode_jpeg(thumbnail, optimize=True)}


def _preview_image(image: Image.Image) -> Image.Image:
    if image.format in ("JPEG", "MPO"):
        # libjpeg decodes straight to 1/2, 1/4 or 1/8 scale: far faster than full size
        image.draft("RGB", _fit(image.size, PREVIEW_SIDE))
    orientation = orientation_of(image)
    # Resize first, then turn upright and fix colours: both are cheaper on the small image.
    # Pillow's BILINEAR is a proper antialiasing filter when shrinking, and a third faster
    # than BICUBIC at these sizes.
    resizable = to_resizable(image)
    preview = resizable.resize(_fit(resizable.size, PREVIEW_SIDE), Image.Resampling.BILINEAR)
    return to_srgb(upright(preview, orientation))


def _fit(size: tuple[int, int], longest_side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, longest_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def upright(image: Image.Image, orientation: int | None) -> Image.Image:
    """Apply the EXIF orientation (TIFF/EXIF tag 274) the way ImageOps.exif_transpose does."""
    method = _TRANSPOSE_FOR_ORIENTATION.get(orientation or 1)
    return image.transpose(method) if method is not None else image


def to_resizable(image: Image.Image) -> Image.Image:
    """Modes Pillow can only resize crudely (palette, 1-bit) or not show (16-bit, float)."""
    if image.mode in _HIGH_DEPTH_MODES:
        return _stretch_to_8_bit(image)
    if image.mode in ("P", "PA"):
        return image.convert("RGBA" if image.has_transparency_data else "RGB")
    if image.mode == "1":
        return image.convert("L")
    return image


def to_srgb(image: Image.Image) -> Image.Image:
    """Any other mode to plain sRGB; transparency is composited on white."""
    if image.mode in ("RGB", "CMYK") and image.info.get("icc_profile"):
        image = _icc_to_srgb(image)
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")


def _stretch_to_8_bit(image: Image.Image) -> Image.Image:
    """Map the used range of a 16-bit or float image onto 0–255 (thermal and scientific images
    use a narrow band of values and would otherwise show as flat black or white)."""
    if image.mode != "F":
        image = image.convert("I")
    low, high = image.getextrema()
    scale = 255 / max(high - low, 1)
    return image.point(lambda value: value * scale - low * scale).convert("L")


def _icc_to_srgb(image: Image.Image) -> Image.Image:
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(image.info["icc_profile"]))
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):  # broken profile: plain convert
        return image


def encode_jpeg(image: Image.Image, *, optimize: bool = False) -> Rendition:
    """JPEG bytes; ``optimize`` (two-pass Huffman tables) only pays for small, often-served
    images: it saves a few per cent of bytes but costs ~1 ms on a 1024 px preview."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=optimize)
    return Rendition(data=buffer.getvalue(), width=image.width, height=image.height)
