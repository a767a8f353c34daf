"""``/upload`` and ``/assets/<id>/edit``: contributors describe assets of their departments.

Plain HTML forms that work without JavaScript (a small script only adds suggestions to the
subject boxes, from ``/api/concepts``): concepts are typed as labels, in any language, and
resolved on the server; fields the department's profile requires are marked; a value that
cannot be read, or a write the SHACL shapes refuse, is explained next to its field, and nothing
is saved. Uploads go through the same ingest path as ``atrium ingest``.

The upload form takes several files (``file``, drag and drop with ``upload.js``) and, marked
``store_first``, stores them first: each becomes an asset of the chosen department at once
(kept restricted while its profile's required fields are missing), and the answer lists them
with a link to each one's edit form, so a refused description never loses a file (one file
stored with all of its description leads straight to its page). A duplicate is named and
linked (or, when the uploader may not see it, only said to exist). A script may still send
one ``file`` with its description, unmarked: it is stored only if the description is
accepted, as before.

An edit form carries the version of the record it shows (also its ``ETag``): when someone else
saved the asset in between, the save answers 409 with the form still holding the person's
input, who changed it and when, and what is stored now; a script's stale ``If-Match``, 412.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from werkzeug.datastructures import FileStorage

from app.config import Config
from app.domain.assets.editing import (
    FormField,
    apply_values,
    form_fields,
    place_problems,
    read_form,
    stored_differences,
)
from app.domain.assets.records import AssetConflict, AssetDraft, AssetRefused
from app.domain.assets.validation import Problem
from app.domain.iris import ASSET_ID
from app.domain.media.ingest import Ingester, Outcome, Resolved, work_folders
from app.domain.media.prepare import PreparedFile, prepare
from app.domain.operations.health import INGESTED_FILES
from app.domain.people.access import ACCESS_LEVELS
from app.domain.people.audit import Actor
from app.messages import Message
from app.namespaces import DCT
from app.web.assets import clean_file_name, precondition_failed, require_version
from app.web.auth import current_user, role_required
from app.web.body_limits import MULTIPART_ENVELOPE_BYTES, body_limit
from app.web.context import current_atrium, current_scope
from app.web.i18n import current_language, interface_languages
from app.web.i18n import lazy_text as _l
from app.web.refusals import (
    HIDDEN_DUPLICATE,
    NO_DEPARTMENT,
    NOT_YOURS,
    department_not_yours,
    files_too_large,
    too_many_files,
)

edit = Blueprint("edit", __name__)


@edit.route("/assets/<asset_id>/edit", methods=["GET", "POST"])
@role_required("contributor")
def edit_asset(asset_id: str) -> Response:
    """Change an asset's description (contributors of its department, and admins)."""
    atrium = current_atrium()
    if not ASSET_ID.match(asset_id) or not atrium.assets.record(asset_id, current_scope()):
        abort(404)
    draft = atrium.assets.stored_draft(asset_id)
    if draft is None:
        abort(404)
    _may_describe(draft.department)
    fields = _fields(draft.department, draft)
    title = next((f.values[0] for f in fields if f.name == "title" and f.values), asset_id)
    if request.method == "GET":
        return _edit_page(draft, title, fields, [])
    require_version(draft.version)
    seen = request.form.get("version") or None  # a script may send If-Match instead
    concepts = atrium.concepts()
    typed = read_form(fields, request.form, concepts)
    try:
        if seen is not None and seen != draft.version:
            raise atrium.assets.conflict(asset_id, draft.version)
        if any(f.errors for f in fields):
            return _edit_page(draft, title, fields, [], 422)
        apply_values(draft, fields, typed, concepts, keep_empty=False)
        atrium.assets.save(draft, actor=Actor.user(current_user().name))
    except AssetRefused as refusal:
        problems = place_problems(fields, refusal.report.refusals, current_language())
        return _edit_page(draft, title, fields, problems, 422)
    except AssetConflict as conflict:
        return _conflict_page(draft, title, fields, conflict)
    return redirect(url_for("assets.page", asset_id=asset_id))


