"""A graph store reached over HTTP: any SPARQL 1.1 service (Oxigraph server, Fuseki, GraphDB…).

It speaks three W3C recommendations and nothing vendor-specific:

- SPARQL 1.1 Protocol (https://www.w3.org/TR/sparql11-protocol/): queries go by POST with
  URL-encoded parameters (§2.1.2), the reader's scope becomes the RDF dataset through
  ``default-graph-uri`` and ``named-graph-uri`` (§2.1.4); updates go by POST with URL-encoded
  parameters (§2.2.1), one request being one update request, applied as a whole. A malformed
  request answers 400 Bad Request (the failure responses of §2.1 and §2.2).
- SPARQL 1.1 Query Results JSON Format and N-Triples for the answers, parsed by pyoxigraph so
  callers get the same objects as from :class:`~app.storage.embedded.EmbeddedStore`.
- SPARQL 1.1 Query §4.1.1.1: the protocol has no parameter for a base IRI, so a reader's query
  that should resolve relative IRIs against one is sent with a ``BASE`` before it
  (:func:`with_base`).
- SPARQL 1.1 Graph Store HTTP Protocol (https://www.w3.org/TR/sparql11-http-rdf-update/), with
  indirect graph identification ``?graph=IRI`` (§4.2): GET reads a graph (§5.2), PUT replaces
  it atomically (§5.3), POST merges triples into it (§5.5).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, BinaryIO
from urllib.parse import urlencode

import requests
from pyoxigraph import (
    DefaultGraph,
    NamedNode,
    Quad,
    QueryResultsFormat,
    RdfFormat,
    Triple,
    parse,
    parse_query_results,
    serialize,
)

from app.storage.graphstore import (
    GraphStore,
    QueryResult,
    QuerySyntaxError,
    Scope,
    StoreError,
    Term,
    data_block,
    substitute,
)

SPARQL_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
_ACCEPT = f"{SPARQL_JSON}, {N_TRIPLES};q=0.9"
_N_TRIPLES_TYPES = {N_TRIPLES, "text/plain"}  # text/plain: N-Triples' media type before RDF 1.1

# A graph that never holds data: the dataset of a reader who may see no graph at all. Sending no
# default-graph-uri would instead give the service's own default dataset.
NO_GRAPH = "urn:atrium:no-graph"

LOAD_BATCH_TRIPLES = 50_000  # triples per Graph Store Protocol POST while loading a dump
_EXCERPT_CHARS = 500
_LIST_GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
# A prologue (§4.1.1) that declares a BASE: whitespace, comments and PREFIX declarations, then
# BASE (only a prologue may declare one). Possessive, so that no text makes it backtrack.
_IRI_REF = r"<[^<>\"{}|^`\\\x00-\x20]*>"
_OWN_BASE = re.compile(
    rf"(?:\s|#[^\n\r]*+|PREFIX\s*+[^\s:<]*+:\s*+{_IRI_REF})*+BASE\s*+{_IRI_REF}", re.IGNORECASE
)

Graph = NamedNode | DefaultGraph


class TripleResults:
    """The triples of a CONSTRUCT or DESCRIBE answer, used like pyoxigraph's ``QueryTriples``."""

    def __init__(self, triples: Iterable[Triple]) -> None:
        self._triples = iter(triples)

    def __iter__(self) -> Iterator[Triple]:
        return self

    def __next__(self) -> Triple:
        return next(self._triples)

    def serialize(
        self, output: IO[bytes] | str | Path | None = None, format: RdfFormat | None = None
    ) -> bytes | None:
        """Write the remaining triples, like ``QueryTriples.serialize``."""
        return serialize(self._triples, output, format or RdfFormat.N_TRIPLES)


