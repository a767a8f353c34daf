"""Documents as first-class assets (issue 12): PDFs, other documents, IPTC Core, bad files.

The PDFs are written in the test (tests/pdf_helpers.py) with known pages, text, colours and
metadata; each fact is checked in the graph, on the asset page over real HTTP, and in search.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import requests
from conftest import CORPUS_IMAGES, add_user, http_sign_in, make_atrium, need_corpus, serving
from pdf_helpers import XMP_TEMPLATE, pdf_bytes, write_pdf
from PIL import Image

from app.domain.media import readers
from app.domain.media.describe import EBUCORE, PHOTOSHOP, duration, media_triples
from app.domain.media.facts import Limits, MediaFacts
from app.domain.media.images import BadFile
from app.domain.media.ingest import Ingester, IngestOptions
from app.domain.media.pdf import read
from app.domain.media.prepare import prepare
from app.namespaces import DC, DCT, IPTC, SCHEMA, XSD
from app.storage.graphstore import Scope

PAGES = ["Safety handout: wear a helmet", "Page two mentions quokkaberry", "Last page"]
INFO = {
    "Title": "Info title loses to XMP",
    "Author": "Ada Lovelace",
    "Subject": "How to stay safe on site",
    "Keywords": "helmets, hi-vis vests",
    "CreationDate": "D:20240131120000+01'00'",
}
XMP = XMP_TEMPLATE.format(title="Site safety handout", creator="Grace Hopper")
LIMITS = Limits(max_pixels=50_000_000)


def _handout(folder: Path, name: str = "handout.pdf") -> Path:
    return write_pdf(folder / name, PAGES, info=INFO, xmp=XMP)


def _values(atrium, asset_id: str, predicate) -> list[str]:  # noqa: ANN001
    iri = atrium.iris.asset(asset_id)
    triples = atrium.assets.record(asset_id, Scope.everything())
    return sorted(t.object.value for t in triples if t.subject == iri and t.predicate == predicate)


def _ingest(atrium, paths: list[Path], access: str = "internal"):  # noqa: ANN001, ANN202
    ingester = Ingester(atrium)
    return ingester.run(paths, ingester.resolve(IngestOptions("operations", access)))


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory):
    """A served Atrium holding the handout PDF and a plain-text file, and an admin session."""
    folder = tmp_path_factory.mktemp("documents")
    atrium = make_atrium(folder / "data")
    notes = folder / "notes.txt"
    notes.write_text("Minutes of the meeting.\n" * 40)
    report = _ingest(atrium, [_handout(folder), notes])
    assert report.ok, [o.reason for o in report.outcomes]
    pdf_id, notes_id = (o.asset_id for o in report.outcomes)
    with serving(atrium) as base_url:
        admin = http_sign_in(base_url, add_user(atrium, "admin"))
        yield atrium, base_url, admin, pdf_id, notes_id
    atrium.close()


def test_a_pdf_s_facts_land_in_the_graph(documents) -> None:
    atrium, _, _, pdf_id, _ = documents
    assert _values(atrium, pdf_id, DCT.title) == ["Site safety handout"]  # XMP over Info, file
    assert _values(atrium, pdf_id, DC.creator) == ["Grace Hopper"]
    assert _values(atrium, pdf_id, DCT.description) == ["How to stay safe on site"]
    assert _values(atrium, pdf_id, SCHEMA.keywords) == ["helmets", "hi-vis vests"]
    assert _values(atrium, pdf_id, DCT.created) == ["2024-01-31T12:00:00+01:00"]
    assert _values(atrium, pdf_id, SCHEMA.numberOfPages) == ["3"]
    assert _values(atrium, pdf_id, DCT.format) == ["application/pdf"]
    assert _values(atrium, pdf_id, DCT.type)[0].endswith("asset-types/document")
    (text,) = _values(atrium, pdf_id, SCHEMA.text)
    assert all(page in text for page in PAGES)


def test_the_first_page_is_the_preview_and_every_page_has_a_picture(documents) -> None:
    _, base_url, admin, pdf_id, _ = documents
    preview = admin.get(f"{base_url}/assets/{pdf_id}/preview")
    assert preview.headers["Content-Type"] == "image/jpeg"
    picture = Image.open(io.BytesIO(preview.content)).convert("RGB")
    assert max(picture.size) == 1024 and picture.height > picture.width  # a portrait page
    red, green, blue = picture.getpixel((picture.width // 2, picture.height // 20))
    assert red > 150 and green < 80 and blue < 80  # the red band at the top of the page
    thumbnail = Image.open(io.BytesIO(admin.get(f"{base_url}/assets/{pdf_id}/thumbnail").content))
    assert max(thumbnail.size) == 256
    for number in (2, 3):
        page = admin.get(f"{base_url}/assets/{pdf_id}/page-{number}")
        assert page.status_code == 200 and page.headers["Content-Type"] == "image/jpeg"
    assert admin.get(f"{base_url}/assets/{pdf_id}/page-4").status_code == 404


def test_the_asset_page_shows_the_facts_and_the_page_strip(documents) -> None:
    _, base_url, admin, pdf_id, _ = documents
    html = admin.get(f"{base_url}/assets/{pdf_id}").text
    assert "<h1>Site safety handout</h1>" in html
    assert re.search(r"<dt>pages</dt>\s*<dd>3</dd>", html)
    assert "Grace Hopper" in html and "quokkaberry" in html
    assert 'class="page-strip"' in html
    assert f'src="/assets/{pdf_id}/page-2"' in html and f'src="/assets/{pdf_id}/page-3"' in html
    assert "Download page-2" not in html  # the pages are the strip, not download choices


def test_search_finds_a_word_only_inside_the_pdf(documents) -> None:
    _, base_url, admin, pdf_id, notes_id = documents
    found = admin.get(f"{base_url}/search", params={"q": "quokkaberry"}).text
    assert f"/assets/{pdf_id}" in found and f"/assets/{notes_id}" not in found
    assert f"/assets/{pdf_id}" not in admin.get(f"{base_url}/search", params={"q": "zebu"}).text


def test_other_documents_keep_their_type_card_with_type_and_size(documents) -> None:
    atrium, base_url, admin, _, notes_id = documents
    assert _values(atrium, notes_id, DCT.format) == ["text/plain"]
    assert _values(atrium, notes_id, SCHEMA.numberOfPages) == []
    card = admin.get(f"{base_url}/assets/{notes_id}/thumbnail")
    assert card.status_code == 200 and card.headers["Content-Type"] == "image/jpeg"
    html = admin.get(f"{base_url}/assets/{notes_id}").text
    size = len("Minutes of the meeting.\n" * 40)
    assert "text/plain" in html and f'title="{size:,} bytes"' in html
    assert 'class="page-strip"' not in html


def test_text_and_pages_are_bounded_by_the_limits(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "long.pdf", [f"page {n} word{n}" for n in range(1, 8)])
    facts = read(path, "application/pdf", Limits(max_pixels=50_000_000, max_pages=3))
    assert facts.pages == 7
    assert sorted(facts.renditions) == ["page-2", "page-3", "preview", "thumbnail"]
    assert "word3" in facts.text and "word4" not in facts.text
    short = read(path, "application/pdf", Limits(max_pixels=50_000_000, max_text_chars=12))
    assert short.text == "page 1 word1"[:12] and len(short.text) <= 12


def test_rendering_is_capped_in_pixels(tmp_path: Path) -> None:
    facts = read(_handout(tmp_path), "application/pdf", Limits(max_pixels=40_000, max_pages=2))
    for rendition in facts.renditions.values():
        assert rendition.width * rendition.height <= 40_000


def test_the_info_dictionary_is_read_when_there_is_no_xmp(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "info.pdf", ["x"], info=INFO)
    metadata = read(path, "application/pdf", LIMITS).metadata
    assert metadata.title == "Info title loses to XMP" and metadata.creators == ["Ada Lovelace"]
    assert metadata.keywords == ["helmets", "hi-vis vests"]


def test_bad_pdfs_get_one_line_reasons_and_never_stop_the_ingest(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    good = pdf_bytes(["a good document"])
    (folder / "a-good.pdf").write_bytes(good)
    (folder / "b-truncated.pdf").write_bytes(good[:200])
    (folder / "c-corrupt.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    (folder / "d-empty-tree.pdf").write_bytes(pdf_bytes([]))
    Image.new("RGB", (64, 48), "blue").save(folder / "e-photo.png")
    atrium = make_atrium(tmp_path / "data")
    try:
        from app.domain.media.ingest import find_files

        report = _ingest(atrium, find_files([folder]))
    finally:
        atrium.close()
    outcomes = {o.path.name: o for o in report.outcomes}
    assert outcomes["a-good.pdf"].status == outcomes["e-photo.png"].status == "ingested"
    for name in ("b-truncated.pdf", "c-corrupt.pdf", "d-empty-tree.pdf"):
        failed = outcomes[name]
        assert failed.status == "failed" and "PDF" in failed.reason, (name, failed.reason)
        assert "\n" not in failed.reason and len(failed.reason) < 120


def test_a_reader_that_cannot_be_imported_leaves_the_type_card(tmp_path, monkeypatch) -> None:
    def no_module(name: str):  # noqa: ANN202
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(readers.importlib, "import_module", no_module)
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(64))
    prepared = prepare(path, 50_000_000)
    assert prepared.error is None and prepared.mime == "video/mp4"
    assert sorted(prepared.renditions) == ["preview", "thumbnail"]


def test_a_reader_s_unexpected_error_is_the_file_s_failure_only(tmp_path, monkeypatch) -> None:
    def broken(path: Path, mime: str, limits: Limits) -> MediaFacts:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(readers, "reader_for", lambda mime: broken)
    path = write_pdf(tmp_path / "x.pdf", ["x"])
    with pytest.raises(BadFile, match="cannot be read as application/pdf: division by zero"):
        readers.read_media(path, "application/pdf", LIMITS)
    assert prepare(path, 50_000_000).error.startswith("cannot be read")


def test_media_facts_map_to_standard_terms() -> None:
    from pyoxigraph import NamedNode

    iri = NamedNode("http://atrium.test/assets/0123456789abcdef")
    facts = MediaFacts(
        "video/mp4", duration_seconds=65.2, width=1920, height=1080, frame_rate=29.97,
        codecs=["h264", "aac", "h264"], pages=None,
    )  # fmt: skip
    found = {(t.predicate.value, t.object.value) for t in media_triples(iri, facts)}
    assert (SCHEMA.duration.value, "PT1M5.2S") in found
    assert (EBUCORE.frameRate.value, "29.97") in found
    assert {v for p, v in found if p == EBUCORE.hasCodec.value} == {"h264", "aac"}
    assert duration(0).value == "PT0S" and duration(90000.5).value == "P1DT1H0.5S"
    assert duration(3600).datatype == XSD.duration


# --- IPTC Core fields (part 5) ------------------------------------------------------------------

IPTC_XMP = """<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
 xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""
 xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
 xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"
 photoshop:Credit="Photo: Example Agency" photoshop:Source="Example Archive"
 photoshop:City="Lyon" photoshop:State="Auvergne-Rhône-Alpes" photoshop:Country="France"
 Iptc4xmpCore:CountryCode="FR" Iptc4xmpCore:Location="Vieux Lyon">
