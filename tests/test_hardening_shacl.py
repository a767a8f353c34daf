"""Hardening of SHACL through Atrium's validation path: the W3C suite, SHACL-SPARQL prefixes,
SHACL-SPARQL pySHACL cannot run, and the literals the store canonicalises.

The suite tests need ``../shared/corpus/shacl-tests``; the others build their shapes here and
go through the real HTTP server or the real command line where a person would meet the problem.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
import pytest
import rdflib
import requests
from conftest import BASE_IRI, CORPUS, REPO, make_atrium, serving
from PIL import Image
from pyshacl import validate
from pyshacl.validator_conformance import check_sht_result
from rdflib import BNode, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from test_web import ingest_one

from app.domain.assets.validation import ShapesCannotRun, Validator
from app.domain.iris import Iris
from app.domain.shapes.catalogue import CORE, ShapeCatalogue
from app.service import Atrium
from app.storage.embedded import EmbeddedStore
from app.storage.graphstore import Scope
from app.storage.terms import to_rdflib_graph as to_rdflib

SUITE = CORPUS / "shacl-tests" / "tests"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")
EX = Namespace("http://example.test/")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # rdflib's XSD warns when pytest inspects it
DAM = "https://w3id.org/atrium/ns#"

# Tests of the suite that fail, and why (see the suite test's docstring).
PYSHACL_FAILS = {"core/property/uniqueLang-002", "sparql/pre-binding/shapesGraph-001"}
STORE_ALSO_FAILS = {"core/node/maxExclusive-001", "core/node/minExclusive-001"}


# --- the W3C SHACL core and SPARQL suites ----------------------------------------------------


@dataclass(frozen=True)
class SuiteTest:
    name: str  # e.g. core/node/and-001
    file: Path  # the manifest file that holds the entry
    manifest: rdflib.Graph
    entry: rdflib.term.Node

    def graph(self, role: rdflib.URIRef) -> rdflib.term.Node:
        return self.manifest.value(self.manifest.value(self.entry, MF.action), role)

    @property
    def expected(self) -> rdflib.term.Node:
        return self.manifest.value(self.entry, MF.result)


def parse_exactly(uri: str) -> rdflib.Graph:
    """A Turtle file as Atrium reads RDF: pyoxigraph's terms as written, its prefixes kept."""
    parser = pyoxigraph.parse(
        path=uri.removeprefix("file://"), format=pyoxigraph.RdfFormat.TURTLE, base_iri=uri
    )
    triples = [quad.triple for quad in parser]
    return to_rdflib(triples, parser.prefixes)


def suite_tests(manifest: Path) -> Iterator[SuiteTest]:
    graph = parse_exactly(manifest.as_uri())
    for included in graph.objects(None, MF.include):
        yield from suite_tests(Path(str(included).removeprefix("file://")))
    for entries in graph.objects(None, MF.entries):
        for entry in Collection(graph, entries):
            if (entry, RDF.type, SHT.Validate) in graph:
                name = str(entry).removeprefix(SUITE.as_uri() + "/")
                yield SuiteTest(name, manifest, graph, entry)


def passes_with_pyshacl(test: SuiteTest) -> bool:
    """pySHACL alone on rdflib's own parse of the files, judged by pySHACL's own checker."""

    def load(role: rdflib.URIRef) -> rdflib.Graph:
        uri = str(test.graph(role))
        return rdflib.Graph().parse(uri.removeprefix("file://"), format="turtle", publicID=uri)

    manifest = rdflib.Graph().parse(test.file, format="turtle", publicID=test.file.as_uri())
    try:
        _, report, _ = validate(
            load(SHT.dataGraph), shacl_graph=load(SHT.shapesGraph), inference="none"
        )
        return check_sht_result(report, manifest, manifest.value(test.entry, MF.result))
    except Exception:  # noqa: BLE001 - pySHACL raises (NotImplementedError…) for what it lacks
        return False


def passes_through_atrium(test: SuiteTest, *, stored: bool) -> bool:
    """Atrium's path: the data as written (pyoxigraph terms, :func:`to_rdflib`), checked by a
    :class:`Validator` with the test's shapes as the core shapes; ``stored``: the shapes go
    through a :class:`ShapeCatalogue` (stored in the graph, read back) first."""
    data = parse_exactly(str(test.graph(SHT.dataGraph)))
    shapes = parse_exactly(str(test.graph(SHT.shapesGraph)))
    if stored:
        catalogue = ShapeCatalogue(EmbeddedStore(None), Iris(BASE_IRI))
        catalogue.store_shapes(CORE, shapes, None)
        shapes = catalogue.stored(CORE)
    try:
        report = Validator(shapes, {}).check(data, None)
    except ShapesCannotRun:
        return test.expected == SHT.Failure
    if test.expected == SHT.Failure:
        return False
    conforms = bool(test.manifest.value(test.expected, SH.conforms).value)
    blank = {str(node) for node in data.all_nodes() if isinstance(node, BNode)}

    def name(text: str | None) -> str | None:
        return "blank node" if text in blank else text

    found = [(name(p.focus), p.path, name(p.value)) for p in report.refusals]
    wanted = [
        _expected_result(test.manifest, r) for r in test.manifest.objects(test.expected, SH.result)
    ]
    return conforms == report.accepted and _same_results(wanted, found)


