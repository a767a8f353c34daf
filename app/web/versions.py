"""``/assets/<id>/versions`` and ``/api/assets/<id>/versions``: the files an asset has had, a
new one, and revert (the domain is :mod:`app.domain.assets.versions`).

Whoever may see the asset sees its versions and downloads each file; anyone else gets 404, as
for the asset. Contributors of its department and admins upload a new file and revert (403 for
other signed-in users). Who uploaded a version is shown to signed-in readers only, as the
vocabulary history is. A form carries the record's version (also the pages' ``ETag``): a stale
one answers 409 and stores nothing, a stale ``If-Match`` 412. An upload may be as large as one
on ``/upload``, and no larger. The JSON API takes a Bearer token, or a session cookie with the
``X-CSRF-Token`` header; an anonymous caller gets 401.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.datastructures import FileStorage

from app.config import Config
from app.domain.assets.downloads import download_name, extension_for, human_size
from app.domain.assets.records import AssetConflict, AssetRefused, record_version
from app.domain.assets.versions import (
    FileVersion,
    FileVersions,
    NothingChanged,
    StoredElsewhere,
    VersionRefused,
)
from app.domain.iris import ASSET_ID
from app.domain.media.ingest import work_folders
from app.domain.people.audit import Actor
from app.domain.terms import NamedNode, Triple
from app.namespaces import DCT
from app.web.assets import clean_file_name, content_disposition, require_version
from app.web.assets import precondition_failed as stale_if_match
from app.web.auth import answers_anonymous_itself, current_user, role_required
from app.web.body_limits import MULTIPART_ENVELOPE_BYTES, body_limit
from app.web.context import current_atrium, current_scope, may_change
from app.web.i18n import N_, LazyText, in_english, localized
from app.web.i18n import lazy_text as _l
from app.web.refusals import HIDDEN_DUPLICATE, NOT_YOURS, file_too_large, refused_because

versions = Blueprint("versions", __name__)
NOT_STORED = N_("Not stored: %(reason)s. The asset is unchanged.")


def _upload_bytes(config: Config) -> int:
    return config.max_upload_bytes + MULTIPART_ENVELOPE_BYTES


@versions.app_template_global()
def version_count(asset_id: str, triples: list[Triple]) -> int:
    """``{{ version_count(asset.asset_id, asset.triples) }}``: how many files the asset has had."""
    return FileVersions(current_atrium()).count_in(asset_id, triples)


# Pages ------------------------------------------------------------------------------------------


@versions.get("/assets/<asset_id>/versions")
def page(asset_id: str) -> Response:
    """The versions of the asset's file, newest first."""
    return _page(asset_id, _visible(asset_id))


@versions.post("/assets/<asset_id>/versions")
@role_required("contributor")
@body_limit(_upload_bytes, file_too_large)
def upload(asset_id: str) -> Response:
    """Make the uploaded file the asset's current file (a new version)."""
    triples = _changeable(asset_id)
    file = request.files.get("file")
    if file is None or not file.filename:
        return _page(asset_id, triples, 422, problem=N_("Choose a file to upload."))
    seen = _seen_version(asset_id)
    with _received(file) as path:
        return _answer_page(
            asset_id, lambda domain: domain.upload(asset_id, path, expected_version=seen)
        )


@versions.post("/assets/<asset_id>/versions/<int:number>/revert")
@role_required("contributor")
def revert(asset_id: str, number: int) -> Response:
    """Make an earlier file current again (as a new version)."""
    return _answer_page(asset_id, _reverting(asset_id, number))