class RemoteStore(GraphStore):
    """A SPARQL 1.1 service: ``url`` is its base, the three paths its endpoints."""

    def __init__(
        self,
        url: str,
        *,
        query_path: str = "/query",
        update_path: str = "/update",
        gsp_path: str = "/store",
        timeout: float = 30.0,
    ) -> None:
        base = url.rstrip("/")
        self._query_url = base + query_path
        self._update_url = base + update_path
        self._gsp_url = base + gsp_path
        self._timeout = timeout
        self._session = requests.Session()

    def __repr__(self) -> str:
        return f"RemoteStore({self._query_url!r})"

    @property
    def query_url(self) -> str:
        """The SPARQL query service's URL."""
        return self._query_url

    # SPARQL 1.1 Protocol

    def query(
        self, sparql: str, *, scope: Scope, bindings: Mapping[str, Term] | None = None
    ) -> QueryResult:
        return self.query_dataset(substitute(sparql, bindings), self._dataset_parameters(scope))

    def query_dataset(self, sparql: str, dataset: Iterable[tuple[str, str]]) -> QueryResult:
        """The query over the dataset that ``default-graph-uri`` / ``named-graph-uri``
        parameters describe (§2.1.4), sent as given (none: the query's or the service's own)."""
        form = [("query", sparql), *dataset]
        response = self._send("POST", self._query_url, data=form, headers={"Accept": _ACCEPT})
        return _parse_query_answer(response)

    def update(self, sparql: str, *, bindings: Mapping[str, Term] | None = None) -> None:
        self._send("POST", self._update_url, data={"update": substitute(sparql, bindings)})

    def insert(self, quads: Iterable[Quad]) -> None:
        request = data_block("INSERT", quads)
        if request:
            self.update(request)

    def graphs(self) -> list[NamedNode]:
        response = self._send(
            "POST", self._query_url, data={"query": _LIST_GRAPHS}, headers={"Accept": SPARQL_JSON}
        )
        return [row["g"] for row in _parse_query_answer(response)]

    def clear(self) -> None:
        self.update("DROP ALL")

    # SPARQL 1.1 Graph Store HTTP Protocol

    def replace_graph(self, graph: NamedNode, triples: Iterable[Triple]) -> None:
        body = serialize(triples, format=RdfFormat.N_TRIPLES)
        if not body:
            self.update(f"DROP SILENT GRAPH {graph}")
            return
        self._send("PUT", self._graph_url(graph), data=body, headers={"Content-Type": N_TRIPLES})

    def load_dump(self, path: Path) -> None:
        pending: defaultdict[Graph, list[Triple]] = defaultdict(list)
        for quad in _read_n_quads(path):
            batch = pending[quad.graph_name]
            batch.append(quad.triple)
            if len(batch) >= LOAD_BATCH_TRIPLES:
                self._add_to_graph(quad.graph_name, batch)
                batch.clear()
        for graph, batch in pending.items():
            if batch:
                self._add_to_graph(graph, batch)

    def dump(self, output: BinaryIO) -> None:
        for graph in self.graphs():
            headers = {"Accept": N_TRIPLES}
            with self._send("GET", self._graph_url(graph), headers=headers, stream=True) as answer:
                _expect_media_type(answer, _N_TRIPLES_TYPES)
                answer.raw.decode_content = True
                triples = parse(answer.raw, RdfFormat.N_TRIPLES)
                quads = (Quad(t.subject, t.predicate, t.object, graph) for t in triples)
                serialize(quads, output, RdfFormat.N_QUADS)

    def close(self) -> None:
        self._session.close()

    # Helpers

    def _dataset_parameters(self, scope: Scope) -> list[tuple[str, str]]:
        """The protocol's dataset description for a scope: its graphs, as union and as named."""
        graphs = [g.value for g in self.graphs()] if scope.graphs is None else list(scope.graphs)
        if not graphs:
            return [("default-graph-uri", NO_GRAPH)]
        return [("default-graph-uri", g) for g in graphs] + [("named-graph-uri", g) for g in graphs]

    def _graph_url(self, graph: Graph) -> str:
        if isinstance(graph, DefaultGraph):
            return f"{self._gsp_url}?default"
        return f"{self._gsp_url}?{urlencode({'graph': graph.value})}"

    def _add_to_graph(self, graph: Graph, triples: list[Triple]) -> None:
        body = serialize(triples, format=RdfFormat.N_TRIPLES)
        self._send("POST", self._graph_url(graph), data=body, headers={"Content-Type": N_TRIPLES})

    def _send(self, method: str, url: str, **options: Any) -> requests.Response:
        try:
            response = self._session.request(method, url, timeout=self._timeout, **options)
        except requests.Timeout as error:
            raise StoreError(
                f"the SPARQL service at {url} did not answer within {self._timeout:g} s"
            ) from error
        except requests.RequestException as error:
            raise StoreError(f"cannot reach the SPARQL service at {url}: {error}") from error
        _raise_for_status(response)
        return response


def with_base(sparql: str, base_iri: str | None) -> str:
    """The query with ``BASE <base_iri>`` before it, unless its prologue declares a BASE.

    Prepended, the BASE resolves relative IRIs as pyoxigraph's ``base_iri`` does: a BASE of the
    query's own that the scan misses still wins, coming later (§4.1.1.1, RFC 3986 §5.1).
    """
    if base_iri is None or _OWN_BASE.match(sparql):
        return sparql
    return f"BASE {NamedNode(base_iri)}\n{sparql}"


def _raise_for_status(response: requests.Response) -> None:
    if response.ok:
        return
    message = response.text.strip()
    if response.status_code == 400:
        raise QuerySyntaxError(message or "the SPARQL service refused the request as malformed")
    raise StoreError(
        f"the SPARQL service at {response.url} answered {response.status_code} "
        f"{response.reason}: {message[:_EXCERPT_CHARS]}"
    )


def _media_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def _expect_media_type(response: requests.Response, expected: set[str]) -> None:
    answered = _media_type(response) or "an undeclared format"
    if answered not in expected:
        raise StoreError(
            f"the SPARQL service at {response.url} answered in {answered}, "
            f"not {' or '.join(sorted(expected))}"
        )


def _parse_query_answer(response: requests.Response) -> QueryResult:
    """SPARQL JSON results become QuerySolutions / QueryBoolean, N-Triples a TripleResults."""
    _expect_media_type(response, {SPARQL_JSON} | _N_TRIPLES_TYPES)
    try:
        if _media_type(response) == SPARQL_JSON:
            return parse_query_results(response.content, QueryResultsFormat.JSON)
        quads = parse(response.content, RdfFormat.N_TRIPLES)
        return TripleResults([quad.triple for quad in quads])
    except SyntaxError as error:
        raise StoreError(f"unreadable answer from the SPARQL service: {error}") from error


def _read_n_quads(path: Path) -> Iterator[Quad]:
    try:
        yield from parse(path=path, format=RdfFormat.N_QUADS)
    except SyntaxError as error:
        raise StoreError(f"{path} is not valid N-Quads: {error}") from error