def _expected_result(manifest: rdflib.Graph, result: rdflib.term.Node) -> tuple:
    def name(node: rdflib.term.Node | None) -> str | None:
        return None if node is None else "blank node" if isinstance(node, BNode) else str(node)

    path = manifest.value(result, SH.resultPath)
    return (
        name(manifest.value(result, SH.focusNode)),
        str(path) if isinstance(path, URIRef) else None,
        name(manifest.value(result, SH.value)),
    )


def _same_results(wanted: list[tuple], found: list[tuple]) -> bool:
    """One found result per wanted one: same focus node and value, and the same path where the
    suite names an IRI path (Atrium gives a node shape's result the path of its rule). Results
    that say the same thing twice count once: Atrium reports distinct problems."""
    left = list(dict.fromkeys(found))
    for focus, path, value in dict.fromkeys(wanted):
        match = next(
            (r for r in left if r[0] == focus and r[2] == value and path in (None, r[1])), None
        )
        if match is None:
            return False
        left.remove(match)
    return not left


@pytest.fixture(scope="module")
def suite() -> list[SuiteTest]:
    logging.disable(logging.CRITICAL)  # pySHACL logs every refused constraint
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # rdflib: "weird boolean" literals of the suite
            return list(suite_tests(SUITE / "manifest.ttl"))
    finally:
        logging.disable(logging.NOTSET)


def failures(suite: list[SuiteTest], passes) -> set[str]:  # noqa: ANN001
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return {test.name for test in suite if not passes(test)}
    finally:
        logging.disable(logging.NOTSET)


@pytest.mark.corpus("shacl-tests")
@pytest.mark.slow
def test_shacl_w3c_suite_with_pyshacl_alone(suite) -> None:
    """The W3C SHACL core and SHACL-SPARQL suites (120 tests): pySHACL alone passes 118, the
    measure for Atrium's path below. The two it fails:

    - ``core/property/uniqueLang-002``: ``sh:uniqueLang "1"^^xsd:boolean`` must be ignored
      (only ``true`` switches it on); pySHACL takes the value, and "1" is true;
    - ``sparql/pre-binding/shapesGraph-001``: ``$shapesGraph`` in a SHACL-SPARQL query, which
      pySHACL does not support; Atrium refuses it clearly (:class:`ShapesCannotRun`).
    """
    assert len(suite) == 120
    assert failures(suite, passes_with_pyshacl) == PYSHACL_FAILS


@pytest.mark.corpus("shacl-tests")
@pytest.mark.parametrize(
    ("stored", "expected"),
    [(False, PYSHACL_FAILS), (True, PYSHACL_FAILS | STORE_ALSO_FAILS)],
    ids=["as-written", "stored-in-the-graph"],
)
@pytest.mark.slow
def test_shacl_w3c_suite_through_atriums_path(suite, stored: bool, expected: set[str]) -> None:
    """Atrium's path fails only the two pySHACL alone fails (118 pass). A test that expects a
    failure (``sht:Failure``: SHACL-SPARQL a processor must refuse) passes when Atrium raises
    :class:`ShapesCannotRun`. Before, ``sparql/node/prefixes-001`` crashed ("Unknown namespace
    prefix": the prefixes its ``sh:prefixes`` reach through ``owl:imports`` were lost), the
    seven ``sht:Failure`` tests raised AttributeError and ``shapesGraph-001``
    NotImplementedError, instead of a refusal.

    With the shapes stored in the graph and read back, as department profiles are: 116. The
    two tests whose shapes target literal nodes (``sh:targetNode 4.0``) fail as well, because
    the store keeps ``4.0`` as ``4`` (README, "What the store changes in literals"). Before,
    the skolem IRIs the store keeps for blank nodes made every complex ``sh:path`` (sequence,
    inverse, alternative…) a predicate: 13 more failed.
    """
    assert failures(suite, lambda test: passes_through_atrium(test, stored=stored)) == expected


# --- prefixes --------------------------------------------------------------------------------

