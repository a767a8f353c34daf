"""Video and audio as first-class assets (issue 12, parts 2 and 3): the readers' facts from
small real files written with PyAV, then ingest end to end over real HTTP: the facts in the
graph, the page's players, byte ranges (206) and the web rendition made in the background."""

from __future__ import annotations

import io
import re
import threading
import time
from pathlib import Path

import av
import pytest
import requests
from conftest import make_atrium, serving
from media_helpers import RED, TAGS, cut_short, write_audio, write_video
from PIL import Image
from pyoxigraph import Literal

from app.cli.main import main
from app.domain.assets.versions import FileVersions
from app.domain.media import audio, video, web_rendition
from app.domain.media.containers import _position
from app.domain.media.describe import EBUCORE
from app.domain.media.facts import Limits
from app.domain.media.images import BadFile
from app.domain.media.ingest import Ingester, IngestOptions
from app.namespaces import DCT, EXIF, GEO, SCHEMA
from app.storage.graphstore import Scope

LIMITS = Limits(max_pixels=50_000_000)
VIDEO_TAGS = {
    "title": "Known colours",
    "creation_time": "2024-05-06T07:08:09.000000Z",
    "location": "+51.5074-000.1278/",
}
RENDITION_SECONDS = 120  # generous: two cores shared with other test runs


def _picture(rendition) -> Image.Image:  # noqa: ANN001 - app.domain.media.images.Rendition
    return Image.open(io.BytesIO(rendition.data)).convert("RGB")


def _near(colour: tuple[int, ...], wanted: tuple[int, ...], tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, wanted, strict=True))


# --- the video reader ------------------------------------------------------------------------


def test_an_mp4_gives_its_facts_and_a_poster_past_the_black_second(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.mp4", tags=VIDEO_TAGS)
    facts = video.read(path, "video/mp4", LIMITS)
    assert facts.duration_seconds == pytest.approx(5.0, abs=0.1)
    assert (facts.width, facts.height, facts.frame_rate) == (320, 240, 10.0)
    assert facts.codecs == ["h264", "aac"]
    assert facts.needs_web_rendition is False
    poster = _picture(facts.renditions["preview"])
    assert poster.size == (320, 240)
    assert _near(poster.getpixel((160, 120)), RED)  # not the black first second
    assert facts.renditions["thumbnail"].width == 256
    metadata = facts.metadata
    assert metadata.title == "Known colours"
    assert metadata.date_taken.isoformat() == "2024-05-06T07:08:09+00:00"
    assert (metadata.gps_lat, metadata.gps_lon) == pytest.approx((51.5074, -0.1278))


def test_the_poster_search_stops_at_max_seconds(tmp_path: Path) -> None:
    path = write_video(tmp_path / "slow.mp4", colours=[(3.0, (0, 0, 0)), (1.0, RED)])
    assert _near(
        _picture(video.read(path, "video/mp4", LIMITS).renditions["preview"]).getpixel((5, 5)), RED
    )
    capped = video.read(path, "video/mp4", Limits(max_pixels=LIMITS.max_pixels, max_seconds=1.0))
    assert _near(_picture(capped.renditions["preview"]).getpixel((5, 5)), (0, 0, 0))


@pytest.mark.parametrize(
    ("name", "mime", "settings", "needs"),
    [
        ("clip.mov", "video/quicktime", {}, True),
        ("clip.mkv", "video/webm", {"codec": "mpeg4"}, True),
        ("mpeg4.mp4", "video/mp4", {"codec": "mpeg4"}, True),
        ("vp9.webm", "video/webm", {"codec": "libvpx-vp9", "audio": False}, False),
        ("h264.mp4", "video/mp4", {}, False),
    ],
)
def test_formats_browsers_cannot_play_need_a_web_rendition(
    tmp_path: Path, name: str, mime: str, settings: dict, needs: bool
) -> None:
    path = write_video(tmp_path / name, colours=[(1.0, RED)], **settings)
    assert video.read(path, mime, LIMITS).needs_web_rendition is needs


def test_a_portrait_phone_video_is_shown_upright(tmp_path: Path) -> None:
    path = write_video(tmp_path / "phone.mp4", colours=[(0.5, RED)], size=(320, 180), rotation=90)
    facts = video.read(path, "video/mp4", LIMITS)
    assert (facts.width, facts.height) == (180, 320)
    assert facts.renditions["preview"].width == 180


def test_truncated_and_corrupt_videos_say_why_in_one_line(tmp_path: Path) -> None:
    whole = write_video(tmp_path / "whole.mp4", colours=[(2.0, RED)])
    indexed_first = write_video(
        tmp_path / "fast.mp4", colours=[(2.0, RED)], options={"movflags": "+faststart"}
    )
    garbage = tmp_path / "noise.mp4"
    garbage.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 40)
    cases = {
        cut_short(whole, tmp_path / "no-index.mp4"): "truncated",
        cut_short(indexed_first, tmp_path / "cut.mp4"): "truncated",
        garbage: "video",
    }
    for path, word in cases.items():
        with pytest.raises(BadFile) as failure:
            video.read(path, "video/mp4", LIMITS)
        assert word in failure.value.reason and "\n" not in failure.value.reason, path.name


