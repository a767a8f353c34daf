"""What the web process and a query worker exchange: jobs, answers' heads, failures.

Two kinds of job: a :class:`QueryJob` runs a query over the store; a :class:`ParseJob` only
parses one (over an empty store, in the worker: a parser that crashes takes only the worker).

See :mod:`app.storage.query_workers` (the pool, in the web or CLI process) and
:mod:`app.storage.query_worker` (a worker process).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from app.storage.graphstore import StoreError, Term

FIRST_BATCH = 1000  # rows gathered before the first chunk goes out
BATCH = 1000  # rows per later chunk
CHUNK_BYTES = 64 * 1024  # graph serialisations are sent in chunks of about this size

CustomFunctions = Mapping[str, Callable[..., Term | None]]


class QueryTimeout(StoreError):
    """The query ran past its time limit and was stopped."""


class WorkersBusy(StoreError):
    """Every query worker stayed busy until the request's time limit."""


class RowLimitReached(StoreError):
    """A streamed result went past the row cap after its first rows were sent."""


class WorkerStopped(StoreError):
    """The worker process died during a job (killed, or crashed by what it was given)."""


class NotAcceptable(StoreError):
    """The client accepts no format this kind of result comes in."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass(frozen=True)
class StoreLocation:
    """What a worker opens: an embedded store's folder, or a remote SPARQL service."""

    path: str | None = None
    url: str | None = None
    query_path: str = "/query"
    http_timeout: float = 30.0


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
class QueryJob:
    sparql: str
    dataset: Dataset
    solutions_type: str | None  # media type for SELECT / ASK results, None: not acceptable
    graph_type: str | None  # media type for CONSTRUCT / DESCRIBE results
    row_limit: int
    bindings: tuple[tuple[str, Term], ...] = ()
    generation: int = 0


@dataclass(frozen=True)
class ParseJob:
    """Parse ``sparql``; the answer is ``("parsed", names)``: the ``candidates`` (variable names)
    whose binding still leaves a valid query, or a syntax error. Nothing is read."""

    sparql: str
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResultHead:
    kind: str  # "solutions", "boolean" or "graph"
    media_type: str
    truncated: bool  # the result was cut at the row cap (known before the first byte)
    streaming: bool  # more rows follow the first chunk: a cut can still happen
