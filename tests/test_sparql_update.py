"""``/sparql/update``: SPARQL Update from administrators only, validated like any other write."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import csrf_token
from PIL import Image
from test_web import ingest_one
from virtuoso_server import known_limitation

from app.domain.concepts import UnknownConcept
from app.domain.media.ingest import Ingester, IngestOptions
from app.service import Atrium
from app.storage.graphstore import Scope
from app.web import create_app

PREFIXES = """PREFIX dam: <https://w3id.org/atrium/ns#>
PREFIX dct: <http://purl.org/dc/terms/>
"""
UPDATE = "application/sparql-update"


@pytest.fixture
def site(atrium: Atrium, client, tmp_path: Path, api_token):  # noqa: ANN001
    path = tmp_path / "poster.png"
    Image.new("RGB", (64, 48), "red").save(path)
    asset_id = ingest_one(atrium, path, "public", "title=Poster")
    token = api_token(atrium, role="admin")
    return client, asset_id, {"Authorization": f"Bearer {token}"}


def title_of(atrium: Atrium, asset_id: str) -> list[str]:
    query = PREFIXES + "SELECT ?t WHERE { ?a dct:title ?t }"
    rows = atrium.store.select(
        query.replace("?a", f"<{atrium.iris.asset(asset_id).value}>"),
        scope=Scope.everything(),
    )
    return [row["t"].value for row in rows]


def retitle(asset_iri: str, title: str) -> str:
    return (
        PREFIXES
        + f"DELETE {{ <{asset_iri}> dct:title ?old }} "
        + f'INSERT {{ <{asset_iri}> dct:title "{title}" }} '
        + f"WHERE {{ <{asset_iri}> dct:title ?old }}"
    )


def test_an_administrator_changes_a_title(site, atrium: Atrium) -> None:
    client, asset_id, admin = site
    iri = atrium.iris.asset(asset_id).value
    response = client.post(
        "/sparql/update", data=retitle(iri, "New poster"), headers=admin, content_type=UPDATE
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "1 asset records rewritten" in response.get_data(as_text=True)
    assert title_of(atrium, asset_id) == ["New poster"]
    page = client.get(f"/assets/{asset_id}").get_data(as_text=True)  # still public
    assert "New poster" in page


def test_an_update_names_the_graphs_it_writes(site, atrium: Atrium) -> None:
    """A retitle keeps what was read of the vocabularies; a new concept is in the index at once."""
    client, asset_id, admin = site
    vocabularies = atrium.iris.vocab_graph("").value
    with pytest.raises(UnknownConcept):
        atrium.concepts().resolve_subject("Lantern")
    before = atrium.store.write_count(vocabularies)
    iri = atrium.iris.asset(asset_id).value
    response = client.post(
        "/sparql/update", data=retitle(iri, "New poster"), headers=admin, content_type=UPDATE
    )
    assert response.status_code == 200, response.text
    assert atrium.store.write_count(vocabularies) == before

    concept = atrium.iris.concept("subjects/lantern")
    scheme = f"<{atrium.iris.vocab_base}subjects>"
    update = (
        f"PREFIX skos: <http://www.w3.org/2004/02/skos/core#> INSERT DATA {{ GRAPH "
        f"{atrium.iris.vocab_graph('subjects')} {{ {concept} a skos:Concept ; "
        f'skos:inScheme {scheme} ; skos:prefLabel "Lantern"@en }} }}'
    )
    response = client.post("/sparql/update", data=update, headers=admin, content_type=UPDATE)
    assert response.status_code == 200, response.text
    assert atrium.store.write_count(vocabularies) != before
    assert atrium.concepts().resolve_subject("Lantern") == concept


def test_an_update_that_breaks_the_core_shape_changes_nothing(site, atrium: Atrium) -> None:
    client, asset_id, admin = site
    iri = atrium.iris.asset(asset_id).value
    update = PREFIXES + f"DELETE WHERE {{ <{iri}> dct:title ?title }}"
    response = client.post("/sparql/update", data={"update": update}, headers=admin)
    assert response.status_code == 422
    assert "title" in response.get_data(as_text=True) and "nothing changed" in response.text
    assert title_of(atrium, asset_id) == ["Poster"]


def test_changing_the_access_level_moves_the_record(site, atrium: Atrium) -> None:
    client, asset_id, admin = site
    iri = atrium.iris.asset(asset_id).value
    update = (
        PREFIXES + f"DELETE {{ <{iri}> dam:accessLevel dam:Public }} "
        f"INSERT {{ <{iri}> dam:accessLevel dam:Internal }} WHERE {{ }}"
    )
    response = client.post("/sparql/update", data=update, headers=admin, content_type=UPDATE)
    assert response.status_code == 200, response.text
    assert client.get(f"/assets/{asset_id}").status_code == 404  # anonymous: gone from view
    internal = atrium.iris.asset_graph("internal", "").value
    graphs = atrium.store.select(
        f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ <{iri}> ?p ?o }} }}",
        scope=Scope.everything(),
    )
    assert [row["g"].value for row in graphs] == [internal]


def test_a_profile_gap_makes_an_asset_incomplete_and_keeps_it_private(
    atrium: Atrium, tmp_path: Path, api_token
) -> None:
    photo = tmp_path / "portrait.png"
    Image.new("RGB", (64, 48), "green").save(photo)
    ingester = Ingester(atrium)
    options = ingester.resolve(
        IngestOptions("hr", "internal", settings=["consentGiven=true", "consentExpires=2030-01-01"])
    )
    asset_id = ingester.run([photo], options).outcomes[0].asset_id
    iri = atrium.iris.asset(asset_id).value
    client = create_app(atrium).test_client()
    admin = {"Authorization": f"Bearer {api_token(atrium, role='admin')}"}
    drop_consent = PREFIXES + f"DELETE WHERE {{ <{iri}> dam:consentExpires ?date }}"
    response = client.post("/sparql/update", data=drop_consent, headers=admin, content_type=UPDATE)
    assert response.status_code == 200 and "1 now incomplete" in response.text
    assert atrium.assets.access_of(asset_id) == ("internal", "hr")
    assert atrium.assets.missing_fields(asset_id)
    make_public = (
        PREFIXES + f"DELETE {{ <{iri}> dam:accessLevel ?level }} "
        f"INSERT {{ <{iri}> dam:accessLevel dam:Public }} "
        f"WHERE {{ <{iri}> dam:accessLevel ?level }}"
    )
    refused = client.post("/sparql/update", data=make_public, headers=admin, content_type=UPDATE)
    assert refused.status_code == 422
    assert atrium.assets.access_of(asset_id) == ("internal", "hr")


def test_other_triples_need_a_graph_and_then_land(site, atrium: Atrium) -> None:
    client, _, admin = site
    note = '<urn:x:note> <http://purl.org/dc/terms/title> "A note" .'
    response = client.post(
        "/sparql/update", data=f"INSERT DATA {{ {note} }}", headers=admin, content_type=UPDATE
    )
    assert response.status_code == 422 and "GRAPH" in response.text
    graph = atrium.iris.graph("notes").value
    response = client.post(
        "/sparql/update",
        data=f"INSERT DATA {{ GRAPH <{graph}> {{ {note} }} }}",
        headers=admin,
        content_type=UPDATE,
    )
    assert response.status_code == 200 and "1 other triples inserted" in response.text
    assert atrium.store.ask(f"ASK {{ GRAPH <{graph}> {{ {note} }} }}", scope=Scope.everything())


def test_load_and_malformed_updates_are_refused(site) -> None:
    client, _, admin = site
    for update, status in (("LOAD <http://127.0.0.1:1/x.ttl>", 422), ("INSERT DATA {", 400)):
        response = client.post("/sparql/update", data=update, headers=admin, content_type=UPDATE)
        assert response.status_code == status, update


def test_only_administrators_may_update(site, atrium: Atrium, api_token) -> None:
    client, asset_id, _ = site
    iri = atrium.iris.asset(asset_id).value
    update = retitle(iri, "Hacked")
    anonymous = client.post("/sparql/update", data=update, content_type=UPDATE)
    assert anonymous.status_code == 401 and "WWW-Authenticate" in anonymous.headers
    viewer = {"Authorization": f"Bearer {api_token(atrium, role='viewer')}"}
    response = client.post("/sparql/update", data=update, headers=viewer, content_type=UPDATE)
    assert response.status_code == 403
    assert title_of(atrium, asset_id) == ["Poster"]


def test_a_signed_in_administrator_needs_the_csrf_token(site, atrium: Atrium, sign_in) -> None:
    client, asset_id, _ = site
    sign_in(client, role="admin")
    update = retitle(atrium.iris.asset(asset_id).value, "From the form")
    assert client.post("/sparql/update", data={"update": update}).status_code == 400
    response = client.post(
        "/sparql/update", data={"update": update, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 200
    assert title_of(atrium, asset_id) == ["From the form"]


def graph_rows(atrium: Atrium, graph: str) -> list[tuple[str, str]]:
    rows = atrium.store.select(
        f"SELECT ?s ?o WHERE {{ GRAPH <{graph}> {{ ?s <urn:p> ?o }} }} ORDER BY ?s ?o",
        scope=Scope.everything(),
    )
    return [(row["s"].value, row["o"].value) for row in rows]


def test_with_names_the_template_graph_and_using_the_where_dataset(site, atrium: Atrium) -> None:
    """SPARQL 1.1 Update §3.1.3: with USING, WITH still names the graph the templates write."""
    client, _, admin = site
    seed = (
        'INSERT DATA { GRAPH <urn:source> { <urn:a> <urn:p> "from source" } '
        'GRAPH <urn:target> { <urn:b> <urn:p> "in target" } }'
    )
    response = client.post("/sparql/update", data=seed, headers=admin, content_type=UPDATE)
    assert response.status_code == 200
    copy = "WITH <urn:target> INSERT { ?s <urn:p> ?o } USING <urn:source> WHERE { ?s <urn:p> ?o }"
    response = client.post("/sparql/update", data=copy, headers=admin, content_type=UPDATE)
    assert response.status_code == 200, response.text
    assert graph_rows(atrium, "urn:target") == [("urn:a", "from source"), ("urn:b", "in target")]


def test_every_delete_lands_before_any_insert(site, atrium: Atrium) -> None:
    """§3.1.3: one solution's DELETE never undoes another solution's INSERT."""
    client, _, admin = site
    seed = 'INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:p> "same" . <urn:b> <urn:p> "same" } }'
    response = client.post("/sparql/update", data=seed, headers=admin, content_type=UPDATE)
    assert response.status_code == 200
    # each subject hands its value to the other: the same two triples must come out
    swap = (
        "DELETE { GRAPH <urn:g> { ?s <urn:p> ?o } } INSERT { GRAPH <urn:g> { ?other <urn:p> ?o } } "
        "WHERE { GRAPH <urn:g> { ?s <urn:p> ?o . ?other <urn:p> ?any FILTER(?s != ?other) } }"
    )
    response = client.post("/sparql/update", data=swap, headers=admin, content_type=UPDATE)
    assert response.status_code == 200, response.text
    assert graph_rows(atrium, "urn:g") == [("urn:a", "same"), ("urn:b", "same")]


def test_create_graph_refuses_a_graph_that_holds_data(site, atrium: Atrium) -> None:
    client, _, admin = site
    ontology = atrium.iris.ontology_graph.value
    for update, status in (
        ("CREATE GRAPH <urn:new>", 200),
        (f"CREATE GRAPH <{ontology}>", 422),
        (f"CREATE SILENT GRAPH <{ontology}>", 200),
    ):
        response = client.post("/sparql/update", data=update, headers=admin, content_type=UPDATE)
        assert response.status_code == status, update


@pytest.mark.remote
def test_blank_nodes_are_deleted_on_a_remote_store(
    remote_atrium: Atrium, api_token, request: pytest.FixtureRequest
) -> None:
    known_limitation(
        request,
        "INSERT DATA refuses blank nodes (SP031: blank node is not allowed in a constant "
        "clause), which SPARQL 1.1 Update §3.1.1 allows",
    )
    client = create_app(remote_atrium).test_client()
    admin = {"Authorization": f"Bearer {api_token(remote_atrium, role='admin')}"}
    seed = 'INSERT DATA { GRAPH <urn:g> { _:a <urn:p> "keep" . _:b <urn:p> "drop" ; <urn:q> _:a } }'
    for update in (seed, 'DELETE WHERE { GRAPH <urn:g> { ?b <urn:p> "drop" ; <urn:q> ?a } }'):
        response = client.post("/sparql/update", data=update, headers=admin, content_type=UPDATE)
        assert response.status_code == 200, response.text
    assert [o for _, o in graph_rows(remote_atrium, "urn:g")] == ["keep"]
    response = client.post(
        "/sparql/update", data="DROP GRAPH <urn:g>", headers=admin, content_type=UPDATE
    )
    assert response.status_code == 200 and graph_rows(remote_atrium, "urn:g") == []


@pytest.mark.remote
def test_an_update_lands_on_a_remote_store(
    remote_atrium: Atrium, tmp_path: Path, api_token
) -> None:
    path = tmp_path / "poster.png"
    Image.new("RGB", (64, 48), "red").save(path)
    asset_id = ingest_one(remote_atrium, path, "public", "title=Poster")
    client = create_app(remote_atrium).test_client()
    admin = {"Authorization": f"Bearer {api_token(remote_atrium, role='admin')}"}
    iri = remote_atrium.iris.asset(asset_id).value
    response = client.post(
        "/sparql/update", data=retitle(iri, "Remote"), headers=admin, content_type=UPDATE
    )
    assert response.status_code == 200, response.text
    assert title_of(remote_atrium, asset_id) == ["Remote"]
