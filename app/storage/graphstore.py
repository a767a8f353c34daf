"""The one seam between Atrium and its triple store.

Two implementations share this interface: :class:`~app.storage.embedded.EmbeddedStore`
(pyoxigraph on disk, the default) and :class:`~app.storage.remote.RemoteStore` (any SPARQL 1.1
Query / Update / Graph Store Protocol service). Both hand back pyoxigraph terms and result
objects, so callers never care which one they talk to.

Every read takes the reader's :class:`Scope`: the named graphs that reader may see. There is
no default, so no caller can forget access control. User values enter queries as bound values
(``bindings``), never by string formatting.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QuerySolutions,
    QueryTriples,
    Triple,
)

Term = NamedNode | BlankNode | Literal
# CONSTRUCT / DESCRIBE give QueryTriples (embedded) or another iterator of triples (remote).
QueryResult = QuerySolutions | QueryBoolean | QueryTriples | Iterator[Triple]


class StoreError(Exception):
    """The store refused or failed a request; the message says why."""


class QuerySyntaxError(StoreError):
    """A query or update could not be parsed."""


@dataclass(frozen=True)
class Dataset:
    """The RDF dataset of one query (SPARQL 1.1 Query §13.1).

    ``default_graphs`` None: the union of every graph; ``named_graphs`` None: every named graph.
    ``from_query``: the query's own FROM / FROM NAMED clauses decide (administrators only).
    """

    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    from_query: bool = False


@dataclass(frozen=True)
class Scope:
    """The named graphs a reader may see. ``graphs=None`` means every graph (administrators)."""

    graphs: tuple[str, ...] | None

    @classmethod
    def everything(cls) -> Scope:
        return cls(None)

    @classmethod
    def of(cls, graphs: Iterable[str]) -> Scope:
        return cls(tuple(sorted(set(graphs))))

    def within(self, graphs: Iterable[str]) -> Scope:
        """The part of this scope in ``graphs``: a query that needs only those runs over fewer
        graphs (faster), and still never over one the reader may not see."""
        wanted = set(graphs)
        return Scope.of(wanted if self.graphs is None else wanted.intersection(self.graphs))


class WorkerReader(ABC):
    """How a query worker process reads a store: made in the serving process by
    :meth:`GraphStore.worker_reader`, sent (pickled) to each worker, and asked there job by job.
    It holds only what reopens the store in another process (a folder, a URL), never a handle."""

    @abstractmethod
    def query(
        self,
        sparql: str,
        dataset: Dataset,
        *,
        base_iri: str | None,
        functions: Mapping[str, Callable[..., Term | None]],
        generation: int,
    ) -> QueryResult:
        """Run ``sparql`` (bound values already in its text) over ``dataset``; relative IRIs
        resolve against ``base_iri``; ``functions`` are custom SPARQL functions by IRI.
        ``generation`` is the writer's write counter when the job was made
        (:meth:`GraphStore.publish_for_readers`): a reader that keeps a snapshot of the store
        opens it again when the counter moved."""

    def quads_about(self, subjects: Sequence[NamedNode]) -> list[Quad]:
        """Every quad whose subject is one of ``subjects``, as the writer last published them;
        a reader that cannot list quads raises :class:`StoreError`."""
        raise StoreError(f"{type(self).__name__} cannot list quads")


class GraphStore(ABC):
    """A quad store that Atrium reads with SPARQL and writes with SPARQL Update."""

    #: Whether other processes may write it too (a SPARQL service), so that what this process
    #: derives from it (the search index) must follow their writes.
    shared: bool = False

    @abstractmethod
    def query(
        self, sparql: str, *, scope: Scope, bindings: Mapping[str, Term] | None = None
    ) -> QueryResult:
        """Run a SPARQL query over the union of the graphs in ``scope``."""

    @abstractmethod
    def update(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Term] | None = None,
        graphs: Collection[str] | None = None,
    ) -> None:
        """Run a SPARQL update as one transaction: all of it lands, or none. ``graphs``: the
        names of every graph it may change, where the caller knows them exactly (then caches
        of the other graphs outlive it, :meth:`write_count`); None: any graph."""

    @abstractmethod
    def insert(self, quads: Iterable[Quad]) -> None:
        """Add quads in one transaction."""

    def bulk_insert(self, quads: Iterable[Quad]) -> None:
        """Add many quads as fast as the store can, without a transaction: a process killed
        part-way leaves some of them written. For writes that are safe to repeat."""
        self.insert(quads)

    @abstractmethod
    def replace_graph(self, graph: NamedNode, triples: Iterable[Triple]) -> None:
        """Replace the whole content of one named graph, atomically."""

    @abstractmethod
    def load_dump(self, path: Path) -> None:
        """Bulk-load an N-Quads file (restore, demo data); fast, for an empty or quiet store."""

    @abstractmethod
    def dump(self, output: BinaryIO) -> None:
        """Write every quad of every named graph as N-Quads."""

    @abstractmethod
    def graphs(self) -> list[NamedNode]:
        """The named graphs that hold anything."""

    @abstractmethod
    def clear(self) -> None:
        """Remove everything."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files or connections."""

    def worker_reader(self, *, http_timeout: float) -> WorkerReader:
        """What a query worker process needs to read this store (``http_timeout``: how long a
        request to a remote service may take). A store that cannot be read from another
        process raises :class:`StoreError`."""
        raise StoreError(f"query workers cannot read from {self!r}")

    def write_count(self, reading: str = "") -> int | None:
        """A number that moves with every write (of any process), for caches of what was read:
        a cache read at one count holds while the count stays. With ``reading``, a count that
        moves only with the writes that may have changed a graph whose name starts with it.
        None for a store that cannot tell (what is read from it cannot be kept)."""
        return None

    def publish_for_readers(self) -> int:
        """Make the writes so far visible to :meth:`worker_reader` readers; the write counter
        to give their jobs (0: readers always see the latest writes)."""
        return 0

    def change_quads(self, removed: Iterable[Quad] = (), added: Iterable[Quad] = ()) -> None:
        """One update: ``removed`` out, then ``added`` in, naming the graphs it writes (so
        that what is kept of the others outlives it)."""
        removed, added = list(removed), list(added)
        request = update_request(data_block("DELETE", removed), data_block("INSERT", added))
        if request:
            self.update(request, graphs=graph_names(removed) | graph_names(added))

    # Conveniences built on query(); both implementations share them.

    def select(
        self, sparql: str, *, scope: Scope, bindings: Mapping[str, Term] | None = None
    ) -> list[dict[str, Term]]:
        """Rows of a SELECT query, each a dict from variable name to term (unbound left out)."""
        result = self.query(sparql, scope=scope, bindings=bindings)
        if not isinstance(result, QuerySolutions):
            raise StoreError("select() needs a SELECT query")
        return list(solution_rows(result))

    def ask(self, sparql: str, *, scope: Scope, bindings: Mapping[str, Term] | None = None) -> bool:
        result = self.query(sparql, scope=scope, bindings=bindings)
        if not isinstance(result, QueryBoolean):
            raise StoreError("ask() needs an ASK query")
        return bool(result)

    def construct(
        self, sparql: str, *, scope: Scope, bindings: Mapping[str, Term] | None = None
    ) -> list[Triple]:
        result = self.query(sparql, scope=scope, bindings=bindings)
        if isinstance(result, QuerySolutions | QueryBoolean):
            raise StoreError("construct() needs a CONSTRUCT or DESCRIBE query")
        return list(result)

    def select_values(
        self, sparql: str, terms: Iterable[Term], *, scope: Scope
    ) -> list[dict[str, Term]]:
        """Rows of a SELECT query whose text holds ``{values}`` where a list of terms goes
        (``VALUES ?x { {values} }``), for all of ``terms``: one query per
        :data:`VALUES_CHUNK` of them, because pyoxigraph plans a long VALUES block in a time
        that grows with its square (1,000 IRIs: 0.04 s; 2,000: 1.8 s)."""
        chosen = list(dict.fromkeys(terms))
        found: list[dict[str, Term]] = []
        for start in range(0, len(chosen), VALUES_CHUNK):
            values = " ".join(str(term) for term in chosen[start : start + VALUES_CHUNK])
            found += self.select(sparql.replace("{values}", values), scope=scope)
        return found

    def quads_about(self, subjects: Iterable[NamedNode]) -> list[Quad]:
        """Every quad, in any named graph, whose subject is one of ``subjects``."""
        query = "SELECT ?s ?p ?o ?g WHERE { VALUES ?s { {values} } GRAPH ?g { ?s ?p ?o } }"
        rows = self.select_values(query, subjects, scope=Scope.everything())
        return [Quad(row["s"], row["p"], row["o"], row["g"]) for row in rows]

    def triple_count(self) -> int:
        rows = self.select(
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", scope=Scope.everything()
        )
        return int(rows[0]["n"].value)