PREFIXED_SHAPES = '''
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.test/> .

<http://example.test/ontology> sh:declare [
    sh:prefix "ex" ; sh:namespace "http://example.test/"^^xsd:anyURI ] .
ex:Prefixes owl:imports <http://example.test/ontology> .
ex:NoForbiddenValue a sh:NodeShape ;
    sh:targetClass ex:Thing ;
    sh:sparql [
        sh:prefixes ex:Prefixes ;
        sh:message "holds ex:forbidden" ;
        sh:select """SELECT $this ?value
            WHERE { $this ex:holds ?value . FILTER (?value = ex:forbidden) }"""
    ] .
'''


def oxigraph_graph(turtle: str, keep_prefixes: bool) -> rdflib.Graph:
    parser = pyoxigraph.parse(turtle.encode(), format=pyoxigraph.RdfFormat.TURTLE)
    triples = [quad.triple for quad in parser]
    return to_rdflib(triples, parser.prefixes if keep_prefixes else None)


def things(*values: URIRef) -> rdflib.Graph:
    data = rdflib.Graph()
    for number, value in enumerate(values):
        data.add((EX[f"thing{number}"], RDF.type, EX.Thing))
        data.add((EX[f"thing{number}"], EX.holds, value))
    return data


def test_shacl_prefixes_reached_through_owl_imports_are_honoured() -> None:
    """sh:prefixes/owl:imports*/sh:declare (SHACL §5.2.1), with no namespace binding to lean on."""
    validator = Validator(oxigraph_graph(PREFIXED_SHAPES, keep_prefixes=False), {})
    report = validator.check(things(EX.forbidden, EX.allowed), None)
    assert [(p.focus, p.value, p.message) for p in report.refusals] == [
        (str(EX.thing0), str(EX.forbidden), "holds ex:forbidden")
    ]


def test_shacl_the_shapes_and_data_prefixes_are_carried() -> None:
    """A query that names a prefix no sh:prefixes declares runs with the shapes' bindings,
    as pySHACL alone runs it on a graph rdflib parsed."""
    undeclared = PREFIXED_SHAPES.replace("sh:prefixes ex:Prefixes ;", "")
    shapes = oxigraph_graph(undeclared, keep_prefixes=True)
    assert dict(shapes.namespaces())["ex"] == URIRef(EX)
    report = Validator(shapes, {}).check(things(EX.forbidden), None)
    assert [p.value for p in report.refusals] == [str(EX.forbidden)]
    with pytest.raises(ShapesCannotRun, match="Unknown namespace prefix : ex"):
        Validator(oxigraph_graph(undeclared, keep_prefixes=False), {}).check(things(EX.no), None)


# --- SHACL-SPARQL pySHACL cannot run ---------------------------------------------------------

UNSUPPORTED = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix dam: <https://w3id.org/atrium/ns#> .
<urn:x:minus> a sh:NodeShape ; sh:targetClass dam:Asset ;
    sh:sparql [ sh:select "SELECT $this WHERE { $this ?p ?o . MINUS { $this ?p 1 } }" ] .
"""


def test_shacl_unsupported_sparql_is_a_clear_refusal_not_an_attribute_error() -> None:
    shapes = rdflib.Graph().parse(data=UNSUPPORTED, format="turtle")
    data = rdflib.Graph()
    data.add((EX.asset, RDF.type, URIRef(DAM + "Asset")))
    with pytest.raises(ShapesCannotRun, match="must not contain a MINUS clause"):
        Validator(shapes, {}).check(data, None)


def sparql_update(atrium: Atrium, update: str, api_token) -> requests.Response:  # noqa: ANN001
    admin = {"Authorization": f"Bearer {api_token(atrium, role='admin')}"}
    with serving(atrium) as base_url:
        return requests.post(
            f"{base_url}/sparql/update",
            data=update,
            headers={**admin, "Content-Type": "application/sparql-update"},
            timeout=60,
        )


def stored_values(atrium: Atrium, subject: str, predicate: str) -> list[str]:
    """The values the store holds for ``subject`` ``predicate``, in any graph."""
    rows = atrium.store.select(
        f"SELECT ?o WHERE {{ <{subject}> <{predicate}> ?o }}", scope=Scope.everything()
    )
    return [row["o"].value for row in rows]


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m app <args>`` on ``data_dir``, as a person runs it."""
    env = {**os.environ, "ATRIUM_DATA": str(data_dir), "ATRIUM_BASE_IRI": BASE_IRI}
    env.pop("ATRIUM_STORE", None)
    command = [sys.executable, "-m", "app", *args]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=180)


def break_marketing(atrium: Atrium, tmp_path: Path) -> str:
    """An asset of a department whose stored profile uses SHACL-SPARQL pySHACL refuses (stored
    as a profile from before the import gate would be; ``profile import`` refuses it now)."""
    path = tmp_path / "poster.png"
    Image.new("RGB", (64, 48), "red").save(path)
    asset_id = ingest_one(atrium, path, "internal", "title=Poster")
    profile = atrium.shapes.stored("marketing")
    profile += rdflib.Graph().parse(data=UNSUPPORTED, format="turtle")
    atrium.shapes.store_shapes("marketing", profile, "marketing")
    return asset_id


