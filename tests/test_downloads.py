"""Downloads (issue 11, part 4): the original, preview and thumbnail, and JPEG, PNG or WebP at
a width made on request and cached, all as attachments named after the asset's title."""

from __future__ import annotations

import io
import os
import re
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import CORPUS_IMAGES, make_atrium
from pdf_helpers import write_pdf
from PIL import Image

from app.domain.assets import renditions
from app.domain.assets.downloads import download_name, extension_for, human_size, slug
from app.domain.keyed_locks import KeyedLocks
from app.domain.media.ingest import Ingester, IngestOptions
from app.service import Atrium
from app.web import create_app

TITLE = "Harbour at Dawn — Élan, 2024!"
SLUG = "harbour-at-dawn-elan-2024"
WIDTH, HEIGHT = 1200, 800


def ingest(atrium: Atrium, path: Path, *settings: str, access: str = "public") -> str:
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("marketing", access, settings=list(settings)))
    outcome = ingester.run([path], options).outcomes[0]
    assert outcome.status == "ingested", outcome.reason
    return outcome.asset_id


def saved_name(response) -> str:  # noqa: ANN001 - a Flask test response
    """The name a browser saves under: the RFC 5987 ``filename*``, as an attachment."""
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; "), disposition
    assert disposition.isascii() and "\r" not in disposition and "\n" not in disposition
    return unquote(re.search(r"filename\*=UTF-8''([^;\s]+)", disposition).group(1))


def picture(response) -> Image.Image:  # noqa: ANN001
    image = Image.open(io.BytesIO(response.data))
    image.load()
    return image


@pytest.fixture
def photo(atrium: Atrium, tmp_path: Path):
    """A public, half-transparent 1200×800 PNG titled TITLE, and a test client."""
    path = tmp_path / "IMG_0042.png"
    Image.new("RGBA", (WIDTH, HEIGHT), (200, 30, 30, 128)).save(path)
    asset_id = ingest(atrium, path, f"title={TITLE}")
    return create_app(atrium).test_client(), asset_id, path


# --- names ----------------------------------------------------------------------------------


def test_the_original_downloads_as_an_attachment_named_after_the_title(photo) -> None:
    client, asset_id, path = photo
    response = client.get(f"/assets/{asset_id}/download")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert saved_name(response) == f"{SLUG}.png"
    assert response.data == path.read_bytes()
    assert response.headers["Cache-Control"].startswith("private")


