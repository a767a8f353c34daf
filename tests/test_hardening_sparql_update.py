"""Hardening, issue 15: SPARQL Update on ``/sparql/update``, over real HTTP.

- a base IRI for relative IRIs (an update with ``<test>`` was a 500);
- ``using-graph-uri`` / ``using-named-graph-uri`` (were refused), and USING naming a stored
  graph, never a URL the server fetches;
- deleting data that holds blank nodes (DROP GRAPH, CLEAR GRAPH, CLEAR ALL were 422,
  DELETE WHERE a 500);
- CLEAR ALL / DROP ALL keep Atrium's own graphs unless ``include-atrium-graphs=true``;
- an anonymous update gets 401 with ``WWW-Authenticate``, not the HTML CSRF page.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import BASE_IRI, add_user, http_sign_in, make_atrium, serving
from PIL import Image
from test_web import ingest_one

from app.service import Atrium
from app.storage.graphstore import Scope

UPDATE = {"Content-Type": "application/sparql-update"}
DATA = "http://example.org/data"
OTHER = "http://example.org/other"


@pytest.fixture
def site(tmp_path: Path, api_token) -> Iterator[tuple[Atrium, str, dict[str, str]]]:
    atrium = make_atrium(tmp_path / "data")
    admin = {"Authorization": f"Bearer {api_token(atrium, role='admin')}"}
    try:
        with serving(atrium) as base_url:
            yield atrium, base_url, admin
    finally:
        atrium.close()


def post_update(base_url: str, headers: dict[str, str], text: str, **params: str):  # noqa: ANN201
    return requests.post(
        f"{base_url}/sparql/update",
        data=text.encode(),
        params=params,
        headers={**UPDATE, **headers},
        timeout=60,
    )


def ask(atrium: Atrium, query: str) -> bool:
    return atrium.store.ask(query, scope=Scope.everything())


def graph_size(atrium: Atrium, graph: str) -> int:
    rows = atrium.store.select(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}",
        scope=Scope.everything(),
    )
    return int(rows[0]["n"].value)


def atrium_graph_sizes(atrium: Atrium) -> dict[str, int]:
    graphs = [g.value for g in atrium.store.graphs() if g.value.startswith(f"{BASE_IRI}graphs/")]
    return {graph: graph_size(atrium, graph) for graph in graphs}


# A base IRI for relative IRIs -------------------------------------------------------------------


def test_issue15_a_relative_iri_resolves_against_the_base_iri(site) -> None:
    atrium, base_url, admin = site
    triple = "<http://example.org/s> <http://example.org/p> <test>"
    text = f"INSERT DATA {{ GRAPH <{DATA}> {{ {triple} }} }}"
    response = post_update(base_url, admin, text)
    assert response.status_code == 200, response.text
    assert ask(atrium, f"ASK {{ GRAPH <{DATA}> {{ ?s ?p <{BASE_IRI}test> }} }}")


def test_issue15_an_iri_the_store_cannot_hold_is_a_400_that_stores_nothing(site) -> None:
    atrium, base_url, admin = site
    text = f'INSERT DATA {{ GRAPH <{DATA}> {{ <http://example.org/%zz> <urn:p> "x" }} }}'
    response = post_update(base_url, admin, text)
    assert response.status_code == 400 and response.headers["Content-Type"].startswith("text/")
    assert "%zz" in response.text
    assert graph_size(atrium, DATA) == 0


# using-graph-uri and using-named-graph-uri --------------------------------------------------------

SEED = f"""INSERT DATA {{
  GRAPH <{DATA}> {{ <urn:a> a <urn:Document> }}
  GRAPH <{OTHER}> {{ <urn:b> a <urn:Document> }}
}}"""
COPY_TYPES = "INSERT { GRAPH <urn:found> { ?s a <urn:Found> } } WHERE { ?s a <urn:Document> }"
FOUND = "SELECT ?s WHERE { GRAPH <urn:found> { ?s a <urn:Found> } } ORDER BY ?s"


def found(atrium: Atrium) -> list[str]:
    return [row["s"].value for row in atrium.store.select(FOUND, scope=Scope.everything())]


def test_issue15_using_graph_uri_is_the_default_graph_of_the_where_clause(site) -> None:
    atrium, base_url, admin = site
    assert post_update(base_url, admin, SEED).status_code == 200
    response = post_update(base_url, admin, COPY_TYPES, **{"using-graph-uri": DATA})
    assert response.status_code == 200, response.text
    assert found(atrium) == ["urn:a"]


def test_issue15_using_named_graph_uri_are_the_named_graphs_of_the_where_clause(site) -> None:
    atrium, base_url, admin = site
    assert post_update(base_url, admin, SEED).status_code == 200
    text = (
        "INSERT { GRAPH <urn:found> { ?s a <urn:Found> } } "
        "WHERE { GRAPH ?g { ?s a <urn:Document> } }"
    )
    form = {"update": text, "using-named-graph-uri": OTHER}
    response = requests.post(f"{base_url}/sparql/update", data=form, headers=admin, timeout=60)
    assert response.status_code == 200, response.text
    assert found(atrium) == ["urn:b"]


def test_issue15_the_dataset_given_twice_is_a_400(site) -> None:
    atrium, base_url, admin = site
    text = f"WITH <{DATA}> INSERT {{ ?s a <urn:Found> }} WHERE {{ ?s a <urn:Document> }}"
    response = post_update(base_url, admin, text, **{"using-named-graph-uri": OTHER})
    assert response.status_code == 400 and "USING" in response.text
    bad = post_update(base_url, admin, COPY_TYPES, **{"using-graph-uri": "not an iri"})
    assert bad.status_code == 400 and "using-graph-uri" in bad.text
    assert graph_size(atrium, DATA) == 0


class CountingHandler(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        type(self).hits += 1
        body = b"<urn:fetched> a <urn:Document> ."
        self.send_response(200)
        self.send_header("Content-Type", "text/turtle")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


def test_issue15_using_names_a_stored_graph_and_never_fetches_a_url(site) -> None:
    atrium, base_url, admin = site
    server = http.server.HTTPServer(("127.0.0.1", 0), CountingHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/data.ttl"
        for clause in (f"USING <{url}>", f"USING NAMED <{url}>"):
            text = (
                f"INSERT {{ GRAPH <urn:found> {{ ?s a <urn:Found> }} }} {clause} "
                "WHERE { { ?s a <urn:Document> } UNION { GRAPH ?g { ?s a <urn:Document> } } }"
            )
            response = post_update(base_url, admin, text)
            assert response.status_code == 200, response.text
    finally:
        server.shutdown()
    assert CountingHandler.hits == 0
    assert found(atrium) == []
    assert not ask(atrium, "ASK { GRAPH ?g { <urn:fetched> ?p ?o } }")


# Deleting data that holds blank nodes ------------------------------------------------------------

BLANK_DATA = f"""INSERT DATA {{ GRAPH <{DATA}> {{
  <urn:list> <urn:first> _:one .
  _:one <urn:label> "one" ; <urn:next> _:two .
  _:two <urn:label> "two" .
  _:three <urn:label> "three" .
}} }}"""


@pytest.mark.parametrize(
    "deletion",
    [f"DROP GRAPH <{DATA}>", f"CLEAR GRAPH <{DATA}>", "CLEAR ALL", "DROP ALL"],
)
def test_issue15_clearing_a_graph_of_blank_nodes_works(site, deletion: str) -> None:
    atrium, base_url, admin = site
    assert post_update(base_url, admin, BLANK_DATA).status_code == 200
    assert graph_size(atrium, DATA) == 5
    response = post_update(base_url, admin, deletion)
    assert response.status_code == 200, response.text
    assert graph_size(atrium, DATA) == 0


def test_issue15_delete_where_removes_exactly_the_matched_blank_nodes(site) -> None:
    atrium, base_url, admin = site
    assert post_update(base_url, admin, BLANK_DATA).status_code == 200
    text = f'DELETE WHERE {{ GRAPH <{DATA}> {{ ?node <urn:label> "two" }} }}'
    response = post_update(base_url, admin, text)
    assert response.status_code == 200, response.text
    assert "1 deleted" in response.text
    assert graph_size(atrium, DATA) == 4
    # the rest keeps its shape: the list still links one to the blank node that lost its label
    assert ask(
        atrium,
        f'ASK {{ GRAPH <{DATA}> {{ <urn:list> <urn:first> ?one . ?one <urn:label> "one" ; '
        f'<urn:next> ?two . FILTER(isBlank(?two)) ?three <urn:label> "three" }} }}',
    )
    assert not ask(atrium, f'ASK {{ GRAPH <{DATA}> {{ ?two <urn:label> "two" }} }}')


def test_issue15_an_insert_on_a_stored_blank_node_reaches_that_node(site) -> None:
    atrium, base_url, admin = site
    assert post_update(base_url, admin, BLANK_DATA).status_code == 200
    text = (
        f"INSERT {{ GRAPH <{DATA}> {{ ?node <urn:seen> true }} }} "
        f'WHERE {{ GRAPH <{DATA}> {{ ?node <urn:label> "three" }} }}'
    )
    response = post_update(base_url, admin, text)
    assert response.status_code == 200, response.text
    assert graph_size(atrium, DATA) == 6
    assert ask(
        atrium, f'ASK {{ GRAPH <{DATA}> {{ ?node <urn:label> "three" ; <urn:seen> true }} }}'
    )
    assert ask(atrium, f"ASK {{ GRAPH <{DATA}> {{ <urn:list> <urn:first> [ <urn:next> [] ] }} }}")


# CLEAR ALL / DROP ALL keep Atrium's graphs -------------------------------------------------------


@pytest.fixture
def stocked(site, tmp_path: Path):  # noqa: ANN201
    """The site with an asset, a user's profile and audit trail, and a graph of other data."""
    atrium, base_url, admin = site
    path = tmp_path / "poster.png"
    Image.new("RGB", (64, 48), "red").save(path)
    asset_id = ingest_one(atrium, path, "public", "title=Poster")
    assert post_update(base_url, admin, SEED).status_code == 200
    return atrium, base_url, admin, asset_id


