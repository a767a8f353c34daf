"""What an operator asks of a running service: is it healthy, and what has it done.

- :class:`Tally`: counts that only grow (files ingested, by source and outcome), kept as plain
  numbers; the web layer's metrics collector reads every tally (:func:`tallies`), so the domain
  imports no metrics library.
- :class:`HealthChecks`: the service's checks, each cheap and named: the store answers a
  trivial query within a short time, the search index is in step with the graph's writes, the
  results index is current (at the graph's results revision), and the query workers are alive
  (read from the pool, never by starting one).
  A check says whether it passes and why in a few words; none tells an asset or a count of
  assets, since anyone may ask.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from app.storage.graphstore import GraphStore, Scope

log = logging.getLogger("atrium.health")


class Tally:
    """Counts by label values (``labels`` names them), safe across threads, since start."""

    def __init__(self, name: str, help: str, labels: tuple[str, ...]) -> None:  # noqa: A002
        self.name = name
        self.help = help
        self.labels = labels
        self._counts: Counter[tuple[str, ...]] = Counter()
        self._lock = threading.Lock()
        _TALLIES.append(self)

    def add(self, *values: str, amount: int = 1) -> None:
        if len(values) != len(self.labels):
            raise ValueError(f"{self.name} counts by {', '.join(self.labels)}")
        with self._lock:
            self._counts[values] += amount

    def counts(self) -> dict[tuple[str, ...], int]:
        with self._lock:
            return dict(self._counts)


_TALLIES: list[Tally] = []


def tallies() -> tuple[Tally, ...]:
    """Every tally of this process."""
    return tuple(_TALLIES)


INGESTED_FILES = Tally(
    "ingested_files",
    "Files offered to Atrium, by source (ingest: a batch such as `atrium ingest`; upload: the "
    "web form) and outcome (ingested, duplicate, failed).",
    ("source", "outcome"),
)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


class HealthChecks:
    """The checks of one service (an :class:`app.service.Atrium`)."""

    def __init__(self, atrium) -> None:  # noqa: ANN001 - app.service.Atrium
        self.atrium = atrium
        # a store that takes longer over ``ASK {}`` than this setting is not answering
        self.store_probe = StoreProbe(atrium.store, atrium.config.health_store_seconds)

    def run(self) -> list[Check]:
        """Every check; those that read the store are skipped (and fail) when it does not
        answer, so that a hung store cannot hang the health check too."""
        store = _checked("store", self.store_probe.ask)
        reading: tuple[tuple[str, Callable[[], str]], ...] = (
            ("search_index", self.search_index),
            ("results_index", self.results_index),
        )
        if store.ok:
            indexes = [_checked(name, check) for name, check in reading]
        else:
            indexes = [
                Check(name, False, "not checked: the store is failing") for name, _ in reading
            ]
        return [store, *indexes, _checked("query_workers", self.query_workers)]

    def search_index(self) -> str:
        index = self.atrium.search_index
        index.heal()  # what a search would retry first (nothing to do: one small read)
        problem = index.out_of_step()
        if problem:
            raise Unhealthy(problem)
        return "in step with the graph's writes"

    def results_index(self) -> str:
        self.atrium.results_index.snapshot()  # brought to the graph's revision if behind
        return "at the graph's results revision"

    def query_workers(self) -> str:
        status = self.atrium.sparql.workers.status()
        if status.closed:
            raise Unhealthy("the query workers are shut down")
        if status.stopped_idle:
            raise Unhealthy("a query worker's process ended while it was idle")
        return f"{status.busy} of {status.size} busy, {status.waiting} waiting"


class Unhealthy(Exception):
    """A check that fails, saying why in words an operator understands."""


class StoreProbe:
    """``ASK {}`` on a thread of its own, waited for at most ``timeout`` seconds (the store's
    own calls have no time limit this short). While one is unanswered, later checks wait for
    that one rather than start another, so a hung store holds one thread, not one per check."""

    def __init__(self, store: GraphStore, timeout: float) -> None:
        self.store = store
        self.timeout = timeout
        self._asking: Future[bool] | None = None
        self._lock = threading.Lock()

    def ask(self) -> str:
        with self._lock:
            if self._asking is None or self._asking.done():
                self._asking = self._start()
            asking = self._asking
        started = time.monotonic()
        try:
            answered = asking.result(timeout=self.timeout)
        except FutureTimeout:
            raise Unhealthy(f"did not answer a trivial query within {self.timeout:g} s") from None
        except Exception:  # its text may name hosts or paths; it goes to the log, not to callers
            log.exception("health: the store failed a trivial query")
            raise Unhealthy("failed a trivial query; the server log says why") from None
        if answered is not True:
            raise Unhealthy("answered a trivial query wrongly")
        return f"answered in {1000 * (time.monotonic() - started):.0f} ms"

    def _start(self) -> Future[bool]:
        future: Future[bool] = Future()

        def ask() -> None:
            try:
                future.set_result(self.store.ask("ASK {}", scope=Scope.everything()))
            except BaseException as error:  # noqa: BLE001 - handed to the waiting check
                future.set_exception(error)

        threading.Thread(target=ask, name="atrium-health-store", daemon=True).start()
        return future


def _checked(name: str, check: Callable[[], str]) -> Check:
    try:
        return Check(name, True, check())
    except Unhealthy as problem:
        log.warning("health: %s: %s", name, problem)
        return Check(name, False, str(problem))
    except Exception:  # its text may name hosts or paths; it goes to the log, not to callers
        log.exception("health: %s failed", name)
        return Check(name, False, "failed; the server log says why")
