"""The shapes graph pySHACL reads (app/domain/shapes/shacl.py): answers kept between runs must
stay the graph's answers after any change."""

from __future__ import annotations

import rdflib
from rdflib import RDF, SH, URIRef

from app.domain.shapes.shacl import SharedShapes

EX = rdflib.Namespace("https://example.org/")


def test_a_kept_answer_follows_every_change() -> None:
    source = rdflib.Graph()
    source.add((EX.Shape, RDF.type, SH.NodeShape))
    graph = SharedShapes(source).graph
    assert set(graph.subjects(RDF.type, SH.NodeShape)) == {EX.Shape}  # now kept

    graph.add((EX.Other, RDF.type, SH.NodeShape))
    assert set(graph.subjects(RDF.type, SH.NodeShape)) == {EX.Shape, EX.Other}
    graph.add((EX.Other, RDF.type, SH.NodeShape))  # again: nothing changes
    assert len(graph) == 2
    graph.remove((EX.Shape, None, None))
    assert set(graph.subjects(RDF.type, SH.NodeShape)) == {EX.Other}
    assert list(graph.triples((EX.Shape, None, None))) == []


def test_validation_with_the_kept_answers_reports_as_pyshacl_alone() -> None:
    shapes = rdflib.Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> .
        ex:Thing a sh:NodeShape ; sh:targetClass ex:Kind ;
          sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:maxCount 1 ] .
        """,
        format="turtle",
    )
    shared = SharedShapes(shapes)

    def conforms(*names: str) -> bool:
        data = rdflib.Graph()
        data.add((EX.a, RDF.type, EX.Kind))
        for name in names:
            data.add((EX.a, EX.name, rdflib.Literal(name)))
        return shared.validate(data)[0]

    # one run after another, each with pySHACL's system triples added again
    assert [conforms("one"), conforms(), conforms("one", "two"), conforms("x")] == [
        True,
        False,
        False,
        True,
    ]
    assert URIRef(EX.Thing) in set(shared.graph.subjects(RDF.type, SH.NodeShape))
