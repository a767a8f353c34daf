"""Run read-only SPARQL queries in worker processes that can be stopped at their time limit.

pyoxigraph's Python API cannot cancel a query and releases the GIL while it runs, so a thread
that gives up waiting would leave the query running. Each query therefore runs in a worker
process (:mod:`app.storage.query_worker`); when the deadline passes, the worker is killed and
the caller gets :class:`QueryTimeout`. Killing a worker costs little: workers are forked from a
``forkserver`` that has already imported the worker module and pyoxigraph.

A :class:`ParseJob` (:meth:`QueryWorkers.parse`) only parses a query, in a worker too: the
parser can overflow its stack on a deeply nested text, which kills the worker, never its caller.

Every job first takes a place (:meth:`QueryWorkers.admit`, :mod:`app.storage.query_admission`):
each caller's share and a short queue, refused at once when full. Its deadline counts from its
arrival: waiting for a worker, in the order of arrival, is part of its time limit (starting one,
milliseconds from the warm forkserver but a second or so the first time, is not).

On a remote store the HTTP timeout is the query's time limit too; killing the worker drops the
connection, but the service may go on computing until its own limit (Oxigraph server has none;
Fuseki: ``arq:queryTimeout``).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from app.messages import M_
from app.storage.graphstore import QuerySyntaxError, StoreError, WorkerReader
from app.storage.query_admission import Admissions, Place
from app.storage.query_jobs import (
    Admission,
    CustomFunctions,
    NotAcceptable,
    ParseJob,
    QueryJob,
    QueryTimeout,
    ResultHead,
    RowLimitReached,
    WorkersBusy,
    WorkerStopped,
)

_KILL_WAIT_SECONDS = 5.0
STARTUP_SECONDS = 60.0  # a worker is a fork of a warm forkserver: milliseconds, normally
WORKER_MODULE = "app.storage.query_worker"


@dataclass(frozen=True)
class PoolStatus:
    """What a pool is doing now, and what it has done since it was made: plain numbers for an
    operator's health check and metrics (reading them starts no worker)."""

    size: int  # the most workers it runs at once
    busy: int  # workers running a job (or starting for one)
    idle: int  # workers waiting for a job
    stopped_idle: int  # idle workers whose process has ended (killed from outside, say)
    waiting: int  # admitted jobs waiting for a worker
    closed: bool
    counts: dict[str, int] = field(default_factory=dict)  # see QueryWorkers.counts
    refused: dict[str, int] = field(default_factory=dict)  # see Admissions.refusals


