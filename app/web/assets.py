"""``/assets/<id>``: an asset's page (or its RDF, by content negotiation), file and renditions.

An asset the reader may not see answers 404, exactly like one that does not exist.

Every representation of an asset carries its record's version as its ``ETag``, and the page's
access form as a hidden field. A change made from a stale version is refused: 409 with the
person's choice kept (the form), or 412 when ``If-Match`` named it (a script).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import NoReturn
from urllib.parse import quote

from flask import Blueprint, Response, abort, redirect, render_template, request, send_file, url_for

from app.domain.assets.downloads import download_name, extension_for, human_size
from app.domain.assets.records import AssetConflict, AssetRefused, access_allowed, record_version
from app.domain.assets.renditions import (
    FORMATS,
    MIN_WIDTH,
    PictureCache,
    VariantRefused,
    variant_from,
)
from app.domain.assets.view import asset_view
from app.domain.iris import ASSET_ID
from app.domain.media.audio import PLAYABLE_TYPES as PLAYABLE_AUDIO
from app.domain.media.images import BadFile
from app.domain.media.pdf import PAGE_RENDITION, page_kinds
from app.domain.media.video import PLAYABLE_TYPES as PLAYABLE_VIDEO
from app.domain.people.access import ACCESS_LEVELS
from app.domain.people.audit import Actor
from app.domain.terms import NamedNode, Triple
from app.namespaces import DAM, DCAT, DCT, EXIF, RDF, SCHEMA
from app.web.asset_results import results_context
from app.web.auth import current_user, role_required
from app.web.context import current_atrium, current_scope, may_change
from app.web.i18n import current_language
from app.web.i18n import lazy_text as _l
from app.web.negotiation import negotiated
from app.web.refusals import NOT_YOURS, refused_because

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
PLAYABLE_TYPES = {*PLAYABLE_VIDEO, *PLAYABLE_AUDIO}  # shown inline too: media players play them
FILE_NAME_BYTES = 200  # of UTF-8: a stored or downloaded name fits any file system's 255
UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}  # controls (CR, LF…), bidi overrides, line breaks
RFC5987_SAFE = "!#$&+-.^_`|~"  # attr-char besides letters and digits (RFC 5987, section 3.2.1)
# A value longer than this shows its beginning on the page (a document's text layer runs to
# 200,000 characters); the record, its RDF and search keep it whole.
PAGE_VALUE_CHARS = 1_000


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
    atrium = current_atrium()
    view = asset_view(
        atrium.store,
        atrium.iris,
        atrium.fields,
        asset_id,
        current_scope(),
        triples,
        current_language(),
    )
    _shorten_long_values(view.groups)
    missing = atrium.assets.missing_fields(asset_id) if view.incomplete else []
    user = current_user()
    history = atrium.audit.history(atrium.iris.asset(asset_id)) if user and user.is_admin else []
    return render_template(
        "asset.html",
        asset=view,
        downloads=_download_choices(asset_id, triples),
        pages=[int(kind.rsplit("-", 1)[1]) for kind in page_kinds(view.renditions)],
        missing=missing,
        history=history,
        may_change_access=may_change(asset_id),
        access_levels=_levels_allowed(complete=not view.incomplete),
        access_change=access_change or {},
        **(results if results is not None else results_context(asset_id)),
    )


def _levels_allowed(*, complete: bool) -> list[str]:
    """The access levels the menu offers: only those the domain would apply (an incomplete
    asset cannot be public), so that no choice is refused after it is made."""
    return [level for level in ACCESS_LEVELS if access_allowed(level, complete=complete) == level]


@assets.get("/assets/<asset_id>/file")
def original(asset_id: str) -> Response:
    """The original file, under its original name."""
    atrium = current_atrium()
    file = _facts(_visible_record(asset_id), atrium.iris.asset_file(asset_id))
    mime = file.get(SCHEMA.encodingFormat, "application/octet-stream")
    inline = mime in INLINE_TYPES or mime in PLAYABLE_TYPES
    response = _send(file.get(DAM.sha256, ""), mime, file.get(SCHEMA.name), not inline)
    if _from_the_start():  # a player's further ranges (seeking) are the same download
        reader = Actor.reader(user.name if (user := current_user()) else None)
        atrium.audit.record("downloaded", atrium.iris.asset(asset_id), reader)
    return response


def _from_the_start() -> bool:
    """Whether the request asks for the whole file or a range from its first byte."""
    ranges = request.range.ranges if request.range and request.range.units == "bytes" else None
    return not ranges or ranges[0][0] == 0


@assets.post("/assets/<asset_id>/access")
@role_required("contributor")
def change_access(asset_id: str) -> Response | tuple[str, int]:
    """Move an asset to another access level (contributors of its department, admins)."""
    _visible_record(asset_id)
    if not may_change(asset_id):
        abort(403, description=NOT_YOURS)
    atrium = current_atrium()
    chosen = request.form.get("access", "")
    seen = request.form.get("version") or None  # a script may send If-Match instead
    if request.if_match:
        current = require_version(atrium.assets.version(asset_id))
        seen = seen or current
    try:
        actor = Actor.user(current_user().name)
        atrium.assets.set_access(asset_id, chosen, expected_version=seen, actor=actor)
    except ValueError as error:
        abort(400, description=str(error))
    except AssetRefused as refusal:
        abort(409, description=_l("not changed: %(reason)s", reason=refused_because(refusal)))
    except AssetConflict as conflict:
        if request.if_match:
            precondition_failed()
        page = _asset_page(
            asset_id,
            _visible_record(asset_id),
            access_change={"chosen": chosen, "conflict": conflict},
        )
        return page, 409
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


@assets.get("/assets/<asset_id>/<any(thumbnail, preview):kind>")
def rendition(asset_id: str, kind: str) -> Response:
    node = current_atrium().iris.rendition(asset_id, kind)
    rendition = _facts(_visible_record(asset_id), node)
    return _send(rendition.get(DAM.sha256, ""), "image/jpeg", None, False)


@assets.get("/assets/<asset_id>/page-<int:number>")
def page_picture(asset_id: str, number: int) -> Response:
    """The picture of page ``number`` (2, 3…) of a document, for whoever may see the asset."""
    node = current_atrium().iris.rendition(asset_id, PAGE_RENDITION.format(number=number))
    rendition = _facts(_visible_record(asset_id), node)
    return _send(rendition.get(DAM.sha256, ""), "image/jpeg", None, False)


def _shorten_long_values(groups: dict[str, list[tuple[str, list]]]) -> None:
    for rows in groups.values():
        for _, values in rows:
            for value in values:
                if len(value.text) > PAGE_VALUE_CHARS:
                    value.text = value.text[:PAGE_VALUE_CHARS].rstrip() + " …"


@assets.get("/assets/<asset_id>/download")
def download(asset_id: str) -> Response:
    """The original (no parameters), a stored rendition (``?rendition=preview`` or
    ``thumbnail``) or a picture made on request (``?format=jpeg|png|webp&width=800``), as an
    attachment named after the asset's title. Visible to whoever may see the asset."""
    atrium = current_atrium()
    triples = _visible_record(asset_id)
    file = _facts(triples, atrium.iris.asset_file(asset_id))
    chosen = request.args.get("rendition", "").strip() or "original"
    made_to_order = "format" in request.args or "width" in request.args
    if made_to_order and chosen != "original":
        abort(400, description="ask for a rendition, or for a format and width, not both")
    if made_to_order:
        response = _made_to_order(asset_id, triples, file)
    elif chosen == "original":
        mime = file.get(SCHEMA.encodingFormat, "application/octet-stream")
        name = _download_name(asset_id, triples, extension_for(mime, file.get(SCHEMA.name, "")))
        response = _send(file.get(DAM.sha256, ""), mime, name, True)
    elif chosen in (kinds := _rendition_kinds(triples)):
        rendition = _facts(triples, atrium.iris.rendition(asset_id, chosen))
        mime = rendition.get(SCHEMA.encodingFormat, "image/jpeg")  # a video's web rendition: MP4
        name = _download_name(asset_id, triples, extension_for(mime), chosen)
        response = _send(rendition.get(DAM.sha256, ""), mime, name, True)
    else:
        allowed = ", ".join(("original", *kinds))
        abort(400, description=f"rendition must be one of {allowed}, not {chosen!r}")
    user = current_user()
    atrium.audit.record("downloaded", atrium.iris.asset(asset_id), Actor.reader(user and user.name))
    return response