VALUES_CHUNK = 500  # terms per query of select_values (a request of tens of KiB)

# A SPARQL token that may hold a "?name": strings, IRIs and comments are matched first so that
# a "?x" inside them is left alone.
_TOKENS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\x00-\x20]*>"
    r"|#[^\n]*"
    r"|[?$](?P<name>[A-Za-z_][A-Za-z0-9_]*)"
)


def solution_rows(solutions: QuerySolutions) -> Iterator[dict[str, Term]]:
    """Each solution as a dict from variable name to term, unbound variables left out. Read in
    order, not by name: ``row[name]`` costs a lookup of the name and a new Python term each
    time (a fifth of a 48-card query's time)."""
    names = [variable.value for variable in solutions.variables]
    for row in solutions:
        yield {name: value for name, value in zip(names, row, strict=True) if value is not None}


def substitute(sparql: str, bindings: Mapping[str, Term] | None) -> str:
    """Replace each bound ``?name`` by its term in strictly escaped N-Triples syntax.

    For the paths where the store takes no bound values (SPARQL Update, and queries sent over
    HTTP). A bound variable must not be projected by SELECT: it stops being a variable.
    """
    if not bindings:
        return sparql
    for name, term in bindings.items():
        if isinstance(term, BlankNode):
            raise StoreError(f"cannot bind ?{name} to a blank node")

    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        if name is not None and name in bindings:
            return str(bindings[name])
        return match.group(0)

    return _TOKENS.sub(replace, sparql)