@pytest.mark.parametrize(("kind", "side"), [("preview", 1024), ("thumbnail", 256)])
def test_renditions_download_as_jpeg_attachments(photo, kind: str, side: int) -> None:
    client, asset_id, _ = photo
    response = client.get(f"/assets/{asset_id}/download?rendition={kind}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert saved_name(response) == f"{SLUG}-{kind}.jpg"
    assert picture(response).format == "JPEG" and max(picture(response).size) == side
    inline = client.get(f"/assets/{asset_id}/{kind}")  # what <img> shows stays inline
    assert "attachment" not in inline.headers.get("Content-Disposition", "")


def test_downloads_are_audited(photo, atrium: Atrium) -> None:
    client, asset_id, _ = photo
    client.get(f"/assets/{asset_id}/download?format=webp&width=100")
    events = atrium.audit.history(atrium.iris.asset(asset_id))
    assert [e.action for e in events].count("downloaded") == 1


def test_a_name_has_the_extension_of_the_media_type_not_of_the_upload(
    atrium: Atrium, tmp_path: Path
) -> None:
    disguised = tmp_path / "scan.png"  # JPEG bytes under a .png name
    Image.new("RGB", (64, 64), "teal").save(disguised, "JPEG")
    asset_id = ingest(atrium, disguised, "title=Scan of the contract")
    response = create_app(atrium).test_client().get(f"/assets/{asset_id}/download")
    assert response.mimetype == "image/jpeg"
    assert saved_name(response) == "scan-of-the-contract.jpg"


def test_a_title_with_no_letters_falls_back_to_the_file_name(
    atrium: Atrium, tmp_path: Path
) -> None:
    notes = tmp_path / "Meeting notes (final).txt"
    notes.write_text("Agenda: downloads.\n")
    asset_id = ingest(atrium, notes, "title=!!! ??? ***")
    response = create_app(atrium).test_client().get(f"/assets/{asset_id}/download")
    assert response.status_code == 200
    assert saved_name(response) == "meeting-notes-final.txt"


def test_hostile_and_long_titles_give_safe_bounded_names(atrium: Atrium, tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    Image.new("RGB", (40, 40), "navy").save(path)
    title = "../../etc/passwd\r\nSet-Cookie: x=1 " + "Frühlingskampagne " * 20
    asset_id = ingest(atrium, path, f"title={title}")
    name = saved_name(create_app(atrium).test_client().get(f"/assets/{asset_id}/download"))
    assert name.startswith("etc-passwd-set-cookie-x-1-fruhlingskampagne-") and name.endswith(".png")
    assert len(name) <= 80 + len(".png") and not name[:-4].endswith("-")
    assert re.fullmatch(r"[a-z0-9-]+\.png", name)


def test_slugs_names_and_extensions() -> None:
    assert slug("  Café à Zürich  ") == "cafe-a-zurich"
    assert slug("東京タワー 夜景") == "東京タワー-夜景"  # letters of every script are kept
    assert slug("a" * 100) == "a" * 80 and slug("word " * 30).endswith("word")
    assert download_name("", "Holiday Photo.JPG", "0123abcd", ".jpg") == "holiday-photo.jpg"
    assert download_name(None, None, "0123abcd", ".pdf", "preview") == "0123abcd-preview.pdf"
    assert extension_for("image/jpeg", "photo.jpeg") == ".jpeg"  # the upload's own, same type
    assert extension_for("image/jpeg", "photo.png") == ".jpg"
    assert extension_for("image/heic", "IMG_1.HEIC") == ".heic"
    assert extension_for("application/octet-stream", "data.xyz") == ".xyz"
    assert extension_for("application/octet-stream", "data") == ""


def test_sizes_read_in_binary_units() -> None:
    assert [human_size(n) for n in (0, 1, 999, 1023)] == ["0 bytes", "1 byte", "999 bytes",
                                                           "1023 bytes"]  # fmt: skip
    assert human_size(1024) == "1 KiB" and human_size(1536) == "1.5 KiB"
    assert human_size(200 * 2**20) == "200 MiB" and human_size(int(2.25 * 2**30)) == "2.2 GiB"
    assert human_size(2**20 - 1) == "1 MiB"  # never "1024 KiB"


# --- sizes and formats on request -------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "mime", "extension"), [
    ("jpeg", "image/jpeg", ".jpg"), ("png", "image/png", ".png"), ("webp", "image/webp", ".webp"),
])  # fmt: skip
def test_a_format_at_a_width_is_made(photo, fmt: str, mime: str, extension: str) -> None:
    client, asset_id, _ = photo
    response = client.get(f"/assets/{asset_id}/download?format={fmt}&width=600")
    assert response.status_code == 200 and response.mimetype == mime
    assert saved_name(response) == f"{SLUG}-600px{extension}"
    made = picture(response)
    assert made.size == (600, 400) and made.format == fmt.upper()
    if fmt == "jpeg":  # no transparency in JPEG: put on white
        assert made.mode == "RGB" and made.getpixel((10, 10))[1] > 100
    else:
        assert made.mode == "RGBA" and made.getpixel((10, 10))[3] == 128


def test_nothing_is_upscaled_and_no_width_means_as_wide_as_the_original(photo) -> None:
    client, asset_id, _ = photo
    for query in ("format=png&width=3000", "format=png", "format=png&width="):
        response = client.get(f"/assets/{asset_id}/download?{query}")
        assert response.status_code == 200, query
        assert picture(response).size == (WIDTH, HEIGHT)
        assert saved_name(response) == f"{SLUG}-{WIDTH}px.png"