def test_a_video_above_the_pixel_limit_is_refused(tmp_path: Path) -> None:
    path = write_video(tmp_path / "big.mp4", colours=[(0.2, RED)])
    with pytest.raises(BadFile, match="too large"):
        video.read(path, "video/mp4", Limits(max_pixels=320 * 240 - 1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+51.5074-000.1278/", (51.5074, -0.1278)),
        ("+40.7484-073.9857+057.000/", (40.7484, -73.9857)),
        ("+4042.9-07359.1/", (40 + 42.9 / 60, -(73 + 59.1 / 60))),
        ("-334512+1512000/", (-(33 + 45 / 60 + 12 / 3600), 151 + 20 / 60)),
    ],
)
def test_iso_6709_locations(text: str, expected: tuple[float, float]) -> None:
    assert _position(text, []) == pytest.approx(expected)


# --- the audio reader -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "container", "codec", "on_stream", "mime"),
    [
        ("tone.wav", "wav", "pcm_s16le", False, "audio/wav"),
        ("tone.mp3", "mp3", "libmp3lame", False, "audio/mpeg"),
        ("tone.ogg", "ogg", "libopus", True, "audio/ogg"),
    ],
)
def test_audio_gives_duration_tags_and_a_waveform(
    tmp_path: Path, name: str, container: str, codec: str, on_stream: bool, mime: str
) -> None:
    rate = 48_000 if codec == "libopus" else 44_100
    path = write_audio(
        tmp_path / name, container=container, codec=codec, rate=rate, tags_on_stream=on_stream
    )
    facts = audio.read(path, mime, LIMITS)
    assert facts.duration_seconds == pytest.approx(3.0, abs=0.05)
    assert facts.codecs == [codec.removeprefix("lib").replace("mp3lame", "mp3")]
    metadata = facts.metadata
    assert metadata.title == TAGS["title"]
    assert metadata.creators == [TAGS["artist"]]
    assert metadata.keywords == [TAGS["genre"]]
    assert metadata.description == TAGS["comment"]
    assert metadata.date_taken.year == 2021
    assert facts.album == TAGS["album"]
    waveform = _picture(facts.renditions["preview"])
    assert waveform.size == audio.WAVEFORM_SIZE
    middle = waveform.height // 2
    # The tone rises over the first half: short bars at the start, full ones later.
    assert _near(waveform.getpixel((900, 10)), audio.BARS, 40)
    assert _near(waveform.getpixel((30, 10)), audio.BACKGROUND, 40)
    assert _near(waveform.getpixel((30, middle)), audio.BARS, 40)
    assert facts.renditions["thumbnail"].width == 256


def test_the_waveform_reads_at_most_max_seconds(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "long.wav", container="wav", codec="pcm_s16le", seconds=4.0)
    decoded = audio.decoded_samples(av.open(str(path)), av.open(str(path)).streams.audio[0], 1.0)
    assert decoded.size == audio.WAVEFORM_RATE
    facts = audio.read(path, "audio/wav", Limits(max_pixels=1, max_seconds=2.0))
    assert facts.duration_seconds == pytest.approx(4.0, abs=0.05)  # the header tells it all


