"""``/api/search``: the search page as JSON, with the same parameters; ``POST /api/results``:
results per segment from marketing tools.

The shape is stable and documented in the README::

    {"total": N, "page": P, "per_page": K,
     "results": [{"id", "iri", "title", "thumbnail", "url", "format", "created", "department"}],
     "facets": [{"name", "label", "truncated", "timed_out",
                 "values": [{"value", "label", "count", "selected", "expandable",
                             "children": [...]}]}]}

A malformed parameter answers 400 with ``{"error": …, "status": 400}``.

``POST /api/results`` takes a JSON list of row objects or a ``text/csv`` body (columns in
:mod:`app.domain.results.importer`) from a contributor (or admin), usually with a Bearer token;
with a session cookie it needs the ``X-CSRF-Token`` header like any form. Rows of assets
outside the caller's departments are refused one by one, with the same words as rows of
assets that do not exist. It answers ``{"rows", "added", "replaced", "refused": [{"row",
"reason"}], "campaigns_created": [{"iri", "name"}]}``; 400 for a body that cannot be read, 413
above :data:`RESULTS_MAX_BYTES`.
"""

from __future__ import annotations

import hmac
import io
import json
from collections.abc import Callable

from flask import Blueprint, Response, abort, current_app, jsonify, request, session

from app.domain.results.importer import AssetHome, ResultsFileError, ResultsImporter
from app.domain.search import Card, FacetResult, FacetValue, SearchResult
from app.web.auth import STALE_FORM, csrf_exempt, current_actor, current_user, role_required
from app.web.body_limits import body_limit
from app.web.context import current_atrium, current_scope
from app.web.i18n import current_language
from app.web.kept_parts import kept
from app.web.search_urls import asset_urls, request_query

api = Blueprint("api", __name__)
RESULTS_MAX_BYTES = 32 * 1024 * 1024  # about 300,000 rows of CSV


@api.get("/api/search")
def search() -> Response:
    """Search results and facets as JSON; parameters as for ``/search``."""
    result = current_atrium().search.search(request_query(), current_scope(), current_language())
    body = kept(result, "api.search", lambda: f"{current_app.json.dumps(result_json(result))}\n")
    return Response(body, mimetype=current_app.json.mimetype)


@api.post("/api/results")
@body_limit(lambda config: RESULTS_MAX_BYTES)  # refused before authentication when larger
@csrf_exempt  # checked below, after authentication, so that anonymous callers get a 401
@role_required("contributor")
def record_results() -> Response:
    """Record results rows for assets of the caller's departments."""
    _check_csrf_of_session()
    user = current_user()

    def may_record(home: AssetHome) -> bool:
        return user.may_change(home.department)

    rows = _results_body()
    try:
        importer = ResultsImporter(current_atrium(), may_record=may_record, actor=current_actor())
        summary = importer.run(rows)
    except ResultsFileError as error:
        abort(400, description=str(error))
    return jsonify(summary.as_json())


def _check_csrf_of_session() -> None:
    """A session-cookie POST carries the session's CSRF token; a Bearer-token one needs none."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return
    sent = request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent, expected):
        abort(400, description=STALE_FORM)


def _results_body() -> io.StringIO | list[object]:
    """The request body as CSV text or a list of rows; 413 when too large, 400 unreadable."""
    if (request.content_length or 0) > RESULTS_MAX_BYTES:
        abort(413, description=f"send at most {RESULTS_MAX_BYTES // 2**20} MiB per request")
    body = request.stream.read(RESULTS_MAX_BYTES + 1)
    if len(body) > RESULTS_MAX_BYTES:
        abort(413, description=f"send at most {RESULTS_MAX_BYTES // 2**20} MiB per request")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        abort(400, description="the body is not UTF-8 text")
    if request.mimetype in ("text/csv", "text/plain"):
        return io.StringIO(text, newline="")
    if request.mimetype != "application/json":
        abort(415, description="send a JSON list of rows or text/csv")
    try:
        rows = json.loads(text)
    except ValueError as error:
        abort(400, description=f"the body is not JSON: {error}")
    if not isinstance(rows, list):
        abort(400, description="send a JSON list of row objects")
    return rows


def result_json(result: SearchResult) -> dict[str, object]:
    asset_page = asset_urls("assets.page", _external=True)
    thumbnail = asset_urls("assets.rendition", kind="thumbnail", _external=True)
    return {
        "total": result.total,
        "page": result.query.page,
        "per_page": result.query.per_page,
        "results": [_card(card, asset_page, thumbnail) for card in result.cards],
        "facets": [_facet(facet) for facet in result.facets],
    } | ({"suggestions": result.suggestions} if result.suggestions else {})  # "did you mean"


def _card(
    card: Card, page: Callable[[str], str], thumbnail: Callable[[str], str]
) -> dict[str, object]:
    return {
        "id": card.asset_id,
        "iri": card.iri,
        "title": card.title,
        "thumbnail": thumbnail(card.asset_id) if card.has_thumbnail else None,
        "url": page(card.asset_id),
        "format": card.format,
        "created": card.created,
        "department": card.department,
    }


def _facet(facet: FacetResult) -> dict[str, object]:
    return {
        "name": facet.name,
        "label": facet.label,
        "truncated": facet.truncated,
        "timed_out": facet.timed_out,
        "values": [_value(value) for value in facet.values],
    }


def _value(value: FacetValue) -> dict[str, object]:
    return {
        "value": value.value,
        "label": value.label,
        "count": value.count,
        "selected": value.selected,
        "expandable": value.expandable,
        "children": [_value(child) for child in value.children],
    }
