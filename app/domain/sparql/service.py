"""The SPARQL endpoint's rules, shared by ``/sparql``, saved queries and ``atrium sparql``.

- Read-only by construction: queries run in worker processes that open the store read-only
  (:mod:`app.storage.query_workers`); SPARQL Update never reaches them (the query parser
  refuses it, and the message points to ``/sparql/update``).
- The dataset (SPARQL 1.1 Protocol §2.1.4, SPARQL 1.1 Query §13.2): the protocol's
  ``default-graph-uri`` / ``named-graph-uri`` win over the query's FROM / FROM NAMED, which win
  over the default. For a reader who may not see everything, the requested graphs are
  *intersected* with the graphs of their scope, never widened; the default dataset is the
  union of the visible graphs as default graph, and each visible graph as a named graph.
- Relative IRIs (``<s>``) resolve against the base IRI (``ATRIUM_BASE_IRI``), as in updates;
  a query's own BASE wins (SPARQL 1.1 Query §4.1.1.1). So do those of its FROM clauses, before
  they are intersected with the reader's scope.
- SERVICE (SPARQL 1.1 Federated Query) is refused: it would make the server fetch any URL,
  including the store's own endpoint, outside the reader's scope.
- Limits: every query has a time limit (``ATRIUM_QUERY_TIMEOUT``) and a row cap
  (``ATRIUM_ROW_LIMIT``); a caller may lower them, never raise them. Before any parser sees it,
  a query's size and nesting are bounded (:func:`app.domain.sparql.text.check_bounds`).
- Shares (hardening M1, M2): each :class:`Caller` (a signed-in user, or an anonymous address)
  may have a few queries running or waiting (``ATRIUM_QUERIES_PER_USER``,
  ``ATRIUM_QUERIES_PER_ADDRESS``), anonymous callers together as many as the workers
  (``ATRIUM_ANONYMOUS_QUERIES``), and everyone together the workers plus a short queue
  (``ATRIUM_QUERY_QUEUE``); beyond that a query is refused at once, saying when to try again.
  The time limit counts from the caller's arrival, so waiting for a worker is part of it, and
  so are the parse and the run of a saved query's page. A parse never evaluates anything.
- pyoxigraph never parses or evaluates a reader's SPARQL in this process: its parser can
  overflow its stack and kill the process it runs in. Queries run in worker processes, and
  :meth:`SparqlService.prepare` parses one there (for saved queries and their parameters). Only
  rdflib, pure Python (too deep a text is a RecursionError, not a crash), reads a query's FROM
  clauses here, within the bounds.
- SPARQL 1.1 Service Description (https://www.w3.org/TR/sparql11-service-description/) §3:
  :func:`service_description` describes the endpoint and the caller's default dataset.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from app.config import Config
from app.domain.sparql.text import (
    QueryRefused,
    bind_values,
    check_bounds,
    dataset_clauses,
    looks_like_update,
    parameter_probe,
    uses_keyword,
    variables,
)
from app.messages import M_
from app.namespaces import DAM, RDF, XSD, Namespace
from app.storage.formats import GRAPH_FORMATS
from app.storage.formats import RESULT_FORMATS as RESULT_TABLE
from app.storage.graphstore import GraphStore, Scope, Term
from app.storage.query_jobs import Admission, Dataset, ParseJob, QueryJob
from app.storage.query_workers import QueryStream, QueryWorkers

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
RESULT_FORMATS = {f.media_type: FORMATS[f.w3c] for f in (*RESULT_TABLE, *GRAPH_FORMATS)}
# What one parse job may carry: each candidate parameter is probed with a copy of the text.
MAX_PROBE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Caller:
    """Who sends a query, for their share of the workers, and when their request arrived."""

    kind: str  # "user", "address" (anonymous) or "service" (Atrium itself, the CLI)
    name: str = ""
    arrived: float = field(default_factory=time.monotonic)

    @classmethod
    def user(cls, name: str) -> Caller:
        return cls("user", name)

    @classmethod
    def address(cls, address: str) -> Caller:
        return cls("address", address)

    @classmethod
    def service(cls) -> Caller:
        return cls("service")

    @property
    def key(self) -> str:
        return "" if self.kind == "service" else f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class QueryRequest:
    """One query as a client asked for it."""

    sparql: str
    solutions_type: str | None = "application/sparql-results+json"
    graph_type: str | None = "text/turtle"
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    bindings: Mapping[str, Term] = field(default_factory=dict)
    row_limit: int | None = None
    timeout: float | None = None


class SparqlService:
    """Runs readers' queries in killable workers, over the dataset each reader may see."""

    def __init__(
        self,
        store: GraphStore,
        config: Config,
        *,
        custom_functions: Mapping[str, Callable[..., Term | None]] | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.workers = QueryWorkers(
            store.worker_reader(http_timeout=config.query_timeout),
            size=config.query_workers or None,
            queue=config.query_queue,
            anonymous=config.anonymous_queries or None,
            custom_functions=custom_functions,
            base_iri=config.base_iri,
        )

    def run(self, request: QueryRequest, scope: Scope, caller: Caller | None = None) -> QueryStream:
        """Start the query; raises QuerySyntaxError (or QueryRefused) before anything runs, and
        TooManyQueries / WorkersBusy (with ``retry_after``) when the caller's share is used."""
        check_query(request.sparql)
        sparql = bind_values(request.sparql, request.bindings)
        if request.bindings:
            check_query(sparql)  # the values are single terms; this only makes sure of it
        place = self.workers.admit(self._admission(caller, self.timeout(request.timeout)))
        try:
            job = QueryJob(
                sparql=sparql,
                dataset=resolve_dataset(request, scope, self.config.base_iri),
                solutions_type=request.solutions_type,
                graph_type=request.graph_type,
                row_limit=self.row_limit(request.row_limit),
                generation=self._generation(),
            )
        except BaseException:
            place.release()
            raise
        return self.workers.run(job, place)

    def prepare(self, sparql: str, caller: Caller | None = None) -> list[str]:
        """Check and parse the query in a worker, never evaluating it; the variables it can be
        given a value for.

        Those are the variables the query uses whose binding still leaves a valid query (not
        those it returns); while the probes fit in :data:`MAX_PROBE_BYTES`. Raises
        QuerySyntaxError (or QueryRefused) for a query that :meth:`run` would refuse, also when
        parsing it killed the worker; StoreError when no worker answered within the time limit
        (TooManyQueries / WorkersBusy when the caller's share is used).
        """
        check_query(sparql)
        candidates = sorted(variables(sparql, inside_iris=True))
        room = max(1, MAX_PROBE_BYTES // max(1, len(sparql)))
        probes = tuple((name, parameter_probe(sparql, name)) for name in candidates[:room])
        place = self.workers.admit(self._admission(caller, self.timeout()))
        return list(self.workers.parse(ParseJob(sparql=sparql, probes=probes), place))

    def row_limit(self, asked: int | None = None) -> int:
        limit = self.config.row_limit
        return limit if asked is None else max(0, min(asked, limit))

    def timeout(self, asked: float | None = None) -> float:
        limit = self.config.query_timeout
        return limit if asked is None else max(0.0, min(asked, limit))

    def close(self) -> None:
        self.workers.close()

    def _admission(self, caller: Caller | None, timeout: float) -> Admission:
        caller = caller or Caller.service()
        limits = {"user": self.config.queries_per_user, "address": self.config.queries_per_address}
        return Admission(
            deadline=caller.arrived + timeout,
            timeout=timeout,
            caller=caller.key,
            caller_limit=limits.get(caller.kind),
            anonymous=caller.kind == "address",
        )

    def _generation(self) -> int:
        return self.store.publish_for_readers()


def check_query(sparql: str) -> None:
    """Refuse, before running it, what the endpoint never runs (QueryRefused says why)."""
    check_bounds(sparql)
    if looks_like_update(sparql):
        raise QueryRefused(
            M_(
                "this is a SPARQL Update; the query endpoint is read-only. Administrators send "
                "updates to /sparql/update"
            )
        )
    if uses_keyword(sparql, "SERVICE"):
        raise QueryRefused(
            M_(
                "SERVICE (federated query) is not allowed here: Atrium does not fetch other "
                "endpoints on a reader's behalf"
            )
        )


def resolve_dataset(request: QueryRequest, scope: Scope, base_iri: str | None = None) -> Dataset:
    """The dataset of a query: what the client asked for, within what the reader may see; the
    IRIs of its FROM clauses resolved against ``base_iri``, as the store resolves them."""
    asked = _asked_dataset(request)
    if scope.graphs is None:  # administrators: the dataset as asked
        if asked is None:
            return Dataset(from_query=uses_keyword(request.sparql, "FROM"))
        return Dataset(default_graphs=asked[0], named_graphs=asked[1])
    visible = scope.graphs
    if asked is None:
        asked = _query_dataset(request.sparql, base_iri)
    if asked is None:
        return Dataset(default_graphs=visible, named_graphs=visible)
    default, named = asked
    return Dataset(
        default_graphs=tuple(g for g in default if g in visible),
        named_graphs=tuple(g for g in named if g in visible),
    )


def _asked_dataset(request: QueryRequest) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The protocol's dataset (default-graph-uri, named-graph-uri), if the request has one."""
    if not request.default_graphs and not request.named_graphs:
        return None
    return request.default_graphs, request.named_graphs


def _query_dataset(
    sparql: str, base_iri: str | None
) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    clauses = dataset_clauses(sparql, base_iri)
    return None if clauses is None else (tuple(clauses[0]), tuple(clauses[1]))


def service_description(
    endpoint: str, scope: Scope, store: GraphStore, *, row_limit: int, timeout: float
) -> list[Triple]:
    """The SPARQL 1.1 Service Description of the endpoint, as the caller sees it (§3)."""
    service, dataset, default_graph = NamedNode(endpoint), BlankNode(), BlankNode()
    triples = [
        Triple(service, RDF.type, SD.Service),
        Triple(service, SD.endpoint, service),
        Triple(service, SD.supportedLanguage, SD.SPARQL11Query),
        Triple(service, SD.feature, SD.UnionDefaultGraph),
        Triple(service, SD.defaultDataset, dataset),
        Triple(dataset, RDF.type, SD.Dataset),
        Triple(dataset, SD.defaultGraph, default_graph),
        Triple(default_graph, RDF.type, SD.Graph),
        Triple(service, DAM.rowLimit, Literal(str(row_limit), datatype=XSD.integer)),
        Triple(service, DAM.queryTimeout, Literal(f"PT{timeout:g}S", datatype=XSD.duration)),
    ]
    triples += [Triple(service, SD.resultFormat, iri) for iri in RESULT_FORMATS.values()]
    graphs = scope.graphs if scope.graphs is not None else [g.value for g in store.graphs()]
    for graph in sorted(graphs):
        named = BlankNode()
        triples += [
            Triple(dataset, SD.namedGraph, named),
            Triple(named, RDF.type, SD.NamedGraph),
            Triple(named, SD.name, NamedNode(graph)),
        ]
    return triples