@pytest.mark.parametrize("wipe", ["CLEAR ALL", "DROP ALL", "CLEAR NAMED", "DROP DEFAULT"])
def test_issue15_clear_all_keeps_the_ontology_vocabularies_users_and_audit(
    stocked, wipe: str
) -> None:
    atrium, base_url, admin, asset_id = stocked
    before = atrium_graph_sizes(atrium)
    kinds = {graph.removeprefix(f"{BASE_IRI}graphs/").split("/")[0] for graph in before}
    assert {"ontology", "vocab", "shapes", "users", "audit", "assets"} <= kinds
    response = post_update(base_url, admin, wipe)
    assert response.status_code == 200, response.text
    assert "include-atrium-graphs=true" in response.text
    assert atrium_graph_sizes(atrium) == before
    assert graph_size(atrium, DATA) == graph_size(atrium, OTHER) == 0
    page = requests.get(f"{base_url}/assets/{asset_id}", timeout=60)
    assert page.status_code == 200 and "Poster" in page.text


def test_issue15_include_atrium_graphs_true_empties_everything(stocked) -> None:
    atrium, base_url, admin, asset_id = stocked
    response = post_update(base_url, admin, "DROP ALL", **{"include-atrium-graphs": "true"})
    assert response.status_code == 200, response.text
    audit = atrium.iris.audit_graph  # then records who changed (here: deleted) the asset
    holding = atrium.store.select(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", scope=Scope.everything()
    )
    assert [row["g"] for row in holding] == [audit]
    assert ask(atrium, f"ASK {{ GRAPH {audit} {{ ?event ?p {atrium.iris.asset(asset_id)} }} }}")
    assert requests.get(f"{base_url}/assets/{asset_id}", timeout=60).status_code == 404