def _conflict_page(
    draft: AssetDraft, title: str, fields: list[FormField], conflict: AssetConflict
) -> Response:
    """409: the form with the person's input, and what someone else stored meanwhile; saving
    it again replaces that with the person's version."""
    if request.if_match:
        precondition_failed()
    stored = current_atrium().assets.stored_draft(draft.asset_id)
    now = _fields(stored.department, stored) if stored is not None else []
    return _edit_page(
        draft,
        title,
        fields,
        [],
        409,
        version=conflict.current_version or "",
        conflict=conflict,
        stored=stored_differences(fields, now),
    )


def _edit_page(
    draft: AssetDraft,
    title: str,
    fields: list[FormField],
    problems: Sequence[str | Message],
    status: int = 200,
    version: str | None = None,
    **conflict: object,
) -> Response:
    """The edit form; ``version``: of the record it stands for (default: the draft's)."""
    version = draft.version if version is None else version
    page = render_template(
        "edit.html",
        fields=fields,
        problems=problems,
        title=title,
        asset_id=draft.asset_id,
        department=draft.department,
        action=url_for("edit.edit_asset", asset_id=draft.asset_id),
        upload=False,
        version=version,
        **conflict,
    )
    response = Response(page, status)
    if version:
        response.set_etag(version)
    return response


@edit.route("/upload", methods=["GET", "POST"])
@role_required("contributor")
@body_limit(lambda config: config.max_upload_bytes + MULTIPART_ENVELOPE_BYTES, files_too_large)
def upload() -> Response | str | tuple[str, int]:
    """Upload files; each becomes an asset of one of the user's departments."""
    departments = _departments()
    if not departments:
        abort(403, description=NO_DEPARTMENT)
    chosen = request.values.get("department") or departments[0]
    if chosen not in departments:
        abort(403, description=department_not_yours(departments))
    access = request.values.get("access", "internal")
    fields = _fields(chosen)
    if request.method == "GET":
        return _upload_page(departments, chosen, access, fields, [])
    chosen_files = [f for f in request.files.getlist("file") if f.filename]
    if chosen_files and (len(chosen_files) > 1 or request.form.get("store_first")):
        return _receive_many(departments, chosen, access, fields, chosen_files)
    return _receive(departments, chosen, access, fields)


def _receive(
    departments: list[str], department: str, access: str, fields: list[FormField]
) -> Response | tuple[str, int]:
    atrium = current_atrium()
    form = (departments, department, access, fields)
    upload = request.files.get("file")
    if access not in ACCESS_LEVELS:
        return _upload_page(departments, department, access, fields, ["choose who may see it"], 422)
    if upload is None or not upload.filename:
        return _upload_page(departments, department, access, fields, ["choose a file"], 422)
    ingester = Ingester(atrium, agent=current_user().name)
    typed = read_form(fields, request.form, ingester.concepts)
    with work_folders(atrium.config).folder("upload") as folder:
        # Saved, and so recorded for download, under its own name made one short, safe path
        # component (a 300-character name would not fit the file system).
        path = folder / (clean_file_name(upload.filename) or "upload")
        upload.save(path)
        if path.stat().st_size > atrium.config.max_upload_bytes:  # the body had room to spare
            abort(413, description=files_too_large(atrium.config))
        prepared = prepare(path, atrium.config.max_image_pixels)
        if prepared.error:
            INGESTED_FILES.add("upload", "failed")
            message = f"{upload.filename}: {prepared.error}"
            return _upload_page(departments, department, access, fields, [message], 422)
        if any(f.errors for f in fields):
            return _upload_page(departments, department, access, fields, [], 422)
        if (known := ingester.duplicate_of(prepared)) is not None:
            INGESTED_FILES.add("upload", "duplicate")
            return _duplicate(known, form)
        options = Resolved(
            ingester.concepts.resolve(department, "departments"),
            access,
            subjects=[],
            values=[(f.field, value) for f in fields for value in typed.get(f.name, [])],
        )
        problems = _refusals(ingester, prepared, options)
        if problems:
            INGESTED_FILES.add("upload", "failed")
            general = place_problems(fields, problems, current_language())
            return _upload_page(departments, department, access, fields, general, 422)
        outcome = ingester.store(prepared, options)  # a racing upload may have stored it first
        INGESTED_FILES.add("upload", outcome.status)
    if outcome.status == "duplicate":
        return _duplicate(outcome, form)
    if outcome.status != "ingested":
        abort(409, description=_l("not stored: %(reason)s", reason=outcome.reason))
    return redirect(url_for("assets.page", asset_id=outcome.asset_id))


