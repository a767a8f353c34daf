"""``make bench``: upload, edit and validation with eight department profiles against three.

The profiles issue asks that the work a contributor waits for does not slow down as
departments add profiles. The same work is timed on two stores in one run: one holding the
three profiles Atrium first shipped (hr, marketing, operations), one holding all eight, and the
ratio of the medians is printed (eight / three; 1.00 means no slower).

- upload: one new image through the ingest path the upload form uses (describe, validate,
  store media and record, search index);
- edit: the edit form's work (fields from the registry, read the typed values, save);
- validation: the SHACL check of one record with its department's profile.

Usage: python benchmarks/profiles_bench.py [--rounds 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image
from werkzeug.datastructures import MultiDict

from app.config import Config
from app.domain.assets.editing import apply_values, form_fields, read_form
from app.domain.media.ingest import Ingester, IngestOptions
from app.domain.media.prepare import prepare
from app.domain.search.concept_lookup import ConceptLookup
from app.service import Atrium
from app.storage.graphstore import Scope
from app.storage.terms import to_rdflib_graph as to_rdflib

FIRST_PROFILES = ("hr", "marketing", "operations")
DEPARTMENT = "hr"  # a department with required fields, in both stores
MAX_PIXELS = 200_000_000


def atrium_with(folder: Path, keep: tuple[str, ...] | None) -> Atrium:
    atrium = Atrium(Config.from_env({"ATRIUM_DATA": str(folder)}))
    atrium.init()
    for department in atrium.fields.departments:
        if keep is not None and department not in keep:
            atrium.store.replace_graph(atrium.iris.shapes_graph(department), [])
    atrium.shapes.changed()
    return atrium


def images(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        path = folder / f"upload-{number}.jpg"
        Image.new("RGB", (1200, 800), (number % 256, (number * 7) % 256, 90)).save(path)
        paths.append(path)
    return paths


class Bench:
    """One store, and the three timings of one image at a time through it."""

    def __init__(self, atrium: Atrium) -> None:
        self.atrium = atrium
        self.ingester = Ingester(atrium)
        self.options = self.ingester.resolve(
            IngestOptions(DEPARTMENT, "internal", settings=["consentGiven=true"])
        )
        self.vocabulary = ConceptLookup.load(atrium.store, Scope.everything(), atrium.iris)

    def round(self, path: Path, number: int) -> dict[str, float]:
        atrium, concepts = self.atrium, self.ingester.concepts
        start = time.perf_counter()
        outcome = self.ingester.store(prepare(path, MAX_PIXELS), self.options)
        upload = time.perf_counter() - start
        start = time.perf_counter()
        draft = atrium.assets.stored_draft(outcome.asset_id)
        fields = form_fields(
            atrium.fields, DEPARTMENT, self.vocabulary, "en", draft.triples, draft.iri
        )
        typed = read_form(
            fields,
            MultiDict({"title": f"Portrait {number}", "consentExpires": "2030-01-31"}),
            concepts,
        )
        apply_values(draft, fields, typed, concepts, keep_empty=True)
        atrium.assets.save(draft)
        edit = time.perf_counter() - start
        graph = to_rdflib(draft.with_flags(False) + draft.context)
        start = time.perf_counter()
        atrium.validator.check(graph, DEPARTMENT)
        return {"upload": upload, "edit": edit, "validation": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    print(f"\n## Upload, edit and validation: 8 profiles against 3 ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        benches = {
            label: Bench(atrium_with(work / label.replace(" ", "-"), keep))
            for label, keep in (("3 profiles", FIRST_PROFILES), ("8 profiles", None))
        }
        for label, bench in benches.items():  # warm caches and workers
            for number, path in enumerate(images(work / f"warm-{label[0]}", 3)):
                bench.round(path, number)
        times: dict[str, dict[str, list[float]]] = {label: {} for label in benches}
        # Alternate the two stores image by image, so that drift hits both alike.
        for number, path in enumerate(images(work / "images", args.rounds)):
            for label, bench in benches.items():
                for step, seconds in bench.round(path, number).items():
                    times[label].setdefault(step, []).append(seconds)
        for bench in benches.values():
            bench.atrium.close()
    for step in ("upload", "edit", "validation"):
        three = statistics.median(times["3 profiles"][step]) * 1000
        eight = statistics.median(times["8 profiles"][step]) * 1000
        print(f"{step:<11} median {three:7.2f} ms with 3, {eight:7.2f} ms with 8: "
              f"ratio {eight / three:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
