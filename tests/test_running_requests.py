"""How many requests run the app at once (app/web/serving.py, RunningRequests): at most the
places; a request waiting on another process gives its place back; none waits for a place
longer than the patience."""

from __future__ import annotations

import threading
import time

from flask import Flask

from app.web.serving import RunningRequests, give_up_place

WAIT = 5.0  # seconds a test thread waits for another before the test fails


def _app(places: int, patience: float = WAIT) -> tuple[Flask, dict]:
    """An app whose ``/work`` notes how many requests run at once, and whose ``/elsewhere``
    waits, place given back, until told to go on."""
    app = Flask(__name__)
    seen = {"running": 0, "most": 0, "lock": threading.Lock(), "go_on": threading.Event()}

    @app.get("/work")
    def work() -> str:
        with seen["lock"]:
            seen["running"] += 1
            seen["most"] = max(seen["most"], seen["running"])
        time.sleep(0.05)
        with seen["lock"]:
            seen["running"] -= 1
        return "done"

    @app.get("/elsewhere")
    def elsewhere() -> str:
        give_up_place()
        assert seen["go_on"].wait(WAIT)
        return "back"

    @app.get("/hold")
    def hold() -> str:
        assert seen["go_on"].wait(WAIT)
        return "held"

    app.wsgi_app = RunningRequests(app.wsgi_app, places, patience)  # type: ignore[method-assign]
    return app, seen


def _in_threads(app: Flask, paths: list[str]) -> list[threading.Thread]:
    threads = [threading.Thread(target=lambda p=p: app.test_client().get(p)) for p in paths]
    for thread in threads:
        thread.start()
    return threads


def test_at_most_the_places_run_at_once() -> None:
    app, seen = _app(places=2)
    for thread in _in_threads(app, ["/work"] * 8):
        thread.join(WAIT)
    assert seen["most"] == 2


def test_a_request_waiting_elsewhere_lets_another_run() -> None:
    app, seen = _app(places=1)
    (waiting,) = _in_threads(app, ["/elsewhere"])
    time.sleep(0.1)  # it holds its place no longer: /work runs beside it
    started = time.monotonic()
    assert app.test_client().get("/work").text == "done"
    assert time.monotonic() - started < 0.2  # well within the patience (5 s)
    seen["go_on"].set()
    waiting.join(WAIT)
    assert not waiting.is_alive()
    assert app.test_client().get("/work").text == "done"  # its place was given back once


def test_no_request_waits_longer_than_the_patience() -> None:
    app, seen = _app(places=1, patience=0.2)
    (holding,) = _in_threads(app, ["/hold"])
    time.sleep(0.1)
    started = time.monotonic()
    assert app.test_client().get("/work").text == "done"  # the place stayed taken: ran anyway
    assert 0.2 <= time.monotonic() - started < 2
    seen["go_on"].set()
    holding.join(WAIT)
    assert app.test_client().get("/work").text == "done"  # and the places are all back
    assert seen["most"] == 1
