"""Hardening, input handling (L6, L9): malformed IRIs and file names get 4xx answers, never a
500; only http(s) IRIs ever become links. Over real HTTP, or through the real CLI."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
import requests
from conftest import BASE_IRI, add_user, http_sign_in, make_atrium, serving
from pdf_helpers import write_pdf
from PIL import Image
from vocab_helpers import VOCAB_DATA, import_file

from app.cli.main import main
from app.domain.iris import InvalidIri, is_web_iri, parse_iri
from app.service import Atrium
from app.web import create_app

EX = "http://example.test/colours/"
BAD_IRIS = [
    "",
    " ",
    "http://example.test/a b",
    "<>",
    'http://example.test/"quoted"',
    "http://example.test/line\nbreak",
    "javascript:alert(1)",
    "foo",
    "http://example.test/" + "a" * 10_240,
    "http://example.test/\x85\x9f",
    "http://example.test/{}",
    "http://example.test/100%",
]
JS_LINK = re.compile(r"href\s*=\s*[\"']?\s*javascript:", re.I)


def png(colour: str = "red") -> bytes:
    data = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(data, format="PNG")
    return data.getvalue()


def csrf_of(session: requests.Session, url: str) -> str:
    page = session.get(url)
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def filename_star(disposition: str) -> str:
    """The name a client saves under: the RFC 5987 ``filename*`` of a Content-Disposition."""
    return unquote(re.search(r"filename\*=UTF-8''([^;\s]+)", disposition).group(1))


@pytest.fixture
def colours(atrium: Atrium) -> Atrium:
    import_file(atrium, VOCAB_DATA / "clean.ttl")
    return atrium


# --- L6: malformed IRIs --------------------------------------------------------------------------


def test_l6_parse_iri_checks_input_once_with_a_clear_error() -> None:
    assert parse_iri(f"{EX}red").value == f"{EX}red"
    assert parse_iri("urn:isbn:0451450523").value == "urn:isbn:0451450523"
    for text in BAD_IRIS:
        if text == "javascript:alert(1)":  # a valid IRI: refused as a link, not as input
            continue
        with pytest.raises(InvalidIri) as raised:
            parse_iri(text)
        assert isinstance(raised.value, ValueError) and str(raised.value)
    assert "longer than" in str(pytest.raises(InvalidIri, parse_iri, "http://x/" + "a" * 5000))


def test_l6_invalid_iris_in_concept_and_children_are_4xx(colours: Atrium) -> None:
    with serving(colours) as base:
        for text in BAD_IRIS:
            concept = requests.get(f"{base}/vocab/concept", params={"iri": text}, timeout=10)
            assert concept.status_code in (400, 404), (text[:40], concept.status_code)
            children = requests.get(
                f"{base}/vocab/children", params={"vocabulary": "colours", "iri": text}, timeout=10
            )
            assert children.status_code in (400, 404), (text[:40], children.status_code)
        for raw in ("iri=%", "iri=%zz", "iri=%0A", "iri=%7B%7D", "iri=%3C%3E"):  # as typed
            for route in ("concept?", "children?vocabulary=colours&"):
                answer = requests.get(f"{base}/vocab/{route}{raw}", timeout=10)
                assert answer.status_code in (400, 404), (route, raw, answer.status_code)
        bad = requests.get(f"{base}/vocab/concept", params={"iri": "a b"}, timeout=10)
        assert bad.status_code == 400 and "Invalid IRI code point" in bad.text
        assert requests.get(f"{base}/vocab/some%20thing%7B%7D", timeout=10).status_code == 404
        good = requests.get(f"{base}/vocab/concept", params={"iri": f"{EX}red"}, timeout=10)
        assert good.status_code == 200 and "Red" in good.text


def test_l6_invalid_iris_in_the_editors_forms_are_4xx(colours: Atrium) -> None:
    with serving(colours) as base:
        web = http_sign_in(base, add_user(colours, "taxonomist"))
        token = csrf_of(web, f"{base}/vocab/new-scheme")
        for text in ("http://example.test/a b", "<>", "foo", "http://example.test/%"):
            for route in ("edit", "merge", "delete"):
                page = web.get(f"{base}/vocab/{route}", params={"iri": text}, timeout=10)
                assert page.status_code in (400, 404), (route, text, page.status_code)
            for route, field in (("deprecate", "iri"), ("revert", "change"), ("edit", "iri")):
                form = {"csrf_token": token, field: text, "version": "x"}
                answer = web.post(f"{base}/vocab/{route}", data=form, allow_redirects=False)
                assert answer.status_code in (400, 404), (route, text, answer.status_code)
        merge = web.post(
            f"{base}/vocab/merge",
            data={"csrf_token": token, "iri": f"{EX}red", "target": "http://x/a b", "version": ""},
        )
        assert merge.status_code == 422 and "not an absolute IRI" in merge.text


# --- L6: file names ------------------------------------------------------------------------------


def test_l6_a_300_character_upload_name_is_stored_shortened(atrium: Atrium) -> None:
    original = ("Frühling-Kampagne " * 20)[:296] + ".png"
    assert len(original) == 300 and len(original.encode()) > 255
    with serving(atrium) as base:
        web = http_sign_in(base, add_user(atrium, "contributor", ("marketing",)))
        token = csrf_of(web, f"{base}/upload")
        form = {
            "csrf_token": token,
            "title": "Long name",
            "access": "internal",
            "channel": atrium.iris.concept("channels/web").value,
        }
        upload = web.post(
            f"{base}/upload",
            data=form,
            files={"file": (original, png(), "image/png")},
            allow_redirects=False,
        )
        assert upload.status_code == 302, upload.text[:2000]
        asset_id = upload.headers["Location"].rsplit("/", 1)[-1]
        download = web.get(f"{base}/assets/{asset_id}/file")
        assert download.status_code == 200 and download.content == png()
        saved = filename_star(download.headers["Content-Disposition"])
        assert saved.endswith(".png") and original.startswith(saved[:-4].rstrip())
        assert 150 < len(saved.encode()) <= 200  # shortened, yet most of the name kept
        assert "/" not in saved and "\\" not in saved


def test_l6_upload_names_with_folders_and_controls_stay_in_the_upload_folder(
    atrium: Atrium,
) -> None:
    with serving(atrium) as base:
        web = http_sign_in(base, add_user(atrium, "contributor", ("marketing",)))
        token = csrf_of(web, f"{base}/upload")
        form = {"csrf_token": token, "title": "Sneaky", "access": "internal",
                "channel": atrium.iris.concept("channels/web").value}  # fmt: skip
        name = "../../etc/ré\tsumé\u202e.png"  # (clients send CR/LF as %0D%0A)
        upload = web.post(
            f"{base}/upload",
            data=form,
            files={"file": (name, png("blue"), "image/png")},
            allow_redirects=False,
        )
        assert upload.status_code == 302, upload.text[:2000]
        asset_id = upload.headers["Location"].rsplit("/", 1)[-1]
        download = web.get(f"{base}/assets/{asset_id}/file")
        assert download.status_code == 200
        assert filename_star(download.headers["Content-Disposition"]) == "ré_sumé_.png"
    assert not (atrium.config.data_dir.parent / "etc").exists()


def test_l6_a_cli_ingested_name_with_cr_lf_downloads_with_an_rfc6266_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("ATRIUM_DATA", str(data))
    monkeypatch.setenv("ATRIUM_BASE_IRI", BASE_IRI)
    monkeypatch.delenv("ATRIUM_STORE", raising=False)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    name = 'Quartal\r\nBericht «Zürich» "final".pdf'
    document = write_pdf(incoming / name, ["Quarterly report"])
    status = main(["ingest", str(document), "--department", "marketing", "--quiet"])
    assert status == 0
    asset_id = hashlib.sha256(document.read_bytes()).hexdigest()[:16]
    atrium = make_atrium(data)
    try:
        with serving(atrium) as base:
            web = http_sign_in(base, add_user(atrium, "admin"))
            download = web.get(f"{base}/assets/{asset_id}/file")
    finally:
        atrium.close()
    assert download.status_code == 200, download.text[:2000]
    disposition = download.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert disposition.isascii() and disposition.startswith("inline; ")
    assert filename_star(disposition) == 'Quartal__Bericht «Zürich» "final".pdf'
    fallback = re.search(r'filename="([^"]*)"', disposition).group(1)
    assert fallback == "Quartal__Bericht Zurich _final_.pdf"


# --- L9: only http(s) IRIs become links ----------------------------------------------------------


def test_l9_is_web_iri_accepts_http_and_https_only() -> None:
    assert is_web_iri("http://example.test/") and is_web_iri("HTTPS://example.test/x")
    others = ["javascript:alert(1)", "JavaScript://%0aalert(1)", "data:text/html,x"]
    others += ["vbscript:x", "urn:x:y", "file:///etc/passwd", "http:", "https:foo", ""]
    for iri in others:
        assert not is_web_iri(iri), iri


def test_l9_javascript_mappings_and_links_are_plain_text(atrium: Atrium, tmp_path: Path) -> None:
    vocabulary = tmp_path / "hostile.ttl"
    vocabulary.write_text(
        """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <http://example.test/hostile/> .
