"""The SHACL checks of asset descriptions: core refusals, profile gaps, plain-words reports."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from threading import Barrier, Lock

import pyoxigraph
import pytest
import rdflib
from pyshacl.shapes_graph import ShapesGraph
from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from app.domain.assets.validation import Problem, ValidationReport, Validator
from app.storage.terms import to_rdflib_graph as to_rdflib

REPO = Path(__file__).resolve().parent.parent
BASE = "http://127.0.0.1:5000/"
VOCAB = Namespace(BASE + "vocab/")
DAM = Namespace("https://w3id.org/atrium/ns#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
EXIF = Namespace("http://www.w3.org/2003/12/exif/ns#")
GEO = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
SCHEMA = Namespace("https://schema.org/")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # rdflib's XSD warns when pytest inspects it

ASSET = URIRef(BASE + "assets/abc")
FILE = URIRef(BASE + "assets/abc/file")
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
INCOMPLETE_PUBLIC = (
    "an incomplete asset cannot be public: fill in the fields its department profile requires first"
)


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator.from_files(REPO / "shapes", BASE)


@pytest.fixture(scope="module")
def vocabulary() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted((REPO / "vocabularies").glob("*.ttl")):
        graph.parse(path, format="turtle", publicID=str(VOCAB))
    return graph


def minimal_asset(department: str = "research", asset_type: str = "image") -> rdflib.Graph:
    """The smallest description the core shapes accept."""
    graph = rdflib.Graph()
    for predicate, value in (
        (RDF.type, DAM.Asset),
        (DCTERMS.identifier, Literal("abc")),
        (DCTERMS.title, Literal("Cargo bike at the Lyon plant", lang="en")),
        (DCTERMS.type, VOCAB[f"asset-types/{asset_type}"]),
        (DCTERMS.format, Literal("image/jpeg")),
        (DAM.department, VOCAB[f"departments/{department}"]),
        (DAM.accessLevel, DAM.Internal),
        (DAM.hasFile, FILE),
    ):
        graph.add((ASSET, predicate, value))
    graph.add((FILE, RDF.type, DAM.File))
    graph.add((FILE, DAM.sha256, Literal(SHA256)))
    graph.add((FILE, DCAT.byteSize, Literal(482133)))
    return graph


def full_asset() -> rdflib.Graph:
    """A description that uses every optional core field as well."""
    graph = minimal_asset()
    for predicate, value in (
        (DCTERMS.title, Literal("Lastenrad im Werk Lyon", lang="de")),
        (DCTERMS.description, Literal("A cargo bike delivering parts between two halls.")),
        (DCTERMS.subject, VOCAB["subjects/cargo-bike"]),
        (DCTERMS.subject, VOCAB["subjects/factory"]),
        (DCTERMS.rights, VOCAB["rights/cc-by-4.0"]),
        (DCTERMS.created, Literal("2024-05-31T14:30:00", datatype=XSD.dateTime)),
        (DCTERMS.dateSubmitted, Literal("2024-06-01T09:00:00Z", datatype=XSD.dateTime)),
        (GEO.lat, Literal(Decimal("45.764"))),
        (GEO.long, Literal(Decimal("4.8357"))),
        (EXIF.imageWidth, Literal(3000)),
        (EXIF.imageLength, Literal(2000)),
        (DAM.incomplete, Literal(False)),
    ):
        graph.add((ASSET, predicate, value))
    graph.add((FILE, SCHEMA.name, Literal("IMG_0001.jpg")))
    return graph


def with_linked_concepts(graph: rdflib.Graph, vocabulary: rdflib.Graph) -> rdflib.Graph:
    """Add the rdf:type and skos:inScheme triples of every vocabulary concept the graph links."""
    linked = {o for o in graph.objects() if isinstance(o, URIRef) and o.startswith(str(VOCAB))}
    for concept in linked:
        for predicate in (RDF.type, SKOS.inScheme):
            for value in vocabulary.objects(concept, predicate):
                graph.add((concept, predicate, value))
    return graph


@pytest.fixture
def check(validator: Validator, vocabulary: rdflib.Graph) -> Callable[..., ValidationReport]:
    def run(graph: rdflib.Graph, department: str | None = "research") -> ValidationReport:
        return validator.check(with_linked_concepts(graph, vocabulary), department)

    return run


def fields(problems: list[Problem]) -> set[str]:
    return {problem.field for problem in problems}


# --- the core shapes ------------------------------------------------------------------------


def test_minimal_asset_is_accepted_and_complete(check):
    report = check(minimal_asset())
    assert report.refusals == [] and report.missing == []
    assert report.accepted and report.complete


def test_asset_using_every_optional_field_is_accepted(check):
    report = check(full_asset())
    assert report.refusals == []


def test_missing_department_is_refused_in_plain_words(check):
    graph = minimal_asset()
    graph.remove((ASSET, DAM.department, None))
    report = check(graph, department=None)
    assert not report.accepted
    assert [str(p) for p in report.refusals] == [
        "http://127.0.0.1:5000/assets/abc: owning department: is missing "
        "(every asset must belong to exactly one department)"
    ]
    assert report.refusals[0].path == str(DAM.department)
    assert report.refusals[0].focus == str(ASSET)


def _set(predicate: URIRef, value) -> Callable[[rdflib.Graph], None]:
    return lambda graph: graph.set((ASSET, predicate, value))


def _drop(predicate: URIRef) -> Callable[[rdflib.Graph], None]:
    return lambda graph: graph.remove((ASSET, predicate, None))


def _add(predicate: URIRef, value) -> Callable[[rdflib.Graph], None]:
    return lambda graph: graph.add((ASSET, predicate, value))


def _set_on_file(predicate: URIRef, value) -> Callable[[rdflib.Graph], None]:
    return lambda graph: graph.set((FILE, predicate, value))


CORE_FAULTS = {
    "no identifier": (_drop(DCTERMS.identifier), "identifier", "is missing"),
    "two identifiers": (_add(DCTERMS.identifier, Literal("abd")), "identifier", "exactly one"),
    "no title": (_drop(DCTERMS.title), "title", "is missing"),
    "empty title": (_set(DCTERMS.title, Literal("")), "title", "not empty"),
    "title a number": (_set(DCTERMS.title, Literal(42)), "title", "text"),
    "description a date": (
        _add(DCTERMS.description, Literal("2024-01-01", datatype=XSD.date)),
        "description",
        "text",
    ),
    "no asset type": (_drop(DCTERMS.type), "asset type", "is missing"),
    "asset type from another scheme": (
        _set(DCTERMS.type, VOCAB["subjects/bicycle"]),
        "asset type",
        "asset types vocabulary",
    ),
    "asset type as text": (_set(DCTERMS.type, Literal("image")), "asset type", "asset type"),
    "no format": (_drop(DCTERMS.format), "format", "is missing"),
    "format not a media type": (_set(DCTERMS.format, Literal("JPEG")), "format", "image/jpeg"),
    "department from another scheme": (
        _set(DAM.department, VOCAB["subjects/people"]),
        "owning department",
        "departments vocabulary",
    ),
    "department unknown": (
        _set(DAM.department, VOCAB["departments/sales"]),
        "owning department",
        "departments vocabulary",
    ),
    "two departments": (
        _add(DAM.department, VOCAB["departments/hr"]),
        "owning department",
        "exactly one",
    ),
    "no access level": (_drop(DAM.accessLevel), "access level", "is missing"),
    "access level as text": (
        _set(DAM.accessLevel, Literal("public")),
        "access level",
        "public, internal or restricted",
    ),
    "access level unknown": (
        _set(DAM.accessLevel, DAM.Secret),
        "access level",
        "public, internal or restricted",
    ),
    "no file": (_drop(DAM.hasFile), "file", "is missing"),
    "file not a file record": (
        lambda graph: graph.remove((FILE, RDF.type, DAM.File)),
        "file",
        "stored file",
    ),
    "sha256 upper case": (
        _set_on_file(DAM.sha256, Literal(SHA256.upper())),
        "SHA-256 checksum",
        "64 lower-case hexadecimal digits",
    ),
    "sha256 too short": (
        _set_on_file(DAM.sha256, Literal(SHA256[:40])),
        "SHA-256 checksum",
        "64 lower-case hexadecimal digits",
    ),
    "no sha256": (
        lambda graph: graph.remove((FILE, DAM.sha256, None)),
        "SHA-256 checksum",
        "is missing",
    ),
    "byte size as text": (
        _set_on_file(DCAT.byteSize, Literal("482133")),
        "file size",
        "whole number of bytes",
    ),
    "no byte size": (
        lambda graph: graph.remove((FILE, DCAT.byteSize, None)),
        "file size",
        "is missing",
    ),
    "subject not a concept": (
        _add(DCTERMS.subject, URIRef("http://example.org/bicycle")),
        "subject",
        "term of a vocabulary",
    ),
    "subject as text": (_add(DCTERMS.subject, Literal("bicycle")), "subject", "vocabulary"),
    "rights from another scheme": (
        _add(DCTERMS.rights, VOCAB["channels/web"]),
        "rights statement",
        "rights vocabulary",
    ),
    "created as a date only": (
        _set(DCTERMS.created, Literal("2024-05-31", datatype=XSD.date)),
        "date created",
        "date and time",
    ),
    "submitted as text": (
        _set(DCTERMS.dateSubmitted, Literal("yesterday")),
        "date added",
        "date and time",
    ),
    "latitude beyond the pole": (
        _set(GEO.lat, Literal(Decimal("91.5"))),
        "latitude",
        "between -90 and 90",
    ),
    "latitude as text": (_set(GEO.lat, Literal("51.5")), "latitude", "decimal number"),
    "longitude out of range": (
        _set(GEO.long, Literal(Decimal("-181"))),
        "longitude",
        "between -180 and 180",
    ),
    "zero width": (_set(EXIF.imageWidth, Literal(0)), "width", "greater than zero"),
    "negative height": (_set(EXIF.imageLength, Literal(-20)), "height", "greater than zero"),
    "width as text": (_set(EXIF.imageWidth, Literal("3000")), "width", "whole number"),
    "incomplete as text": (_set(DAM.incomplete, Literal("yes")), "incomplete", "true or false"),
}


@pytest.mark.parametrize(("mutate", "field", "words"), CORE_FAULTS.values(), ids=CORE_FAULTS)
def test_each_core_fault_is_refused_naming_its_field(check, mutate, field, words):
    graph = minimal_asset()
    mutate(graph)
    report = check(graph)
    assert not report.accepted
    assert fields(report.refusals) == {field}
    problem = report.refusals[0]
    assert words in problem.message
    assert f": {field}: {problem.message}" in str(problem)


def test_file_problems_are_reported_on_the_file(check):
    graph = minimal_asset()
    graph.set((FILE, DAM.sha256, Literal("not a checksum")))
    (problem,) = check(graph).refusals
    assert problem.focus == str(FILE)
    assert problem.path == str(DAM.sha256)


def test_every_problem_is_reported_at_once(check):
    graph = minimal_asset()
    for predicate in (DCTERMS.title, DCTERMS.type, DAM.accessLevel):
        graph.remove((ASSET, predicate, None))
    assert fields(check(graph).refusals) == {"title", "asset type", "access level"}


def test_incomplete_public_asset_is_refused(check):
    graph = minimal_asset()
    graph.set((ASSET, DAM.accessLevel, DAM.Public))
    graph.set((ASSET, DAM.incomplete, Literal(True)))
    report = check(graph)
    assert not report.accepted
    (problem,) = report.refusals
    assert problem.field == "access level"
    assert problem.message == INCOMPLETE_PUBLIC
    assert problem.path is None
    assert str(problem) == f"{ASSET}: access level: {INCOMPLETE_PUBLIC}"


@pytest.mark.parametrize(
    ("incomplete", "access"),
    [(True, DAM.Internal), (True, DAM.Restricted), (False, DAM.Public), (None, DAM.Public)],
)
def test_public_or_incomplete_alone_is_accepted(check, incomplete, access):
    graph = minimal_asset()
    graph.set((ASSET, DAM.accessLevel, access))
    if incomplete is not None:
        graph.set((ASSET, DAM.incomplete, Literal(incomplete)))
    assert check(graph).accepted


def test_core_shapes_target_every_asset_in_the_graph(check):
    graph = minimal_asset()
    other = URIRef(BASE + "assets/xyz")
    graph.add((other, RDF.type, DAM.Asset))
    report = check(graph)
    assert {p.focus for p in report.refusals} == {str(other)}
    assert "owning department" in fields(report.refusals)


# --- department profiles --------------------------------------------------------------------


def test_hr_image_without_consent_is_accepted_but_incomplete(check):
    report = check(minimal_asset(department="hr"), department="hr")
    assert report.accepted
    assert not report.complete
    assert fields(report.missing) == {"consent given", "consent expires"}
    assert {p.path for p in report.missing} == {str(DAM.consentGiven), str(DAM.consentExpires)}
    assert all(p.focus == str(ASSET) for p in report.missing)
    assert all("HR image" in p.message for p in report.missing)


def test_hr_image_with_consent_is_complete(check):
    graph = minimal_asset(department="hr")
    graph.add((ASSET, DAM.consentGiven, Literal(True)))
    graph.add((ASSET, DAM.consentExpires, Literal("2027-12-31", datatype=XSD.date)))
    report = check(graph, department="hr")
    assert report.accepted and report.complete


def test_hr_consent_refused_by_the_people_shown_is_missing(check):
    graph = minimal_asset(department="hr")
    graph.add((ASSET, DAM.consentGiven, Literal(False)))
    graph.add((ASSET, DAM.consentExpires, Literal("2027-12-31", datatype=XSD.date)))
    assert fields(check(graph, department="hr").missing) == {"consent given"}


def test_hr_consent_expiry_must_be_a_date(check):
    graph = minimal_asset(department="hr")
    graph.add((ASSET, DAM.consentGiven, Literal(True)))
    graph.add((ASSET, DAM.consentExpires, Literal("end of 2027")))
    (problem,) = check(graph, department="hr").missing
    assert problem.field == "consent expires"
    assert "date" in problem.message


def test_hr_video_needs_no_consent(check):
    graph = minimal_asset(department="hr", asset_type="video")
    graph.set((ASSET, DCTERMS.format, Literal("video/mp4")))
    assert check(graph, department="hr").complete


def test_profile_is_only_applied_when_the_department_is_given(check):
    report = check(minimal_asset(department="hr"), department=None)
    assert report.accepted and report.complete


def test_department_without_profile_is_complete(vocabulary):
    core = rdflib.Graph().parse(REPO / "shapes" / "core.ttl", publicID=BASE + "vocab/")
    without_legal = Validator(core, {})
    graph = with_linked_concepts(minimal_asset(department="legal"), vocabulary)
    assert without_legal.check(graph, "legal").complete


def test_legal_assets_need_a_contract_reference_and_a_retention_date(check):
    report = check(minimal_asset(department="legal"), department="legal")
    assert report.accepted
    assert fields(report.missing) == {"matter or contract reference", "retention until"}


def test_operations_image_needs_site_and_event_date(check):
    report = check(minimal_asset(department="operations"), department="operations")
    assert report.accepted
    assert fields(report.missing) == {"site", "event date"}
    assert {p.path for p in report.missing} == {str(DAM.site), str(DAM.eventDate)}


def test_operations_image_with_site_and_date_is_complete(check):
    graph = minimal_asset(department="operations")
    graph.add((ASSET, DAM.site, VOCAB["sites/lyon-plant"]))
    graph.add((ASSET, DAM.eventDate, Literal("2024-05-31", datatype=XSD.date)))
    assert check(graph, department="operations").complete


def test_operations_site_from_another_scheme_is_missing(check):
    graph = minimal_asset(department="operations")
    graph.add((ASSET, DAM.site, VOCAB["subjects/factory"]))
    graph.add((ASSET, DAM.eventDate, Literal("2024-05-31", datatype=XSD.date)))
    (problem,) = check(graph, department="operations").missing
    assert (problem.field, problem.path) == ("site", str(DAM.site))
    assert "sites vocabulary" in problem.message


def test_marketing_fields_are_optional(check):
    assert check(minimal_asset(department="marketing"), department="marketing").complete


def test_marketing_asset_with_campaign_channel_and_audience_is_complete(check):
    graph = minimal_asset(department="marketing")
    graph.add((ASSET, DAM.campaign, VOCAB["campaigns/spring-collection-2025"]))
    graph.add((ASSET, DAM.channel, VOCAB["channels/social-media"]))
    graph.add((ASSET, DAM.channel, VOCAB["channels/print"]))
    graph.add((ASSET, SCHEMA.audience, VOCAB["audiences/small-businesses"]))
    assert check(graph, department="marketing").complete


def test_marketing_channel_from_the_wrong_scheme_is_missing(check):
    graph = minimal_asset(department="marketing")
    graph.add((ASSET, DAM.channel, VOCAB["audiences/press"]))
    report = check(graph, department="marketing")
    assert report.accepted
    (problem,) = report.missing
    assert (problem.field, problem.path) == ("channel", str(DAM.channel))
    assert str(problem) == f"{ASSET}: channel: must be a channel from the channels vocabulary"


def test_marketing_audience_and_campaign_are_typed(check):
    graph = minimal_asset(department="marketing")
    graph.add((ASSET, SCHEMA.audience, Literal("young families")))
    graph.add((ASSET, DAM.campaign, Literal("Spring collection 2025")))
    assert fields(check(graph, department="marketing").missing) == {"audience", "campaign"}


def test_marketing_campaign_from_another_scheme_is_missing(check):
    graph = minimal_asset(department="marketing")
    graph.add((ASSET, DAM.campaign, VOCAB["channels/web"]))
    (problem,) = check(graph, department="marketing").missing
    assert (problem.field, problem.path) == ("campaign", str(DAM.campaign))
    assert "campaigns vocabulary" in problem.message


def test_base_iri_without_trailing_slash_is_accepted(vocabulary):
    validator = Validator.from_files(REPO / "shapes", BASE.rstrip("/"))
    graph = with_linked_concepts(minimal_asset(), vocabulary)
    assert validator.check(graph, "research").accepted


def test_another_base_iri_moves_the_schemes(vocabulary):
    validator = Validator.from_files(REPO / "shapes", "https://dam.example.org/")
    graph = with_linked_concepts(minimal_asset(), vocabulary)
    report = validator.check(graph, "research")
    assert fields(report.refusals) == {"asset type", "owning department"}


# --- threads --------------------------------------------------------------------------------


def test_validations_at_once_take_turns_on_each_shapes_graph(validator, vocabulary, monkeypatch):
    """pySHACL adds its system triples to the shapes graph on every run, and two adds at once
    can fail in rdflib's memory store (KeyError): ten uploads at once once got a 422 from it."""
    real, writing, most, counting = ShapesGraph._add_system_triples, Counter(), Counter(), Lock()

    def observed(shapes: ShapesGraph) -> None:
        graph = id(shapes.graph)
        with counting:
            writing[graph] += 1
            most[graph] = max(most[graph], writing[graph])
        time.sleep(0.02)  # time for the other threads to come in, were they let in
        real(shapes)
        with counting:
            writing[graph] -= 1

    monkeypatch.setattr(ShapesGraph, "_add_system_triples", observed)
    together = Barrier(4)

    def upload(_: int) -> ValidationReport:
        together.wait()
        return validator.check(with_linked_concepts(minimal_asset(), vocabulary), "research")

    with ThreadPoolExecutor(4) as pool:
        reports = list(pool.map(upload, range(4)))
    assert all(report.accepted and report.complete for report in reports)
    assert len(most) == 2, "the core shapes and the research profile"
    assert set(most.values()) == {1}, "one run at a time on each shapes graph"


