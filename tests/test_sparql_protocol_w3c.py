"""The W3C SPARQL 1.1 Protocol test suite (``protocol/manifest.ttl``), over real HTTP.

Every test of the manifest is run in its order against one running Atrium: each
``ht:Request`` is sent as written (method, path, headers, body in its character encoding),
after loading the test's ``ut:graphData`` into named graphs, and its ``ht:Response`` checked
(status class, result format, boolean). The manifest's paths all start with ``/sparql/``; as
it allows, updates go to ``/sparql/update`` and queries to ``/sparql``. The requests carry an
administrator's API token: updates are for administrators only, and the test data sit in
graphs only administrators see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from conftest import CORPUS, make_atrium, serving
from pyoxigraph import NamedNode, RdfFormat, parse
from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDFS, Namespace

MANIFEST = ("sparql11-tests", "protocol", "manifest.ttl")
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"
SOLUTION_TYPES = {
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
}
BOOLEAN_TYPES = {"application/sparql-results+json", "application/sparql-results+xml"}
RDF_TYPES = {
    "text/turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES,
    "application/rdf+xml": RdfFormat.RDF_XML,
    "application/ld+json": RdfFormat.JSON_LD,
}


@dataclass
class ProtocolRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[str]  # "2xx", "4xx"…
    result_format: str | None = None  # "boolean", "tabular" or "RDF"
    boolean: bool | None = None

    def carries_an_update(self, test_name: str) -> bool:
        """An update goes to /sparql/update: by its media type, its ``update`` parameter, or
        (the malformed ones) a test about updates that sends no query."""
        content_type = self.headers.get("content-type", "")
        parameters = parse_qs(urlsplit(self.path).query)
        if self.body is not None and content_type.startswith("application/x-www-form"):
            parameters |= parse_qs(self.body.decode())
        if content_type.startswith("application/sparql-update") or "update" in parameters:
            return True
        sends_a_query = "query" in parameters or content_type.startswith("application/sparql-q")
        return "update" in test_name and not sends_a_query


@dataclass
class ProtocolTest:
    name: str
    graph_data: list[tuple[Path, str]] = field(default_factory=list)  # file, graph IRI
    requests: list[ProtocolRequest] = field(default_factory=list)


def read_manifest(path: Path) -> list[ProtocolTest]:
    graph = Graph().parse(path, format="turtle")
    entries = Collection(graph, graph.value(URIRef(path.as_uri()), MF.entries))
    return [read_test(graph, entry, path.parent) for entry in entries]


def read_test(graph: Graph, entry: URIRef, folder: Path) -> ProtocolTest:
    test = ProtocolTest(name=str(entry).rsplit("#", 1)[-1])
    for data in graph.objects(entry, UT.graphData):
        file_name = str(graph.value(data, UT.graph)).rsplit("/", 1)[-1]
        test.graph_data.append((folder / file_name, str(graph.value(data, RDFS.label))))
    action = graph.value(entry, MF.action)
    for node in Collection(graph, graph.value(action, HT.requests)):
        headers = {}
        header_list = graph.value(node, HT.headers)
        for header in Collection(graph, header_list) if header_list else []:
            name = str(graph.value(header, HT.fieldName)).lower()
            headers[name] = str(graph.value(header, HT.fieldValue))
        body = graph.value(node, HT.body)
        data = None
        if body is not None:
            encoding = str(graph.value(body, CNT.characterEncoding) or "UTF-8")
            data = str(graph.value(body, CNT.chars)).encode(encoding.lower())
        response = graph.value(node, HT.resp)
        boolean = graph.value(response, MF.expectedBoolean)
        result_format = graph.value(response, MF.expectedFormat)
        test.requests.append(
            ProtocolRequest(
                method=str(graph.value(node, HT.methodName)),
                path=str(graph.value(node, HT.absolutePath)),
                headers=headers,
                body=data,
                statuses={
                    str(s).removeprefix(HTS) for s in graph.objects(response, MF.expectedStatus)
                },
                result_format=None if result_format is None else str(result_format),
                boolean=None if boolean is None else boolean.toPython(),
            )
        )
    return test


def problem_with(answer: requests.Response, expected: ProtocolRequest) -> str | None:
    """What is wrong with the answer, or None when it is what the manifest expects."""
    status_class = f"{answer.status_code // 100}xx"
    if status_class not in expected.statuses:
        return f"status {answer.status_code}: {answer.text[:300]!r}"
    media_type = answer.headers.get("Content-Type", "").split(";")[0].strip()
    if expected.result_format == "boolean" and media_type not in BOOLEAN_TYPES:
        return f"a boolean result came as {media_type}"
    if expected.result_format == "tabular" and media_type not in SOLUTION_TYPES:
        return f"a table of results came as {media_type}"
    if expected.result_format == "RDF":
        if media_type not in RDF_TYPES:
            return f"a graph came as {media_type}"
        list(parse(answer.content, format=RDF_TYPES[media_type]))
    if expected.boolean is not None:
        if media_type != "application/sparql-results+json":
            return f"cannot read the boolean from {media_type}"
        if json.loads(answer.content).get("boolean") is not expected.boolean:
            return f"expected {expected.boolean}, got {answer.text[:300]!r}"
    return None


def run(test: ProtocolTest, base_url: str, token: str, atrium) -> str | None:  # noqa: ANN001
    for source, graph in test.graph_data:
        triples = [quad.triple for quad in parse(path=source, format=RdfFormat.N_TRIPLES)]
        atrium.store.replace_graph(NamedNode(graph), triples)
    for number, sent in enumerate(test.requests, 1):
        endpoint = "/sparql/update" if sent.carries_an_update(test.name) else "/sparql"
        url = base_url + endpoint + sent.path.removeprefix("/sparql/")
        headers = {**sent.headers, "Authorization": f"Bearer {token}"}
        answer = requests.request(sent.method, url, headers=headers, data=sent.body, timeout=60)
        problem = problem_with(answer, sent)
        if problem:
            return f"request {number} ({sent.method} {endpoint}): {problem}"
    return None


@pytest.mark.corpus(*MANIFEST)
@pytest.mark.slow
def test_the_w3c_protocol_tests_pass(tmp_path: Path, api_token) -> None:
    tests = read_manifest(CORPUS.joinpath(*MANIFEST))
    assert len(tests) == 34
    atrium = make_atrium(tmp_path / "data")
    try:
        token = api_token(atrium, role="admin")
        with serving(atrium) as base_url:
            failures = {test.name: run(test, base_url, token, atrium) for test in tests}
    finally:
        atrium.close()
    failed = {name: problem for name, problem in failures.items() if problem}
    passed = len(tests) - len(failed)
    report = "".join(f"\n- {name}: {problem}" for name, problem in failed.items())
    summary = f"{passed}/{len(tests)} W3C SPARQL 1.1 Protocol tests pass"
    assert not failed, f"{summary}:{report}"