ex:scheme a skos:ConceptScheme ; skos:prefLabel "Hostile"@en ; skos:hasTopConcept ex:a .
ex:a a skos:Concept ; skos:inScheme ex:scheme ; skos:topConceptOf ex:scheme ;
    skos:prefLabel "Alpha"@en ;
    skos:exactMatch <javascript:alert(1)> ; skos:closeMatch <data:text/html,boom> ;
    skos:relatedMatch <https://www.wikidata.org/entity/Q1> ;
    skos:related <javascript:alert(2)> .
"""
    )
    report = import_file(atrium, vocabulary)
    assert atrium.vocab.catalogue.get("http://example.test/hostile/scheme") is not None, report
    with serving(atrium) as base:
        page = requests.get(
            f"{base}/vocab/concept", params={"iri": "http://example.test/hostile/a"}, timeout=10
        )
    assert page.status_code == 200
    html = page.text
    assert not JS_LINK.search(html) and 'href="data:' not in html
    assert "javascript:alert(1)" in html and "data:text/html,boom" in html  # shown as text
    assert 'href="https://www.wikidata.org/entity/Q1"' in html  # web links stay links


def test_l9_javascript_iris_in_sparql_results_are_plain_text(atrium: Atrium) -> None:
    query = (
        "SELECT ?bad ?good WHERE { BIND(<javascript:alert(document.cookie)> AS ?bad) "
        "BIND(<https://example.test/ok> AS ?good) }"
    )
    with serving(atrium) as base:
        page = requests.get(
            f"{base}/sparql", params={"query": query}, headers={"Accept": "text/html"}, timeout=10
        )
    assert page.status_code == 200, page.text[:2000]
    assert not JS_LINK.search(page.text)
    assert "javascript:alert(document.cookie)" in page.text
    assert 'href="https://example.test/ok"' in page.text


@pytest.mark.parametrize(
    "path",
    [
        "/assets/{id}/page-2",
        "/assets/{id}/web",
        "/assets/{id}/download",
        "/assets/{id}/versions",
        "/collections/{id}",
        "/api/collections/{id}",
    ],
)
@pytest.mark.parametrize("bad_id", ["%0d%0a", "0123456789abcdef%0a", "../etc", "Z" * 16])
def test_l6_a_malformed_id_in_a_url_is_a_404_on_every_route(atrium, path: str, bad_id: str) -> None:
    response = create_app(atrium).test_client().get(path.format(id=bad_id))
    assert response.status_code == 404


def test_l6_a_malformed_collection_id_in_a_write_is_a_404(atrium, sign_in) -> None:
    client = create_app(atrium).test_client()
    sign_in(client, "admin")
    assert client.delete("/api/collections/%0d%0a").status_code == 404
    assert client.post("/collections/%0d%0a/edit", data={"title": "x"}).status_code == 404