def test_a_file_with_no_sound_is_a_bad_audio_file(tmp_path: Path) -> None:
    silent_video = write_video(tmp_path / "mute.mp4", colours=[(0.3, RED)], audio=False)
    with pytest.raises(BadFile, match="no audio stream"):
        audio.read(silent_video, "audio/mp4", LIMITS)
    noise = tmp_path / "noise.mp3"
    noise.write_bytes(b"not sound at all " * 64)
    with pytest.raises(BadFile, match="audio cannot be read"):
        audio.read(noise, "audio/mpeg", LIMITS)


# --- ingest and the web, end to end ----------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    """A served Atrium with an MP4, an MP3 and a broken video ingested (public, marketing)."""
    folder = tmp_path_factory.mktemp("media-site")
    files = folder / "in"
    files.mkdir()
    write_video(files / "training.mp4", tags=VIDEO_TAGS, options={"movflags": "+faststart"})
    write_audio(files / "interview.mp3", container="mp3", codec="libmp3lame")
    cut_short(write_video(folder / "whole.mp4", colours=[(2.0, RED)]), files / "broken.mp4")
    atrium = make_atrium(folder / "data")
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("marketing", "public"))
    report = ingester.run(sorted(files.iterdir()), options)
    outcomes = {outcome.path.name: outcome for outcome in report.outcomes}
    with serving(atrium) as base_url:
        yield atrium, base_url, outcomes
    atrium.close()


def _objects(atrium, asset_id: str, predicate) -> set[str]:  # noqa: ANN001
    iri = atrium.iris.asset(asset_id)
    triples = atrium.assets.record(asset_id, Scope.everything())
    return {t.object.value for t in triples if t.subject == iri and t.predicate == predicate}


def test_ingest_puts_the_video_facts_in_the_graph(site) -> None:
    atrium, _, outcomes = site
    assert outcomes["training.mp4"].status == "ingested"
    asset_id = outcomes["training.mp4"].asset_id
    assert _objects(atrium, asset_id, DCT.title) == {"Known colours"}  # not the file name
    assert _objects(atrium, asset_id, SCHEMA.duration) == {"PT5S"}
    assert _objects(atrium, asset_id, EXIF.imageWidth) == {"320"}
    assert _objects(atrium, asset_id, DCT.created) == {"2024-05-06T07:08:09Z"}
    assert _objects(atrium, asset_id, GEO.lat) == {"51.5074"}
    codecs = _objects(atrium, asset_id, EBUCORE.hasCodec)
    assert codecs == {"h264", "aac"}


def test_a_broken_video_fails_alone_with_a_reason(site) -> None:
    _, _, outcomes = site
    broken = outcomes["broken.mp4"]
    assert broken.status == "failed"
    assert "truncated" in broken.reason and "\n" not in broken.reason
    assert outcomes["interview.mp3"].status == "ingested"


def test_the_audio_tags_are_in_the_graph(site) -> None:
    atrium, _, outcomes = site
    asset_id = outcomes["interview.mp3"].asset_id
    assert _objects(atrium, asset_id, DCT.title) == {TAGS["title"]}
    assert _objects(atrium, asset_id, SCHEMA.duration) == {"PT3S"}
    assert TAGS["artist"] in {
        t.object.value
        for t in atrium.assets.record(asset_id, Scope.everything())
        if t.predicate.value.endswith("/creator")
    }


def test_the_pages_have_players(site) -> None:
    _, base_url, outcomes = site
    video_id, audio_id = outcomes["training.mp4"].asset_id, outcomes["interview.mp3"].asset_id
    page = requests.get(f"{base_url}/assets/{video_id}")
    assert page.status_code == 200
    assert "media-src 'self'" in page.headers["Content-Security-Policy"]
    player = re.search(r"<video[^>]*>\s*<source src=\"([^\"]+)\" type=\"([^\"]+)\"", page.text)
    assert player and player.groups() == (f"/assets/{video_id}/file", "video/mp4")
    assert f'poster="/assets/{video_id}/preview"' in page.text
    sound = requests.get(f"{base_url}/assets/{audio_id}").text
    assert re.search(
        rf'<audio controls[^>]*><source src="/assets/{audio_id}/file" type="audio/mpeg"', sound
    )
    assert "web-rendition" not in page.text  # an MP4 browsers play needs none


