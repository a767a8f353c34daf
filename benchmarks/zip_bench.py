"""Zips of many assets stream with flat memory (issue 11): the peak memory while a zip of 100
and of 1,000 assets is streamed should be about the same.

Makes 1,000 small PNG assets of noise (about 90 kB each; Pillow + the ingest path), then
streams ``POST /api/bulk/zip`` through the Flask test client without buffering (the
response is read chunk by chunk and thrown away, as a socket would send it), printing for
each size: the zip's bytes, the time, the tracemalloc peak (Python allocations) and the
resident set's growth at its peak, sampled every 64 chunks (Rust allocations of the store included).

Usage: python benchmarks/zip_bench.py [--assets 1000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import tracemalloc
from pathlib import Path

from PIL import Image

from app.config import Config
from app.domain.media.ingest import Ingester, IngestOptions
from app.service import Atrium
from app.web import create_app

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def make_assets(atrium: Atrium, folder: Path, count: int) -> list[str]:
    images = folder / "images"
    images.mkdir()
    paths = []
    for n in range(count):
        path = images / f"photo-{n:04d}.png"
        # noise: every file differs, and does not compress (about 90 kB each)
        Image.frombytes("RGB", (200, 150), os.urandom(200 * 150 * 3)).save(path)
        paths.append(path)
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("operations", "internal"))
    report = ingester.run(paths, options)
    return [o.asset_id for o in report.outcomes if o.status == "ingested"]


def stream(client, token: str, ids: list[str]) -> tuple[int, float, int, int]:  # noqa: ANN001
    """(bytes, seconds, tracemalloc peak, RSS growth at its peak) of one streamed zip."""
    headers = {"Authorization": f"Bearer {token}"}
    before = rss_bytes()
    tracemalloc.start()
    started = time.perf_counter()
    response = client.post("/api/bulk/zip", json={"assets": ids}, headers=headers, buffered=False)
    assert response.status_code == 200, response.get_data(as_text=True)
    size, peak_rss = 0, before
    for n, chunk in enumerate(response.iter_encoded()):
        size += len(chunk)
        if n % 64 == 0:
            peak_rss = max(peak_rss, rss_bytes())
    response.close()
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return size, seconds, peak, max(peak_rss, rss_bytes()) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        config = Config.from_env({"ATRIUM_DATA": str(Path(folder) / "data")})
        atrium = Atrium(config)
        atrium.init()
        started = time.perf_counter()
        ids = make_assets(atrium, Path(folder), args.assets)
        print(f"made {len(ids):,} assets in {time.perf_counter() - started:.1f} s")
        atrium.users.add("bench-admin", "admin", [], "correct horse battery")
        token = atrium.users.issue_token("bench-admin", "bench")[1]
        client = create_app(atrium).test_client()
        stream(client, token, ids[:10])  # warm up: templates, shapes, vocabularies
        print(f"cores: {os.cpu_count()}")
        for count in sorted({100, len(ids)}):
            size, seconds, peak, rss = stream(client, token, ids[:count])
            print(
                f"zip of {count:>5,} assets: {size / 1e6:6.1f} MB in {seconds:5.1f} s, "
                f"tracemalloc peak {peak / 1e6:5.2f} MB, RSS growth {rss / 1e6:5.1f} MB"
            )
        atrium.close()


if __name__ == "__main__":
    main()
