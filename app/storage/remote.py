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

Every write ends with a write stamp (:mod:`app.storage.write_stamps`), so that what each Atrium
process keeps of the graphs outlives the writes of every process to other graphs, and no more.

Where a service departs from them, the requests are shaped so that every service answers alike
(each departure seen on Virtuoso 7.2; Oxigraph server follows the recommendations):

- one Accept per query form (§2.1.5 lets the client choose): a service may ignore the q-values
  of a list, and answer a CONSTRUCT in SPARQL JSON or a SELECT in N-Triples;
- an ASK may come back as solutions (one row, or none, of a variable ``__ASK_RETVAL``): read as
  the boolean it stands for;
- the query's own FROM / FROM NAMED clauses are left out when the protocol gives the dataset,
  which replaces them (§2.1.4): a service may add them to it instead, which would widen a
  reader's scope. A service may also take a missing ``named-graph-uri`` for "every graph", so
  a scope without graphs names the graph that holds nothing in both parameters;
- a query may not start with ``DEFINE`` (a Virtuoso pragma, not SPARQL): it can set the dataset;
- ``DROP ALL`` may do nothing (Virtuoso), so :meth:`RemoteStore.clear` then drops the graphs
  still listed one by one. They are listed by ``GROUP BY``, which Virtuoso checks against its
  graph-level rights (its shortcut for ``DISTINCT ?g`` lists graphs the account may not read).
"""

from __future__ import annotations

import http.client
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlencode

import requests
from pyoxigraph import (
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
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
    WorkerReader,
    data_block,
    graph_names,
    substitute,
)
from app.storage.write_stamps import READ_STAMPS, STAMPS_GRAPH, count_from, stamp_request

if TYPE_CHECKING:
    from app.storage.query_jobs import Dataset

SPARQL_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
_ACCEPT = f"{SPARQL_JSON}, {N_TRIPLES};q=0.9"  # for a query whose form the scan cannot tell
_ACCEPT_BY_FORM = {"SELECT": SPARQL_JSON, "ASK": SPARQL_JSON}
_ACCEPT_BY_FORM |= {"CONSTRUCT": N_TRIPLES, "DESCRIBE": N_TRIPLES}
_ASK_AS_SOLUTIONS = "__ASK_RETVAL"  # Virtuoso 7.2's ASK answer: a table of this one variable
_N_TRIPLES_TYPES = {N_TRIPLES, "text/plain"}  # text/plain: N-Triples' media type before RDF 1.1

# A graph that never holds data: the dataset of a reader who may see no graph at all. Sending no
# default-graph-uri would instead give the service's own default dataset.
NO_GRAPH = "urn:atrium:no-graph"

LOAD_BATCH_TRIPLES = 50_000  # triples per Graph Store Protocol POST while loading a dump
_EXCERPT_CHARS = 500
_LIST_GRAPHS = (
    f"SELECT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != {STAMPS_GRAPH}) }} GROUP BY ?g"
)
# A prologue (§4.1.1) that declares a BASE: whitespace, comments and PREFIX declarations, then
# BASE (only a prologue may declare one). Possessive, so that no text makes it backtrack.
_IRI_REF = r"<[^<>\"{}|^`\\\x00-\x20]*>"
_COMMENT = r"#[^\n\r]*+"
_PREFIX_DECL = rf"PREFIX\s*+[^\s:<]*+:\s*+{_IRI_REF}"
_OWN_BASE = re.compile(rf"(?:\s|{_COMMENT}|{_PREFIX_DECL})*+BASE\s*+{_IRI_REF}", re.IGNORECASE)
_QUERY_FORM = re.compile(
    rf"(?:\s|{_COMMENT}|{_PREFIX_DECL}|BASE\s*+{_IRI_REF})*+(SELECT|CONSTRUCT|DESCRIBE|ASK)\b",
    re.IGNORECASE,
)
_PRAGMA = re.compile(rf"(?:\s|{_COMMENT})*+DEFINE\b", re.IGNORECASE)
# The text as a lexer reads it (§19.8): strings, IRIs and comments, inside which no keyword
# counts, and dataset clauses (§13.2), whose FROM is no part of a name or a variable.
_STRING = (
    r'"""(?:[^"\\]|\\.|"(?!""))*+"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*+'''"
    r'|"(?:[^"\\\n\r]|\\.)*+"'
    r"|'(?:[^'\\\n\r]|\\.)*+'"
)
_PREFIXED_NAME = r"[^\s{}()<>]*:[^\s{}()<>]*+"
_DATASET_CLAUSE = re.compile(
    rf"(?P<kept>{_STRING}|{_IRI_REF}|{_COMMENT})"
    rf"|(?<![\w:?$\\.-])FROM(?:\s++NAMED)?+\s*+(?:{_IRI_REF}|{_PREFIXED_NAME})",
    re.IGNORECASE,
)

