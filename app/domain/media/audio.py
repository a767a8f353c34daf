"""Audio files: duration, codecs, embedded tags and a waveform picture, read with PyAV.

The waveform is drawn with Pillow from at most ``Limits.max_seconds`` of sound, decoded and
resampled to mono at :data:`WAVEFORM_RATE` (ample for a picture a thousand pixels wide): one
bar per column, as high as the loudest sample in it, scaled to the loudest of the whole, so a
quiet recording still shows its shape and silence stays a flat line.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from av.audio.resampler import AudioResampler
from av.container import InputContainer
from PIL import Image, ImageDraw

from app.domain.media.containers import (
    album_of,
    codec_names,
    duration_of,
    embedded_metadata,
    opened,
    tags_of,
)
from app.domain.media.facts import Limits, MediaFacts
from app.domain.media.images import BadFile, renditions_of_picture

WAVEFORM_RATE = 8000  # samples per second kept for drawing
WAVEFORM_SIZE = (1024, 384)
BACKGROUND = (248, 250, 252)
BARS = (217, 119, 6)  # the amber of audio type cards
MIDLINE = (203, 213, 225)
SILENCE = 1e-4  # a peak below this (of full scale) is drawn as silence
# What the audio element of current browsers plays (Safari: Ogg only with Opus).
PLAYABLE_TYPES = {"audio/mpeg", "audio/mp4", "audio/aac", "audio/wav", "audio/flac", "audio/ogg"}


def read(path: Path, mime: str, limits: Limits) -> MediaFacts:
    """The facts of an audio file; :class:`BadFile` with a one-line reason when unusable."""
    with opened(path, "audio") as container:
        if not container.streams.audio:
            raise BadFile("audio file has no audio stream")
        stream = container.streams.audio[0]
        samples = decoded_samples(container, stream, limits.max_seconds)
        tags = tags_of(container)
        return MediaFacts(
            mime=mime,
            renditions=renditions_of_picture(waveform(samples)),
            metadata=embedded_metadata(tags),
            duration_seconds=duration_of(container, stream),
            codecs=codec_names(container),
            album=album_of(tags),
        )


def decoded_samples(
    container: InputContainer, stream: av.audio.stream.AudioStream, max_seconds: float
) -> np.ndarray:
    """Up to ``max_seconds`` of the stream as mono float samples at :data:`WAVEFORM_RATE`."""
    resampler = AudioResampler(format="flt", layout="mono", rate=WAVEFORM_RATE)
    wanted = max(1, int(max_seconds * WAVEFORM_RATE))
    chunks: list[np.ndarray] = []
    kept = 0
    for frame in container.decode(stream):
        for resampled in resampler.resample(frame):
            chunk = resampled.to_ndarray().reshape(-1)
            chunks.append(chunk)
            kept += chunk.size
        if kept >= wanted:
            break
    if not chunks:
        raise BadFile("audio has no sound that can be decoded")
    return np.concatenate(chunks)[:wanted]


def waveform(samples: np.ndarray, size: tuple[int, int] = WAVEFORM_SIZE) -> Image.Image:
    """The picture of ``samples`` (floats, full scale 1.0): one bar per column."""
    width, height = size
    picture = Image.new("RGB", size, BACKGROUND)
    draw = ImageDraw.Draw(picture)
    middle = height // 2
    draw.line([(0, middle), (width, middle)], fill=MIDLINE, width=2)
    columns = np.array_split(np.abs(samples), min(width, max(1, samples.size)))
    peaks = np.array([column.max() if column.size else 0.0 for column in columns])
    loudest = float(peaks.max(initial=0.0))
    if loudest < SILENCE:
        return picture
    step = width / len(peaks)
    reach = (height // 2) - 4
    for index, peak in enumerate(peaks / loudest):
        half = max(1, round(float(peak) * reach))
        left = round(index * step)
        right = max(left, round((index + 1) * step) - 1)
        draw.rectangle([left, middle - half, right, middle + half], fill=BARS)
    return picture
