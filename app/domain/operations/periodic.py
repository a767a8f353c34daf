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
    is logged as ``failure`` and tried again next time."""

    def __init__(
        self, name: str, work: Callable[[], str], interval_seconds: float, failure: str
    ) -> None:
        self.name = name
        self.work = work
        self.interval_seconds = interval_seconds
        self.failure = failure
        self.runs = 0  # completed runs, successful or not
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"atrium-{name}", daemon=True)

    def start(self) -> Periodic:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stopped.set()
        self._thread.join(timeout)

    def __enter__(self) -> Periodic:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                said = self.work()
                if said:
                    log.info("%s: %s", self.name, said)
            except Exception:  # background work must never take the server down
                log.exception("%s; it runs again later", self.failure)
            self.runs += 1
            if self.interval_seconds <= 0 or self._stopped.wait(self.interval_seconds):
                return
