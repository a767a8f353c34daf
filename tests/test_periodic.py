"""The background runner of ``atrium serve``'s repeated work (app/domain/operations/periodic.py)."""

from __future__ import annotations

import threading
import time

from app.domain.operations.periodic import Periodic


class Slow(Periodic):
    """Work that waits for the test, so that a wake can come while it runs."""

    wakeable = True

    def __init__(self) -> None:
        self.working = threading.Event()
        self.release = threading.Event()
        self.woken = threading.Event()
        super().__init__("slow", self._work, 0, "the slow work failed")

    def _work(self) -> str:
        self.working.set()
        self.release.wait(10)
        return ""

    def when_woken(self) -> None:
        self.woken.set()


def test_a_wake_while_the_work_runs_is_not_lost() -> None:
    with Slow() as periodic:
        assert periodic.working.wait(10)
        periodic.wake()  # a write while the work runs: the written asset must still be checked
        periodic.release.set()
        assert periodic.woken.wait(5)
    assert periodic.runs == 1


def test_a_run_that_fails_is_counted_and_the_thread_goes_on() -> None:
    calls: list[int] = []

    def fail() -> str:
        calls.append(1)
        raise RuntimeError("broken")

    with Periodic("failing", fail, 0.05, "it failed") as periodic:
        deadline = time.monotonic() + 5
        while len(calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    assert len(calls) >= 2 and periodic.runs >= 2