def _rendition_kinds(triples: list[Triple]) -> list[str]:
    """The kinds of rendition the record lists (``…/renditions/preview`` is a "preview")."""
    kinds = {
        t.subject.value.rsplit("/", 1)[-1]
        for t in triples
        if t.predicate == RDF.type and t.object == DAM.Rendition
    }
    return sorted(kinds)


def _made_to_order(asset_id: str, triples: list[Triple], file: dict[NamedNode, str]) -> Response:
    """A JPEG, PNG or WebP of an image at a width, made once and then read from the cache."""
    atrium = current_atrium()
    try:
        variant = variant_from(
            request.args.get("format"), request.args.get("width"), atrium.config.max_download_width
        )
    except VariantRefused as refusal:
        abort(400, description=str(refusal))
    mime = file.get(SCHEMA.encodingFormat, "")
    sha256 = file.get(DAM.sha256, "")
    if not mime.startswith("image/"):
        abort(
            422,
            description=f"sizes and formats are made from images only, and this file is "
            f"{mime or 'of an unknown type'}: download the original, preview or thumbnail",
        )
    if len(sha256) != 64 or not atrium.media.exists(sha256):
        abort(404)
    try:
        picture = _pictures().picture(atrium.media.path(sha256), sha256, variant)
    except BadFile as bad:
        abort(422, description=f"no other size or format can be made of this image: {bad.reason}")
    name = _download_name(asset_id, triples, picture.format.extension, f"{picture.width}px")
    etag = f"{sha256}-{picture.width}-{picture.format.name}"
    return _send_path(picture.path, picture.format.mime, name, True, etag)