def test_shacl_unsupported_sparql_in_a_stored_profile_refuses_a_write_over_http(
    atrium: Atrium, tmp_path: Path, api_token
) -> None:
    iri = atrium.iris.asset(break_marketing(atrium, tmp_path)).value
    update = (
        f"DELETE {{ <{iri}> <http://purl.org/dc/terms/title> ?t }} INSERT {{ <{iri}> "
        f'<http://purl.org/dc/terms/title> "Renamed" }} WHERE {{ <{iri}> '
        "<http://purl.org/dc/terms/title> ?t }"
    )
    response = sparql_update(atrium, update, api_token)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert "the shapes could not be run" in error and "MINUS" in error
    assert "nothing was stored" in error
    assert stored_values(atrium, iri, "http://purl.org/dc/terms/title") == ["Poster"]


def test_shacl_unsupported_sparql_in_a_stored_profile_fails_validate_without_a_traceback(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    atrium = make_atrium(data_dir)
    try:
        break_marketing(atrium, tmp_path)
    finally:
        atrium.close()
    result = run_cli(data_dir, "validate")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("atrium validate: the shapes could not be run")


# --- exact terms: the store canonicalises literals -------------------------------------------


def test_shacl_checks_the_exact_lexical_form_written() -> None:
    """``"007"^^xsd:integer`` is checked as written (rdflib alone would make it "7")."""
    shapes = rdflib.Graph().parse(
        data="""@prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:x:s> a sh:NodeShape ; sh:targetNode <http://example.test/a> ;
            sh:property [ sh:path <http://example.test/code> ; sh:pattern "^0" ] .""",
        format="turtle",
    )
    code = pyoxigraph.NamedNode(str(EX.code))
    written = pyoxigraph.Literal("007", datatype=pyoxigraph.NamedNode(str(XSD.integer)))
    data = to_rdflib([pyoxigraph.Triple(pyoxigraph.NamedNode(str(EX.a)), code, written)])
    assert [str(o) for o in data.objects()] == ["007"]
    assert Validator(shapes, {}).check(data, None).accepted


@pytest.fixture
def poster(atrium: Atrium, tmp_path: Path) -> str:
    path = tmp_path / "poster.png"
    Image.new("RGB", (64, 48), "red").save(path)
    return atrium.iris.asset(ingest_one(atrium, path, "internal", "title=Poster")).value


@pytest.mark.parametrize(
    ("literal", "status", "answer", "stored"),
    [
        # not an xsd:int (out of range); the store would keep "5000000000"^^xsd:integer
        ('"5000000000"^^xsd:int', 422, '"5000000000" is not a valid xsd:int', []),
        # not an xsd:nonNegativeInteger; the store would keep "-1"^^xsd:integer, a valid one
        ('"-1"^^xsd:nonNegativeInteger', 422, '"-1" is not a valid xsd:nonNegativeInteger', []),
        # valid, but its datatype would not survive: checked again, it would be refused
        ('"5"^^xsd:nonNegativeInteger', 422, "the store keeps xsd:nonNegativeInteger values", []),
        # the store keeps it as "1.5", the same value: it lands
        ('"1.50"^^xsd:decimal', 200, "done: 1 asset records rewritten", ["1.5"]),
    ],
)
def test_shacl_a_literal_lands_over_http_only_if_the_store_keeps_its_meaning(
    atrium: Atrium, poster: str, api_token, literal: str, status: int, answer: str, stored: list
) -> None:
    update = (
        "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> "
        f"INSERT DATA {{ <{poster}> <http://example.test/value> {literal} }}"
    )
    response = sparql_update(atrium, update, api_token)
    assert response.status_code == status, response.text
    assert answer in response.text
    assert stored_values(atrium, poster, "http://example.test/value") == stored


def test_shacl_a_profile_with_a_datatype_the_store_does_not_keep_is_refused_by_the_cli(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    make_atrium(data_dir).close()
    profile = tmp_path / "research.ttl"
    text = (REPO / "shapes" / "profiles" / "research.ttl").read_text()
    profile.write_text(
        text
        + """
<shapes/profiles/research#samples-value> a sh:PropertyShape ;
    sh:path dam:samples ; sh:name "samples"@en ; sh:order 9 ; sh:maxCount 1 ;
    sh:datatype xsd:nonNegativeInteger .
<shapes/profiles/research#Asset> sh:property <shapes/profiles/research#samples-value> .
"""
    )
    result = run_cli(data_dir, "profile", "import", str(profile), "--department", "research")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    output = result.stdout + result.stderr
    assert (
        "sh:datatype xsd:nonNegativeInteger: the store keeps such values as xsd:integer" in output
    )
