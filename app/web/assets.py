"""``/assets/<id>``: an asset's page (or its RDF, by content negotiation), file and renditions.

An asset the reader may not see answers 404, exactly like one that does not exist.

Every representation of an asset carries its record's version as its ``ETag``, and the page's
access form as a hidden field. A change made from a stale version is refused: 409 with the
person's choice kept (the form), or 412 when ``If-Match`` named it (a script).
"""

from __future__ import annotations

import unicodedata
from typing import NoReturn
from urllib.parse import quote

from flask import Blueprint, Response, abort, redirect, render_template, request, send_file, url_for
from pyoxigraph import NamedNode, Triple

from app.domain.access import ACCESS_LEVELS
from app.domain.asset_view import asset_view
from app.domain.assets import AssetConflict, AssetRefused, record_version
from app.domain.iris import ASSET_ID
from app.namespaces import DAM, SCHEMA
from app.web import current_atrium, current_scope
from app.web.auth import current_user, role_required
from app.web.negotiation import negotiated
from app.web.search_urls import request_language

assets = Blueprint("assets", __name__)

# Originals of these types are safe to show inline; anything else downloads as an attachment.
INLINE_TYPES = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/avif",
    "application/pdf",
}
FILE_NAME_BYTES = 200  # of UTF-8: a stored or downloaded name fits any file system's 255
UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}  # controls (CR, LF…), bidi overrides, line breaks
RFC5987_SAFE = "!#$&+-.^_`|~"  # attr-char besides letters and digits (RFC 5987, section 3.2.1)


def _visible_record(asset_id: str) -> list:
    if not ASSET_ID.match(asset_id):
        abort(404)
    atrium = current_atrium()
    triples = atrium.assets.record(asset_id, current_scope())
    if not triples:
        abort(404)
    return triples


@assets.get("/assets/<asset_id>")
def page(asset_id: str) -> Response | str:
    """The asset's page for a browser; Turtle, JSON-LD, N-Triples or RDF/XML for RDF clients."""
    triples = _visible_record(asset_id)
    response = negotiated(lambda: triples, lambda: _asset_page(asset_id, triples))
    response.set_etag(record_version(triples))
    return response


def _asset_page(
    asset_id: str,
    triples: list,
    results: dict | None = None,
    access_change: dict | None = None,
) -> str:
    """The page; ``results``: the Results section's state (a refused entry form), else read;
    ``access_change``: a refused access change (``chosen``, ``conflict``), to show again."""
    from app.web.performance import results_context

    atrium = current_atrium()
    view = asset_view(
        atrium.store,
        atrium.iris,
        atrium.fields,
        asset_id,
        current_scope(),
        triples,
        request_language(),
    )
    missing = atrium.assets.missing_fields(asset_id) if view.incomplete else []
    user = current_user()
    history = atrium.audit.history(atrium.iris.asset(asset_id)) if user and user.is_admin else []
    return render_template(
        "asset.html",
        asset=view,
        missing=missing,
        history=history,
        may_change_access=may_change(asset_id),
        access_levels=list(ACCESS_LEVELS),
        access_change=access_change or {},
        **(results if results is not None else results_context(asset_id)),
    )


@assets.get("/assets/<asset_id>/file")
def original(asset_id: str) -> Response:
    """The original file, under its original name."""
    atrium = current_atrium()
    file = _facts(_visible_record(asset_id), atrium.iris.asset_file(asset_id))
    mime = file.get(SCHEMA.encodingFormat, "application/octet-stream")
    response = _send(
        file.get(DAM.sha256, ""), mime, file.get(SCHEMA.name), mime not in INLINE_TYPES
    )
    user = current_user()
    atrium.audit.record("downloaded", atrium.iris.asset(asset_id), user.name if user else None)
    return response


