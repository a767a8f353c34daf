"""Small real video and audio files written with PyAV, for tests and benchmarks.

A video shows one known colour per span of time (black first, say, then red), so that a test
can tell which frame became the poster; a sound is a 440 Hz tone whose loudness rises over the
first half, so that its waveform has a known shape.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

BLACK = (0, 0, 0)
RED = (200, 30, 30)
TAGS = {  # what the generated audio says about itself
    "title": "Known tone",
    "artist": "Ada Lovelace",
    "album": "Test recordings",
    "date": "2021",
    "genre": "Speech",
    "comment": "A rising sine",
}


def write_video(
    path: Path,
    *,
    colours: list[tuple[float, tuple[int, int, int]]] = ((1.0, BLACK), (4.0, RED)),
    size: tuple[int, int] = (320, 240),
    fps: int = 10,
    container: str | None = None,
    codec: str = "libx264",
    audio: bool = True,
    tags: dict[str, str] | None = None,
    rotation: int = 0,
    options: dict[str, str] | None = None,
) -> Path:
    """``colours``: (seconds, RGB) spans shown one after the other."""
    width, height = size
    with av.open(str(path), "w", format=container, options=options or {}) as output:
        output.metadata.update(tags or {})
        video = output.add_stream(codec, rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        if rotation:
            video.set_display_rotation(rotation)
        sound = output.add_stream("aac", rate=44_100, layout="mono") if audio else None
        for seconds, colour in colours:
            picture = np.empty((height, width, 3), np.uint8)
            picture[:] = colour
            for _ in range(round(seconds * fps)):
                frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
                output.mux(video.encode(frame))
        output.mux(video.encode(None))
        if sound is not None:
            total = sum(seconds for seconds, _ in colours)
            _write_tone(output, sound, total, 44_100)
    return path


def write_audio(
    path: Path,
    *,
    container: str,
    codec: str,
    seconds: float = 3.0,
    rate: int = 44_100,
    tags: dict[str, str] | None = None,
    tags_on_stream: bool = False,
) -> Path:
    """A tone, louder and louder over its first half, then steady."""
    with av.open(str(path), "w", format=container) as output:
        stream = output.add_stream(codec, rate=rate, layout="mono")
        (stream if tags_on_stream else output).metadata.update(TAGS if tags is None else tags)
        _write_tone(output, stream, seconds, rate)
    return path


def _write_tone(output, stream, seconds: float, rate: int) -> None:  # noqa: ANN001 - PyAV
    total, done, chunk = int(seconds * rate), 0, 1024
    while done < total:
        count = min(chunk, total - done)
        index = np.arange(done, done + count)
        loudness = np.minimum(1.0, index / (total / 2))
        samples = 0.5 * loudness * np.sin(2 * np.pi * 440 * index / rate)
        frame = av.AudioFrame.from_ndarray(
            samples.astype(np.float32).reshape(1, -1), format="flt", layout="mono"
        )
        frame.sample_rate, frame.pts, frame.time_base = rate, done, Fraction(1, rate)
        done += count
        output.mux(stream.encode(frame))
    output.mux(stream.encode(None))


def cut_short(path: Path, target: Path, keep: float = 0.5) -> Path:
    """A copy of ``path`` with only its first ``keep`` share of bytes: an interrupted copy."""
    data = path.read_bytes()
    target.write_bytes(data[: int(len(data) * keep)])
    return target
