"""Documents in figures (issue 12, part 7), printed as medians.

- thumbnail, page previews, text and metadata of a generated 20-page PDF: one
  :func:`app.domain.media.pdf.read` call (what an ingest worker does per file);
- the ingest rate of generated JPEGs alone, and of the same JPEGs with 3-page PDFs, or with
  5-second MP4 videos, in the mix (renditions, validation and store writes included), in files
  per second, and per core: divided by the cores the decoding worker processes use (one per
  core, at most 8 or ``ATRIUM_INGEST_WORKERS``; one process for a batch below 8 files). Issue
  14's target is 40 images/s per core for 3000×2000 JPEGs: ``--size 3000x2000``;
- ``--profile``: where one images-only ingest run spends its time (cProfile of the main
  process: the checks, SHACL and the writer thread's store writes; the worker processes'
  decoding shows as the time spent waiting for their results).

The 60-second 1080p video's own figures are in video_bench.py.

Usage: python benchmarks/media_bench.py [--rounds 5] [--images 48] [--pdfs 24] [--videos 12]
                                        [--size 1600x1067] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
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
from app.domain.media.prepare import SMALL_BATCH
from app.service import Atrium

# the PDF writer is shared with the tests (tests/pdf_helpers.py); tests/ is no package
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from media_helpers import write_video  # noqa: E402
from pdf_helpers import write_pdf  # noqa: E402

MAX_PIXELS = 200_000_000
TARGET_PER_CORE = 40  # images/s per core, issue 14


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


def cores_used(config: Config, files: int) -> int:
    """The decoding worker processes an ingest of ``files`` runs on (as prepare_all picks)."""
    if files < SMALL_BATCH or config.ingest_workers == 1:
        return 1
    workers = config.ingest_workers or min(os.cpu_count() or 1, 8)
    return min(workers, os.cpu_count() or 1)


def bench_ingest(
    folder: Path, rounds: int, images: int, pdfs: int, videos: int, size: tuple[int, int]
) -> None:
    width, height = size
    print(
        f"\n## Ingest rate: {images} JPEGs of {width}×{height} alone, then with {pdfs} 3-page "
        f"PDFs, then with {videos} MP4s of 5 s at 640×360"
    )
    generated = generate_demo_collection(folder / "images", count=images, size=size)
    photos = [item.path for item in generated]
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
        if label != "images only" and len(paths) == len(photos):
            continue  # --pdfs 0 or --videos 0: no mix to measure
        rates, cores = [], 1
        for round_number in range(rounds):
            data = folder / f"data-{label.replace(' ', '')}-{round_number}"
            atrium = Atrium(Config.from_env({"ATRIUM_DATA": str(data)}))
            atrium.init()
            try:
                cores = cores_used(atrium.config, len(paths))
                ingester = Ingester(atrium)
                options = ingester.resolve(IngestOptions("training", "internal"))
                started = time.perf_counter()
                report = ingester.run(paths, options)
                rates.append(len(paths) / (time.perf_counter() - started))
                assert report.ok, [o.reason for o in report.outcomes if o.status == "failed"]
            finally:
                atrium.close()
        rate = statistics.median(rates)
        verdict = ""
        if label == "images only":
            met = "met" if rate / cores >= TARGET_PER_CORE else "missed"
            verdict = f"; target ≥ {TARGET_PER_CORE} images/s per core at 3000×2000: {met}"
            if size != (3000, 2000):
                verdict += f" here at {width}×{height}"
        print(
            f"{label:15}: {rate:6.1f} files/s median over {rounds} rounds, on {cores} "
            f"core(s) = {rate / cores:5.1f} files/s per core{verdict}"
        )


def profile_ingest(folder: Path, images: int, size: tuple[int, int]) -> None:
    print(f"\n## Where one ingest of {images} JPEGs of {size[0]}×{size[1]} spends its time")
    generated = generate_demo_collection(folder / "profiled", count=images, size=size)
    photos = [item.path for item in generated]
    atrium = Atrium(Config.from_env({"ATRIUM_DATA": str(folder / "profiled-data")}))
    atrium.init()
    try:
        ingester = Ingester(atrium)
        options = ingester.resolve(IngestOptions("training", "internal"))
        profile = cProfile.Profile()
        profile.enable()
        report = ingester.run(photos, options)
        profile.disable()
        assert report.ok
    finally:
        atrium.close()
    stats = pstats.Stats(profile)
    stats.sort_stats("tottime").print_stats(15)
    stats.sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--images", type=int, default=48)
    parser.add_argument("--pdfs", type=int, default=24)
    parser.add_argument("--videos", type=int, default=12)
    parser.add_argument("--size", default="1600x1067", help="of the JPEGs, WIDTHxHEIGHT")
    parser.add_argument("--profile", action="store_true", help="profile an images-only ingest")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.lower().split("x"))
    print(f"# Media benchmark ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as work:
        bench_pdf(Path(work), args.rounds)
        rounds = max(1, args.rounds // 2)
        bench_ingest(Path(work), rounds, args.images, args.pdfs, args.videos, (width, height))
        if args.profile:
            profile_ingest(Path(work), args.images, (width, height))


if __name__ == "__main__":
    main()