def _duplicate(
    outcome: Outcome, form: tuple[list[str], str, str, list[FormField]]
) -> Response | tuple[str, int]:
    """Same bytes as a stored asset: lead to it, as it is (its department and access stay).
    When the uploader may not see it (another department's restricted asset), say only that
    it cannot be stored: no link, no id, no department (409)."""
    if not current_atrium().assets.record(outcome.asset_id, current_scope()):
        departments, department, access, fields = form
        return _upload_page(departments, department, access, fields, [HIDDEN_DUPLICATE], 409)
    return redirect(url_for("assets.page", asset_id=outcome.asset_id, duplicate=1))


def _refusals(ingester: Ingester, prepared: PreparedFile, options: Resolved) -> list[Problem]:
    """What the shapes would refuse in this upload, stored the way ingest stores it."""
    draft = ingester.describe(prepared, prepared.sha256[:16], options)
    assets = ingester.atrium.assets
    return assets.settle_access(draft, assets.validate(draft)).refusals


@dataclass
class Arrival:
    """What became of one file of an upload, as the uploader may be told it."""

    name: str
    status: str  # ingested | duplicate | hidden (a duplicate the uploader may not see) | failed
    asset_id: str | None = None
    title: str = ""
    reason: str = ""
    notes: list[object] = field(default_factory=list)  # texts and messages, for |translated
    missing: list[str] = field(default_factory=list)  # fields to fill in, in the reader's words
    may_edit: bool = False


def _receive_many(
    departments: list[str],
    department: str,
    access: str,
    fields: list[FormField],
    uploads: list[FileStorage],
) -> Response | tuple[str, int]:
    """Store every file first, then lead to their edit forms: a description that cannot be
    read or is refused is left off (and said so), never the file."""
    if access not in ACCESS_LEVELS:
        return _upload_page(departments, department, access, fields, ["choose who may see it"], 422)
    atrium = current_atrium()
    if len(uploads) > atrium.config.max_files_per_upload:
        abort(413, description=too_many_files(atrium.config))
    ingester = Ingester(atrium, agent=current_user().name)
    typed = read_form(fields, request.form, ingester.concepts)
    unread = [f"{f.label} {'; '.join(f.errors)}" for f in fields if f.errors]
    values = [] if unread else [(f.field, v) for f in fields for v in typed.get(f.name, [])]
    bare = Resolved(ingester.concepts.resolve(department, "departments"), access, [], [])
    with work_folders(atrium.config).folder("upload") as folder:
        prepared = _saved(uploads, folder, atrium.config)
        outcomes = _stored(ingester, prepared, replace(bare, values=values))
        refused = [i for i, o in enumerate(outcomes) if o.status == "failed" and o.asset_id]
        if values and refused:  # the shared description was refused: store the files bare
            again = _stored(ingester, [prepared[i] for i in refused], bare)
            for index, outcome in zip(refused, again, strict=True):
                why = outcomes[index].reason
                outcome.notes.insert(0, _l("your description was not applied (%(why)s)", why=why))
                outcomes[index] = outcome
    for outcome in outcomes:
        INGESTED_FILES.add("upload", outcome.status)
    arrivals = [_arrival(u.filename, o) for u, o in zip(uploads, outcomes, strict=True)]
    if _described_in_full(arrivals, unread):  # nothing is left to say or to do
        return redirect(url_for("assets.page", asset_id=arrivals[0].asset_id))
    statuses = {a.status for a in arrivals}
    status = 200 if "ingested" in statuses else 409 if statuses - {"failed"} else 422
    page = render_template(
        "upload_done.html", arrivals=arrivals, department=department, unread=unread
    )
    return page, status


