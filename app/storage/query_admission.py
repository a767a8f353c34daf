"""Which jobs the query workers take on: each caller's share, and a short queue.

A job is admitted, or refused at once, when it arrives (never after a wait):

- one caller may have at most ``caller_limit`` jobs running or waiting (:class:`TooManyQueries`);
- anonymous callers together at most ``anonymous`` (:class:`WorkersBusy`), so that signed-in
  users keep a place however many addresses send queries;
- everyone together at most ``total``: the workers and a few places in a queue
  (:class:`WorkersBusy`). A job beyond them would only hold one of the web server's threads
  while it waited, and with enough of them no page could be served.

An admitted job waits for a worker (in :class:`app.storage.query_workers.QueryWorkers`, in
the order of arrival) until its deadline, which counts from the job's arrival: the wait is part
of its time limit. A refusal says when to try again: when the first of the jobs in its way
reaches its deadline, the latest it can end.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter

from app.messages import M_, MN_, Message
from app.storage.query_jobs import Admission, TooManyQueries, WorkersBusy


class Place:
    """An admitted job's place, held until :meth:`release` (when its worker is free again)."""

    def __init__(self, admissions: Admissions, admission: Admission) -> None:
        self.admission = admission
        self.excused = 0.0  # seconds the service spent for itself (starting a worker)
        self._admissions: Admissions | None = admissions

    @property
    def deadline(self) -> float:
        return self.admission.deadline + self.excused

    @property
    def timeout(self) -> float:
        return self.admission.timeout

    def release(self) -> None:
        """Give the place back (again: nothing)."""
        admissions, self._admissions = self._admissions, None
        if admissions is not None:
            admissions._leave(self)  # noqa: SLF001 - its own places


class Admissions:
    """The places of the jobs admitted and not yet done, and the rules for taking one."""

    def __init__(self, *, total: int, anonymous: int) -> None:
        self.total = max(1, total)
        self.anonymous = max(1, anonymous)
        self._places: list[Place] = []
        self._per_caller: Counter[str] = Counter()
        self._refused: Counter[str] = Counter()  # refusals since made, by the rule that refused
        self._lock = threading.Lock()

    def admit(self, admission: Admission) -> Place:
        """A place for the job, or TooManyQueries / WorkersBusy saying when to try again."""
        with self._lock:
            self._check(admission)
            place = Place(self, admission)
            self._places.append(place)
            if admission.caller:
                self._per_caller[admission.caller] += 1
            return place

    def in_flight(self, caller: str | None = None) -> int:
        """How many jobs are admitted and not done (of ``caller``, if given)."""
        with self._lock:
            if caller is None:
                return len(self._places)
            return self._per_caller[caller]

    def refusals(self) -> dict[str, int]:
        """How many jobs were refused since these admissions were made, by rule: "caller"
        (one caller's share), "anonymous" (anonymous callers' share), "full" (workers and
        queue)."""
        with self._lock:
            return dict(self._refused)

    def _check(self, admission: Admission) -> None:
        """Within the lock: let the job in, or refuse it (counting the refusal by its rule)."""
        caller, limit = admission.caller, admission.caller_limit
        if caller and limit is not None and limit <= 0:
            refusal = (
                M_("anonymous callers may not send SPARQL queries here (a limit of 0)")
                if admission.anonymous
                else M_("you may not send SPARQL queries here (a limit of 0)")
            )
            raise self._refused_by("caller", TooManyQueries(refusal))
        if caller and limit is not None and self._per_caller[caller] >= limit:
            theirs = [p for p in self._places if p.admission.caller == caller]
            raise self._refused_by(
                "caller",
                TooManyQueries(
                    MN_(
                        "you already have %(count)s SPARQL query running or waiting, as many as "
                        "%(who)s may; try again when it has finished",
                        "you already have %(count)s SPARQL queries running or waiting, as many as "
                        "%(who)s may; try again when one has finished",
                        count=limit,
                        who=_who(admission),
                    ),
                    _retry_after(theirs),
                ),
            )
        if admission.anonymous:
            anonymous = [p for p in self._places if p.admission.anonymous]
            if len(anonymous) >= self.anonymous:
                raise self._refused_by(
                    "anonymous",
                    WorkersBusy(
                        M_(
                            "the SPARQL endpoint is running as many queries for anonymous "
                            "callers as it takes (%(limit)s); sign in, or try again later",
                            limit=self.anonymous,
                        ),
                        _retry_after(anonymous),
                    ),
                )
        if len(self._places) >= self.total:
            raise self._refused_by(
                "full",
                WorkersBusy(
                    M_(
                        "the SPARQL endpoint is busy: %(total)s queries are running or waiting, "
                        "as many as it takes at once; try again later",
                        total=self.total,
                    ),
                    _retry_after(self._places),
                ),
            )

    def _refused_by(self, rule: str, refusal: Exception) -> Exception:
        self._refused[rule] += 1
        return refusal

    def _leave(self, place: Place) -> None:
        with self._lock:
            self._places.remove(place)
            caller = place.admission.caller
            if caller:
                self._per_caller[caller] -= 1
                if self._per_caller[caller] <= 0:
                    del self._per_caller[caller]


def _retry_after(places: list[Place]) -> int:
    """Whole seconds until the first of ``places`` reaches its deadline (at least 1)."""
    if not places:
        return 1
    return max(1, math.ceil(min(p.deadline for p in places) - time.monotonic()))


def _who(admission: Admission) -> Message:
    return M_("an anonymous caller at one address") if admission.anonymous else M_("one user")
