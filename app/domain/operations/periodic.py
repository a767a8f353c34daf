"""Work that ``atrium serve`` repeats in the background: the sweep of leftovers, the rights
check. Each runs at once, then every so often, and never takes the server down."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("atrium.periodic")  # under "atrium", which serve logs to stderr


class Periodic:
    """Runs ``work`` at once and then every ``interval_seconds`` (0: only once) in a background
    thread, until stopped. ``work`` returns a line worth logging, or "" for none; a failed run
    is logged as ``failure`` and tried again next time.

    A subclass may run sooner than the interval: :meth:`due_in` says in how many seconds the
    next run is due (None: no sooner than the interval), and :meth:`wake` makes the waiting
    thread do :meth:`when_woken` and ask it again (something changed that may bring the next
    run forward); such a subclass sets ``wakeable``, so that with no interval it waits for a
    wake rather than ending."""

    wakeable = False

    def __init__(
        self, name: str, work: Callable[[], str], interval_seconds: float, failure: str
    ) -> None:
        self.name = name
        self.work = work
        self.interval_seconds = interval_seconds
        self.failure = failure
        self.runs = 0  # completed runs, successful or not
        self._stopped = threading.Event()
        self._woken = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"atrium-{name}", daemon=True)

    def start(self) -> Periodic:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stopped.set()
        self._woken.set()
        self._thread.join(timeout)

    def wake(self) -> None:
        """Ask again when the next run is due (see :meth:`due_in`)."""
        self._woken.set()

    def due_in(self) -> float | None:
        """Seconds until a run is due sooner than the interval; None: none is."""
        return None

    def when_woken(self) -> None:
        """Work to do in the background thread after a :meth:`wake` (none by default)."""

    def __enter__(self) -> Periodic:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stopped.is_set():
            # Cleared before the work, so that a wake during it is not lost (its own writes
            # wake it too, at the cost of one more look).
            self._woken.clear()
            self._run_once()
            if not self._wait_until_due():
                return

    def _run_once(self) -> None:
        try:
            said = self.work()
            if said:
                log.info("%s: %s", self.name, said)
        except Exception:  # background work must never take the server down
            log.exception("%s; it runs again later", self.failure)
        self.runs += 1

    def _wait_until_due(self) -> bool:
        """Wait until the next run is due; False: stopped, or nothing will ever be due."""
        while not self._stopped.is_set():
            interval = self.interval_seconds if self.interval_seconds > 0 else None
            sooner = self._due_in()
            waits = [s for s in (interval, sooner) if s is not None]
            if not waits and not self.wakeable:
                return False  # only once, and nothing can bring a run forward
            delay = max(0.0, min(waits)) if waits else None
            if not self._woken.wait(delay):
                return True  # the time came
            self._woken.clear()  # woken: do what the wake asks, then ask due_in() again
            if not self._stopped.is_set():
                self._guarded(self.when_woken)
        return False

    def _guarded(self, work: Callable[[], object]) -> None:
        try:
            work()
        except Exception:  # background work must never take the server down
            log.exception("%s; it runs again later", self.failure)

    def _due_in(self) -> float | None:
        try:
            return self.due_in()
        except Exception:
            log.exception("%s: could not tell when it is next due", self.name)
            return None