@versions.get("/assets/<asset_id>/versions/<int:number>/file")
def download(asset_id: str, number: int) -> Response:
    """The file of one version, as an attachment named after the asset and the version."""
    atrium = current_atrium()
    triples = _visible(asset_id)
    chosen = _version(asset_id, triples, number)
    iri = atrium.iris.asset(asset_id)
    title = _title(triples, iri)
    extension = extension_for(chosen.mime, chosen.name)
    name = download_name(title, chosen.name, asset_id, extension, f"version-{number}")
    if len(chosen.sha256) != 64 or not atrium.media.exists(chosen.sha256):
        abort(404)
    response = send_file(
        atrium.media.path(chosen.sha256),
        mimetype=chosen.mime or "application/octet-stream",
        as_attachment=True,
        conditional=True,
        etag=chosen.sha256,
        max_age=3600,
    )
    response.headers["Content-Disposition"] = content_disposition("attachment", name)
    response.headers["Cache-Control"] = "private, max-age=3600"
    user = current_user()
    atrium.audit.record("downloaded", iri, Actor.reader(user and user.name))
    return response


# JSON -------------------------------------------------------------------------------------------


@versions.get("/api/assets/<asset_id>/versions")
def api_list(asset_id: str) -> Response:
    """The versions as JSON: ``{"asset", "record_version", "versions": [...]}``."""
    return _json(asset_id, _visible(asset_id))


@versions.post("/api/assets/<asset_id>/versions")
@answers_anonymous_itself
@role_required("contributor")
@body_limit(_upload_bytes, file_too_large)
def api_upload(asset_id: str) -> Response:
    """Upload a new version (multipart, field ``file``; ``version`` or ``If-Match``)."""
    _changeable(asset_id)
    file = request.files.get("file")
    if file is None or not file.filename:
        abort(400, description="send the new file as the multipart field 'file'")
    seen = _seen_version(asset_id)
    with _received(file) as path:
        return _answer_json(
            asset_id, lambda domain: domain.upload(asset_id, path, expected_version=seen)
        )


@versions.post("/api/assets/<asset_id>/versions/<int:number>/revert")
@answers_anonymous_itself
@role_required("contributor")
def api_revert(asset_id: str, number: int) -> Response:
    """Make version ``number``'s file current again."""
    return _answer_json(asset_id, _reverting(asset_id, number))


# Internals --------------------------------------------------------------------------------------

Work = Callable[[FileVersions], FileVersion]


def _reverting(asset_id: str, number: int) -> Work:
    """The revert to version ``number``, once the caller may change the asset; it expects the
    record's version the caller saw."""
    _changeable(asset_id)
    seen = _seen_version(asset_id)
    return lambda domain: domain.revert(asset_id, number, expected_version=seen)


def _attempt(
    asset_id: str, work: Work
) -> tuple[FileVersion | None, int, LazyText | str, str | None]:
    """Run ``work``: (the new version, status, what to tell the person, a holder they may see)."""
    user = current_user()
    try:
        return work(FileVersions(current_atrium(), user.name)), 201, "", None
    except NothingChanged as unchanged:
        return None, 200, _l("Nothing changed: %(reason)s.", reason=localized(unchanged)), None
    except StoredElsewhere as elsewhere:
        if not current_atrium().assets.record(elsewhere.holder, current_scope()):
            return None, 409, HIDDEN_DUPLICATE, None
        message = _l(
            "Not stored: this file is asset %(holder)s's; a version of this asset cannot be "
            "another asset's file.",
            holder=elsewhere.holder,
        )
        return None, 409, message, elsewhere.holder
    except VersionRefused as refused:
        return None, 422, _l(NOT_STORED, reason=localized(refused)), None
    except AssetRefused as refusal:
        return None, 422, _l(NOT_STORED, reason=refused_because(refusal)), None
    except AssetConflict as conflict:
        if request.if_match:
            stale_if_match()
        message = _l(
            "Not stored: %(reason)s. Look at it again, then send your file again.",
            reason=localized(conflict),
        )
        return None, 409, message, None
    except KeyError:
        abort(404)


def _answer_page(asset_id: str, work: Work) -> Response:
    added, status, message, holder = _attempt(asset_id, work)
    if added is not None:
        return redirect(url_for("versions.page", asset_id=asset_id))
    triples = _visible(asset_id)
    if status == 200:
        return _page(asset_id, triples, notice=message)
    return _page(asset_id, triples, status, problem=message, holder=holder)


