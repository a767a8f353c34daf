"""``/sparql`` against the SPARQL 1.1 Protocol, with plain HTTP requests, case by case."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from conftest import REMOTE_SERVERS, atrium_on, make_atrium, serving, sparql_service
from pyoxigraph import QueryResultsFormat, RdfFormat, parse, parse_query_results
from sparql_helpers import add_sample_assets
from virtuoso_server import known_limitation

from app.domain.sparql.saved_queries import SavedQuery
from app.service import Atrium
from app.web import create_app

ASSETS = "PREFIX dam: <https://w3id.org/atrium/ns#> SELECT ?a WHERE { ?a a dam:Asset } ORDER BY ?a"
TITLES = (
    "PREFIX dct: <http://purl.org/dc/terms/> SELECT ?title WHERE { ?a dct:title ?title } "
    "ORDER BY ?title"
)
GRAPH = "PREFIX dam: <https://w3id.org/atrium/ns#> CONSTRUCT WHERE { ?a a dam:Asset }"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def endpoint(atrium: Atrium) -> Iterator[tuple[object, dict[str, str]]]:
    assets = add_sample_assets(atrium)
    yield create_app(atrium).test_client(), assets


def solutions(response) -> list[dict[str, str]]:  # noqa: ANN001
    """The rows of a SPARQL JSON answer, as {variable: value}."""
    document = json.loads(response.data)
    return [{k: v["value"] for k, v in row.items()} for row in document["results"]["bindings"]]


# The three ways to send a query (§2.1.1 - §2.1.3) ----------------------------------------------


def test_a_query_by_get(endpoint) -> None:
    client, assets = endpoint
    response = client.get("/sparql", query_string={"query": ASSETS})
    assert response.status_code == 200
    assert response.mimetype == "application/sparql-results+json"
    assert [row["a"] for row in solutions(response)] == [assets["public"]]


def test_a_query_by_form_post(endpoint) -> None:
    client, assets = endpoint
    response = client.post("/sparql", data={"query": ASSETS}, content_type=FORM)
    assert response.status_code == 200
    assert [row["a"] for row in solutions(response)] == [assets["public"]]


def test_a_query_posted_directly(endpoint) -> None:
    client, assets = endpoint
    response = client.post("/sparql", data=ASSETS, content_type="application/sparql-query")
    assert response.status_code == 200
    assert [row["a"] for row in solutions(response)] == [assets["public"]]


def test_two_query_parameters_are_a_bad_request(endpoint) -> None:
    client, _ = endpoint
    response = client.get(f"/sparql?query={quote(ASSETS)}&query={quote(ASSETS)}")
    assert response.status_code == 400


# The dataset (§2.1.4) --------------------------------------------------------------------------


def test_default_graph_uri_chooses_the_default_graph(endpoint, atrium: Atrium) -> None:
    client, _ = endpoint
    ontology = atrium.iris.ontology_graph.value
    response = client.get("/sparql", query_string={"query": ASSETS, "default-graph-uri": ontology})
    assert solutions(response) == []  # the ontology graph holds no asset


def test_named_graph_uri_lists_the_named_graphs(endpoint, atrium: Atrium) -> None:
    client, _ = endpoint
    public = atrium.iris.asset_graph("public", "").value
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = client.post(
        "/sparql",
        data={"query": query, "named-graph-uri": public},
        content_type=FORM,
    )
    assert [row["g"] for row in solutions(response)] == [public]


def test_dataset_parameters_of_a_direct_post_are_in_the_url(endpoint, atrium: Atrium) -> None:
    client, _ = endpoint
    ontology = atrium.iris.ontology_graph.value
    response = client.post(
        f"/sparql?default-graph-uri={quote(ontology)}",
        data=ASSETS,
        content_type="application/sparql-query",
    )
    assert solutions(response) == []


# Formats by content negotiation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media_type", "results_format"),
    [
        ("application/sparql-results+json", "application/sparql-results+json", "JSON"),
        ("application/sparql-results+xml", "application/sparql-results+xml", "XML"),
        ("text/csv", "text/csv", "CSV"),
        ("text/tab-separated-values", "text/tab-separated-values", "TSV"),
        ("application/json", "application/sparql-results+json", "JSON"),
        ("*/*", "application/sparql-results+json", "JSON"),
    ],
)
def test_select_results_in_each_format(endpoint, accept, media_type, results_format) -> None:
    client, assets = endpoint
    response = client.get("/sparql", query_string={"query": ASSETS}, headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == media_type
    assert "Accept" in response.headers["Vary"]
    if results_format == "CSV":  # lossy: values only, so pyoxigraph does not parse it
        values = [row["a"] for row in csv.DictReader(io.StringIO(response.data.decode()))]
    else:
        parsed = parse_query_results(response.data, getattr(QueryResultsFormat, results_format))
        values = [row["a"].value for row in parsed]
    assert values == [assets["public"]]


def test_no_accept_header_gets_json(endpoint) -> None:
    client, _ = endpoint
    response = client.get("/sparql", query_string={"query": ASSETS}, headers={"Accept": ""})
    assert response.mimetype == "application/sparql-results+json"


@pytest.mark.parametrize(
    ("accept", "rdf_format"),
    [
        ("text/turtle", RdfFormat.TURTLE),
        ("application/n-triples", RdfFormat.N_TRIPLES),
        ("application/rdf+xml", RdfFormat.RDF_XML),
        ("application/ld+json", RdfFormat.JSON_LD),
    ],
)
def test_construct_results_in_each_format(endpoint, accept, rdf_format) -> None:
    client, assets = endpoint
    response = client.get("/sparql", query_string={"query": GRAPH}, headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == accept
    subjects = {quad.subject.value for quad in parse(response.data, format=rdf_format)}
    assert subjects == {assets["public"]}


def test_ask_answers_a_boolean(endpoint) -> None:
    client, _ = endpoint
    response = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert json.loads(response.data) == {"head": {}, "boolean": True}


def test_the_format_parameter_overrides_accept(endpoint) -> None:
    client, _ = endpoint
    response = client.get(
        "/sparql", query_string={"query": ASSETS, "format": "csv"}, headers={"Accept": "text/html"}
    )
    assert response.mimetype == "text/csv"
    assert response.data.decode().splitlines()[0] == "a"


# Errors ------------------------------------------------------------------------------------------


def test_a_malformed_query_is_400_with_the_parser_message(endpoint) -> None:
    client, _ = endpoint
    response = client.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p }"})
    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert "error at 1:" in response.get_data(as_text=True)


def test_an_unsupported_accept_is_406(endpoint) -> None:
    client, _ = endpoint
    response = client.get(
        "/sparql", query_string={"query": ASSETS}, headers={"Accept": "image/png"}
    )
    assert response.status_code == 406
    assert "text/csv" in response.get_data(as_text=True)


def test_a_graph_asked_for_as_csv_is_406(endpoint) -> None:
    client, _ = endpoint
    response = client.get("/sparql", query_string={"query": GRAPH}, headers={"Accept": "text/csv"})
    assert response.status_code == 406
    assert "text/turtle" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "send",
    [
        lambda c: c.post("/sparql", data={"update": "CLEAR ALL"}, content_type=FORM),
        lambda c: c.post("/sparql", data="CLEAR ALL", content_type="application/sparql-update"),
        lambda c: c.get("/sparql", query_string={"query": "CLEAR ALL"}),
        lambda c: c.post("/sparql", data={"query": "DROP GRAPH <urn:g>"}, content_type=FORM),
    ],
)
def test_updates_are_refused(endpoint, send) -> None:
    client, _ = endpoint
    response = send(client)
    assert response.status_code == 400
    assert "/sparql/update" in response.get_data(as_text=True)
    assert len(solutions(client.get("/sparql", query_string={"query": ASSETS}))) == 1


def test_service_is_refused(endpoint) -> None:
    client, _ = endpoint
    query = "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }"
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 400 and "SERVICE" in response.get_data(as_text=True)


# CORS ---------------------------------------------------------------------------------------------


def test_cors_preflight_allows_get_and_post_with_a_token(endpoint) -> None:
    client, _ = endpoint
    response = client.options(
        "/sparql",
        headers={
            "Origin": "https://notebooks.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert {"GET", "POST"} <= set(response.headers["Access-Control-Allow-Methods"].split(", "))
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed


def test_answers_allow_any_origin(endpoint) -> None:
    client, _ = endpoint
    response = client.get(
        "/sparql", query_string={"query": ASSETS}, headers={"Origin": "https://x.example"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Atrium-Truncated" in response.headers["Access-Control-Expose-Headers"]


# The page and the service description ------------------------------------------------------------


def test_a_browser_gets_the_query_page(endpoint) -> None:
    client, _ = endpoint
    page = client.get("/sparql", headers={"Accept": "text/html,*/*;q=0.8"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert '<form id="query-form"' in html and "PREFIX dam:" in html
    assert "Assets per department" in html


def test_the_plain_form_shows_results_as_a_table(endpoint) -> None:
    client, _ = endpoint
    page = client.get(
        "/sparql", query_string={"query": TITLES, "format": "html"}, headers={"Accept": "text/html"}
    )
    html = page.get_data(as_text=True)
    assert "<td>Public poster</td>" in html and "Internal memo" not in html


def test_a_browser_sees_a_syntax_error_on_the_page(endpoint) -> None:
    client, _ = endpoint
    page = client.get("/sparql", query_string={"query": "SELEC"}, headers={"Accept": "text/html"})
    assert page.status_code == 400 and "The query could not run" in page.get_data(as_text=True)


def test_an_rdf_client_gets_the_service_description(endpoint) -> None:
    client, _ = endpoint
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    triples = [quad.triple for quad in parse(response.data, format=RdfFormat.TURTLE)]
    sd = "http://www.w3.org/ns/sparql-service-description#"
    types = {t.object.value for t in triples if t.predicate.value.endswith("#type")}
    assert f"{sd}Service" in types
    endpoints = [t.object.value for t in triples if t.predicate.value == f"{sd}endpoint"]
    assert endpoints == ["http://localhost/sparql"]
    formats = {t.object.value for t in triples if t.predicate.value == f"{sd}resultFormat"}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_CSV" in formats


def test_the_example_queries_all_run(tmp_path) -> None:
    from app.domain.sparql.examples import EXAMPLES, example_query, examples
    from app.domain.sparql.service import QueryRequest
    from app.storage.graphstore import Scope

    atrium = make_atrium(tmp_path / "data")
    try:
        add_sample_assets(atrium)
        every = examples(atrium.fields)
        assert {f"profile-{d}" for d in atrium.fields.departments} <= {e.name for e in every}
        for example in every:
            text = example_query(example, atrium.iris)
            stream = atrium.sparql.run(QueryRequest(text), Scope.everything())
            document = json.loads(stream.read())
            assert "results" in document, example.name
        stream = atrium.sparql.run(
            QueryRequest(example_query(EXAMPLES[0], atrium.iris)), Scope.everything()
        )
        counts = {
            row["department"]["value"]: row["assets"]["value"]
            for row in json.loads(stream.read())["results"]["bindings"]
        }
        assert counts == {"Marketing": "2", "Training": "1", "Human resources": "1"}
    finally:
        atrium.close()


# Relative IRIs resolve against the base IRI (hardening, W3C query_content_type_construct) --------

DCT_PREFIX = "PREFIX dct: <http://purl.org/dc/terms/>"
PUBLIC_TITLE = f"{DCT_PREFIX} SELECT ?title WHERE {{ <assets/0000000000000001> dct:title ?title }}"
ELSEWHERE = "http://elsewhere.example/"


@pytest.fixture(params=["embedded", *REMOTE_SERVERS])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Atrium, str]]:
    """Sample assets in an Atrium on each kind of store, served on loopback: (it, its URL)."""
    if request.param == "embedded":
        atrium_here = nullcontext(request.getfixturevalue("atrium"))
    else:
        atrium_here = atrium_on(sparql_service(request, request.param), tmp_path / "data")
    with atrium_here as atrium:
        add_sample_assets(atrium)
        with serving(atrium) as base_url:
            yield atrium, base_url


def ask(base_url: str, query: str, token: str | None = None, **headers: str) -> requests.Response:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = requests.post(
        f"{base_url}/sparql", data={"query": query}, headers=headers, timeout=60
    )
    assert response.status_code == 200, response.text
    return response


def values(response: requests.Response, variable: str) -> list[str]:
    rows = json.loads(response.content)["results"]["bindings"]
    return [row[variable]["value"] for row in rows]


def triples(response: requests.Response) -> set[tuple[str, str, str]]:
    parsed = parse(response.content, format=RdfFormat.N_TRIPLES)
    return {(quad.subject.value, quad.predicate.value, quad.object.value) for quad in parsed}


def test_relative_iri_in_query_resolves_against_the_base(served) -> None:
    atrium, base_url = served
    base = atrium.iris.base
    assert values(ask(base_url, PUBLIC_TITLE), "title") == ["Public poster"]
    construct = ask(base_url, "CONSTRUCT { <s> <p> 1 } WHERE {}", Accept="application/n-triples")
    assert triples(construct) == {(f"{base}s", f"{base}p", "1")}


def test_a_query_with_its_own_base_resolves_against_that(
    served, request: pytest.FixtureRequest
) -> None:
    known_limitation(
        request,
        "BASE is accepted only before every PREFIX (SP030: syntax error at 'BASE'); SPARQL 1.1 "
        "§4.1.1 lets the prologue declare them in any order",
    )
    atrium, base_url = served
    assert values(ask(base_url, f"BASE <{ELSEWHERE}> {PUBLIC_TITLE}"), "title") == []
    own = (  # after a comment and a PREFIX: still the query's own BASE
        f"# assets\n{DCT_PREFIX} BASE <{atrium.iris.base}assets/> "
        "SELECT ?title WHERE { <0000000000000001> dct:title ?title }"
    )
    assert values(ask(base_url, own), "title") == ["Public poster"]
    construct = ask(
        base_url, f"BASE <{ELSEWHERE}> CONSTRUCT {{ <s> <p> 1 }} WHERE {{}}", Accept="text/turtle"
    )
    subjects = {quad.subject.value for quad in parse(construct.content, format=RdfFormat.TURTLE)}
    assert subjects == {f"{ELSEWHERE}s"}


def test_a_relative_from_resolves_against_the_base_within_the_scope(served, api_token) -> None:
    atrium, base_url = served

    def titles_from(access: str, department: str, token: str | None = None) -> list[str]:
        graph = atrium.iris.asset_graph(access, department).value.removeprefix(atrium.iris.base)
        query = f"{DCT_PREFIX} SELECT ?title FROM <{graph}> WHERE {{ ?a dct:title ?title }}"
        return values(ask(base_url, query, token), "title")

    assert titles_from("public", "") == ["Public poster"]
    assert titles_from("restricted", "hr") == []  # a relative FROM never widens the scope
    admin = api_token(atrium, role="admin")
    assert titles_from("restricted", "hr", admin) == ["Staff portrait"]


def test_a_saved_query_with_a_relative_iri_resolves_against_the_base(served) -> None:
    atrium, base_url = served
    atrium.saved_queries.save(SavedQuery("relative", "A relative IRI", PUBLIC_TITLE))
    response = requests.get(f"{base_url}/queries/relative.json", timeout=60)
    assert response.status_code == 200, response.text
    assert values(response, "title") == ["Public poster"]