def _described_in_full(arrivals: list[Arrival], unread: list[str]) -> bool:
    """One file, stored with all of its description and nothing to note about it."""
    only = arrivals[0] if len(arrivals) == 1 else None
    described = only is not None and not only.notes and not only.missing
    return described and only.status == "ingested" and not unread


def _saved(uploads: list[FileStorage], folder: Path, config: Config) -> list[PreparedFile]:
    """Each upload saved under its own clean name (a folder each: two may share a name) and
    prepared; 413 once they add up to more than an upload may be."""
    prepared, total = [], 0
    for index, upload in enumerate(uploads):
        path = folder / str(index) / (clean_file_name(upload.filename) or "upload")
        path.parent.mkdir()
        upload.save(path)
        total += path.stat().st_size
        if total > config.max_upload_bytes:  # the body had room to spare for the form
            abort(413, description=files_too_large(config))
        prepared.append(prepare(path, config.max_image_pixels))
    return prepared


def _stored(ingester: Ingester, prepared: list[PreparedFile], options: Resolved) -> list[Outcome]:
    """The ingest's own checks (validated per department in one run) and writes, in order."""
    checked = ingester.check_batch([(item, options) for item in prepared], set())
    return [c if isinstance(c, Outcome) else ingester.write(item, c) for item, c in checked]


def _arrival(name: str, outcome: Outcome) -> Arrival:
    """``outcome`` in words the uploader may read: a duplicate they may not see keeps its id,
    title and department to itself."""
    if outcome.status == "failed":
        reason = outcome.reason.removeprefix("refused: ")
        return Arrival(name, "failed", reason=reason, notes=outcome.notes)
    atrium = current_atrium()
    record = atrium.assets.record(outcome.asset_id, current_scope())
    if not record:
        return Arrival(name, "hidden")
    iri = atrium.iris.asset(outcome.asset_id)
    titles = [t.object.value for t in record if t.subject == iri and t.predicate == DCT.title]
    owner = (atrium.assets.access_of(outcome.asset_id) or ("", ""))[1]
    return Arrival(
        name,
        outcome.status,
        outcome.asset_id,
        titles[0] if titles else outcome.asset_id,
        notes=outcome.notes,
        missing=outcome.missing_fields(current_language()),
        may_edit=owner in _departments(),
    )


def _upload_page(
    departments: list[str],
    department: str,
    access: str,
    fields: list[FormField],
    problems: Sequence[str | Message],
    status: int = 200,
) -> tuple[str, int]:
    page = render_template(
        "edit.html",
        fields=fields,
        problems=problems,
        departments=departments,
        department=department,
        access=access,
        access_levels=list(ACCESS_LEVELS),
        action=url_for("edit.upload"),
        upload=True,
        max_mb=current_atrium().config.max_upload_bytes // (1024 * 1024),
        max_files=current_atrium().config.max_files_per_upload,
    )
    return page, status


def _fields(department: str, draft: AssetDraft | None = None) -> list[FormField]:
    atrium = current_atrium()
    vocabulary = atrium.search.concept_lookup(current_scope())
    record = draft.triples if draft is not None else ()
    asset = draft.iri if draft is not None else None
    return form_fields(
        atrium.fields, department, vocabulary, current_language(), record, asset,
        languages=interface_languages(),
    )  # fmt: skip


def _departments() -> list[str]:
    """The departments the user may describe assets for: their own (admins: all)."""
    user = current_user()
    if user.is_admin:
        return current_atrium().departments()
    return sorted(user.departments)


def _may_describe(department: str) -> None:
    if department not in _departments():
        abort(403, description=NOT_YOURS)