<photoshop:Instructions>Embargoed until 1 June</photoshop:Instructions>
</rdf:Description></rdf:RDF></x:xmpmeta>"""


def test_iptc_core_fields_land_in_the_record_and_on_the_page(tmp_path: Path) -> None:
    path = tmp_path / "lyon.jpg"
    Image.new("RGB", (120, 80), "orange").save(path, xmp=IPTC_XMP.encode())
    atrium = make_atrium(tmp_path / "data")
    try:
        (outcome,) = _ingest(atrium, [path]).outcomes
        asset_id = outcome.asset_id
        expected = {
            SCHEMA.creditText: "Photo: Example Agency",
            PHOTOSHOP.Source: "Example Archive",
            PHOTOSHOP.City: "Lyon",
            PHOTOSHOP.State: "Auvergne-Rhône-Alpes",
            PHOTOSHOP.Country: "France",
            IPTC.CountryCode: "FR",
            IPTC.Location: "Vieux Lyon",
            PHOTOSHOP.Instructions: "Embargoed until 1 June",
        }
        for predicate, value in expected.items():
            assert _values(atrium, asset_id, predicate) == [value], predicate
        with serving(atrium) as base_url:
            admin = http_sign_in(base_url, add_user(atrium, "admin"))
            html = admin.get(f"{base_url}/assets/{asset_id}").text
        assert re.search(r"<dt>credit line</dt>\s*<dd>Photo: Example Agency</dd>", html)
        assert re.search(r"<dt>city</dt>\s*<dd>Lyon</dd>", html)
        assert re.search(r"<dt>instructions</dt>\s*<dd>Embargoed until 1 June</dd>", html)
    finally:
        atrium.close()


def test_iptc_core_fields_of_real_files() -> None:
    from app.domain.media.embedded_metadata import read_embedded_metadata

    need_corpus("images", "pillow__iptc.jpg")
    iim = read_embedded_metadata(CORPUS_IMAGES / "pillow__iptc.jpg")  # IIM 2:90, 2:101
    assert (iim.city, iim.country) == ("Budapest", "Hungary")
    xmp = read_embedded_metadata(need_corpus("images", "exif-samples__long_description.jpg"))
    assert xmp.credit and xmp.source and xmp.city  # photoshop:Credit, Source, City
    assert xmp.instructions and xmp.instructions.startswith("Cleared for public release")


def test_pages_are_not_served_to_a_reader_who_may_not_see_the_asset(documents) -> None:
    _, base_url, _, pdf_id, _ = documents  # internal: anonymous readers see nothing of it
    anonymous = requests.Session()
    for path in ("", "/preview", "/page-2"):
        assert anonymous.get(f"{base_url}/assets/{pdf_id}{path}").status_code == 404
