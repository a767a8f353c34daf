"""The one rdflib↔pyoxigraph converter keeps every term exactly, both ways."""

from __future__ import annotations

import pyoxigraph
import pytest
import rdflib
from rdflib.namespace import XSD

from app.storage.terms import to_oxigraph, to_oxigraph_triples, to_rdflib, to_rdflib_graph

XSD_NS = "http://www.w3.org/2001/XMLSchema#"


def _typed(value: str, datatype: str) -> pyoxigraph.Literal:
    return pyoxigraph.Literal(value, datatype=pyoxigraph.NamedNode(XSD_NS + datatype))


LITERALS = [
    pyoxigraph.Literal("plain"),
    pyoxigraph.Literal("Katze", language="de"),
    pyoxigraph.Literal("colour", language="en-GB"),
    _typed("007", "integer"),  # not canonical: rdflib would make it "7"
    _typed("1.50", "decimal"),
    _typed("abc", "integer"),  # ill-typed: kept for SHACL to judge
    _typed("2024-02-30", "date"),  # ill-typed date
    _typed("TRUE", "boolean"),
    _typed("1", "int"),
    pyoxigraph.Literal("x", datatype=pyoxigraph.NamedNode("http://example.org/custom")),
]


@pytest.mark.parametrize("literal", LITERALS, ids=str)
def test_literal_round_trip_keeps_lexical_form_datatype_and_language(literal):
    converted = to_rdflib(literal)
    assert str(converted) == literal.value
    assert converted.language == (literal.language or None)
    back = to_oxigraph(converted)
    assert back == literal
    assert back.value == literal.value


def test_xsd_string_becomes_a_plain_rdflib_literal_as_rdflib_parsers_make_it():
    converted = to_rdflib(pyoxigraph.Literal("text"))
    assert converted == rdflib.Literal("text")
    assert converted.datatype is None
    assert to_oxigraph(rdflib.Literal("text", datatype=XSD.string)) == pyoxigraph.Literal("text")


def test_rdflib_literals_made_without_normalising_keep_their_form():
    literal = rdflib.Literal("0010", datatype=XSD.integer, normalize=False)
    assert to_oxigraph(literal) == _typed("0010", "integer")


def test_blank_nodes_keep_their_label_or_are_mapped():
    node = pyoxigraph.BlankNode("b42")
    assert to_rdflib(node) == rdflib.BNode("b42")
    assert to_oxigraph(rdflib.BNode("b42")) == node
    skolem = pyoxigraph.NamedNode("https://example.org/.well-known/genid/1")
    assert to_oxigraph(rdflib.BNode("b42"), blank_node=lambda _: skolem) == skolem


def test_iris_both_ways():
    iri = "https://example.org/a?b=c#d"
    assert to_rdflib(pyoxigraph.NamedNode(iri)) == rdflib.URIRef(iri)
    assert to_oxigraph(rdflib.URIRef(iri)) == pyoxigraph.NamedNode(iri)


def test_a_term_the_store_cannot_hold_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="not an iri"):
        to_oxigraph(rdflib.URIRef("not an iri"))
    with pytest.raises(ValueError, match="cannot be stored"):
        to_oxigraph(rdflib.Literal("x", datatype=rdflib.URIRef("bad datatype")))


def test_graphs_round_trip_with_the_same_blank_node_shared():
    subject = pyoxigraph.BlankNode("shared")
    triples = [
        pyoxigraph.Triple(subject, pyoxigraph.NamedNode("urn:p"), literal) for literal in LITERALS
    ]
    graph = to_rdflib_graph(triples, {"ex": "http://example.org/"})
    assert len(graph) == len(LITERALS)
    assert {s for s, _, _ in graph} == {rdflib.BNode("shared")}
    assert dict(graph.namespaces())["ex"] == rdflib.URIRef("http://example.org/")
    assert set(to_oxigraph_triples(graph)) == set(triples)


def test_quads_lose_their_graph_name():
    quad = pyoxigraph.Quad(
        pyoxigraph.NamedNode("urn:s"),
        pyoxigraph.NamedNode("urn:p"),
        _typed("007", "integer"),
        pyoxigraph.NamedNode("urn:g"),
    )
    graph = to_rdflib_graph([quad])
    ((_, _, obj),) = list(graph)
    assert str(obj) == "007"
