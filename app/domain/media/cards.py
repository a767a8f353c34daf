"""Cards for files that are not images: a picture showing the file's type (e.g. "PDF").

Every asset has a preview and a thumbnail; a file with no picture of its own gets a card,
made into renditions exactly as an image's preview is
(:func:`app.domain.media.images.renditions_from`).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from app.domain.media.images import PREVIEW_SIDE, Rendition, renditions_from

_CARD_SIZE = (PREVIEW_SIDE, PREVIEW_SIDE * 3 // 4)
_CARD_BACKGROUND = (243, 244, 246)
_LABELS_BY_MIME = {
    "application/pdf": "PDF",
    "application/zip": "ZIP",
    "text/plain": "TEXT",
    "application/octet-stream": "FILE",
}
_ACCENTS = [
    ("application/pdf", (192, 57, 43)),
    ("video/", (124, 58, 237)),
    ("audio/", (217, 119, 6)),
    ("wordprocessing", (37, 99, 235)),
    ("msword", (37, 99, 235)),
    ("opendocument.text", (37, 99, 235)),
    ("spreadsheet", (22, 163, 74)),
    ("ms-excel", (22, 163, 74)),
    ("presentation", (234, 88, 12)),
    ("powerpoint", (234, 88, 12)),
    ("text/", (71, 85, 105)),
    ("zip", (146, 64, 14)),
]
_DEFAULT_ACCENT = (100, 116, 139)


def generic_rendition(mime: str, name: str) -> dict[str, Rendition]:
    """A card showing the file type (e.g. "PDF") for files that have no picture of their own."""
    return renditions_from(_draw_card(_type_label(mime, name), _accent(mime), name))


def _type_label(mime: str, name: str) -> str:
    suffix = Path(name).suffix.lstrip(".")
    if 1 <= len(suffix) <= 5 and suffix.isalnum():
        return suffix.upper()
    if mime in _LABELS_BY_MIME:
        return _LABELS_BY_MIME[mime]
    major = mime.split("/", 1)[0]
    return major.upper() if major in ("video", "audio", "text", "image") else "FILE"


def _accent(mime: str) -> tuple[int, int, int]:
    return next((colour for part, colour in _ACCENTS if part in mime), _DEFAULT_ACCENT)


def _draw_card(label: str, accent: tuple[int, int, int], name: str) -> Image.Image:
    card = Image.new("RGB", _CARD_SIZE, _CARD_BACKGROUND)
    draw = ImageDraw.Draw(card)
    width, height = _CARD_SIZE
    page = (width // 2 - 190, 70, width // 2 + 190, height - 130)
    draw.rounded_rectangle(page, radius=24, fill="white", outline=(209, 213, 219), width=4)
    band = (page[0] - 40, height // 2 - 80, page[2] + 40, height // 2 + 60)
    draw.rounded_rectangle(band, radius=20, fill=accent)
    centre = ((band[0] + band[2]) // 2, (band[1] + band[3]) // 2)
    draw.text(centre, label, fill="white", font=_font(110), anchor="mm")
    caption = name if len(name) <= 48 else name[:45] + "…"
    draw.text((width // 2, height - 65), caption, fill=(55, 65, 81), font=_font(36), anchor="mm")
    return card


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)
