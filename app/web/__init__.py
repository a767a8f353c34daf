"""The web front end: a thin Flask layer over the domain (one blueprint per concern)."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, abort, jsonify, render_template, request
from markupsafe import Markup, escape
from werkzeug.exceptions import (
    HTTPException,
    RequestEntityTooLarge,
    ServiceUnavailable,
    UnprocessableEntity,
)

from app.domain.assets.validation import ShapesCannotRun
from app.domain.iris import ASSET_ID, COLLECTION_ID, is_web_iri
from app.domain.search import SearchUnavailable
from app.service import Atrium

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; media-src 'self'; frame-ancestors 'none'"
    ),
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
    from app.web.i18n import (
        in_english,
        init_i18n,
        localized,
    )  # the interface in en, de, fr (issue 13)
    from app.web.i18n import lazy_text as _l

    init_i18n(app)
    atrium.web_renditions.start()  # videos browsers cannot play get a web rendition, meanwhile

    from app.web.api import api
    from app.web.assets import assets
    from app.web.auth import auth, check_csrf, csrf_field, current_user
    from app.web.body_limits import limit_request_body, refusal_message
    from app.web.browse import browse
    from app.web.edit import edit
    from app.web.performance import performance
    from app.web.profiles import profiles
    from app.web.queries import queries
    from app.web.sparql import sparql
    from app.web.tokens import tokens
    from app.web.versions import versions

    app.register_blueprint(browse)
    app.register_blueprint(api)
    app.register_blueprint(edit)
    app.register_blueprint(assets)
    from app.web.media import media  # video and audio players (issue 12)

    app.register_blueprint(media)
    app.register_blueprint(auth)
    app.register_blueprint(tokens)
    app.register_blueprint(sparql)
    app.register_blueprint(queries)
    app.register_blueprint(profiles)
    app.register_blueprint(performance)
    app.url_value_preprocessor(_refuse_malformed_ids)
    app.register_blueprint(versions)
    from app.web.admin_audit import admin_audit  # the audit view (issue 13)

    app.register_blueprint(admin_audit)
    from app.web.vocab import vocab

    app.register_blueprint(vocab)
    from app.web.collections import collections  # collections (issue 11)

    app.register_blueprint(collections)
    from app.web.shares import shared, shares  # share links (issue 11)

    app.register_blueprint(shares)
    app.register_blueprint(shared)
    from app.web.selection import selection  # selection and bulk actions (issue 11)

    app.register_blueprint(selection)
    from app.web.admin_users import admin_users  # user administration (issue 13)

    app.register_blueprint(admin_users)
    from app.web.health import health  # health, metrics and access logs (issue 16)
    from app.web.metrics import metrics, request_metrics
    from app.web.serving import observe_requests, run_requests

    app.register_blueprint(health)
    app.register_blueprint(metrics)
    run_requests(app, atrium.config)  # inside the observation: its time includes the wait
    observe_requests(app, request_metrics(app))
    app.before_request(limit_request_body)  # first: before any user lookup or form parsing
    app.before_request(check_csrf)
    app.jinja_env.globals.update(csrf_field=csrf_field, current_user=current_user)
    from app.web.kept_parts import install_kept_parts

    # An answer's parts: the search page's facets and results, and the API's JSON.
    install_kept_parts(app, keep=3 * atrium.config.remembered_searches)
    app.jinja_env.filters["iri_link"] = iri_link

    @app.after_request
    def secure(response: Response) -> Response:
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[object, int, list[tuple[str, str]]]:
        """Errors in words a person understands: a page in the site's layout for browsers, with
        a way back; JSON for API clients. Every error comes here (an unexpected exception as
        its 500), and keeps the headers it carries (``Allow`` on a 405, ``Retry-After``…)."""
        status = error.code or 500
        message = localized(error.description) if status != 404 else "Not found."
        if isinstance(error, RequestEntityTooLarge):
            message = refusal_message(error)
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        if _wants_json():  # API clients read English; a person reads their own language
            return jsonify({"error": in_english(message), "status": status}), status, headers
        page = render_template(
            "error.html", status=status, reason=error.name, message=str(message), back=_way_back()
        )
        return page, status, headers

    @app.errorhandler(SearchUnavailable)
    def search_unavailable(error: SearchUnavailable) -> tuple[object, int]:
        return http_error(ServiceUnavailable(description=str(error)))

    @app.errorhandler(ShapesCannotRun)
    def shapes_cannot_run(error: ShapesCannotRun) -> tuple[object, int]:
        """The write could not be checked (its shapes do not run), so it was refused."""
        refusal = _l("%(reason)s; nothing was stored", reason=str(error))
        return http_error(UnprocessableEntity(description=refusal))

    return app


def _wants_json() -> bool:
    """API clients: ``/api/`` paths, a token, or an ``Accept`` preferring JSON to HTML."""
    if request.path.startswith("/api/") or request.headers.get("Authorization"):
        return True
    accepted = request.accept_mimetypes
    best = accepted.best_match(["text/html", "application/json"])
    return best == "application/json" and accepted[best] > accepted["text/html"]


def _way_back() -> str | None:
    """The page the reader came from, when it is one of this site's and not this one: its
    path and query only, so that a forged Referer cannot send anyone elsewhere."""
    referer = urlsplit(request.referrer or "")
    if referer.scheme not in ("http", "https") or referer.netloc != request.host:
        return None
    back = referer.path + (f"?{referer.query}" if referer.query else "")
    if not back.startswith("/") or back.startswith("//") or back == request.full_path.rstrip("?"):
        return None
    return back


_ID_PATTERNS = {"asset_id": ASSET_ID, "collection_id": COLLECTION_ID}


def _refuse_malformed_ids(endpoint: str | None, values: dict | None) -> None:
    """An asset or collection id in a URL that no id can be answers 404 on every route, before
    any view mints an IRI from it."""
    for name, pattern in _ID_PATTERNS.items():
        if values and name in values and not pattern.fullmatch(str(values[name])):
            abort(404)


def iri_link(iri: str, text: str | None = None, **attributes: str) -> Markup:
    """An IRI as a link, only ever when it is http(s); any other (``javascript:``, ``data:``,
    ``urn:``…) as plain text. Templates use it wherever an IRI from data would become an href:
    ``{{ link.iri|iri_link(link.label, rel="nofollow") }}``."""
    label = iri if text is None else text
    if not is_web_iri(iri):
        return Markup('<span class="iri" title="{}">{}</span>').format(iri, label)
    extra = Markup("").join(
        Markup(' {}="{}"').format(name, value) for name, value in attributes.items() if value
    )
    return Markup('<a href="{}"{}>{}</a>').format(iri, extra, escape(label))
