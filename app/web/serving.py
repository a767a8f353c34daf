"""How ``atrium serve`` runs the web app under waitress, and what it records of each request.

Waitress writes no access log of its own (its ``waitress`` logger only reports errors), so
the app records each request itself (:func:`observe_requests`): one line on the
``atrium.access`` logger once the response has been sent, with the method, the path (the
values of secret-looking query parameters removed), the status, the time taken in ms, the
bytes sent and the user, or ``-``. ``atrium serve`` shows the ``atrium`` loggers on standard
error; the same observation feeds the request metrics (:mod:`app.web.metrics`).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote_plus

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from app.config import Config
from app.web.body_limits import largest_body_bytes

ACCESS_LOG = logging.getLogger("atrium.access")
# A query parameter whose name holds one of these words carries a secret: its value is never
# logged ("token", "access_token", "csrf_token", "password", "api-key", …).
SECRET_WORDS = frozenset(
    {"token", "password", "passwd", "pwd", "secret", "key", "apikey", "auth", "session", "sid",
     "csrf", "signature"}
)  # fmt: skip
REMOVED = "[removed]"
_WORDS = re.compile(r"[^a-z0-9]+")
_UNPRINTABLE = re.compile(r"[^\x21-\x7e]")  # spaces and control characters forge log lines
_ENDPOINT = "atrium.endpoint"  # environ keys the app fills in for the record
_USER = "atrium.user"
_RUNNING = "atrium.running"


def waitress_options(app: Flask, config: Config) -> dict[str, object]:
    """Waitress reads a whole body before the app sees it: it refuses at once (413) a
    Content-Length over the largest body any view accepts, and stops a chunked body there
    (its limit counts as too large, hence the one byte more)."""
    largest = largest_body_bytes(app, config)
    return {
        "threads": config.server_threads,
        "ident": "Atrium",
        "max_request_body_size": largest + 1,
    }


class RunningRequests:
    """WSGI middleware: at most ``places`` requests run the app at once; the others wait for a
    place, at most ``patience`` seconds (then they run anyway, so a few long requests never hold
    the rest back for longer).

    Python runs one thread at a time, and threads that take turns pay for every turn: eight
    computing searches at once cost 20 ms of CPU each on two cores, two at once 12.5 ms. The
    server keeps its other threads for requests that wait rather than compute: a request
    waiting on a SPARQL worker gives its place up (:func:`give_up_place`), and a streamed body
    is sent after its place is given back."""

    def __init__(
        self, wsgi_app: Callable[..., Iterable[bytes]], places: int, patience: float
    ) -> None:
        self.wsgi_app = wsgi_app
        self.patience = patience
        self._places = threading.BoundedSemaphore(places)
        self._held = threading.local()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ[_RUNNING] = self
        self._held.place = self._places.acquire(timeout=self.patience)
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            self.give_up_place()

    def give_up_place(self) -> None:
        if getattr(self._held, "place", False):
            self._held.place = False
            self._places.release()


def give_up_place() -> None:
    """The current request waits on another process from here on: its place goes to another.
    It does not wait for a place again afterwards, since a SPARQL answer holds the caller's
    share of the workers until it has been sent (waiting again meant more 429s)."""
    running = request.environ.get(_RUNNING)
    if running is not None:
        running.give_up_place()


def run_requests(app: Flask, config: Config) -> None:
    """Let ``config.running_requests`` requests (0: one per core) run ``app`` at once."""
    places = config.running_requests or os.cpu_count() or 1
    patience = config.running_wait_seconds
    app.wsgi_app = RunningRequests(app.wsgi_app, places, patience)  # type: ignore[method-assign]


@dataclass(frozen=True)
class Served:
    """One request, once its response has been sent."""

    method: str
    path: str  # with its query string, secrets removed (see :func:`loggable_path`)
    status: int
    seconds: float
    bytes_sent: int
    user: str  # the signed-in user's name, or "-"
    endpoint: str  # the Flask endpoint that answered, or "-" when no route matched


Listener = Callable[[Served], None]


def observe_requests(app: Flask, *listeners: Listener) -> None:
    """Log every request of ``app`` on ``atrium.access`` and hand it to ``listeners``."""
    app.wsgi_app = ObservedRequests(app.wsgi_app, (log_access, *listeners))  # type: ignore[method-assign]
    app.after_request(_note_endpoint_and_user)


def log_access(served: Served) -> None:
    ACCESS_LOG.info(
        "%s %s %d %.1fms %dB %s",
        served.method,
        served.path,
        served.status,
        served.seconds * 1000,
        served.bytes_sent,
        served.user,
    )


def loggable_path(environ: dict[str, Any]) -> str:
    """The request's path and query string, percent-encoded, with the values of parameters
    named like secrets replaced by ``[removed]``."""
    raw_path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1")
    path = quote(raw_path, safe="/:@!$&'()*+,;=-._~")
    query = environ.get("QUERY_STRING", "")
    if not query:
        return path
    return f"{path}?{'&'.join(_without_secret(part) for part in query.split('&'))}"


def _without_secret(parameter: str) -> str:
    name, equals, _ = parameter.partition("=")
    words = set(_WORDS.split(unquote_plus(name).lower()))
    kept = f"{name}={REMOVED}" if equals and words & SECRET_WORDS else parameter
    return _UNPRINTABLE.sub(lambda found: quote(found.group(), safe=""), kept)


def _note_endpoint_and_user(response: Response) -> Response:
    """Tell the record which endpoint answered and who asked (a bad token: nobody)."""
    from app.web.auth import current_user

    try:
        user = current_user()
    except HTTPException:
        user = None
    request.environ[_ENDPOINT] = request.endpoint or "-"
    request.environ[_USER] = user.name if user is not None else "-"
    return response


class ObservedRequests:
    """WSGI middleware: times each request until its body has been sent (or the client went
    away), counts the bytes sent, and hands the record to its listeners."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], listeners: tuple[Listener, ...]):
        self.wsgi_app = wsgi_app
        self.listeners = listeners

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        started = time.perf_counter()
        status = [500]

        def recording_start(line: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            status[0] = int(line.split(" ", 1)[0])
            return start_response(line, headers, *exc_info)

        try:
            body = self.wsgi_app(environ, recording_start)
        except BaseException:
            self._served(environ, status[0], started, 0)
            raise
        return _CountedBody(body, lambda sent: self._served(environ, status[0], started, sent))

    def _served(self, environ: dict[str, Any], status: int, started: float, sent: int) -> None:
        served = Served(
            method=environ.get("REQUEST_METHOD", "-"),
            path=loggable_path(environ),
            status=status,
            seconds=time.perf_counter() - started,
            bytes_sent=sent,
            user=environ.get(_USER, "-"),
            endpoint=environ.get(_ENDPOINT, "-"),
        )
        for listener in self.listeners:
            try:
                listener(served)
            except Exception:  # a broken listener costs its record, never the response
                ACCESS_LOG.exception("could not record %s %s", served.method, served.path)


class _CountedBody:
    """A response body that counts what it yields and reports once closed (WSGI: the server
    closes every body, also when the client went away)."""

    def __init__(self, body: Iterable[bytes], done: Callable[[int], None]) -> None:
        self._body = body
        self._done: Callable[[int], None] | None = done
        self._sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._body:
            self._sent += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            done, self._done = self._done, None
            if done is not None:
                done(self._sent)