def test_the_file_answers_byte_ranges_with_206(site) -> None:
    atrium, base_url, outcomes = site
    asset_id = outcomes["training.mp4"].asset_id
    url = f"{base_url}/assets/{asset_id}/file"
    whole = requests.get(url)
    assert whole.status_code == 200 and whole.headers["Accept-Ranges"] == "bytes"
    assert whole.headers["Content-Disposition"].startswith("inline")  # played, not downloaded
    part = requests.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(whole.content)}"
    assert part.content == whole.content[100:200]
    tail = requests.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == whole.content[-10:]
    beyond = requests.get(url, headers={"Range": f"bytes={len(whole.content) + 5}-"})
    assert beyond.status_code == 416


def test_only_a_range_from_the_start_counts_as_a_download(site) -> None:
    atrium, base_url, outcomes = site
    asset_id = outcomes["interview.mp3"].asset_id
    url = f"{base_url}/assets/{asset_id}/file"

    def downloads() -> int:
        history = atrium.audit.history(atrium.iris.asset(asset_id))
        return sum(1 for event in history if event.action == "downloaded")

    before = downloads()
    requests.get(url, headers={"Range": "bytes=0-"})
    requests.get(url, headers={"Range": "bytes=500-"})
    requests.get(url, headers={"Range": "bytes=900-999"})
    assert downloads() == before + 1


