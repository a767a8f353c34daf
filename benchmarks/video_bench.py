"""Video figures of issue 12: the poster frame and metadata of a 60-second 1080p video, and its
web rendition (H.264 MP4 at 720p, AAC).

The video is generated first with PyAV (not counted): 1920×1080 at 25 frames per second,
H.264 (x264 ``veryfast``) with AAC sound in a QuickTime file, so that it needs a web
rendition; a black first second, then a moving gradient, so that the poster search decodes
a second of frames before it finds one that is not black.

- thumbnail + metadata: :func:`app.domain.media.video.read`, what an ingest worker does
  (open, check the index, decode to the first frame that is not black, poster preview and
  thumbnail, tags, codecs);
- web rendition: :func:`app.domain.media.video.transcode`, what the background runner
  does (decode all, scale to 1280×720, encode H.264 and AAC), and how many times real time.

Usage: python benchmarks/video_bench.py [--seconds 60] [--rounds 5] [--rendition-rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from app.domain.media import video
from app.domain.media.facts import Limits
from app.domain.media.video import transcode

SIZE = (1920, 1080)
FPS = 25
AUDIO_RATE = 48_000
LIMITS = Limits(max_pixels=200_000_000)


def generate(path: Path, seconds: int) -> None:
    pictures = _moving_pictures()
    black = np.zeros_like(pictures[0])
    with av.open(str(path), "w", format="mov") as output:
        output.metadata.update({"title": "Benchmark", "creation_time": "2024-05-06T07:08:09Z"})
        stream = output.add_stream("libx264", rate=FPS, options={"preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = *SIZE, "yuv420p"
        sound = output.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
        for index in range(seconds * FPS):
            picture = black if index < FPS else pictures[index % len(pictures)]
            output.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        output.mux(stream.encode(None))
        samples, chunk = 0, 1024
        while samples < seconds * AUDIO_RATE:
            times = (np.arange(samples, samples + chunk) / AUDIO_RATE).astype(np.float32)
            tone = 0.3 * np.sin(2 * np.pi * 440 * times)
            frame = av.AudioFrame.from_ndarray(
                np.stack([tone, tone]).astype(np.float32), format="fltp", layout="stereo"
            )
            frame.sample_rate, frame.pts = AUDIO_RATE, samples
            frame.time_base = Fraction(1, AUDIO_RATE)
            samples += chunk
            output.mux(sound.encode(frame))
        output.mux(sound.encode(None))


def _moving_pictures() -> list[np.ndarray]:
    """A second of frames, made once and shown in a loop: a gradient sliding sideways while
    its blue changes (so that every frame differs from the one before)."""
    width, height = SIZE
    ramp = np.linspace(0, 255, width, dtype=np.float32)
    red = np.tile(ramp, (height, 1))
    pictures = []
    for index in range(FPS):
        shifted = np.roll(red, index * 40, axis=1)
        blue = np.full((height, width), index * 10, np.float32)
        pictures.append(np.stack([shifted, shifted[:, ::-1], blue], axis=-1).astype(np.uint8))
    return pictures


def timed(work, *args: object) -> float:  # noqa: ANN001
    start = time.perf_counter()
    work(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rendition-rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"# Video ({os.cpu_count()} cores, PyAV {av.__version__})")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "benchmark.mov"
        started = time.perf_counter()
        generate(source, args.seconds)
        size = source.stat().st_size
        print(
            f"generated a {args.seconds} s {SIZE[0]}×{SIZE[1]} H.264/AAC QuickTime video, "
            f"{size / 2**20:.1f} MiB, in {time.perf_counter() - started:.0f} s (not counted)"
        )
        facts = video.read(source, "video/quicktime", LIMITS)
        assert facts.needs_web_rendition and facts.duration_seconds
        reads = [timed(video.read, source, "video/quicktime", LIMITS) for _ in range(args.rounds)]
        print(
            f"thumbnail + metadata: median {statistics.median(reads) * 1000:.0f} ms "
            f"({args.rounds} rounds; poster frame {facts.renditions['preview'].width}×"
            f"{facts.renditions['preview'].height}, after the black first second)"
        )
        target = Path(folder) / "web.mp4"
        makes = [timed(transcode, source, target) for _ in range(args.rendition_rounds)]
        median = statistics.median(makes)
        print(
            f"web rendition (1280×720 H.264 + AAC): median {median:.1f} s "
            f"({args.rendition_rounds} rounds), {facts.duration_seconds / median:.1f}× real "
            f"time, {target.stat().st_size / 2**20:.1f} MiB"
        )


if __name__ == "__main__":
    main()