def _answer_json(asset_id: str, work: Work) -> Response:
    added, status, message, holder = _attempt(asset_id, work)
    if status >= 400:
        body = {"error": in_english(message), "status": status}
        if holder:
            body["holder"] = holder
        return _with_status(jsonify(body), status)
    response = _json(
        asset_id, _visible(asset_id), changed=added is not None, message=in_english(message)
    )
    if added is not None:
        response.status_code = 201
        response.headers["Location"] = url_for(
            "versions.api_list", asset_id=asset_id, _external=True
        )
    return response


def _page(
    asset_id: str,
    triples: list[Triple],
    status: int = 200,
    *,
    problem: str = "",
    notice: str = "",
    holder: str | None = None,
) -> Response:
    atrium = current_atrium()
    iri = atrium.iris.asset(asset_id)
    title = _title(triples, iri) or asset_id
    html = render_template(
        "versions.html",
        asset_id=asset_id,
        title=title,
        versions=FileVersions(atrium).versions_in(asset_id, triples),
        may_change=may_change(asset_id),
        record_version=record_version(triples),
        show_uploader=current_user() is not None,
        problem=problem,
        notice=notice,
        holder=holder,
    )
    response = Response(html, status)
    response.set_etag(record_version(triples))
    return response


def _json(asset_id: str, triples: list[Triple], **outcome: object) -> Response:
    signed_in = current_user() is not None
    listed = FileVersions(current_atrium()).versions_in(asset_id, triples)
    response = jsonify(
        {
            "asset": asset_id,
            "record_version": record_version(triples),
            **outcome,
            "versions": [_version_json(asset_id, v, signed_in) for v in listed],
        }
    )
    response.set_etag(record_version(triples))
    return response


def _version_json(asset_id: str, version: FileVersion, signed_in: bool) -> dict[str, object]:
    return {
        "number": version.number,
        "current": version.current,
        "uploaded": version.uploaded,
        "uploader": version.uploader if signed_in else None,
        "name": version.name,
        "type": version.mime,
        "bytes": version.size,
        "size": human_size(version.size),
        "sha256": version.sha256,
        "restores": version.restores,
        "download": url_for(
            "versions.download", asset_id=asset_id, number=version.number, _external=True
        ),
    }


def _title(triples: list[Triple], iri: NamedNode) -> str | None:
    return next(
        (t.object.value for t in triples if t.subject == iri and t.predicate == DCT.title), None
    )


def _visible(asset_id: str) -> list[Triple]:
    """The asset's record as the reader sees it; 404 when they may not (or it is not there)."""
    if not ASSET_ID.match(asset_id):
        abort(404)
    triples = current_atrium().assets.record(asset_id, current_scope())
    if not triples:
        abort(404)
    return triples


def _changeable(asset_id: str) -> list[Triple]:
    triples = _visible(asset_id)
    if not may_change(asset_id):
        abort(403, description=NOT_YOURS)
    return triples


def _version(asset_id: str, triples: list[Triple], number: int) -> FileVersion:
    listed = FileVersions(current_atrium()).versions_in(asset_id, triples)
    chosen = next((v for v in listed if v.number == number), None)
    if chosen is None:
        abort(404)
    return chosen


def _seen_version(asset_id: str) -> str | None:
    """The record's version the person saw: the form's, else a script's ``If-Match`` (412 now
    if it is stale already)."""
    seen = request.form.get("version") or None
    if request.if_match:
        current = require_version(current_atrium().assets.version(asset_id))
        seen = seen or current
    return seen


@contextmanager
def _received(file: FileStorage) -> Iterator[Path]:
    """The uploaded file in a private work folder, under its own name made safe."""
    config = current_atrium().config
    with work_folders(config).folder("upload") as folder:
        path = folder / (clean_file_name(file.filename or "") or "upload")
        file.save(path)
        if path.stat().st_size > config.max_upload_bytes:  # the body had room to spare
            abort(413, description=file_too_large(config))
        yield path


def _with_status(response: Response, status: int) -> Response:
    response.status_code = status
    return response