def graph_names(quads: Iterable[Quad]) -> set[str]:
    """The names of the graphs the quads are in; "" for the default graph."""
    return {q.graph_name.value if isinstance(q.graph_name, NamedNode) else "" for q in quads}


def data_block(keyword: str, quads: Iterable[Quad]) -> str:
    """``INSERT DATA`` or ``DELETE DATA`` for the quads, grouped by graph ('' when none).

    ``str()`` of a pyoxigraph term is its N-Triples form, whose escaping is valid SPARQL, so
    no value can break out of the block.
    """
    statements: dict[str, list[str]] = {}
    for quad in dict.fromkeys(quads):
        graph = "" if isinstance(quad.graph_name, DefaultGraph) else str(quad.graph_name)
        statements.setdefault(graph, []).append(f"{quad.subject} {quad.predicate} {quad.object} .")
    blocks = [
        "\n".join(lines) if not graph else f"GRAPH {graph} {{\n" + "\n".join(lines) + "\n}"
        for graph, lines in statements.items()
    ]
    return f"{keyword} DATA {{\n" + "\n".join(blocks) + "\n}" if blocks else ""


def update_request(*operations: str) -> str:
    """Several SPARQL Update operations as one request (one transaction); empty ones dropped."""
    return " ;\n".join(op for op in operations if op)
