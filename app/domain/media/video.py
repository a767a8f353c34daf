"""Video files: a poster frame, the stream's facts and the embedded tags, read with PyAV.

The poster frame is the first frame that is not black, decoding at most
``Limits.max_seconds`` from the start (a fade from black, a slate…); when every frame decoded
is black, the first one. A frame is black as FFmpeg's ``blackdetect`` filter decides with its
defaults: at least 98 % of its pixels no brighter than 10 % of the luma range.

``needs_web_rendition`` is set for what browsers cannot play as it is: any container but MP4 and
WebM (QuickTime, AVI, Matroska…), or codecs those two do not carry in browsers (HTML Living
Standard leaves codecs to browsers; these are the ones Chromium, Firefox and Safari share).
:func:`transcode` makes the copy they can play (:mod:`.web_rendition` says when).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.audio.resampler import AudioResampler
from av.audio.stream import AudioStream
from av.container import InputContainer, OutputContainer
from av.video.frame import VideoFrame
from av.video.stream import VideoStream
from PIL import Image

from app.domain.media.containers import (
    check_complete,
    codec_name,
    codec_names,
    duration_of,
    embedded_metadata,
    opened,
    tags_of,
)
from app.domain.media.facts import Limits, MediaFacts
from app.domain.media.images import PREVIEW_SIDE, BadFile, renditions_of_picture

BLACK_LUMA = 16 + round(0.10 * 219)  # blackdetect pix_th=0.10 over limited-range luma 16–235
BLACK_SHARE = 0.98  # blackdetect picture_black_ratio_th
TEST_SIZE = (64, 36)  # frames are shrunk to this before the blackness test
FALLBACK_FRAME_RATE = 60  # frames per second assumed when a stream does not say
# What browsers play without help: MP4 and WebM, with these codecs (FFmpeg's names).
PLAYABLE = {
    "mp4": ({"h264", "av1", "vp9"}, {"aac", "mp3", "opus", "flac"}),
    "webm": ({"vp8", "vp9", "av1"}, {"vorbis", "opus"}),
}
PLAYABLE_TYPES = {"video/mp4": "mp4", "video/webm": "webm"}
MAX_SIDES = (1280, 720)  # 720p: the longer side at most 1280, the shorter at most 720
X264_OPTIONS = {"preset": "veryfast", "crf": "23", "profile": "high"}
AUDIO_RATE = 48_000
TIME_BASE = Fraction(1, 90_000)  # MPEG's clock: exact for every usual frame rate


class Stopped(Exception):
    """Making a copy was stopped (the server is stopping); it is made again next time."""


def read(path: Path, mime: str, limits: Limits) -> MediaFacts:
    """The facts of a video file; :class:`BadFile` with a one-line reason when it is unusable."""
    with opened(path, "video") as container:
        stream = _video_stream(container)
        check_complete(container, path, "video")
        coded = stream.codec_context.width * stream.codec_context.height
        if coded > limits.max_pixels:
            raise BadFile(
                f"video frames are too large: {coded:,} px exceeds the {limits.max_pixels:,} px "
                "limit"
            )
        frame = poster_frame(container, stream, limits.max_seconds)
        width, height = display_size(stream, turn_of(frame))
        rate = stream.average_rate or stream.guessed_rate
        return MediaFacts(
            mime=mime,
            renditions=renditions_of_picture(_picture(frame, (width, height))),
            metadata=embedded_metadata(tags_of(container)),
            duration_seconds=duration_of(container, stream),
            width=width,
            height=height,
            frame_rate=round(float(rate), 3) if rate else None,
            codecs=codec_names(container),
            needs_web_rendition=needs_web_rendition(container, mime),
        )


def needs_web_rendition(container: InputContainer, mime: str) -> bool:
    """Whether browsers would fail to play this file as it is (see the module's docstring)."""
    family = PLAYABLE_TYPES.get(mime)
    if family is None:
        return True
    video_codecs, audio_codecs = PLAYABLE[family]
    video = {codec_name(s) for s in container.streams.video}
    audio = {codec_name(s) for s in container.streams.audio}
    return not (video <= video_codecs and audio <= audio_codecs)


def probe_needs_web_rendition(path: Path, mime: str) -> bool:
    """:func:`needs_web_rendition` of a stored file, reading its header only."""
    with opened(path, "video") as container:
        _video_stream(container)
        return needs_web_rendition(container, mime)


def _video_stream(container: InputContainer) -> VideoStream:
    if not container.streams.video:
        raise BadFile("video has no video stream")
    stream = container.streams.video[0]
    if not stream.codec_context or not stream.codec_context.width:
        raise BadFile("video stream has no frame size (unknown or broken codec)")
    return stream


def display_size(stream: VideoStream, turn: int) -> tuple[int, int]:
    """Width and height as shown: pixel aspect ratio applied, then turned upright."""
    context = stream.codec_context
    width, height = context.width, context.height
    aspect = stream.sample_aspect_ratio or context.sample_aspect_ratio
    if aspect and aspect > 0 and aspect != 1:
        width = max(1, round(width * Fraction(aspect)))
    return (height, width) if turn in (90, 270) else (width, height)


def poster_frame(container: InputContainer, stream: VideoStream, max_seconds: float) -> VideoFrame:
    """The first frame that is not black within ``max_seconds`` of the start, else the first."""
    stream.codec_context.thread_type = "AUTO"
    rate = float(stream.average_rate or stream.guessed_rate or FALLBACK_FRAME_RATE)
    budget = max(1, math.ceil(max_seconds * rate))
    first: VideoFrame | None = None
    for count, frame in enumerate(container.decode(stream)):
        first = first or frame
        if not is_black(frame):
            return frame
        known = frame.time is not None and first.time is not None
        elapsed = frame.time - first.time if known else 0.0
        if count + 1 >= budget or elapsed >= max_seconds:
            break
    if first is None:
        raise BadFile("video has no frame that can be decoded")
    return first


def turn_of(frame: VideoFrame) -> int:
    """Degrees counter-clockwise the picture is turned to be shown upright (the display
    matrix of MP4/MOV, as phones record portrait video), a multiple of 90."""
    return round(float(frame.rotation or 0) / 90) * 90 % 360


def is_black(frame: VideoFrame) -> bool:
    luma = frame.reformat(*TEST_SIZE, format="gray").to_ndarray()
    return bool(np.count_nonzero(luma <= BLACK_LUMA) >= BLACK_SHARE * luma.size)


def _picture(frame: VideoFrame, shown: tuple[int, int]) -> Image.Image:
    """The frame as an upright RGB picture at preview size (scaled by FFmpeg, which is faster
    than decoding to full size and shrinking with Pillow)."""
    turn = turn_of(frame)
    width, height = shown if turn not in (90, 270) else shown[::-1]
    scale = min(1.0, PREVIEW_SIDE / max(width, height))
    size = (max(2, round(width * scale)), max(2, round(height * scale)))
    picture = frame.to_image(width=size[0], height=size[1])
    return picture.rotate(turn, expand=True) if turn else picture


# --- making a copy browsers play ------------------------------------------------------------------


def fitted(width: int, height: int) -> tuple[int, int]:
    """The size within 720p, keeping the aspect ratio, in even pixels (what 4:2:0 needs)."""
    longer, shorter = MAX_SIDES
    scale = min(1.0, longer / max(width, height), shorter / min(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def transcode(
    source: Path, target: Path, stop: Callable[[], bool] = lambda: False
) -> tuple[int, int]:
    """Write ``source`` to ``target`` as H.264/AAC MP4 within 720p, the index first (so that
    a browser can start playing and seek before it has it all); returns the size shown.
    Raises :class:`BadFile` for a video that cannot be decoded, :class:`Stopped` when
    ``stop()`` turns true."""
    with (
        opened(source, "video") as original,
        av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as output,
    ):
        video_in = original.streams.video[0]
        video_in.thread_type = "AUTO"
        audio_in = original.streams.audio[0] if original.streams.audio else None
        coded = display_size(video_in, 0)
        width, height = fitted(*coded)
        video_out = output.add_stream("libx264", rate=video_in.average_rate or 25)
        video_out.width, video_out.height, video_out.pix_fmt = width, height, "yuv420p"
        video_out.codec_context.options = X264_OPTIONS
        video_out.codec_context.time_base = TIME_BASE
        audio = _AudioOut(output, audio_in) if audio_in is not None else None
        turn, start, last = None, None, -1
        for packet in original.demux(*(s for s in (video_in, audio_in) if s is not None)):
            if stop():
                raise Stopped
            for frame in packet.decode():
                if packet.stream is not video_in:
                    audio.encode(frame)
                    continue
                if turn is None:
                    turn = turn_of(frame)
                    if turn:
                        video_out.set_display_rotation(turn)
                start = frame.time if start is None else start
                pts = round(((frame.time or start) - start) / TIME_BASE)
                if pts <= last:
                    continue  # a repeated timestamp: H.264 needs them to grow
                last = pts
                scaled = frame.reformat(width, height, format="yuv420p")
                scaled.pts, scaled.time_base = pts, TIME_BASE
                output.mux(video_out.encode(scaled))
        output.mux(video_out.encode(None))
        if audio is not None:
            audio.finish()
    return (height, width) if turn in (90, 270) else (width, height)


class _AudioOut:
    """The AAC stream of the rendition: stereo (mono stays mono) at 48 kHz."""

    def __init__(self, output: OutputContainer, source: AudioStream) -> None:
        channels = source.codec_context.layout.nb_channels if source.codec_context.layout else 2
        layout = "mono" if channels == 1 else "stereo"
        self.output = output
        self.stream = output.add_stream("aac", rate=AUDIO_RATE, layout=layout)
        self.resampler = AudioResampler(format="fltp", layout=layout, rate=AUDIO_RATE)
        self.samples = 0

    def encode(self, frame: av.AudioFrame | None) -> None:
        for resampled in self.resampler.resample(frame):
            resampled.pts, resampled.time_base = self.samples, Fraction(1, AUDIO_RATE)
            self.samples += resampled.samples
            self.output.mux(self.stream.encode(resampled))

    def finish(self) -> None:
        self.encode(None)
        self.output.mux(self.stream.encode(None))
