"""The video player in a real browser: headless Chromium (Debian's) against a real server plays
an MP4 as it is, and a QuickTime video through the web rendition made in the background, and
seeks in both (which needs the server's byte ranges)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import serving
from media_helpers import BLACK, RED, write_video

from app.domain.media.ingest import Ingester, IngestOptions
from app.service import Atrium

pytestmark = pytest.mark.browser
RENDITION_SECONDS = 120
PLAYING = "video => !video.paused && video.currentTime > 0.5"
SEEKED = "video => video.readyState >= 2 && Math.abs(video.currentTime - 3) < 0.5"


def _play_and_seek(page, url: str, source: str) -> None:  # noqa: ANN001 - a Playwright page
    page.goto(url)
    player = page.locator("figure.preview video")
    assert player.locator("source").get_attribute("src") == source
    handle = player.element_handle()
    page.evaluate("video => { video.muted = true; return video.play(); }", handle)
    page.wait_for_function(PLAYING, arg=handle, timeout=30_000)
    page.evaluate("video => { video.pause(); video.currentTime = 3; }", handle)
    page.wait_for_function(SEEKED, arg=handle, timeout=30_000)
    assert page.evaluate("video => video.error", handle) is None


def test_videos_play_and_seek_in_chromium(browser, atrium: Atrium, tmp_path: Path) -> None:
    mp4 = write_video(tmp_path / "plays.mp4", colours=[(1.0, BLACK), (5.0, RED)])
    mov = write_video(tmp_path / "needs-help.mov", colours=[(6.0, RED)])
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("marketing", "public"))
    with serving(atrium) as base_url:
        outcomes = ingester.run([mp4, mov], options).outcomes
        plays, needs_help = (outcome.asset_id for outcome in outcomes)
        assert atrium.web_renditions.wait_until_idle(RENDITION_SECONDS)
        page = browser.new_page()
        _play_and_seek(page, f"{base_url}/assets/{plays}", f"/assets/{plays}/file")
        _play_and_seek(page, f"{base_url}/assets/{needs_help}", f"/assets/{needs_help}/web")
        page.close()
