"""The web pages, read by an anonymous visitor: public assets only, on every path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import CORPUS_IMAGES
from PIL import Image
from pyoxigraph import RdfFormat, parse

from app.domain.media.ingest import Ingester, IngestOptions
from app.domain.people.access import ADMIN
from app.service import Atrium
from app.web import create_app


def ingest_one(atrium: Atrium, path: Path, access: str, *settings: str) -> str:
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("marketing", access, settings=list(settings)))
    outcome = ingester.run([path], options).outcomes[0]
    assert outcome.status == "ingested", outcome.reason
    return outcome.asset_id


@pytest.fixture
def site(atrium: Atrium, client, tmp_path: Path):  # noqa: ANN001, ANN201
    ids = {}
    for access, colour in (("public", "red"), ("internal", "green"), ("restricted", "blue")):
        path = tmp_path / f"{access}.png"
        Image.new("RGB", (300, 200), colour).save(path)
        ids[access] = ingest_one(atrium, path, access, f"title={access} <b>asset</b>")
    return client, ids


def test_the_list_shows_public_assets_only(site) -> None:
    client, ids = site
    page = client.get("/").get_data(as_text=True)
    assert ids["public"] in page
    assert ids["internal"] not in page and ids["restricted"] not in page
    assert "1 asset" in page


def test_hidden_assets_answer_404_on_every_path(site) -> None:
    client, ids = site
    for access in ("internal", "restricted"):
        for suffix in ("", "/file", "/thumbnail", "/preview"):
            response = client.get(f"/assets/{ids[access]}{suffix}")
            assert response.status_code == 404, (access, suffix)
        turtle = client.get(f"/assets/{ids[access]}", headers={"Accept": "text/turtle"})
        assert turtle.status_code == 404


def test_a_public_asset_has_a_page_a_file_and_renditions(site) -> None:
    client, ids = site
    asset = ids["public"]
    page = client.get(f"/assets/{asset}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "public &lt;b&gt;asset&lt;/b&gt;" in html and "<b>asset</b>" not in html
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    original = client.get(f"/assets/{asset}/file")
    assert original.status_code == 200 and original.mimetype == "image/png"
    thumbnail = client.get(f"/assets/{asset}/thumbnail")
    assert thumbnail.mimetype == "image/jpeg"
    from io import BytesIO

    assert max(Image.open(BytesIO(thumbnail.data)).size) <= 256


def test_the_asset_iri_dereferences_to_rdf(site, atrium: Atrium) -> None:
    client, ids = site
    response = client.get(f"/assets/{ids['public']}", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    assert "Accept" in response.headers["Vary"]
    triples = list(parse(response.data, format=RdfFormat.TURTLE))
    subjects = {q.subject.value for q in triples}
    assert atrium.iris.asset(ids["public"]).value in subjects
    jsonld = client.get(f"/assets/{ids['public']}", headers={"Accept": "application/ld+json"})
    assert jsonld.status_code == 200 and jsonld.mimetype == "application/ld+json"


def test_nonsense_ids_are_404(site) -> None:
    client, _ = site
    for path in ("/assets/..%2f..%2fetc", "/assets/zzzz", "/assets/0123456789abcdef/file"):
        assert client.get(path).status_code == 404


def test_non_image_files_download_as_attachments(atrium: Atrium, tmp_path: Path) -> None:
    page = tmp_path / "notes.html"
    page.write_text("<script>alert(1)</script>")
    asset = ingest_one(atrium, page, "public")
    client = create_app(atrium).test_client()
    response = client.get(f"/assets/{asset}/file")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.corpus("images")
def test_an_incomplete_asset_is_marked_on_its_page(
    atrium: Atrium, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = tmp_path / "portrait.jpg"
    shutil.copyfile(CORPUS_IMAGES / "pillow__flower.jpg", photo)
    ingester = Ingester(atrium)
    outcome = ingester.run([photo], ingester.resolve(IngestOptions("hr", "public"))).outcomes[0]
    assert outcome.status == "ingested"
    # Kept restricted, so an anonymous visitor cannot see it at all.
    client = create_app(atrium).test_client()
    assert client.get(f"/assets/{outcome.asset_id}").status_code == 404
    # An administrator sees it, with what is missing.
    import app.web.context

    monkeypatch.setattr(app.web.context, "current_reader", lambda: ADMIN)
    html = client.get(f"/assets/{outcome.asset_id}").get_data(as_text=True)
    assert "Incomplete" in html and "consent expires" in html and "consent given" in html
