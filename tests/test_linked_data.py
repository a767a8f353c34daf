"""Every IRI Atrium mints dereferences: HTML for a browser, RDF by content negotiation.

Assets, saved queries and the SPARQL service here; concepts and schemes use the same helper
(:mod:`app.web.negotiation`), tested on its own below.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from PIL import Image
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, parse
from test_web import ingest_one

from app.domain.sparql.saved_queries import SavedQuery
from app.service import Atrium
from app.web import create_app
from app.web.negotiation import negotiated

FORMATS = {
    "ttl": ("text/turtle", RdfFormat.TURTLE),
    "jsonld": ("application/ld+json", RdfFormat.JSON_LD),
    "nt": ("application/n-triples", RdfFormat.N_TRIPLES),
    "rdf": ("application/rdf+xml", RdfFormat.RDF_XML),
}


@pytest.fixture
def asset(atrium: Atrium, tmp_path: Path) -> tuple[object, str, str]:
    path = tmp_path / "poster.png"
    Image.new("RGB", (64, 48), "red").save(path)
    asset_id = ingest_one(atrium, path, "public", "title=Poster")
    hidden = tmp_path / "hidden.png"
    Image.new("RGB", (64, 48), "blue").save(hidden)
    hidden_id = ingest_one(atrium, hidden, "internal", "title=Hidden")
    return create_app(atrium).test_client(), asset_id, hidden_id


def subjects(body: bytes, rdf_format: RdfFormat) -> set[str]:
    return {quad.subject.value for quad in parse(body, format=rdf_format)}


@pytest.mark.parametrize("name", FORMATS)
def test_an_asset_iri_gives_each_rdf_format(asset, atrium: Atrium, name: str) -> None:
    client, asset_id, _ = asset
    media_type, rdf_format = FORMATS[name]
    iri = atrium.iris.asset(asset_id).value
    by_accept = client.get(f"/assets/{asset_id}", headers={"Accept": media_type})
    by_link = client.get(f"/assets/{asset_id}?format={name}", headers={"Accept": "text/html"})
    for response in (by_accept, by_link):
        assert response.status_code == 200 and response.mimetype == media_type
        assert iri in subjects(response.data, rdf_format)
        assert "Accept" in response.headers["Vary"]


def test_a_browser_gets_the_page_with_links_to_every_format(asset) -> None:
    client, asset_id, _ = asset
    response = client.get(f"/assets/{asset_id}", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.mimetype == "text/html" and "Accept" in response.headers["Vary"]
    links = response.headers["Link"]
    for name, (media_type, _) in FORMATS.items():
        assert f'/assets/{asset_id}?format={name}>; rel="alternate"; type="{media_type}"' in links
    assert f'/assets/{asset_id}>; rel="alternate"; type="text/html"' in links


def test_an_asset_nobody_may_see_is_404_in_every_format(asset) -> None:
    client, _, hidden_id = asset
    for media_type, _ in FORMATS.values():
        response = client.get(f"/assets/{hidden_id}", headers={"Accept": media_type})
        assert response.status_code == 404


def test_an_asset_in_a_format_we_do_not_have_is_406(asset) -> None:
    client, asset_id, _ = asset
    response = client.get(f"/assets/{asset_id}", headers={"Accept": "image/x-unknown"})
    assert response.status_code == 406


def test_a_saved_query_iri_dereferences(atrium: Atrium) -> None:
    atrium.saved_queries.save(SavedQuery("all", "Everything", "SELECT * WHERE { ?s ?p ?o }"))
    client = create_app(atrium).test_client()
    response = client.get("/queries/all", headers={"Accept": "application/ld+json"})
    assert response.mimetype == "application/ld+json"
    assert subjects(response.data, RdfFormat.JSON_LD) == {f"{atrium.iris.base}queries/all"}
    assert "?format=ttl" in response.headers["Link"]


def test_the_service_description_has_alternates(atrium: Atrium) -> None:
    client = create_app(atrium).test_client()
    response = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert response.mimetype == "application/ld+json"
    assert '/sparql?format=nt>; rel="alternate"' in response.headers["Link"]


# The shared helper, on its own -------------------------------------------------------------------


def tiny_app() -> Flask:
    app = Flask(__name__)
    thing = NamedNode("http://example.org/thing")

    @app.get("/thing")
    def show():  # noqa: ANN202
        return negotiated(
            lambda: [Triple(thing, NamedNode("http://example.org/p"), Literal("x"))],
            lambda: "<p>thing</p>",
        )

    return app


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "text/html"),
        ("*/*", "text/html"),
        ("text/html", "text/html"),
        ("text/turtle", "text/turtle"),
        ("application/rdf+xml;q=0.5, application/n-triples", "application/n-triples"),
        ("text/turtle;q=0.9, text/html;q=0.8", "text/turtle"),
    ],
)
def test_negotiation_picks_the_preferred_type(accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    response = tiny_app().test_client().get("/thing", headers=headers)
    assert response.status_code == 200 and response.mimetype == expected
    assert response.headers["Vary"] == "Accept"


def test_negotiation_refuses_an_unknown_format_name() -> None:
    response = tiny_app().test_client().get("/thing?format=pdf")
    assert response.status_code == 400


def test_a_users_profile_dereferences_for_signed_in_readers(atrium: Atrium, sign_in) -> None:
    client = create_app(atrium).test_client()
    atrium.users.add("ana", "contributor", ["marketing"], "a long enough password")
    assert client.get("/users/ana", headers={"Accept": "text/turtle"}).status_code == 404
    sign_in(client, role="viewer")
    response = client.get("/users/ana", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    assert subjects(response.data, RdfFormat.TURTLE) == {atrium.iris.user("ana").value}
    page = client.get("/users/ana", headers={"Accept": "text/html"})
    assert "contributor" in page.get_data(as_text=True) and "Link" in page.headers
    assert client.get("/users/nobody").status_code == 404