def test_the_width_is_bounded_by_the_setting(tmp_path: Path) -> None:
    atrium = make_atrium(tmp_path / "data", max_download_width=1000)
    try:
        path = tmp_path / "wide.png"
        Image.new("RGB", (WIDTH, HEIGHT), "olive").save(path)
        asset_id = ingest(atrium, path, "title=Wide")
        client = create_app(atrium).test_client()
        assert picture(client.get(f"/assets/{asset_id}/download?format=jpeg")).width == 1000
        refused = client.get(f"/assets/{asset_id}/download?format=jpeg&width=1001")
        assert refused.status_code == 400 and "from 16 to 1000" in refused.get_data(as_text=True)
    finally:
        atrium.close()


def test_a_picture_is_made_once_then_read_from_the_cache(photo, atrium, monkeypatch) -> None:
    client, asset_id, path = photo
    first = client.get(f"/assets/{asset_id}/download?format=webp&width=500")
    assert first.status_code == 200
    sha256 = _sha256(path)
    cached = atrium.config.pictures_dir / sha256[:2] / sha256 / "500.webp"
    before = cached.stat()
    os.utime(cached, ns=(before.st_atime_ns, before.st_mtime_ns - 10**9))  # a second ago
    made = cached.stat()

    def no_rendering(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("rendered again instead of reading the cache")

    monkeypatch.setattr(renditions.PictureCache, "_render", no_rendering)
    second = client.get(f"/assets/{asset_id}/download?format=webp&width=500")
    assert second.status_code == 200 and second.data == first.data
    after = cached.stat()
    assert (after.st_ino, after.st_mtime_ns) == (made.st_ino, made.st_mtime_ns)
    assert second.headers["ETag"] == first.headers["ETag"]
    assert not [p for p in cached.parent.iterdir() if p.name.startswith(".")]  # no temp file


def test_readers_asking_at_once_wait_for_one_rendering(photo, atrium, monkeypatch) -> None:
    client, asset_id, _ = photo
    readers, waiting, renders = 4, threading.Semaphore(0), []
    monkeypatch.setattr(
        renditions, "_making", KeyedLocks(on_contention=lambda _: waiting.release())
    )
    render = renditions.PictureCache._render

    def counted(self: renditions.PictureCache, *args: object) -> bytes:
        for _ in range(readers - 1):  # the others are queued behind this one
            assert waiting.acquire(timeout=30)
        renders.append(1)
        return render(self, *args)

    monkeypatch.setattr(renditions.PictureCache, "_render", counted)
    url = f"/assets/{asset_id}/download?format=png&width=256"
    with ThreadPoolExecutor(readers) as pool:
        answers = list(pool.map(lambda _: client.application.test_client().get(url), range(4)))
    assert [a.status_code for a in answers] == [200] * readers and len(renders) == 1
    assert len({a.data for a in answers}) == 1


def test_a_failed_write_leaves_nothing_in_the_cache(photo, atrium, monkeypatch) -> None:
    client, asset_id, path = photo

    def full_disk(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(renditions.os, "replace", full_disk)
    assert client.get(f"/assets/{asset_id}/download?format=png&width=300").status_code == 500
    folder = atrium.config.pictures_dir / _sha256(path)[:2] / _sha256(path)
    assert list(folder.iterdir()) == []
    monkeypatch.undo()
    assert client.get(f"/assets/{asset_id}/download?format=png&width=300").status_code == 200


def test_each_original_keeps_a_bounded_number_of_pictures(photo, atrium, monkeypatch) -> None:
    client, asset_id, path = photo
    monkeypatch.setattr(renditions, "MAX_VARIANTS", 3)
    for width in (100, 200, 300, 400, 500):
        assert (
            client.get(f"/assets/{asset_id}/download?format=jpeg&width={width}").status_code == 200
        )
    folder = atrium.config.pictures_dir / _sha256(path)[:2] / _sha256(path)
    assert sorted(p.name for p in folder.iterdir()) == ["300.jpg", "400.jpg", "500.jpg"]


@pytest.mark.parametrize("query", [
    "format=gif", "format=", "format=jpeg&width=abc", "format=jpeg&width=0",
    "format=jpeg&width=15", "format=jpeg&width=99999", "format=jpeg&width=-5",
    "format=jpeg&width=８００", "width=800", "rendition=poster",
    "rendition=preview&format=png",
])  # fmt: skip
def test_bad_requests_answer_400_saying_what_is_allowed(photo, query: str) -> None:
    client, asset_id, _ = photo
    response = client.get(f"/assets/{asset_id}/download?{query}")
    assert response.status_code == 400, query
    text = response.get_data(as_text=True)
    assert any(
        allowed in text
        for allowed in ("jpeg, png, webp", "from 16 to 4096", "original, preview, thumbnail",
                        "not both")
    ), text  # fmt: skip


def test_files_that_are_not_images_get_a_clear_422(atrium: Atrium, tmp_path: Path) -> None:
    document = write_pdf(tmp_path / "report.pdf", ["Annual report, page one"])
    asset_id = ingest(atrium, document, "title=Annual report")
    client = create_app(atrium).test_client()
    refused = client.get(f"/assets/{asset_id}/download?format=png&width=200")
    assert refused.status_code == 422
    assert "images only" in refused.get_data(as_text=True)
    original = client.get(f"/assets/{asset_id}/download")
    assert original.status_code == 200 and saved_name(original) == "annual-report.pdf"
    page = client.get(f"/assets/{asset_id}").get_data(as_text=True)
    assert 'name="format"' not in page  # the form is offered for images only


def test_an_image_pillow_cannot_decode_gets_a_422(photo, atrium: Atrium) -> None:
    client, asset_id, path = photo
    stored = atrium.media.path(_sha256(path))
    stored.chmod(0o644)
    stored.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)  # the stored file went bad
    response = client.get(f"/assets/{asset_id}/download?format=jpeg&width=100")
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "no other size or format can be made" in text


def test_exif_orientation_is_applied_before_the_width(atrium: Atrium, tmp_path: Path) -> None:
    path = tmp_path / "turned.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 400×200, shown 200×400
    Image.new("RGB", (400, 200), "purple").save(path, exif=exif)
    asset_id = ingest(atrium, path, "title=Turned")
    client = create_app(atrium).test_client()
    made = picture(client.get(f"/assets/{asset_id}/download?format=jpeg&width=100"))
    assert made.size == (100, 200) and made.getexif().get(0x0112) is None


@pytest.mark.corpus("images")
def test_a_corpus_heic_photo_downloads_as_webp(atrium: Atrium, tmp_path: Path) -> None:
    path = tmp_path / "IMG_5195.HEIC"
    shutil.copyfile(CORPUS_IMAGES / "exif-samples__IMG_5195.HEIC", path)
    asset_id = ingest(atrium, path, "title=Phone photo")
    client = create_app(atrium).test_client()
    original = client.get(f"/assets/{asset_id}/download")
    assert saved_name(original) == "phone-photo.heic"
    made = client.get(f"/assets/{asset_id}/download?format=webp&width=320")
    assert made.status_code == 200 and picture(made).width == 320
    assert saved_name(made) == "phone-photo-320px.webp"
    assert "GPS" not in str(picture(made).getexif())  # nothing of the original's metadata


# --- the asset page ---------------------------------------------------------------------------


def test_the_asset_page_offers_the_downloads_with_human_sizes(photo, atrium: Atrium) -> None:
    client, asset_id, path = photo
    page = client.get(f"/assets/{asset_id}").get_data(as_text=True)
    assert f'href="/assets/{asset_id}/download"' in page
    for kind in ("preview", "thumbnail"):
        assert f'href="/assets/{asset_id}/download?rendition={kind}"' in page
    size = path.stat().st_size
    assert f'title="{size:,} bytes">{human_size(size)}</span>' in page
    assert re.search(r">\d+(\.\d)? KiB</span>", page)
    form = re.search(r'<form method="get" action="/assets/[^"]+/download".*?</form>', page, re.S)
    assert form and 'name="width"' in form.group(0) and 'max="4096"' in form.group(0)
    for fmt in ("jpeg", "png", "webp"):
        assert f'<option value="{fmt}">' in form.group(0)


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
