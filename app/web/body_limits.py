"""How large a request body may be, refused before any work is done on it.

:func:`limit_request_body` runs before everything else a request does: before the session's
user or a token is looked up, and before the CSRF check reads the form. A body whose
``Content-Length`` is over the limit is refused at once with 413, unread; a body without one
(chunked) is read only up to the limit and refused as soon as it passes it. Nobody is looked
up for the refusal either.

The limit is the view's own, declared with :func:`body_limit`, else :data:`DEFAULT_BODY_BYTES`
(forms, SPARQL queries and updates, whose text is at most 64 KiB, form-encoded at most three
times that). A request that carries no credentials at all (no signed-in session, no
``Authorization`` header) gets the default whatever the view, as nothing an anonymous caller
may do takes more: an anonymous upload is refused after 1 MiB, not after the upload limit.

``atrium serve`` runs waitress, which reads a whole body before the application sees it; it is
told to refuse anything over the largest limit of any view (:func:`largest_body_bytes`).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, TypeVar

from flask import Flask, abort, current_app, g, request, session
from werkzeug.exceptions import RequestEntityTooLarge

from app.config import Config
from app.web.i18n import LazyText, local_size
from app.web.i18n import lazy_text as _l

DEFAULT_BODY_BYTES = 1024 * 1024
MULTIPART_ENVELOPE_BYTES = 1024 * 1024  # an upload's form fields and boundaries, beside the file
F = TypeVar("F", bound=Callable[..., object])


@dataclass(frozen=True)
class BodyLimit:
    max_bytes: Callable[[Config], int]
    refusal: Callable[[Config], str]  # what to tell a sender over the limit


def body_limit(
    max_bytes: Callable[[Config], int], refusal: Callable[[Config], str] | None = None
) -> Callable[[F], F]:
    """Let the view take bodies up to ``max_bytes(config)``; ``refusal(config)``: the words of
    the 413 (default: the size this address accepts)."""

    def mark(view: F) -> F:
        limit = BodyLimit(max_bytes, refusal or (lambda config: _accepts(max_bytes(config))))
        view.body_limit = limit  # type: ignore[attr-defined]
        return view

    return mark


def limit_request_body() -> None:
    """Refuse a body over this request's limit (``before_request``, registered first)."""
    config = current_app.extensions["atrium"].config
    limit = _view_limit()
    max_bytes = limit.max_bytes(config) if limit else DEFAULT_BODY_BYTES
    message = limit.refusal(config) if limit else _accepts(max_bytes)
    if max_bytes > DEFAULT_BODY_BYTES and not _carries_credentials():
        max_bytes = DEFAULT_BODY_BYTES
        message = _l(
            "Sign in first: without signing in, a request may send %(size)s.",
            size=LazyText(local_size, max_bytes),
        )
    g.body_refusal = message
    if request.content_length is not None and request.content_length > max_bytes:
        g.setdefault("user", None)  # the refusal page looks nobody up either
        abort(413, description=message)
    if request.content_length is None and "wsgi.input" in request.environ:
        request.environ["wsgi.input"] = BoundedInput(request.environ["wsgi.input"], max_bytes)
    # Werkzeug's own limit silently cuts a longer stream at the limit; one byte further, the
    # bounded input says 413 instead.
    request.max_content_length = max_bytes + 1


class BoundedInput(io.RawIOBase):
    """A body without a Content-Length (chunked), read through: 413 as soon as it passes
    ``max_bytes``, so that nobody ever reads the head of a longer body as if it were whole."""

    def __init__(self, stream: BinaryIO, max_bytes: int) -> None:
        self._stream = stream
        self._left = max_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._stream.read(min(len(buffer), self._left + 1))
        self._left -= len(data)
        if self._left < 0:
            raise RequestEntityTooLarge()
        buffer[: len(data)] = data
        return len(data)


def refusal_message(error: RequestEntityTooLarge) -> str | LazyText:
    """The words of a 413: what the view says when the body was stopped while being read. The
    page is shown as to an anonymous reader, unless the user was already looked up: refusing
    a body costs no authentication work."""
    g.setdefault("user", None)
    if error.description == RequestEntityTooLarge.description and "body_refusal" in g:
        return g.body_refusal
    return error.description or RequestEntityTooLarge.description


def largest_body_bytes(app: Flask, config: Config) -> int:
    """The largest body any view of ``app`` accepts: what the HTTP server may let through."""
    limits = (getattr(view, "body_limit", None) for view in app.view_functions.values())
    return max([DEFAULT_BODY_BYTES] + [limit.max_bytes(config) for limit in limits if limit])


def _view_limit() -> BodyLimit | None:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "body_limit", None)


def _carries_credentials() -> bool:
    """A signed-in session or an ``Authorization`` header; nothing is looked up yet."""
    return bool(session.get("sid")) or bool(request.headers.get("Authorization", "").strip())


def _accepts(max_bytes: int) -> LazyText:
    return _l(
        "The request is too large: %(path)s accepts %(size)s at most.",
        path=request.path,
        size=LazyText(local_size, max_bytes),
    )