class QueryWorkers:
    """Up to ``size`` worker processes, started on demand and reused between queries; at most
    ``queue`` more jobs wait for one, and anonymous callers together hold at most ``anonymous``
    places (default: ``size``, so the queue's places stay for the others). Relative IRIs in the
    jobs' queries resolve against ``base_iri`` (None: a relative IRI is a syntax error)."""

    def __init__(
        self,
        reader: WorkerReader,
        *,
        size: int | None = None,
        queue: int = 2,
        anonymous: int | None = None,
        custom_functions: CustomFunctions | None = None,
        base_iri: str | None = None,
    ) -> None:
        self.reader = reader  # how a worker reads the store (GraphStore.worker_reader)
        self.base_iri = base_iri
        self.size = size or max(2, os.cpu_count() or 1)
        self.admissions = Admissions(
            total=self.size + max(0, queue), anonymous=anonymous or self.size
        )
        self._functions = dict(custom_functions or {})
        self._idle: list[_Worker] = []
        self._busy = 0
        self._line: deque[Place] = deque()  # admitted jobs waiting for a worker, first first
        self._ready = threading.Condition()
        self._closed = False
        # Since the pool was made: "jobs" given to a worker, "workers_started", "timeouts" (jobs
        # stopped at their time limit) and "waited_out" (whose limit passed waiting for one).
        self.counts: Counter[str] = Counter()

    def status(self) -> PoolStatus:
        """The pool now, and its counts (cheap: it starts and stops nothing)."""
        with self._ready:
            return PoolStatus(
                size=self.size,
                busy=self._busy,
                idle=len(self._idle),
                stopped_idle=sum(1 for worker in self._idle if not worker.alive()),
                waiting=len(self._line),
                closed=self._closed,
                counts=dict(self.counts),
                refused=self.admissions.refusals(),
            )

    def _count(self, name: str) -> None:
        with self._ready:
            self.counts[name] += 1

    def admit(self, admission: Admission) -> Place:
        """A place for a job, at once, or TooManyQueries / WorkersBusy (with ``retry_after``).

        Give it to :meth:`run` or :meth:`parse`, which release it when the job is done; release
        it yourself if you do not."""
        return self.admissions.admit(admission)

    def run(
        self, job: QueryJob, place: Place | None = None, *, timeout: float | None = None
    ) -> QueryStream:
        """Start ``job`` in its place (or a new one, with ``timeout`` from now); the stream's
        head is known when this returns. The place's deadline covers the wait for a worker, the
        query and the streaming of its answer."""
        place = place or self._place_from_now(timeout)
        worker, message = self._send(job, place)
        return QueryStream(self, worker, message[1], place)

    def parse(
        self, job: ParseJob, place: Place | None = None, *, timeout: float | None = None
    ) -> tuple[str, ...]:
        """The names of ``job``'s probes that parse (see :class:`ParseJob`).

        Raises QuerySyntaxError for a query that does not parse, and also when parsing it
        killed the worker (over an empty store, the text is what did); QueryTimeout, WorkersBusy.
        """
        place = place or self._place_from_now(timeout)
        try:
            worker, message = self._send(job, place)
        except WorkerStopped as error:
            raise QuerySyntaxError(
                "the SPARQL parser could not read this query (it stopped the process parsing "
                "it); make the query smaller or less deeply nested"
            ) from error
        self._checkin(worker, place)
        return tuple(message[1])

    def _place_from_now(self, timeout: float | None) -> Place:
        if timeout is None:
            raise TypeError("give a place, or a timeout")
        return self.admit(Admission(deadline=time.monotonic() + timeout, timeout=timeout))

    def _send(self, job: QueryJob | ParseJob, place: Place) -> tuple[_Worker, tuple[Any, ...]]:
        """Give ``job`` to a worker; the worker and its first answer. The place is released
        here on any failure, else when the caller checks the worker in or discards it."""
        try:
            worker = self._checkout(place)
        except BaseException:
            place.release()
            raise
        try:
            worker.connection.send(job)
            self._count("jobs")
            message = self._receive(worker, place)
        except BaseException:
            self._discard(worker, place)
            raise
        if message[0] == "error":
            self._checkin(worker, place)
            raise _error(message)
        return worker, message

    def close(self) -> None:
        with self._ready:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()

    def _checkout(self, place: Place) -> _Worker:
        """A worker for the job in ``place``, once the jobs that came before it have theirs."""
        with self._ready:
            self._line.append(place)
            try:
                while self._line[0] is not place or (not self._idle and self._busy >= self.size):
                    remaining = place.deadline - time.monotonic()
                    if remaining <= 0 or self._closed:
                        self.counts["waited_out"] += 1
                        raise WorkersBusy(
                            M_(
                                "all %(size)s query workers stayed busy for the whole time "
                                "limit of %(seconds)s s; try again later",
                                size=self.size,
                                seconds=f"{place.timeout:g}",
                            )
                        )
                    self._ready.wait(remaining)
            finally:
                self._line.remove(place)
                self._ready.notify_all()  # the next in line may go now
            self._busy += 1
            if self._idle:
                return self._idle.pop()
        started = time.monotonic()
        try:
            worker = _Worker.start(self.reader, self._functions, self.base_iri)
        except BaseException:
            self._release()
            raise
        self._count("workers_started")
        place.excused += time.monotonic() - started  # the pool's own time, not the query's
        return worker

    def _receive(self, worker: _Worker, place: Place) -> tuple[Any, ...]:
        """The worker's next message within the place's time limit (a time-out is counted)."""
        try:
            return worker.receive(place.deadline, place.timeout)
        except QueryTimeout:
            self._count("timeouts")
            raise

    def _checkin(self, worker: _Worker, place: Place) -> None:
        """Put a worker that finished its job back in the idle list (or end it if closed)."""
        with self._ready:
            keep = not self._closed and worker.alive()
            if keep:
                self._idle.append(worker)
            self._busy -= 1
            self._ready.notify_all()
        place.release()
        if not keep:
            worker.kill()

    def _discard(self, worker: _Worker, place: Place) -> None:
        worker.kill()
        self._release()
        place.release()

    def _release(self) -> None:
        with self._ready:
            self._busy -= 1
            self._ready.notify_all()


