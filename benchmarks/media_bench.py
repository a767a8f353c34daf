"""Documents in figures (issue 12, part 7), printed as medians.

- thumbnail, page previews, text and metadata of a generated 20-page PDF: one
  :func:`app.domain.media.pdf.read` call (what an ingest worker does per file);
- the ingest rate of generated JPEGs alone, and of the same JPEGs with 3-page PDFs, or with
  5-second MP4 videos, in the mix (renditions, validation and store writes included), in files
  per second.

The 60-second 1080p video's own figures are in video_bench.py. The machine's cores are printed
with the figures: worker processes use them all.

Usage: python benchmarks/media_bench.py [--rounds 5] [--images 48] [--pdfs 24] [--videos 12]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from app.config import Config
from app.domain.demo.images import generate_demo_collection
from app.domain.media.facts import Limits
from app.domain.media.ingest import Ingester, IngestOptions
from app.domain.media.pdf import read
from app.service import Atrium

# the PDF writer is shared with the tests (tests/pdf_helpers.py); tests/ is no package
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from media_helpers import write_video  # noqa: E402
from pdf_helpers import write_pdf  # noqa: E402

MAX_PIXELS = 200_000_000


def bench_pdf(folder: Path, rounds: int) -> None:
    print("\n## A generated 20-page PDF (text on every page, Info and XMP metadata)")
    pages = [f"Page {n}: the quick brown fox jumps over the lazy dog " * 3 for n in range(20)]
    path = write_pdf(folder / "twenty.pdf", pages, info={"Title": "Twenty pages"})
    for max_pages in (1, 20):
        limits = Limits(max_pixels=MAX_PIXELS, max_pages=max_pages)
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            facts = read(path, "application/pdf", limits)
            times.append(time.perf_counter() - started)
        what = "thumbnail + preview" if max_pages == 1 else "and 19 page previews"
        print(
            f"max_pages={max_pages:2}: {statistics.median(times) * 1000:7.1f} ms median "
            f"({what}, text and metadata; {len(facts.renditions)} renditions, "
            f"{len(facts.text or ''):,} characters of text)"
        )


def bench_ingest(folder: Path, rounds: int, images: int, pdfs: int, videos: int) -> None:
    print(
        f"\n## Ingest rate: {images} JPEGs of 1600×1067 alone, then with {pdfs} 3-page PDFs, "
        f"then with {videos} MP4s of 5 s at 640×360"
    )
    photos = [item.path for item in generate_demo_collection(folder / "images", count=images)]
    documents = folder / "pdfs"
    documents.mkdir()
    papers = [
        write_pdf(documents / f"doc-{n}.pdf", [f"document {n} page {p}" for p in range(3)])
        for n in range(pdfs)
    ]
    clips = folder / "videos"
    clips.mkdir()
    films = [write_video(clips / f"clip-{n}.mp4", size=(640, 360)) for n in range(videos)]
    mixes = (("images only", photos), ("images + PDFs", photos + papers))
    for label, paths in (*mixes, ("images + videos", photos + films)):
        rates = []
        for round_number in range(rounds):
            data = folder / f"data-{label.replace(' ', '')}-{round_number}"
            atrium = Atrium(Config.from_env({"ATRIUM_DATA": str(data)}))
            atrium.init()
            try:
                ingester = Ingester(atrium)
                options = ingester.resolve(IngestOptions("training", "internal"))
                started = time.perf_counter()
                report = ingester.run(paths, options)
                rates.append(len(paths) / (time.perf_counter() - started))
                assert report.ok, [o.reason for o in report.outcomes if o.status == "failed"]
            finally:
                atrium.close()
        print(f"{label:15}: {statistics.median(rates):6.1f} files/s median over {rounds} rounds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--images", type=int, default=48)
    parser.add_argument("--pdfs", type=int, default=24)
    parser.add_argument("--videos", type=int, default=12)
    args = parser.parse_args()
    print(f"# Media benchmark ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as work:
        bench_pdf(Path(work), args.rounds)
        bench_ingest(Path(work), max(1, args.rounds // 2), args.images, args.pdfs, args.videos)


if __name__ == "__main__":
    main()
