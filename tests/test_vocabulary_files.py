"""Sanity of the shared SKOS vocabularies and of the SHACL shape files as they are on disk.

The files use relative IRIs and no @base; they are parsed with the base ``{base}vocab/``.
The checks follow the SKOS integrity conditions (https://www.w3.org/TR/skos-reference/):
one prefLabel per language, disjoint label sets, mutual broader/narrower, top concepts.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import rdflib
from pyshacl import validate
from pyshacl.errors import ReportableRuntimeError
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SH, SKOS

REPO = Path(__file__).resolve().parent.parent
VOCAB = "http://127.0.0.1:5000/vocab/"
LANGUAGES = ("en", "de", "fr")
VOCABULARY_FILES = sorted((REPO / "vocabularies").glob("*.ttl"))
SHAPE_FILES = [REPO / "shapes" / "core.ttl", *sorted((REPO / "shapes" / "profiles").glob("*.ttl"))]
DAM_NS = "https://w3id.org/atrium/ns#"
EXPECTED_SCHEMES = {
    "departments", "asset-types", "subjects", "rights", "audiences", "channels", "campaigns"
}  # fmt: skip


def parse(path: Path, base: str = VOCAB) -> rdflib.Graph:
    return rdflib.Graph().parse(path, format="turtle", publicID=base)


@pytest.fixture(scope="module", params=VOCABULARY_FILES, ids=lambda path: path.stem)
def vocabulary(request) -> tuple[URIRef, rdflib.Graph]:
    path: Path = request.param
    return URIRef(VOCAB + path.stem), parse(path)


def concepts(graph: rdflib.Graph) -> set[URIRef]:
    return set(graph.subjects(RDF.type, SKOS.Concept))


def labels(graph: rdflib.Graph, node: URIRef, predicate: URIRef) -> list[Literal]:
    return [label for label in graph.objects(node, predicate) if isinstance(label, Literal)]


def notations(name: str) -> set[str]:
    graph = parse(REPO / "vocabularies" / f"{name}.ttl")
    return {str(n) for concept in concepts(graph) for n in graph.objects(concept, SKOS.notation)}


def test_the_shared_schemes_exist():
    assert EXPECTED_SCHEMES | {"sites"} <= {path.stem for path in VOCABULARY_FILES}


def test_file_holds_one_scheme_named_after_the_file(vocabulary):
    scheme, graph = vocabulary
    assert set(graph.subjects(RDF.type, SKOS.ConceptScheme)) == {scheme}


def test_relative_iris_follow_the_base(vocabulary):
    scheme, graph = vocabulary
    slug = scheme.removeprefix(VOCAB)
    moved = parse(REPO / "vocabularies" / f"{slug}.ttl", base="https://x.test/vocab/")
    assert len(moved) == len(graph)
    assert (URIRef(f"https://x.test/vocab/{slug}"), RDF.type, SKOS.ConceptScheme) in moved


def test_concept_iris_live_under_their_scheme(vocabulary):
    scheme, graph = vocabulary
    assert concepts(graph)
    assert all(concept.startswith(f"{scheme}/") for concept in concepts(graph))


def test_scheme_is_labelled_in_every_language(vocabulary):
    scheme, graph = vocabulary
    languages = Counter(label.language for label in labels(graph, scheme, SKOS.prefLabel))
    assert languages == Counter(LANGUAGES)


def test_every_concept_has_one_pref_label_per_language(vocabulary):
    _, graph = vocabulary
    for concept in concepts(graph):
        languages = Counter(label.language for label in labels(graph, concept, SKOS.prefLabel))
        assert languages == Counter(LANGUAGES), concept


def test_pref_labels_are_unique_within_the_scheme(vocabulary):
    _, graph = vocabulary
    pref = [label for c in concepts(graph) for label in labels(graph, c, SKOS.prefLabel)]
    duplicates = [label for label, n in Counter(pref).items() if n > 1]
    assert duplicates == []


def test_pref_alt_and_hidden_labels_are_disjoint(vocabulary):
    _, graph = vocabulary
    for concept in concepts(graph):
        label_sets = [
            set(labels(graph, concept, predicate))
            for predicate in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)
        ]
        total = sum(len(s) for s in label_sets)
        assert len(set().union(*label_sets)) == total, concept


def test_every_concept_is_in_its_files_scheme_only(vocabulary):
    scheme, graph = vocabulary
    for concept in concepts(graph):
        assert set(graph.objects(concept, SKOS.inScheme)) == {scheme}, concept


def test_broader_and_narrower_are_both_stated(vocabulary):
    _, graph = vocabulary
    broader = set(graph.subject_objects(SKOS.broader))
    narrower_inverted = {(child, parent) for parent, child in graph.subject_objects(SKOS.narrower)}
    assert broader == narrower_inverted


def test_related_is_stated_both_ways(vocabulary):
    _, graph = vocabulary
    related = set(graph.subject_objects(SKOS.related))
    assert related == {(b, a) for a, b in related}


def test_no_broader_cycle(vocabulary):
    _, graph = vocabulary
    for concept, parent in graph.subject_objects(SKOS.broader):
        assert concept not in set(graph.transitive_objects(parent, SKOS.broader)), concept


def test_top_concepts_are_exactly_the_concepts_without_broader(vocabulary):
    scheme, graph = vocabulary
    top = set(graph.objects(scheme, SKOS.hasTopConcept))
    assert top == set(graph.subjects(SKOS.topConceptOf, scheme))
    assert top == {c for c in concepts(graph) if (c, SKOS.broader, None) not in graph}


def test_hierarchy_links_stay_inside_the_scheme(vocabulary):
    _, graph = vocabulary
    known = concepts(graph)
    for predicate in (SKOS.broader, SKOS.narrower, SKOS.related):
        for subject, value in graph.subject_objects(predicate):
            assert {subject, value} <= known, (subject, predicate, value)


def test_notations_are_unique_within_the_scheme(vocabulary):
    _, graph = vocabulary
    counts = Counter(str(n) for c in concepts(graph) for n in graph.objects(c, SKOS.notation))
    assert [n for n, count in counts.items() if count > 1] == []


def test_department_notations():
    expected = {
        "marketing", "hr", "training", "operations", "research", "publishing", "legal", "heritage"
    }  # fmt: skip
    assert notations("departments") == expected


def test_asset_type_notations():
    assert notations("asset-types") == {"image", "video", "audio", "document", "other"}


def test_research_department_label():
    graph = parse(REPO / "vocabularies" / "departments.ttl")
    research = URIRef(VOCAB + "departments/research")
    assert Literal("Research and development", lang="en") in labels(graph, research, SKOS.prefLabel)


def depth(graph: rdflib.Graph, concept: URIRef) -> int:
    return len(set(graph.transitive_objects(concept, SKOS.broader)))


def test_subject_taxonomy_is_rich_enough_to_be_useful():
    graph = parse(REPO / "vocabularies" / "subjects.ttl")
    subject_concepts = concepts(graph)
    assert 60 <= len(subject_concepts) <= 90
    assert max(depth(graph, c) for c in subject_concepts) == 4
    assert len(set(graph.subjects(SKOS.hiddenLabel, None))) >= 5
    assert len(set(graph.subjects(SKOS.definition, None))) >= 10
    bicycle = URIRef(VOCAB + "subjects/bicycle")
    assert URIRef(VOCAB + "subjects/vehicle") in set(graph.objects(bicycle, SKOS.broader))
    assert {"Bike", "Rad"} <= {str(label) for label in labels(graph, bicycle, SKOS.altLabel)}


def test_customer_segments_are_defined_in_every_language():
    graph = parse(REPO / "vocabularies" / "audiences.ttl")
    customers = URIRef(VOCAB + "audiences/customers")
    groups = set(graph.objects(customers, SKOS.narrower))
    assert {str(g).removeprefix(VOCAB + "audiences/") for g in groups} == {
        "consumers", "small-businesses", "enterprise-customers"
    }  # fmt: skip
    for group in groups:
        segments = set(graph.objects(group, SKOS.narrower))
        assert len(segments) >= 4, group
        for concept in {group, *segments}:
            languages = {d.language for d in labels(graph, concept, SKOS.definition)}
            assert languages == set(LANGUAGES), concept
    students = URIRef(VOCAB + "audiences/students")
    assert URIRef(VOCAB + "audiences/consumers") in set(graph.objects(students, SKOS.broader))


def test_every_campaign_the_demo_names_is_a_shipped_campaign():
    from datetime import date

    from app.domain.demo.company import CAMPAIGNS, FIRST_DAY, LAST_DAY

    graph = parse(REPO / "vocabularies" / "campaigns.ttl")
    names = {str(label) for c in concepts(graph) for label in labels(graph, c, SKOS.prefLabel)}
    for year in range(FIRST_DAY.year, LAST_DAY.year + 1):
        assert {name.format(year=year) for name in CAMPAIGNS} <= names, year
    dam, schema = rdflib.Namespace(DAM_NS), rdflib.Namespace("https://schema.org/")
    marketing = URIRef(VOCAB + "departments/marketing")
    for campaign in concepts(graph):
        assert (campaign, RDF.type, dam.Campaign) in graph, campaign
        assert (campaign, dam.department, marketing) in graph, campaign
        assert set(graph.objects(campaign, dam.channel)), campaign
        start = graph.value(campaign, schema.startDate).toPython()
        end = graph.value(campaign, schema.endDate).toPython()
        assert isinstance(start, date) and start <= end, campaign


def test_rights_statements_match_their_standard_iri():
    graph = parse(REPO / "vocabularies" / "rights.ttl")
    standard = ("http://rightsstatements.org/vocab/", "https://creativecommons.org/")
    for concept in concepts(graph):
        matches = {
            str(match)
            for predicate in (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch)
            for match in graph.objects(concept, predicate)
        }
        assert any(m.startswith(standard) for m in matches), concept
    cc_by = URIRef(VOCAB + "rights/cc-by-4.0")
    assert (cc_by, SKOS.exactMatch, URIRef("https://creativecommons.org/licenses/by/4.0/")) in graph


# --- shapes ---------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=SHAPE_FILES, ids=lambda path: path.stem)
def shapes(request) -> rdflib.Graph:
    return parse(request.param)


def test_shape_files_are_well_formed_shacl(shapes):
    conforms, _, text = validate(rdflib.Graph(), shacl_graph=shapes, meta_shacl=True)
    assert conforms, text


def test_every_property_shape_has_a_name_and_a_message(shapes):
    property_shapes = set(shapes.subjects(SH.path, None))
    assert property_shapes
    for shape in property_shapes:
        assert (shape, SH.name, None) in shapes, shape
        assert (shape, SH.message, None) in shapes, shape


def test_every_vocabulary_iri_in_the_shapes_exists(shapes):
    vocabulary = rdflib.Graph()
    for path in VOCABULARY_FILES:
        vocabulary += parse(path)
    mentioned = {
        node
        for node in shapes.all_nodes()
        if isinstance(node, URIRef) and node.startswith(VOCAB) and "/shapes/" not in node
    }
    for iri in mentioned:
        assert (iri, RDF.type, None) in vocabulary, iri


def test_profiles_are_named_after_department_notations():
    profiles = {path.stem for path in (REPO / "shapes" / "profiles").glob("*.ttl")}
    assert profiles and profiles <= notations("departments")


def test_a_broken_shape_fails_the_meta_shacl_check():
    broken = rdflib.Graph().parse(
        data="""
            @prefix sh: <http://www.w3.org/ns/shacl#> .
            <shapes/broken> a sh:NodeShape ;
                sh:targetClass <Thing> ;
                sh:property [ sh:path <p> ; sh:minCount "one" ] .
        """,
        format="turtle",
        publicID=VOCAB,
    )
    with pytest.raises(ReportableRuntimeError):
        validate(rdflib.Graph(), shacl_graph=broken, meta_shacl=True)
