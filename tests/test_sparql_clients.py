"""Real SPARQL clients, unchanged, against a running endpoint: SPARQLWrapper and rdflib."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from conftest import make_atrium, serving
from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from sparql_helpers import add_sample_assets
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper

DAM_ASSET = URIRef("https://w3id.org/atrium/ns#Asset")
TITLES = (
    "PREFIX dct: <http://purl.org/dc/terms/> SELECT ?asset ?title "
    "WHERE { ?asset dct:title ?title } ORDER BY ?title"
)
DESCRIBE_ASSETS = "PREFIX dam: <https://w3id.org/atrium/ns#> CONSTRUCT WHERE { ?a a dam:Asset }"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    atrium = make_atrium(tmp_path_factory.mktemp("clients") / "data")
    assets = add_sample_assets(atrium)
    with serving(atrium) as base:
        yield f"{base}/sparql", assets
    atrium.close()


def wrapper(endpoint: str, query: str, return_format: str, method: str = "GET") -> SPARQLWrapper:
    client = SPARQLWrapper(endpoint)
    client.setQuery(query)
    client.setReturnFormat(return_format)
    client.setMethod(method)
    return client


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_json(live, method: str) -> None:
    endpoint, assets = live
    result = wrapper(endpoint, TITLES, JSON, method).queryAndConvert()
    rows = result["results"]["bindings"]
    assert [(r["asset"]["value"], r["title"]["value"]) for r in rows] == [
        (assets["public"], "Public poster")
    ]


def test_sparqlwrapper_xml(live) -> None:
    endpoint, assets = live
    document = wrapper(endpoint, TITLES, XML).queryAndConvert()  # an xml.dom.minidom Document
    uris = [node.firstChild.data for node in document.getElementsByTagName("uri")]
    assert uris == [assets["public"]]


def test_sparqlwrapper_csv(live) -> None:
    import pandas as pd

    endpoint, assets = live
    data = wrapper(endpoint, TITLES, CSV).queryAndConvert()
    table = pd.read_csv(io.BytesIO(data))
    assert table.to_dict("records") == [{"asset": assets["public"], "title": "Public poster"}]


def test_sparqlwrapper_construct(live) -> None:
    endpoint, assets = live
    turtle = wrapper(endpoint, DESCRIBE_ASSETS, TURTLE).queryAndConvert()  # bytes
    graph = Graph().parse(data=turtle, format="turtle")
    assert set(graph.subjects(RDF.type, DAM_ASSET)) == {URIRef(assets["public"])}


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_sparqlwrapper_construct_as_rdf_xml(live) -> None:
    endpoint, assets = live
    graph = wrapper(endpoint, DESCRIBE_ASSETS, XML).queryAndConvert()
    assert set(graph.subjects(RDF.type, DAM_ASSET)) == {URIRef(assets["public"])}


def test_rdflib_reads_the_endpoint_as_a_graph(live) -> None:
    endpoint, assets = live
    graph = Graph(store=SPARQLStore(endpoint, returnFormat="xml"))
    assert set(graph.subjects(RDF.type, DAM_ASSET)) == {URIRef(assets["public"])}
    rows = list(graph.query(TITLES))
    assert [(str(asset), str(title)) for asset, title in rows] == [
        (assets["public"], "Public poster")
    ]
    assert graph.query("ASK { ?s ?p ?o }").askAnswer is True
