"""Decoding, probing and renditions against the real image corpus, including its broken files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from conftest import CORPUS_IMAGES, corpus_params, metadata_scan
from PIL import Image, ImageChops, ImageStat
from PIL.JpegImagePlugin import JpegImageFile

from app.domain.media.cards import generic_rendition
from app.domain.media.images import (
    BadFile,
    Rendition,
    probe,
    read_image,
)
from app.domain.media.types import guess_mime

CORPUS = CORPUS_IMAGES
MAX_PIXELS = 200_000_000
LIMITS = {"preview": 1024, "thumbnail": 256}


def make_renditions(path: Path, *, max_pixels: int) -> dict[str, Rendition]:
    """The renditions ingest makes of ``path`` (through :func:`read_image`, as ingest does)."""
    return read_image(path, max_pixels=max_pixels)[1]


SCAN = metadata_scan()  # empty without the corpus: its tests skip (fail in CI)
READABLE = sorted(name for name, row in SCAN.items() if row["pillow"] == "ok")
BROKEN = {
    "pillow__broken.png": "not an image Pillow can read (broken file or wrong extension)",
    "pillow__zero_width.gif": "image has zero width or height",
    "pillow__truncated_image.png": "image is truncated",
    "pillow__truncated_jpeg.jpg": "image is truncated",
    "pillow__ultrahdr.jpg": "image is truncated",
    "pillow__decompression_bomb.gif": (
        "image is too large: 65535×66601 px exceeds the 200,000,000 px limit "
        "(decompression bomb guard)"
    ),
}


def decoded(rendition: Rendition) -> Image.Image:
    image = Image.open(io.BytesIO(rendition.data))
    image.load()
    return image


def mean_difference(first: Image.Image, second: Image.Image) -> float:
    return max(ImageStat.Stat(ImageChops.difference(first, second)).mean)


def expected_fit(width: int, height: int, limit: int) -> tuple[int, int]:
    scale = min(1.0, limit / max(width, height))
    return round(width * scale), round(height * scale)


@pytest.mark.corpus("images", "METADATA-SCAN.csv")
def test_the_scan_marks_exactly_the_known_broken_files_as_unreadable() -> None:
    assert set(SCAN) - set(READABLE) == set(BROKEN)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")  # pillow__hopper_bad_exif.jpg, on purpose
@pytest.mark.parametrize("name", corpus_params(READABLE, "images", "METADATA-SCAN.csv"))
def test_every_readable_corpus_image_is_probed_and_rendered(name: str) -> None:
    info = probe(CORPUS / name, max_pixels=MAX_PIXELS)
    renditions = make_renditions(CORPUS / name, max_pixels=MAX_PIXELS)

    assert info.format == SCAN[name]["format"]
    assert info.mime.startswith("image/")
    assert info.frames == int(SCAN[name]["frames"] or 1)
    assert set(renditions) == {"preview", "thumbnail"}
    for kind, limit in LIMITS.items():
        rendition = renditions[kind]
        image = decoded(rendition)
        assert image.format == "JPEG"
        assert image.mode == "RGB"
        assert image.size == (rendition.width, rendition.height)
        assert max(image.size) <= limit
        # never upscaled, aspect kept to within rounding (the thumbnail is made from the preview)
        fit_width, fit_height = expected_fit(info.width, info.height, limit)
        assert abs(image.width - fit_width) <= 1
        assert abs(image.height - fit_height) <= 1


@pytest.mark.corpus("images")
@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_files_raise_bad_file_with_a_clear_reason(name: str) -> None:
    with pytest.raises(BadFile) as probed:
        probe(CORPUS / name, max_pixels=MAX_PIXELS)
    with pytest.raises(BadFile) as rendered:
        make_renditions(CORPUS / name, max_pixels=MAX_PIXELS)

    assert probed.value.reason == BROKEN[name]
    assert rendered.value.reason == BROKEN[name]
    assert "\n" not in str(probed.value)


def test_a_file_that_is_not_an_image_raises_bad_file(tmp_path: Path) -> None:
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    with pytest.raises(BadFile, match="not an image Pillow can read"):
        probe(fake, max_pixels=MAX_PIXELS)


@pytest.mark.corpus("images")
def test_the_configured_pixel_limit_applies() -> None:
    with pytest.raises(BadFile, match=r"480×360 px exceeds the 100,000 px limit"):
        probe(CORPUS / "pillow__flower.jpg", max_pixels=100_000)
    with pytest.raises(BadFile, match="too large"):
        make_renditions(CORPUS / "pillow__flower.jpg", max_pixels=100_000)


@pytest.mark.corpus("images")
def test_pillows_own_limit_neither_interferes_nor_changes(monkeypatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)

    info = probe(CORPUS / "pillow__flower.jpg", max_pixels=MAX_PIXELS)
    make_renditions(CORPUS / "pillow__flower.jpg", max_pixels=MAX_PIXELS)

    assert (info.width, info.height) == (480, 360)
    assert Image.MAX_IMAGE_PIXELS == 1000


@pytest.mark.corpus("images")
def test_exif_orientation_is_applied() -> None:
    info = probe(CORPUS / "exif-samples__portrait_6.jpg", max_pixels=MAX_PIXELS)
    preview = decoded(
        make_renditions(CORPUS / "exif-samples__portrait_6.jpg", max_pixels=MAX_PIXELS)["preview"]
    )

    assert info.orientation == 6
    assert (info.width, info.height) == (450, 600)
    assert preview.size == (450, 600)
    # orientation 6 means "rotate 90° clockwise to display"; the preview also had its colour
    # profile applied, so compare against both turns rather than demand an exact match
    with Image.open(CORPUS / "exif-samples__portrait_6.jpg") as stored:
        clockwise = stored.transpose(Image.Transpose.ROTATE_270).convert("RGB")
        anticlockwise = stored.transpose(Image.Transpose.ROTATE_90).convert("RGB")
    assert mean_difference(preview, clockwise) < mean_difference(preview, anticlockwise) / 3


@pytest.mark.corpus("images")
def test_orientation_from_xmp_is_applied_to_png() -> None:
    info = probe(CORPUS / "pillow__xmp_tags_orientation.png", max_pixels=MAX_PIXELS)

    assert info.orientation == 3
    assert (info.width, info.height) == (326, 268)


@pytest.mark.corpus("images")
@pytest.mark.parametrize(
    ("name", "frames", "preview_size"),
    [
        ("pillow__multipage.tiff", 3, (10, 10)),
        ("pillow__g4-multi.tiff", 3, (724, 1024)),
        ("pillow__frozenpond.mpo", 2, (640, 480)),
        ("pillow__chi.gif", 31, (320, 240)),
    ],
)
def test_multi_frame_files_render_their_first_frame(name, frames, preview_size) -> None:
    info = probe(CORPUS / name, max_pixels=MAX_PIXELS)
    preview = make_renditions(CORPUS / name, max_pixels=MAX_PIXELS)["preview"]

    assert info.frames == frames
    assert (preview.width, preview.height) == preview_size


@pytest.mark.corpus("images")
@pytest.mark.parametrize(
    ("name", "format_", "mime", "size", "preview_size"),
    [
        ("exif-samples__IMG_5195.HEIC", "HEIF", "image/heic", (2566, 3313), (793, 1024)),
        (
            "exif-samples__HMD_Nokia_8.3_5G_hdr.heif",
            "HEIF",
            "image/heic",
            (4608, 3456),
            (1024, 768),
        ),
        ("pillow__exif.avif", "AVIF", "image/avif", (512, 512), (512, 512)),
        ("pillow__flower.webp", "WEBP", "image/webp", (480, 360), (480, 360)),
    ],
)
def test_heic_avif_and_webp_decode(name, format_, mime, size, preview_size) -> None:
    info = probe(CORPUS / name, max_pixels=MAX_PIXELS)
    preview = decoded(make_renditions(CORPUS / name, max_pixels=MAX_PIXELS)["preview"])

    assert (info.format, info.mime, (info.width, info.height)) == (format_, mime, size)
    assert preview.size == preview_size
    assert max(ImageStat.Stat(preview).stddev) > 10  # a real picture, not a flat fill


@pytest.mark.corpus("images")
def test_jpeg_previews_use_the_draft_reduce_path(monkeypatch) -> None:
    requests = []
    real_draft = JpegImageFile.draft

    def recording_draft(self, mode, size):
        requests.append((mode, size))
        return real_draft(self, mode, size)

    monkeypatch.setattr(JpegImageFile, "draft", recording_draft)

    preview = make_renditions(
        CORPUS / "exif-samples__67-0_length_string.jpg", max_pixels=MAX_PIXELS
    )

    assert requests == [("RGB", (1024, 511))]
    assert (preview["preview"].width, preview["preview"].height) == (1024, 511)


@pytest.mark.corpus("images")
def test_transparency_is_composited_on_white() -> None:
    name = "pillow__tiff_16bit_RGBa.tiff"
    with Image.open(CORPUS / name) as original:
        alpha = original.getchannel("A")
        transparent = next(
            (x, y)
            for y in range(alpha.height)
            for x in range(alpha.width)
            if alpha.getpixel((x, y)) == 0
        )
    preview = decoded(make_renditions(CORPUS / name, max_pixels=MAX_PIXELS)["preview"])

    assert min(preview.getpixel(transparent)) > 230


@pytest.mark.corpus("images")
def test_sixteen_bit_thermal_image_is_stretched_to_visible_contrast() -> None:
    preview = decoded(
        make_renditions(CORPUS / "pillow__ifd_tag_type.tiff", max_pixels=MAX_PIXELS)["preview"]
    )
    low, high = preview.convert("L").getextrema()

    assert low < 30
    assert high > 225


@pytest.mark.corpus("images")
@pytest.mark.parametrize("name", ["pillow__pil_sample_cmyk.jpg", "pillow__hopper.Lab.tif"])
def test_cmyk_and_lab_images_keep_their_colours(name: str) -> None:
    preview = decoded(make_renditions(CORPUS / name, max_pixels=MAX_PIXELS)["preview"])
    with Image.open(CORPUS / name) as original:
        reference = original.convert("RGB")

    # an inverted or channel-swapped conversion would differ by 100 or more; JPEG's chroma
    # subsampling alone accounts for up to about 12 on this small, saturated picture
    assert mean_difference(preview, reference) < 15


@pytest.mark.corpus("images")
@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("pillow__flower.jpg", "image/jpeg"),
        ("pillow__hopper.gif", "image/gif"),
        ("pillow__exif.png", "image/png"),
        ("pillow__flower.webp", "image/webp"),
        ("pillow__multipage.tiff", "image/tiff"),
        ("exif-samples__IMG_5195.HEIC", "image/heic"),
        ("pillow__exif.avif", "image/avif"),
    ],
)
def test_guess_mime_knows_the_corpus_formats(name: str, mime: str) -> None:
    assert guess_mime(CORPUS / name) == mime


@pytest.mark.corpus("images")
def test_guess_mime_trusts_the_content_over_the_name(tmp_path: Path) -> None:
    jpeg_named_pdf = tmp_path / "scan.pdf"
    jpeg_named_pdf.write_bytes((CORPUS / "pillow__flower.jpg").read_bytes())
    pdf_named_jpg = tmp_path / "photo.jpg"
    pdf_named_jpg.write_bytes(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n")

    assert guess_mime(jpeg_named_pdf) == "image/jpeg"
    assert guess_mime(pdf_named_jpg) == "application/pdf"


def test_guess_mime_recognises_documents_video_and_text(tmp_path: Path) -> None:
    docx = tmp_path / "minutes.bin"
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    odt = tmp_path / "letter"
    with zipfile.ZipFile(odt, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    plain_zip = tmp_path / "bundle.zip"
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("notes.txt", "hello")
    mp4 = tmp_path / "clip"
    mp4.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(64))
    text = tmp_path / "README"
    text.write_text("Grüße aus Zürich\nline two\n", encoding="utf-8")
    csv_file = tmp_path / "numbers.csv"
    csv_file.write_text("a,b\n1,2\n")
    binary = tmp_path / "blob"
    binary.write_bytes(bytes(range(256)))

    assert guess_mime(docx) == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert guess_mime(odt) == "application/vnd.oasis.opendocument.text"
    assert guess_mime(plain_zip) == "application/zip"
    assert guess_mime(mp4) == "video/mp4"
    assert guess_mime(text) == "text/plain"
    assert guess_mime(csv_file) == "text/csv"
    assert guess_mime(binary) == "application/octet-stream"


def test_generic_rendition_draws_a_type_card() -> None:
    renditions = generic_rendition("application/pdf", "Quarterly report.pdf")
    preview = decoded(renditions["preview"])
    thumbnail = decoded(renditions["thumbnail"])

    assert preview.format == thumbnail.format == "JPEG"
    assert max(preview.size) == 1024
    assert max(thumbnail.size) == 256
    assert (renditions["thumbnail"].width, renditions["thumbnail"].height) == thumbnail.size
    red, green, blue = preview.getpixel((preview.width // 2 - 200, preview.height // 2))
    assert red > 150 and green < 100 and blue < 100  # the PDF band is red


def test_generic_renditions_differ_by_file_type() -> None:
    pdf = generic_rendition("application/pdf", "a.pdf")["thumbnail"].data
    video = generic_rendition("video/mp4", "a.mp4")["thumbnail"].data
    unknown = generic_rendition("application/octet-stream", "data")["thumbnail"].data

    assert len({pdf, video, unknown}) == 3
