"""How ``atrium serve`` runs the web app under waitress."""

from __future__ import annotations

from flask import Flask

from app.config import Config
from app.web.body_limits import largest_body_bytes

THREADS = 8


def waitress_options(app: Flask, config: Config) -> dict[str, object]:
    """Waitress reads a whole body before the app sees it: it refuses at once (413) a
    Content-Length over the largest body any view accepts, and stops a chunked body there
    (its limit counts as too large, hence the one byte more)."""
    largest = largest_body_bytes(app, config)
    return {"threads": THREADS, "ident": "Atrium", "max_request_body_size": largest + 1}
