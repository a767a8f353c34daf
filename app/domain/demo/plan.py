"""What is decided about one demo image before any pixel is drawn: what the generator
(:mod:`app.domain.demo.images`) plans and the painter (:mod:`app.domain.demo.drawing`) draws."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from app.domain.demo.company import DEPARTMENTS, Scene
from app.domain.demo.metadata_writer import DemoMetadata


@dataclass
class Plan:
    """Everything decided about one image before any pixel is drawn."""

    index: int
    department: str
    scene: Scene
    access: str
    subjects: list[str]
    fields: dict[str, str]
    embedded: DemoMetadata
    # Drawing goes on with the item's own random stream, so item n never depends on count.
    rng: random.Random = field(repr=False)

    @property
    def filename(self) -> str:
        code = DEPARTMENTS[self.department].code
        return f"{code}_{self.embedded.taken:%Y%m%d}_{self.index + 1:04d}.jpg"