def _pictures() -> PictureCache:
    config = current_atrium().config
    return PictureCache(
        config.pictures_dir,
        max_pixels=config.max_image_pixels,
        max_width=config.max_download_width,
    )


def _download_name(asset_id: str, triples: list[Triple], extension: str, variant: str = "") -> str:
    iris = current_atrium().iris
    asset, file = iris.asset(asset_id), iris.asset_file(asset_id)
    title = next(
        (t.object.value for t in triples if t.subject == asset and t.predicate == DCT.title), None
    )
    original = _facts(triples, file).get(SCHEMA.name)
    return download_name(title, original, asset_id, extension, variant)


def _download_choices(asset_id: str, triples: list[Triple]) -> dict[str, object]:
    """What the asset page offers to download: the original and the stored renditions with
    their sizes in bytes and pixels, and the formats and widths made on request."""
    atrium = current_atrium()
    file = _facts(triples, atrium.iris.asset_file(asset_id))
    choices = []
    if file.get(DAM.sha256):
        mime = file.get(SCHEMA.encodingFormat, "")
        size = file.get(DCAT.byteSize, "")
        choices.append({"kind": "original", "type": mime, "bytes": int(size) if size else None})
    pages = set(page_kinds(_rendition_kinds(triples)))  # shown as the page strip instead
    for kind in (k for k in _rendition_kinds(triples) if k not in pages):
        rendition = _facts(triples, atrium.iris.rendition(asset_id, kind))
        sha256 = rendition.get(DAM.sha256, "")
        if len(sha256) == 64 and atrium.media.exists(sha256):
            size = atrium.media.path(sha256).stat().st_size
            pixels = [rendition.get(p, "?") for p in (EXIF.imageWidth, EXIF.imageLength)]
            mime = rendition.get(SCHEMA.encodingFormat, "image/jpeg")
            choices.append({"kind": kind, "type": mime, "bytes": size, "pixels": pixels})
    return {
        "files": choices,
        "formats": list(FORMATS),
        "min_width": MIN_WIDTH,
        "max_width": atrium.config.max_download_width,
        "made_to_order": file.get(SCHEMA.encodingFormat, "").startswith("image/"),
    }


def _facts(triples: list[Triple], node: NamedNode) -> dict[NamedNode, str]:
    """The literal values of ``node`` (a file or rendition) in an asset's record."""
    return {t.predicate: t.object.value for t in triples if t.subject == node}


def _send(sha256: str, mime: str, name: str | None, attachment: bool) -> Response:
    media = current_atrium().media
    if len(sha256) != 64 or not media.exists(sha256):
        abort(404)
    return _send_path(media.path(sha256), mime, name, attachment, sha256)


def _send_path(path: Path, mime: str, name: str | None, attachment: bool, etag: str) -> Response:
    response = send_file(
        path,
        mimetype=mime,
        as_attachment=attachment,
        conditional=True,
        etag=etag,
        max_age=3600,
    )
    if name is not None:
        kind = "attachment" if attachment else "inline"
        response.headers["Content-Disposition"] = content_disposition(kind, name)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@assets.app_template_filter("human_size")
def human_size_filter(count: int | str | None) -> str:
    """``{{ size|human_size }}``: a size in bytes in KiB, MiB…; "" when unknown."""
    return human_size(int(count)) if count not in (None, "") else ""


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