@assets.post("/assets/<asset_id>/access")
@role_required("contributor")
def change_access(asset_id: str) -> Response | tuple[str, int]:
    """Move an asset to another access level (contributors of its department, admins)."""
    _visible_record(asset_id)
    if not may_change(asset_id):
        abort(403, description="only contributors of the owning department may change this")
    atrium = current_atrium()
    chosen = request.form.get("access", "")
    seen = request.form.get("version") or None  # a script may send If-Match instead
    if request.if_match:
        current = require_version(atrium.assets.version(asset_id))
        seen = seen or current
    try:
        atrium.assets.set_access(asset_id, chosen, expected_version=seen)
    except ValueError as error:
        abort(400, description=str(error))
    except AssetRefused as refusal:
        abort(409, description=f"not changed: {refusal}")
    except AssetConflict as conflict:
        if request.if_match:
            precondition_failed()
        page = _asset_page(
            asset_id,
            _visible_record(asset_id),
            access_change={"chosen": chosen, "conflict": conflict},
        )
        return page, 409
    atrium.audit.record("changed", atrium.iris.asset(asset_id), current_user().name)
    return redirect(url_for("assets.page", asset_id=asset_id))


def require_version(current: str | None) -> str | None:
    """Answer 412 unless the request's ``If-Match`` names ``current``, the version of the
    record as it is now (RFC 9110 §13.1.1; ``*``: any); without ``If-Match``, pass.
    Returns ``current``."""
    wanted = request.if_match
    if wanted and (current is None or not wanted.contains(current)):
        precondition_failed()
    return current


def precondition_failed() -> NoReturn:
    abort(
        412,
        description="the asset has changed since you read it (If-Match names another version): "
        "read it again, its ETag is the current version, and send your change again",
    )


def may_change(asset_id: str) -> bool:
    """Contributors of the owning department, and admins, may change an asset (its access,
    its description, its results)."""
    user = current_user()
    if user is None or not user.has_role("contributor"):
        return False
    found = current_atrium().assets.access_of(asset_id)
    return found is not None and (user.is_admin or found[1] in user.departments)


@assets.get("/assets/<asset_id>/<any(thumbnail, preview):kind>")
def rendition(asset_id: str, kind: str) -> Response:
    node = current_atrium().iris.rendition(asset_id, kind)
    rendition = _facts(_visible_record(asset_id), node)
    return _send(rendition.get(DAM.sha256, ""), "image/jpeg", None, False)


def _facts(triples: list[Triple], node: NamedNode) -> dict[NamedNode, str]:
    """The literal values of ``node`` (a file or rendition) in an asset's record."""
    return {t.predicate: t.object.value for t in triples if t.subject == node}


def _send(sha256: str, mime: str, name: str | None, attachment: bool) -> Response:
    media = current_atrium().media
    if len(sha256) != 64 or not media.exists(sha256):
        abort(404)
    response = send_file(
        media.path(sha256),
        mimetype=mime,
        as_attachment=attachment,
        conditional=True,
        etag=sha256,
        max_age=3600,
    )
    if name is not None:
        kind = "attachment" if attachment else "inline"
        response.headers["Content-Disposition"] = content_disposition(kind, name)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def clean_file_name(name: str, max_bytes: int = FILE_NAME_BYTES) -> str:
    """``name`` as one safe path component: no folder part, no control or format character
    (each becomes ``_``), no leading dot, at most ``max_bytes`` of UTF-8 with its extension
    kept; "" when nothing is left. Uploads are saved under it; downloads are offered under it."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join("_" if unicodedata.category(c) in UNSAFE_CATEGORIES else c for c in name)
    name = unicodedata.normalize("NFC", name).strip().lstrip(".")
    if len(name.encode()) <= max_bytes:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or len(suffix) > 16 or not suffix.isalnum():
        stem, suffix = name, ""
    ending = f".{suffix}" if suffix else ""
    room = max_bytes - len(ending.encode())
    return stem.encode()[:room].decode("utf-8", "ignore").rstrip(" .") + ending


def content_disposition(kind: str, name: str) -> str:
    """An RFC 6266 ``Content-Disposition``: ``kind`` (attachment or inline), an ASCII
    ``filename`` fallback and the name itself as ``filename*`` (RFC 5987, UTF-8). Never raises:
    CR, LF and other control characters cannot reach the header."""
    clean = clean_file_name(name) or "download"
    fallback = unicodedata.normalize("NFKD", clean).encode("ascii", "ignore").decode("ascii")
    fallback = fallback.replace('"', "_").replace("\\", "_").strip() or "download"
    encoded = quote(clean, safe=RFC5987_SAFE)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