# --- pyoxigraph to rdflib -------------------------------------------------------------------


def ox(iri: str) -> pyoxigraph.NamedNode:
    return pyoxigraph.NamedNode(str(iri))


def test_to_rdflib_converts_every_kind_of_term():
    integer = pyoxigraph.Literal("3000", datatype=ox(XSD.integer))
    triples = [
        pyoxigraph.Triple(ox(ASSET), ox(DCTERMS.title), pyoxigraph.Literal("Bild", language="de")),
        pyoxigraph.Triple(ox(ASSET), ox(DCTERMS.identifier), pyoxigraph.Literal("abc")),
        pyoxigraph.Triple(ox(ASSET), ox(EXIF.imageWidth), integer),
        pyoxigraph.Triple(ox(ASSET), ox(DCTERMS.creator), pyoxigraph.BlankNode("b1")),
    ]
    assert set(to_rdflib(triples)) == {
        (ASSET, DCTERMS.title, Literal("Bild", lang="de")),
        (ASSET, DCTERMS.identifier, Literal("abc")),
        (ASSET, EXIF.imageWidth, Literal(3000)),
        (ASSET, DCTERMS.creator, BNode("b1")),
    }


def test_to_rdflib_refuses_triple_terms():
    inner = pyoxigraph.Triple(ox(ASSET), ox(DCTERMS.title), pyoxigraph.Literal("x"))
    outer = pyoxigraph.Triple(ox(ASSET), ox(str(RDF) + "reifies"), inner)
    with pytest.raises(TypeError):
        to_rdflib([outer])


def test_asset_read_from_a_pyoxigraph_store_validates(check):
    store = pyoxigraph.Store()
    n_triples = full_asset().serialize(format="nt")
    store.load(n_triples.encode(), format=pyoxigraph.RdfFormat.N_TRIPLES)
    graph = to_rdflib(store.quads_for_pattern(None, None, None))
    assert len(graph) == len(full_asset())
    assert check(graph).accepted


def test_an_hr_asset_with_every_field_and_consent_is_accepted_and_complete(check, vocabulary):
    """What one check costs is measured by benchmarks/run.py ("SHACL validation per asset")."""
    graph = full_asset()
    graph.add((ASSET, DAM.department, VOCAB["departments/hr"]))
    graph.remove((ASSET, DAM.department, VOCAB["departments/research"]))
    graph.add((ASSET, DAM.consentGiven, Literal(True)))
    graph.add((ASSET, DAM.consentExpires, Literal("2027-12-31", datatype=XSD.date)))
    for keyword in ("cargo bike", "delivery", "plant", "Lyon", "logistics", "summer"):
        graph.add((ASSET, SCHEMA.keywords, Literal(keyword)))
    report = check(with_linked_concepts(graph, vocabulary), department="hr")
    assert report.accepted and report.complete