def test_a_mov_gets_its_web_rendition_in_the_background(site, tmp_path: Path) -> None:
    atrium, base_url, _ = site
    mov = write_video(tmp_path / "lecture.mov", tags={"title": "Lecture"})
    ingester = Ingester(atrium)
    outcome = ingester.run([mov], ingester.resolve(IngestOptions("marketing", "public")))
    asset_id = outcome.outcomes[0].asset_id  # ingest returned without waiting for it
    assert atrium.web_renditions.wait_until_idle(RENDITION_SECONDS)
    node = atrium.iris.rendition(asset_id, web_rendition.KIND)
    state = web_rendition.state_of(atrium.assets.record(asset_id, Scope.everything()), node)
    assert state is not None and state.state == "ready", state
    assert (state.width, state.height) == (320, 240)
    page = requests.get(f"{base_url}/assets/{asset_id}").text
    assert f'<source src="/assets/{asset_id}/web" type="video/mp4">' in page
    assert "Playing the version made for browsers" in page
    made = requests.get(f"{base_url}/assets/{asset_id}/web")
    assert made.status_code == 200 and made.headers["Content-Type"] == "video/mp4"
    part = requests.get(f"{base_url}/assets/{asset_id}/web", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == made.content[:100]
    with av.open(io.BytesIO(made.content)) as playable:
        codecs = [s.codec_context.codec.canonical_name for s in playable.streams]
        assert codecs == ["h264", "aac"]
        assert playable.duration / av.time_base == pytest.approx(5.0, abs=0.2)
    download = requests.get(f"{base_url}/assets/{asset_id}/download", params={"rendition": "web"})
    assert download.headers["Content-Type"] == "video/mp4"
    assert ".mp4" in download.headers["Content-Disposition"]


def test_a_rendition_that_cannot_be_made_shows_why(site, tmp_path: Path, monkeypatch) -> None:
    atrium, base_url, _ = site
    mov = write_video(tmp_path / "doomed.mov", colours=[(1.0, RED)])

    def refuse(*args: object, **kwargs: object) -> None:
        raise BadFile("video cannot be decoded: test refusal")

    monkeypatch.setattr(web_rendition, "transcode", refuse)
    ingester = Ingester(atrium)
    outcome = ingester.run([mov], ingester.resolve(IngestOptions("marketing", "public")))
    asset_id = outcome.outcomes[0].asset_id
    assert atrium.web_renditions.wait_until_idle(RENDITION_SECONDS)
    page = requests.get(f"{base_url}/assets/{asset_id}").text
    assert (
        "No version browsers can play could be made: video cannot be decoded: test refusal" in page
    )
    assert f'<source src="/assets/{asset_id}/file" type="video/quicktime">' in page
    assert requests.get(f"{base_url}/assets/{asset_id}/web").status_code == 404
    record = atrium.assets.record(asset_id, Scope.everything())
    assert Literal("video cannot be decoded: test refusal") in {t.object for t in record}


def test_a_new_version_of_the_file_gets_its_own_web_rendition(site, tmp_path: Path) -> None:
    atrium, _, _ = site
    ingester = Ingester(atrium)
    first = write_video(tmp_path / "v1.mov", colours=[(0.6, RED)])
    options = ingester.resolve(IngestOptions("marketing", "public"))
    asset_id = ingester.run([first], options).outcomes[0].asset_id
    assert atrium.web_renditions.wait_until_idle(RENDITION_SECONDS)
    node = atrium.iris.rendition(asset_id, web_rendition.KIND)
    before = web_rendition.state_of(atrium.assets.record(asset_id, Scope.everything()), node)
    smaller = write_video(tmp_path / "v2.mov", colours=[(0.6, RED)], size=(160, 120))
    FileVersions(atrium).upload(asset_id, smaller)
    assert atrium.web_renditions.wait_until_idle(RENDITION_SECONDS)
    after = web_rendition.state_of(atrium.assets.record(asset_id, Scope.everything()), node)
    assert before.ready and after.ready and after.sha256 != before.sha256
    assert (after.width, after.height) == (160, 120)


def test_a_video_waiting_behind_another_shows_as_queued(site, tmp_path: Path, monkeypatch) -> None:
    atrium, base_url, _ = site
    started, release = threading.Event(), threading.Event()

    def held(*args: object, **kwargs: object) -> None:
        started.set()
        release.wait(RENDITION_SECONDS)
        raise BadFile("video cannot be decoded: let go")

    monkeypatch.setattr(web_rendition, "transcode", held)
    first = write_video(tmp_path / "first.mov", colours=[(0.3, RED)])
    second = write_video(tmp_path / "second.mov", colours=[(0.4, RED)])
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("marketing", "public"))
    first_id, second_id = (o.asset_id for o in ingester.run([first, second], options).outcomes)
    try:
        assert started.wait(RENDITION_SECONDS)  # the first is being made, and held there
        deadline = time.monotonic() + RENDITION_SECONDS
        while _state(atrium, second_id) != "queued" and time.monotonic() < deadline:
            time.sleep(0.05)  # the look thread records it while the make thread is busy
        assert (_state(atrium, first_id), _state(atrium, second_id)) == ("making", "queued")
        assert "is being made" in requests.get(f"{base_url}/assets/{first_id}").text
        assert "is waiting to be made" in requests.get(f"{base_url}/assets/{second_id}").text
    finally:
        release.set()
    assert atrium.web_renditions.wait_until_idle(RENDITION_SECONDS)
    assert (_state(atrium, first_id), _state(atrium, second_id)) == ("failed", "failed")


def _state(atrium, asset_id: str) -> str | None:  # noqa: ANN001
    node = atrium.iris.rendition(asset_id, web_rendition.KIND)
    state = web_rendition.state_of(atrium.assets.record(asset_id, Scope.everything()), node)
    return state.state if state else None


def test_atrium_renditions_makes_what_waits(tmp_path: Path, monkeypatch, capsys) -> None:
    data = tmp_path / "data"
    atrium = make_atrium(data)
    ingester = Ingester(atrium)
    mkv = write_video(tmp_path / "talk.mkv", colours=[(1.0, RED)], codec="mpeg4")
    asset_id = (
        ingester.run([mkv], ingester.resolve(IngestOptions("marketing"))).outcomes[0].asset_id
    )
    atrium.close()  # ingested from the command line: no server has made it
    monkeypatch.setenv("ATRIUM_DATA", str(data))
    monkeypatch.setenv("ATRIUM_BASE_IRI", "http://atrium.test/")
    monkeypatch.delenv("ATRIUM_STORE", raising=False)
    assert main(["renditions"]) == 0
    output = capsys.readouterr().out
    assert f"{asset_id} ready (320×240)" in output and "1 web renditions made, 0 failed" in output
    assert main(["renditions"]) == 0
    assert "0 web renditions made" in capsys.readouterr().out