class QueryStream:
    """The bytes of one answer; iterating may raise QueryTimeout or RowLimitReached."""

    def __init__(self, pool: QueryWorkers, worker: _Worker, head: ResultHead, place: Place) -> None:
        self.head = head
        self._pool = pool
        self._worker: _Worker | None = worker
        self._place = place

    def __iter__(self) -> Iterator[bytes]:
        try:
            while self._worker is not None:
                message = self._pool._receive(self._worker, self._place)  # noqa: SLF001
                if message[0] == "data":
                    yield message[1]
                    continue
                self._finish()
                if message[0] == "cut":
                    raise RowLimitReached("the result went past the row cap")
                if message[0] == "error":
                    raise _error(message)
        finally:
            self.close()

    def read(self) -> bytes:
        """The whole answer (raises like iteration)."""
        return b"".join(self)

    def close(self) -> None:
        """Stop early: the worker is killed, since it may still be sending."""
        if self._worker is not None:
            worker, self._worker = self._worker, None
            self._pool._discard(worker, self._place)  # noqa: SLF001 - the pool's own stream

    def _finish(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            self._pool._checkin(worker, self._place)  # noqa: SLF001


def _error(message: tuple[Any, ...]) -> StoreError:
    kind, text = message[1], message[2]
    if kind == "syntax":
        return QuerySyntaxError(text)
    if kind == "not-acceptable":
        return NotAcceptable(text)
    return StoreError(text)


class _Worker:
    def __init__(self, process: multiprocessing.process.BaseProcess, connection: Connection):
        self.process = process
        self.connection = connection

    @classmethod
    def start(
        cls,
        reader: WorkerReader,
        functions: dict[str, Callable[..., Any]],
        base_iri: str | None = None,
    ) -> _Worker:
        from app.storage.query_worker import serve

        context = _context()
        ours, theirs = context.Pipe()
        process = context.Process(
            target=serve,
            args=(theirs, reader, functions, os.getpid(), base_iri),
            daemon=True,
            name="atrium-query",
        )
        process.start()
        theirs.close()
        worker = cls(process, ours)
        try:
            ready = ours.poll(STARTUP_SECONDS) and ours.recv() == ("ready",)
        except (EOFError, OSError):
            ready = False
        if not ready:
            worker.kill()
            raise StoreError(f"a query worker did not start within {STARTUP_SECONDS:g} s")
        return worker

    def receive(self, deadline: float, timeout: float) -> tuple[Any, ...]:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not self.connection.poll(remaining):
            self.kill()
            raise QueryTimeout(
                M_(
                    "the query ran past its time limit of %(seconds)s s (ATRIUM_QUERY_TIMEOUT) "
                    "and was stopped; make it more selective, add a LIMIT, or ask an "
                    "administrator to raise the limit",
                    seconds=f"{timeout:g}",
                )
            )
        try:
            return self.connection.recv()
        except (EOFError, OSError) as error:
            self.kill()
            raise WorkerStopped("the query worker stopped unexpectedly") from error

    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(_KILL_WAIT_SECONDS)
        self.connection.close()


_CONTEXT: multiprocessing.context.BaseContext | None = None


def _context() -> multiprocessing.context.BaseContext:
    """A forkserver that has imported this module: a clean, fast parent to fork workers from."""
    global _CONTEXT
    if _CONTEXT is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([WORKER_MODULE])
        _CONTEXT = context
    return _CONTEXT