def test_issue15_include_atrium_graphs_takes_true_or_false_only(stocked) -> None:
    atrium, base_url, admin, _ = stocked
    before = atrium.store.triple_count()
    form = {"update": "CLEAR ALL", "include-atrium-graphs": "yes please"}
    response = requests.post(f"{base_url}/sparql/update", data=form, headers=admin, timeout=60)
    assert response.status_code == 400 and "true or false" in response.text
    assert atrium.store.triple_count() == before


def test_issue15_a_graph_named_explicitly_is_cleared_whatever_it_is(stocked) -> None:
    atrium, base_url, admin, _ = stocked
    audit = atrium.iris.audit_graph.value
    assert graph_size(atrium, audit) > 0
    response = post_update(base_url, admin, f"CLEAR GRAPH <{audit}>")
    assert response.status_code == 200, response.text
    assert graph_size(atrium, audit) == 0


# An anonymous update gets 401 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "send",
    [
        lambda url: requests.post(url, data=b"CLEAR ALL", headers=UPDATE, timeout=60),
        lambda url: requests.post(url, data={"update": "CLEAR ALL"}, timeout=60),
    ],
    ids=["direct", "form"],
)
def test_issue15_an_anonymous_update_gets_401_in_plain_text(site, send) -> None:  # noqa: ANN001
    atrium, base_url, _ = site
    before = atrium.store.triple_count()
    response = send(f"{base_url}/sparql/update")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "API token" in response.text and "<html" not in response.text.lower()
    assert atrium.store.triple_count() == before


def test_issue15_a_signed_in_session_still_needs_its_csrf_token(site) -> None:
    atrium, base_url, _ = site
    sessions = [http_sign_in(base_url, add_user(atrium, role)) for role in ("admin", "viewer")]
    before = atrium.store.triple_count()
    for session in sessions:
        response = session.post(f"{base_url}/sparql/update", data={"update": "CLEAR ALL"})
        assert response.status_code == 400 and "reload the page" in response.text
    assert atrium.store.triple_count() == before


def test_issue15_a_viewer_token_gets_403(site, api_token) -> None:
    atrium, base_url, _ = site
    viewer = {"Authorization": f"Bearer {api_token(atrium, role='viewer')}"}
    before = atrium.store.triple_count()
    response = post_update(base_url, viewer, "CLEAR ALL")
    assert response.status_code == 403 and "admin" in response.text
    assert atrium.store.triple_count() == before


def test_issue15_an_update_that_is_not_utf8_is_a_400(site) -> None:
    _, base_url, admin = site
    utf16 = {**admin, "Content-Type": "application/sparql-update; charset=UTF-16"}
    response = requests.post(
        f"{base_url}/sparql/update", data="CLEAR ALL".encode("utf-16"), headers=utf16, timeout=60
    )
    assert response.status_code == 400 and "UTF-8" in response.text
    latin = requests.post(
        f"{base_url}/sparql/update",
        data='INSERT DATA { GRAPH <urn:g> { <urn:s> <urn:p> "caf\xe9" } }'.encode("latin-1"),
        headers={**admin, **UPDATE},
        timeout=60,
    )
    assert latin.status_code == 400 and "UTF-8" in latin.text
