"""A query worker process: runs one job at a time and sends its answer back in messages.

Started by :class:`app.storage.query_workers.QueryWorkers` (forked from a forkserver that has
already imported this module), killed by it at a query's time limit.

A worker reads through the :class:`~app.storage.graphstore.WorkerReader` the store gave
(:meth:`GraphStore.worker_reader`): it knows nothing of which store that is. Relative IRIs
resolve against the pool's base IRI.

Messages, in order: ``("ready",)`` once started; then per query job ``("head", ResultHead)``,
``("data", bytes)`` chunks, and ``("end",)``, or ``("cut",)`` when the result went past the row
cap after its first rows were sent; ``("error", kind, message)`` at any point. The first chunk
waits for up to :data:`FIRST_BATCH` rows, so a small result's truncation is known before the
caller sends its headers; a larger one streams while the query is still enumerating. A parse
job gets one message: ``("parsed", names)`` or ``("error", "syntax", message)``.

A worker runs at the lowest CPU priority (Linux's SCHED_IDLE, else :data:`NICENESS`): on a
small machine, queries that keep every core busy still leave the pages all they need; under
other load a query may get little CPU, and its time limit ends it as always. A worker also ends
itself when the web server is gone (:func:`_end_with`).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from pyoxigraph import (
    Literal,
    NamedNode,
    QueryBoolean,
    QuerySolutions,
    Store,
    Triple,
    Variable,
    serialize,
)

from app.namespaces import PREFIXES
from app.storage.formats import GRAPH_TYPES, SOLUTION_TYPES
from app.storage.graphstore import QueryResult, QuerySyntaxError, WorkerReader, substitute
from app.storage.query_jobs import (
    BATCH,
    CHUNK_BYTES,
    FIRST_BATCH,
    CustomFunctions,
    NotAcceptable,
    ParseJob,
    QueryJob,
    ResultHead,
)
from app.storage.results import solution_writer

OWNER_CHECK_SECONDS = 1.0  # how soon a worker notices that its web server is gone
NICENESS = 19  # the lowest priority: under contention the web server's threads come first
_PARSE_ONLY = "atrium_parse_only"  # a variable no query projects (see parses())


def serve(
    connection: Connection,
    reader: WorkerReader,
    functions: dict[str, Callable[..., Any]],
    owner: int | None = None,
    base_iri: str | None = None,
) -> None:
    """A worker's life: answer jobs until the pool closes the pipe (or kills it), or until the
    ``owner`` process (the pool's) is gone."""
    _lower_priority()
    if owner is not None:
        threading.Thread(target=_end_with, args=(owner,), daemon=True).start()
    connection.send(("ready",))
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        answer(job, reader, functions, connection.send, base_iri)


def _lower_priority() -> None:
    """Run only on CPU time the web server leaves: Linux's SCHED_IDLE where there is one (a
    waking page thread then always preempts the worker at once), else the highest nice."""
    with contextlib.suppress(AttributeError, OSError):  # not allowed here: as it is
        os.nice(NICENESS)
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def _end_with(owner: int) -> None:
    """End this worker once ``owner`` has ended. A worker is the forkserver's child, not the
    web server's: were the server killed (SIGKILL, a crash), nobody would stop a query that
    never ends, and pyoxigraph holds no lock this thread needs to see it."""
    while True:
        time.sleep(OWNER_CHECK_SECONDS)
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # the pid went to another user's process: ours is gone
            os._exit(1)


Send = Callable[[tuple[Any, ...]], None]


def answer(
    job: QueryJob | ParseJob,
    reader: WorkerReader,
    functions: CustomFunctions,
    send: Send,
    base_iri: str | None = None,
) -> None:
    """Run one job and send its answer (also usable in-process, for tests of the protocol)."""
    try:
        if isinstance(job, ParseJob):
            send(("parsed", bindable(job, functions, base_iri)))
            return
        result = reader.query(
            substitute(job.sparql, dict(job.bindings)),
            job.dataset,
            base_iri=base_iri,
            functions=functions,
            generation=job.generation,
        )
        _send_result(result, job, send)
    except (SyntaxError, QuerySyntaxError) as error:
        send(("error", "syntax", str(error)))
    except NotAcceptable as error:
        send(("error", "not-acceptable", error.kind))
    except Exception as error:  # noqa: BLE001 - any failure becomes a message to the caller
        send(("error", "store", f"the query failed: {error}"))


def bindable(
    job: ParseJob, functions: CustomFunctions, base_iri: str | None = None
) -> tuple[str, ...]:
    """Parse the query; the names of the probes that parse too. Nothing is evaluated."""
    store = Store()
    problem = parse_problem(store, job.sparql, functions, base_iri)
    if problem is not None:
        raise QuerySyntaxError(problem)
    return tuple(
        name for name, text in job.probes if parse_problem(store, text, functions, base_iri) is None
    )


def parse_problem(
    store: Store, sparql: str, functions: CustomFunctions, base_iri: str | None = None
) -> str | None:
    """Why ``sparql`` is not a query pyoxigraph could run, or None; it is parsed, never run.

    pyoxigraph has no parse-only call, and ``query()`` evaluates an ASK at once (over an empty
    store still: ``VALUES`` make rows), without a time limit of its own. But it checks its
    ``substitutions`` after parsing and before evaluating, and refuses one for a variable the
    query does not project: a substitution for a variable no query projects gives "parsed"
    (that refusal) or the parser's error. An unknown function is refused before that.
    """
    variable = _PARSE_ONLY
    while variable in sparql:
        variable += "_"
    try:
        result = store.query(
            sparql,
            base_iri=base_iri,
            substitutions={Variable(variable): Literal("")},
            custom_functions=_functions(functions),
        )
    except SyntaxError as error:
        return str(error)
    except RuntimeError as error:
        return None if f"?{variable}" in str(error) else str(error)
    except Exception as error:  # noqa: BLE001 - any other refusal is the text's too
        return str(error)
    del result  # accepted (a later pyoxigraph may substitute any variable): it parsed
    return None


def _functions(functions: CustomFunctions) -> dict[NamedNode, Callable[..., Any]]:
    return {NamedNode(iri): function for iri, function in functions.items()}


def _send_result(result: QueryResult, job: QueryJob, send: Send) -> None:
    if isinstance(result, QueryBoolean):
        media_type = _acceptable(job.solutions_type, "boolean")
        body = result.serialize(format=SOLUTION_TYPES[media_type])
        send(("head", ResultHead("boolean", media_type, truncated=False, streaming=False)))
        send(("data", body))
        send(("end",))
    elif isinstance(result, QuerySolutions):
        _send_solutions(result, _acceptable(job.solutions_type, "solutions"), job, send)
    else:
        _send_graph(result, _acceptable(job.graph_type, "graph"), job, send)


def _acceptable(media_type: str | None, kind: str) -> str:
    if media_type is None:
        raise NotAcceptable(kind)
    return media_type


def _send_solutions(result: QuerySolutions, media_type: str, job: QueryJob, send: Send) -> None:
    names = [variable.value for variable in result.variables]
    rows = ([solution[name] for name in names] for solution in result)
    first, head = _first_batch(rows, "solutions", media_type, job.row_limit)
    writer = solution_writer(media_type)
    links = [_truncation_link(job.row_limit)] if head.truncated else []
    send(("head", head))
    send(("data", writer.head(names, links) + writer.rows(first)))
    if head.streaming and not _stream_rest(rows, len(first), job.row_limit, writer.rows, send):
        return
    send(("data", writer.tail()))
    send(("end",))


def _send_graph(triples: Iterable[Triple], media_type: str, job: QueryJob, send: Send) -> None:
    triples = iter(triples)
    first, head = _first_batch(triples, "graph", media_type, job.row_limit)
    send(("head", head))
    sink = _ChunkSink(send)
    rest = _capped(triples, job.row_limit - len(first), sink) if head.streaming else ()
    serialize(itertools.chain(first, rest), sink, GRAPH_TYPES[media_type], prefixes=dict(PREFIXES))
    sink.flush()
    send(("cut",) if sink.cut else ("end",))


def _first_batch(
    items: Iterator[Any], kind: str, media_type: str, row_limit: int
) -> tuple[list[Any], ResultHead]:
    """The first rows, and whether the result is complete, cut at the cap, or streaming."""
    window = min(FIRST_BATCH, row_limit)
    first = list(itertools.islice(items, window + 1))
    if len(first) <= window:
        return first, ResultHead(kind, media_type, truncated=False, streaming=False)
    if row_limit <= FIRST_BATCH:
        return first[:row_limit], ResultHead(kind, media_type, truncated=True, streaming=False)
    return first, ResultHead(kind, media_type, truncated=False, streaming=True)


def _stream_rest(
    rows: Iterator[Any], sent: int, row_limit: int, write: Callable[[list[Any]], bytes], send: Send
) -> bool:
    """Send the remaining rows in batches; False (after sending ``cut``) past the row cap."""
    while batch := list(itertools.islice(rows, BATCH)):
        room = row_limit - sent
        if len(batch) > room:
            send(("data", write(batch[:room])))
            send(("cut",))
            return False
        sent += len(batch)
        send(("data", write(batch)))
    return True


def _capped(triples: Iterator[Triple], room: int, sink: _ChunkSink) -> Iterator[Triple]:
    for triple in triples:
        if room == 0:
            sink.cut = True
            return
        room -= 1
        yield triple


def _truncation_link(row_limit: int) -> str:
    return f"urn:atrium:truncated:row-limit:{row_limit}"


class _ChunkSink:
    """A binary file for pyoxigraph's serializer that sends what it writes in chunks."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._buffer = bytearray()
        self.cut = False

    def write(self, data: bytes) -> int:
        self._buffer += data
        if len(self._buffer) >= CHUNK_BYTES:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self._buffer:
            self._send(("data", bytes(self._buffer)))
            self._buffer.clear()