Graph = NamedNode | DefaultGraph

# Virtuoso repeats every graph of the dataset in a header of its answer (X-SPARQL-default-graph,
# X-SPARQL-named-graph); http.client refuses an answer with more than 100 headers, and a reader
# may see hundreds of graphs. The limit is a module global of http.client, read at each answer.
_MOST_HEADERS = 1_000_000
http.client._MAXHEADERS = max(http.client._MAXHEADERS, _MOST_HEADERS)  # type: ignore[attr-defined]


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

    shared = True

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
        parameters describe (§2.1.4), in place of its FROM clauses (none: the query's dataset, or
        the service's own)."""
        dataset = list(dataset)
        if _PRAGMA.match(sparql):
            raise QuerySyntaxError("DEFINE is a Virtuoso pragma, not SPARQL 1.1: it is not sent")
        if dataset:
            sparql = without_dataset_clauses(sparql)
        query_form = _query_form(sparql)
        headers = {"Accept": _ACCEPT_BY_FORM.get(query_form or "", _ACCEPT)}
        form = [("query", sparql), *dataset]
        response = self._send("POST", self._query_url, data=form, headers=headers)
        return _parse_query_answer(response, query_form)

    def update(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Term] | None = None,
        graphs: Collection[str] | None = None,
    ) -> None:
        self._send("POST", self._update_url, data={"update": substitute(sparql, bindings)})
        self._stamp(graphs)

    def insert(self, quads: Iterable[Quad]) -> None:
        quads = list(quads)
        request = data_block("INSERT", quads)
        if request:
            self.update(request, graphs=graph_names(quads))

    def write_count(self, reading: str = "") -> int:
        """Made of the write stamps that every Atrium process leaves (``write_stamps``)."""
        response = self._send(
            "POST", self._query_url, data={"query": READ_STAMPS}, headers={"Accept": SPARQL_JSON}
        )
        return count_from(_parse_query_answer(response, "SELECT"), reading)

    def graphs(self) -> list[NamedNode]:
        response = self._send(
            "POST", self._query_url, data={"query": _LIST_GRAPHS}, headers={"Accept": SPARQL_JSON}
        )
        return [row["g"] for row in _parse_query_answer(response, "SELECT")]

    def clear(self) -> None:
        self.update("DROP ALL")
        left = self.graphs()
        if left:
            self.update(" ;\n".join(f"DROP SILENT GRAPH {graph}" for graph in left))

    # SPARQL 1.1 Graph Store HTTP Protocol

    def replace_graph(self, graph: NamedNode, triples: Iterable[Triple]) -> None:
        body = serialize(triples, format=RdfFormat.N_TRIPLES)
        if not body:
            self.update(f"DROP SILENT GRAPH {graph}", graphs={graph.value})
            return
        self._send("PUT", self._graph_url(graph), data=body, headers={"Content-Type": N_TRIPLES})
        self._stamp({graph.value})

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
        self._stamp(None)

    def dump(self, output: BinaryIO) -> None:
        for graph in self.graphs():
            headers = {"Accept": N_TRIPLES}
            with self._send("GET", self._graph_url(graph), headers=headers, stream=True) as answer:
                _expect_media_type(answer, _N_TRIPLES_TYPES)
                answer.raw.decode_content = True
                triples = parse(answer.raw, RdfFormat.N_TRIPLES)
                quads = (Quad(t.subject, t.predicate, t.object, graph) for t in triples)
                serialize(quads, output, RdfFormat.N_QUADS)

    def worker_reader(self, *, http_timeout: float) -> WorkerReader:
        return RemoteReader(self._query_url, http_timeout)

    def close(self) -> None:
        self._session.close()

    # Helpers

    def _dataset_parameters(self, scope: Scope) -> list[tuple[str, str]]:
        """The protocol's dataset description for a scope: its graphs, as union and as named."""
        graphs = [g.value for g in self.graphs()] if scope.graphs is None else list(scope.graphs)
        if not graphs:
            return [("default-graph-uri", NO_GRAPH), ("named-graph-uri", NO_GRAPH)]
        return [("default-graph-uri", g) for g in graphs] + [("named-graph-uri", g) for g in graphs]

    def _graph_url(self, graph: Graph) -> str:
        if isinstance(graph, DefaultGraph):
            return f"{self._gsp_url}?default"
        return f"{self._gsp_url}?{urlencode({'graph': graph.value})}"

    def _add_to_graph(self, graph: Graph, triples: list[Triple]) -> None:
        body = serialize(triples, format=RdfFormat.N_TRIPLES)
        self._send("POST", self._graph_url(graph), data=body, headers={"Content-Type": N_TRIPLES})

    def _stamp(self, graphs: Collection[str] | None) -> None:
        request = stamp_request(graphs)
        if request is not None:
            self._send("POST", self._update_url, data={"update": request})

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


