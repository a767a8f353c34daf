"""Drawing the demo collection's pictures: simple scenes a person recognises (a warehouse,
a portrait, a bicycle on a backdrop…), coloured by department, with a caption band."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from app.domain.demo.company import DEPARTMENTS, Color
from app.domain.demo.metadata_writer import exif_text
from app.domain.demo.plan import Plan

# The scene is drawn at most this wide, then scaled up: drawing is the slow part.
SKETCH_WIDTH = 640


class Sketch:
    """Drawing in fractions of the canvas: x of the width, y and sizes of the height."""

    def __init__(self, image: Image.Image) -> None:
        self.image = image
        self.draw = ImageDraw.Draw(image)
        self.width, self.height = image.size

    def x(self, fraction: float) -> float:
        return fraction * self.width

    def y(self, fraction: float) -> float:
        return fraction * self.height

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: Color, radius=0.0) -> None:
        box = (self.x(x0), self.y(y0), self.x(x1), self.y(y1))
        self.draw.rounded_rectangle(box, radius=self.y(radius), fill=fill)

    def circle(self, cx: float, cy: float, r: float, fill=None, outline=None, width=0.0) -> None:
        box = (self.x(cx) - self.y(r), self.y(cy - r), self.x(cx) + self.y(r), self.y(cy + r))
        self.draw.ellipse(box, fill=fill, outline=outline, width=max(1, round(self.y(width))))

    def line(self, points: Sequence[tuple[float, float]], fill: Color, width: float) -> None:
        xy = [(self.x(px), self.y(py)) for px, py in points]
        self.draw.line(xy, fill=fill, width=max(1, round(self.y(width))), joint="curve")

    def polygon(self, points: Sequence[tuple[float, float]], fill: Color) -> None:
        self.draw.polygon([(self.x(px), self.y(py)) for px, py in points], fill=fill)

    def offset(self, x: float, dy: float) -> float:
        """``x`` moved by ``dy`` heights: keeps round things round on any aspect."""
        return x + dy * self.height / self.width


def _shade(color: Color, factor: float) -> Color:
    return tuple(max(0, min(255, round(channel * factor))) for channel in color)  # type: ignore[return-value]


def _jitter(color: Color, rng: random.Random, amount: int = 18) -> Color:
    return tuple(max(0, min(255, c + rng.randint(-amount, amount))) for c in color)  # type: ignore[return-value]


def _gradient(size: tuple[int, int], top: Color, bottom: Color) -> Image.Image:
    mask = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def _backdrop(size: tuple[int, int], plan: Plan, horizon: float) -> Image.Image:
    department = DEPARTMENTS[plan.department]
    top, bottom = (_jitter(color, plan.rng) for color in department.wall)
    image = _gradient(size, top, bottom)
    floor_height = round(size[1] * (1 - horizon))
    if floor_height > 0:
        floor = _jitter(department.floor, plan.rng)
        floor_image = _gradient((size[0], floor_height), _shade(floor, 1.25), _shade(floor, 0.7))
        image.paste(floor_image, (0, size[1] - floor_height))
    return image


def _vignette(image: Image.Image) -> Image.Image:
    mask = Image.radial_gradient("L").resize(image.size).point(lambda v: min(255, v * 3 // 4))
    return Image.composite(Image.new("RGB", image.size, (20, 18, 24)), image, mask)


def _person(sketch: Sketch, cx: float, feet: float, tall: float, shirt: Color, skin: Color) -> None:
    head = tall * 0.13
    half = tall * 0.17 * sketch.height / sketch.width
    sketch.rect(cx - half, feet - tall * 0.72, cx + half, feet, shirt, radius=tall * 0.1)
    sketch.circle(cx, feet - tall * 0.72 - head * 0.9, head, fill=skin)


SKIN = ((241, 194, 160), (224, 172, 130), (198, 134, 94), (141, 85, 54), (96, 60, 40))


def _crowd(sketch: Sketch, plan: Plan, count: int, feet: float, tall: float) -> None:
    for slot in range(count):
        cx = (slot + 0.5 + plan.rng.uniform(-0.25, 0.25)) / count
        shirt = _jitter(DEPARTMENTS[plan.department].accent, plan.rng, 60)
        row_feet = feet + plan.rng.uniform(-0.03, 0.03)
        _person(
            sketch, cx, row_feet, tall * plan.rng.uniform(0.9, 1.1), shirt, plan.rng.choice(SKIN)
        )


def _bicycle(sketch: Sketch, cx: float, ground: float, wheel: float, color: Color) -> None:
    back, front = sketch.offset(cx, -wheel * 1.25), sketch.offset(cx, wheel * 1.25)
    hub_y = ground - wheel
    for hub_x in (back, front):
        sketch.circle(hub_x, hub_y, wheel, outline=(30, 30, 30), width=wheel * 0.12)
    seat = (sketch.offset(cx, -wheel * 0.35), hub_y - wheel * 1.1)
    bar = (sketch.offset(cx, wheel * 0.9), hub_y - wheel * 1.25)
    crank = (cx, hub_y)
    frame = [(back, hub_y), seat, crank, (back, hub_y), crank, bar, seat, bar, (front, hub_y)]
    sketch.line(frame, color, wheel * 0.1)


def _forklift(sketch: Sketch, x: float, ground: float, size: float, color: Color) -> None:
    body_right = sketch.offset(x, size * 1.3)
    sketch.rect(x, ground - size * 0.75, body_right, ground - size * 0.15, color, radius=0.01)
    sketch.rect(
        x, ground - size * 1.3, sketch.offset(x, size * 0.8), ground - size * 0.75, (40, 40, 44)
    )
    mast = sketch.offset(body_right, size * 0.08)
    sketch.line(
        [(mast, ground - size * 1.6), (mast, ground - size * 0.05)], (50, 50, 50), size * 0.08
    )
    sketch.line(
        [(mast, ground - size * 0.08), (sketch.offset(mast, size * 0.7), ground - size * 0.08)],
        (60, 60, 60),
        size * 0.05,
    )
    for wheel_x in (sketch.offset(x, size * 0.3), sketch.offset(x, size * 1.05)):
        sketch.circle(wheel_x, ground - size * 0.17, size * 0.17, fill=(25, 25, 25))


def _racks(sketch: Sketch, plan: Plan, top: float, bottom: float) -> None:
    for column in range(6):
        left = 0.02 + column * 0.165
        sketch.rect(left, top, left + 0.012, bottom, (200, 90, 40))
        for level in range(4):
            shelf = top + (bottom - top) * (level + 1) / 4
            sketch.rect(left, shelf - 0.012, left + 0.15, shelf, (30, 80, 150))
            _boxes(sketch, plan, left + 0.015, shelf - 0.012, (bottom - top) / 4 * 0.7)


def _boxes(sketch: Sketch, plan: Plan, left: float, shelf: float, height: float) -> None:
    x = left
    while x < left + 0.12 and plan.rng.random() < 0.85:
        width = plan.rng.uniform(0.025, 0.045)
        box_height = height * plan.rng.uniform(0.5, 1.0)
        sketch.rect(x, shelf - box_height, x + width, shelf, _jitter((186, 146, 98), plan.rng, 20))
        x += width + 0.004


def _draw_warehouse(sketch: Sketch, plan: Plan) -> None:
    _racks(sketch, plan, 0.12, 0.66)
    _forklift(sketch, 0.58, 0.86, 0.22, DEPARTMENTS["operations"].accent)
    _crowd(sketch, plan, 2, 0.9, 0.32)


def _draw_forklift(sketch: Sketch, plan: Plan) -> None:
    _racks(sketch, plan, 0.1, 0.6)
    _forklift(sketch, 0.12, 0.85, 0.3, (242, 184, 28))
    _crowd(sketch, plan, 4, 0.95, 0.38)


def _draw_people(sketch: Sketch, plan: Plan) -> None:
    sketch.rect(0.1, 0.12, 0.9, 0.3, _jitter(DEPARTMENTS[plan.department].accent, plan.rng), 0.02)
    _crowd(sketch, plan, plan.rng.randint(4, 7), 0.96, 0.5)


def _draw_portrait(sketch: Sketch, plan: Plan) -> None:
    shirt = _jitter(DEPARTMENTS[plan.department].accent, plan.rng, 50)
    skin = plan.rng.choice(SKIN)
    sketch.circle(0.5, 1.15, 0.42, fill=shirt)  # shoulders
    sketch.rect(sketch.offset(0.5, -0.06), 0.6, sketch.offset(0.5, 0.06), 0.78, skin)  # neck
    sketch.circle(0.5, 0.5, 0.16, fill=skin)
    hair = plan.rng.choice(((60, 40, 30), (200, 160, 90), (30, 30, 30), (120, 60, 30)))
    head_box = [sketch.x(0.5) - sketch.y(0.17), sketch.y(0.32), sketch.x(0.5) + sketch.y(0.17)]
    sketch.draw.chord((*head_box, sketch.y(0.6)), 180, 360, fill=hair)
    for side in (-0.055, 0.055):
        sketch.circle(sketch.offset(0.5, side), 0.52, 0.014, fill=(40, 30, 30))
    mouth = (sketch.x(0.5) - sketch.y(0.06), sketch.y(0.53), sketch.x(0.5) + sketch.y(0.06))
    sketch.draw.arc((*mouth, sketch.y(0.6)), 20, 160, fill=(120, 50, 50), width=2)


def _draw_product(sketch: Sketch, plan: Plan) -> None:
    sketch.circle(0.5, 0.9, 0.1, fill=(240, 236, 228))
    sketch.draw.ellipse(
        (sketch.x(0.2), sketch.y(0.8), sketch.x(0.8), sketch.y(0.95)), fill=(60, 56, 52)
    )
    _bicycle(sketch, 0.5, 0.86, 0.2, _jitter(DEPARTMENTS[plan.department].accent, plan.rng, 60))


def _draw_fair(sketch: Sketch, plan: Plan) -> None:
    accent = DEPARTMENTS[plan.department].accent
    sketch.rect(0.08, 0.08, 0.92, 0.22, accent, 0.01)
    sketch.rect(0.3, 0.11, 0.7, 0.19, (250, 250, 250), 0.01)
    for spot in (0.2, 0.5, 0.8):
        sketch.circle(spot, 0.26, 0.03, fill=(255, 250, 210))
    _bicycle(sketch, 0.25, 0.7, 0.1, (20, 20, 20))
    _crowd(sketch, plan, 6, 0.97, 0.42)


def _draw_outdoor(sketch: Sketch, plan: Plan) -> None:
    sketch.circle(plan.rng.uniform(0.6, 0.9), 0.18, 0.08, fill=(255, 236, 180))
    for peak, shade in ((0.25, 0.62), (0.55, 0.5), (0.85, 0.7)):
        sketch.polygon(
            [(peak - 0.35, 0.62), (peak, plan.rng.uniform(0.18, 0.3)), (peak + 0.35, 0.62)],
            _shade((110, 130, 160), shade + 0.4),
        )
    sketch.polygon([(0.35, 1.0), (0.48, 0.62), (0.52, 0.62), (0.75, 1.0)], (80, 80, 84))
    _bicycle(sketch, 0.6, 0.92, 0.09, _jitter((200, 40, 40), plan.rng, 30))
    _person(sketch, 0.6, 0.76, 0.22, _jitter((30, 90, 170), plan.rng, 30), plan.rng.choice(SKIN))


def _draw_classroom(sketch: Sketch, plan: Plan) -> None:
    sketch.rect(0.2, 0.1, 0.8, 0.45, (248, 248, 246), 0.01)
    for row in range(4):
        width = plan.rng.uniform(0.25, 0.5)
        sketch.rect(0.25, 0.16 + row * 0.07, 0.25 + width, 0.19 + row * 0.07, (60, 90, 160))
    _person(sketch, 0.14, 0.8, 0.5, _jitter((160, 40, 60), plan.rng, 40), plan.rng.choice(SKIN))
    _crowd(sketch, plan, 5, 1.02, 0.36)
    sketch.rect(0.0, 0.86, 1.0, 0.9, (140, 110, 80))


def _draw_workshop(sketch: Sketch, plan: Plan) -> None:
    sketch.rect(0.05, 0.15, 0.95, 0.5, (90, 96, 104), 0.01)
    for tool in range(9):
        x = 0.1 + tool * 0.095
        sketch.line([(x, 0.2), (x, 0.2 + plan.rng.uniform(0.1, 0.25))], (200, 200, 210), 0.012)
    sketch.rect(0.05, 0.66, 0.95, 0.7, (120, 90, 60))
    sketch.circle(0.5, 0.5, 0.14, outline=(30, 30, 30), width=0.02)
    _crowd(sketch, plan, 3, 0.98, 0.36)


def _draw_lab(sketch: Sketch, plan: Plan) -> None:
    sketch.rect(0.0, 0.58, 1.0, 0.64, (235, 238, 240))
    sketch.rect(0.62, 0.2, 0.92, 0.5, (20, 24, 30), 0.01)
    curve = [
        (0.64 + i * 0.028, 0.45 - 0.2 * (i / 10) ** 0.5 + plan.rng.uniform(-0.02, 0.02))
        for i in range(10)
    ]
    sketch.line(curve, DEPARTMENTS["research"].accent, 0.008)
    for slot in range(5):
        x, liquid = 0.08 + slot * 0.1, _jitter((90, 200, 120), plan.rng, 80)
        sketch.polygon([(x, 0.45), (x + 0.02, 0.45), (x + 0.045, 0.58), (x - 0.025, 0.58)], liquid)
    _person(sketch, 0.55, 0.98, 0.5, (245, 245, 245), plan.rng.choice(SKIN))


def _draw_document(sketch: Sketch, plan: Plan) -> None:
    for sheet in range(3):
        left = 0.12 + sheet * 0.26 + plan.rng.uniform(-0.02, 0.02)
        _page(sketch, plan, left, 0.14 + plan.rng.uniform(-0.03, 0.03))
    sketch.line([(0.7, 0.9), (0.9, 0.7)], (20, 20, 60), 0.02)  # a pen


def _page(sketch: Sketch, plan: Plan, left: float, top: float) -> None:
    sketch.rect(left, top, left + 0.22, top + 0.62, (250, 248, 240), 0.005)
    heading = DEPARTMENTS[plan.department].wall[0]
    sketch.rect(left + 0.02, top + 0.04, left + 0.2, top + 0.12, heading)
    for line in range(9):
        line_top = top + 0.17 + line * 0.045
        line_end = left + 0.02 + plan.rng.uniform(0.1, 0.18)
        sketch.rect(left + 0.02, line_top, line_end, line_top + 0.015, (120, 120, 128))


MOTIFS: dict[str, tuple[float, Callable[[Sketch, Plan], None]]] = {
    # motif: (horizon as a fraction of the height, drawing routine)
    "warehouse": (0.66, _draw_warehouse),
    "forklift": (0.6, _draw_forklift),
    "people": (0.62, _draw_people),
    "portrait": (1.0, _draw_portrait),
    "product": (0.78, _draw_product),
    "fair": (0.7, _draw_fair),
    "outdoor": (0.62, _draw_outdoor),
    "classroom": (0.7, _draw_classroom),
    "workshop": (0.66, _draw_workshop),
    "lab": (0.6, _draw_lab),
    "document": (0.85, _draw_document),
}


def render_upright(plan: Plan, size: tuple[int, int]) -> Image.Image:
    """The picture the right way up: a scene drawn small, scaled to ``size``, then captioned."""
    scale = min(1.0, SKETCH_WIDTH / max(size))
    small = (max(1, round(size[0] * scale)), max(1, round(size[1] * scale)))
    horizon, draw_motif = MOTIFS[plan.scene.motif]
    image = _backdrop(small, plan, horizon)
    draw_motif(Sketch(image), plan)
    image = _vignette(image).resize(size, Image.Resampling.BILINEAR)
    _caption(image, plan)
    return image


@lru_cache(maxsize=64)
def _font(pixel_size: int) -> tuple[ImageFont.FreeTypeFont, bool]:
    """A font and whether it has accented letters (Pillow's built-in one has only ASCII)."""
    for name in ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf", "arial.ttf"):
        try:
            return ImageFont.truetype(name, pixel_size), True
        except OSError:
            continue
    return ImageFont.load_default(pixel_size), False  # type: ignore[return-value]


def _caption(image: Image.Image, plan: Plan) -> None:
    width, height = image.size
    band_top = round(height * 0.84)
    band = image.crop((0, band_top, width, height))
    image.paste(Image.blend(band, Image.new("RGB", band.size, (0, 0, 0)), 0.6), (0, band_top))
    meta = plan.embedded
    credit = f"{plan.department.upper()}  ·  {meta.taken:%Y-%m-%d}  ·  Photo: {meta.creator}"
    margin = width * 0.03
    lines = (
        (meta.title, 0.025, height // 24, (255, 255, 255)),
        (credit, 0.095, height // 42, (220, 220, 220)),
    )
    draw = ImageDraw.Draw(image)
    for text, top, pixel_size, colour in lines:
        font, shown = _fitted(text, width - 2 * margin, pixel_size)
        draw.text((margin, band_top + height * top), shown, font=font, fill=colour)


def _fitted(text: str, max_width: float, pixel_size: int) -> tuple[ImageFont.FreeTypeFont, str]:
    """The largest font up to ``pixel_size`` that fits ``text`` in ``max_width``.

    Also returns the text to draw: accents folded when only Pillow's ASCII font is available.
    """
    while True:
        font, unicode_ok = _font(max(6, pixel_size))
        shown = text if unicode_ok else exif_text(text)
        if pixel_size <= 6 or font.getlength(shown) <= max_width:
            return font, shown
        pixel_size = pixel_size * 9 // 10


def render_stored(plan: Plan, size: tuple[int, int]) -> Image.Image:
    """The pixels as the camera stores them: turned a quarter left when orientation is 6."""
    if plan.embedded.orientation == 6:
        upright = render_upright(plan, (size[1], size[0]))
        # exif_transpose undoes orientation 6 with ROTATE_270, so store it ROTATE_90.
        return upright.transpose(Image.Transpose.ROTATE_90)
    return render_upright(plan, size)
