"""What the web process and a query worker exchange: jobs, answers' heads, failures.

Two kinds of job: a :class:`QueryJob` runs a query over the store; a :class:`ParseJob` only
parses one (over an empty store, in the worker: a parser that crashes takes only the worker).

See :mod:`app.storage.query_workers` (the pool, in the web or CLI process) and
:mod:`app.storage.query_worker` (a worker process).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from app.storage.graphstore import Dataset, StoreError, Term

FIRST_BATCH = 1000  # rows gathered before the first chunk goes out
BATCH = 1000  # rows per later chunk
CHUNK_BYTES = 64 * 1024  # graph serialisations are sent in chunks of about this size

CustomFunctions = Mapping[str, Callable[..., Term | None]]


class QueryTimeout(StoreError):
    """The query ran past its time limit and was stopped."""


class WorkersBusy(StoreError):
    """No worker could take the job: they stayed busy until its time limit, or the queue is
    full. ``retry_after``: seconds after which a place is likely to be free."""

    def __init__(self, message: object, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooManyQueries(WorkersBusy):
    """The caller already has as many jobs running or waiting as their limit allows."""


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
    """Parse ``sparql``, never evaluating it; the answer is ``("parsed", names)``: the names of
    the ``probes`` (name, the query with that variable given a value) that parse too, or a
    syntax error. Nothing is read."""

    sparql: str
    probes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Admission:
    """Whose job it is and by when it must be done, waiting for a worker included.

    ``caller`` names who asks (``"user:anna"``, ``"address:192.0.2.7"``; ``""`` for the
    service itself), ``caller_limit`` how many jobs they may have running or waiting at once
    (None: no limit of their own), ``anonymous`` whether the jobs count in the share of all
    anonymous callers. ``deadline`` is a :func:`time.monotonic` time; ``timeout`` the limit it
    was worked out from, for messages.
    """

    deadline: float
    timeout: float
    caller: str = ""
    caller_limit: int | None = None
    anonymous: bool = False


@dataclass(frozen=True)
class ResultHead:
    kind: str  # "solutions", "boolean" or "graph"
    media_type: str
    truncated: bool  # the result was cut at the row cap (known before the first byte)
    streaming: bool  # more rows follow the first chunk: a cut can still happen