class RemoteReader(WorkerReader):
    """A query worker's way to the SPARQL 1.1 Protocol service; its JSON / N-Triples answer is
    parsed by pyoxigraph. Relative IRIs resolve through a ``BASE`` before the text
    (:func:`with_base`); the dataset goes as ``default-graph-uri`` / ``named-graph-uri``."""

    def __init__(self, query_url: str, timeout: float) -> None:
        self.query_url = query_url
        self.timeout = timeout
        self._store: RemoteStore | None = None  # opened in the worker, at its first job

    def __getstate__(self) -> dict[str, object]:
        return {"query_url": self.query_url, "timeout": self.timeout}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.query_url, self.timeout, self._store = state["query_url"], state["timeout"], None

    def query(
        self,
        sparql: str,
        dataset: Dataset,
        *,
        base_iri: str | None,
        functions: Mapping[str, Any],
        generation: int,
    ) -> QueryResult:
        if functions:
            raise StoreError("custom SPARQL functions need the embedded store")
        if self._store is None:
            self._store = RemoteStore(self.query_url, query_path="", timeout=self.timeout)
        return self._store.query_dataset(with_base(sparql, base_iri), self._dataset(dataset))

    def _dataset(self, dataset: Dataset) -> list[tuple[str, str]]:
        """SPARQL 1.1 Protocol §2.1.4: the dataset as default-graph-uri / named-graph-uri."""
        if dataset.from_query:
            return []
        every = None
        if dataset.default_graphs is None or dataset.named_graphs is None:
            assert self._store is not None
            every = tuple(graph.value for graph in self._store.graphs())
        default = dataset.default_graphs if dataset.default_graphs is not None else every
        named = dataset.named_graphs if dataset.named_graphs is not None else every
        return [("default-graph-uri", g) for g in default or (NO_GRAPH,)] + [
            ("named-graph-uri", g) for g in named or (NO_GRAPH,)
        ]


def with_base(sparql: str, base_iri: str | None) -> str:
    """The query with ``BASE <base_iri>`` before it, unless its prologue declares a BASE.

    Prepended, the BASE resolves relative IRIs as pyoxigraph's ``base_iri`` does: a BASE of the
    query's own that the scan misses still wins, coming later (§4.1.1.1, RFC 3986 §5.1).
    """
    if base_iri is None or _OWN_BASE.match(sparql):
        return sparql
    return f"BASE {NamedNode(base_iri)}\n{sparql}"


def without_dataset_clauses(sparql: str) -> str:
    """The query without its FROM and FROM NAMED clauses (strings, IRIs and comments kept)."""
    return _DATASET_CLAUSE.sub(lambda token: token["kept"] or " ", sparql)


def _query_form(sparql: str) -> str | None:
    """SELECT, CONSTRUCT, DESCRIBE or ASK: the keyword after the prologue; None if unclear."""
    found = _QUERY_FORM.match(sparql)
    return found[1].upper() if found else None


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


def _parse_query_answer(response: requests.Response, query_form: str | None) -> QueryResult:
    """SPARQL JSON results become QuerySolutions / QueryBoolean, N-Triples a TripleResults."""
    _expect_media_type(response, {SPARQL_JSON} | _N_TRIPLES_TYPES)
    try:
        if _media_type(response) == SPARQL_JSON:
            results = parse_query_results(response.content, QueryResultsFormat.JSON)
            if query_form == "ASK" and isinstance(results, QuerySolutions):
                return _ask_answer(results)
            return results
        quads = parse(response.content, RdfFormat.N_TRIPLES)
        return TripleResults([quad.triple for quad in quads])
    except SyntaxError as error:
        raise StoreError(f"unreadable answer from the SPARQL service: {error}") from error


def _ask_answer(solutions: QuerySolutions) -> QueryBoolean:
    """The boolean an ASK's table stands for: true when it has a row whose value is true."""
    if [variable.value for variable in solutions.variables] != [_ASK_AS_SOLUTIONS]:
        raise StoreError("the SPARQL service answered an ASK with a table, not a boolean")
    values = [row[_ASK_AS_SOLUTIONS] for row in solutions]
    true = any(isinstance(value, Literal) and value.value in ("1", "true") for value in values)
    # pyoxigraph makes a QueryBoolean only by parsing one
    answer = b'{"head": {}, "boolean": %s}' % (b"true" if true else b"false")
    return parse_query_results(answer, QueryResultsFormat.JSON)  # type: ignore[return-value]


def _read_n_quads(path: Path) -> Iterator[Quad]:
    try:
        yield from parse(path=path, format=RdfFormat.N_QUADS)
    except SyntaxError as error:
        raise StoreError(f"{path} is not valid N-Quads: {error}") from error
