"""The web front end: a thin Flask layer over the domain (one blueprint per concern)."""

from __future__ import annotations

import secrets

from flask import Flask, Response, render_template

from app.domain.access import ANONYMOUS, Reader, scope_for
from app.service import Atrium
from app.storage.graphstore import Scope

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def create_app(atrium: Atrium) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=atrium.config.secret_key or secrets.token_hex(32),
        MAX_CONTENT_LENGTH=atrium.config.max_upload_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.extensions["atrium"] = atrium

    from app.web.assets import assets
    from app.web.browse import browse

    app.register_blueprint(browse)
    app.register_blueprint(assets)

    @app.after_request
    def secure(response: Response) -> Response:
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        return response

    @app.errorhandler(404)
    def not_found(error: Exception) -> tuple[str, int]:
        return render_template("error.html", status=404, message="Not found."), 404

    return app


def current_atrium() -> Atrium:
    from flask import current_app

    return current_app.extensions["atrium"]


def current_reader() -> Reader:
    """Who is reading. Until sign-in lands (the users issue), everyone reads as anonymous."""
    return ANONYMOUS


def current_scope() -> Scope:
    atrium = current_atrium()
    return scope_for(current_reader(), atrium.iris, atrium.store)
