"""``/bulk/…``: acting on a selection of search results, and ``/api/bulk/…``: the same as JSON.

The search page's selection bar (``_selection.html``) is one form: the results' checkboxes
belong to it (``form="selection"``), and it says which assets it means (``which``): those
ticked (``asset``), every result on the page (``page_asset``), or every result of the search
(``query``, the search's parameters). Its buttons are:

- download a zip (``/bulk/zip``, anyone, of what they may see, streamed:
:mod:`app.domain.assets.zips`);
- add to a collection (``/bulk/collection``, signed in);
- edit a field, change access, delete (``/bulk/review``, contributors): a confirmation page
  lists the assets with the version of each it shows, and sends them on to ``/bulk/edit``,
  ``/bulk/access`` or ``/bulk/delete``, which answer a per-asset report
  (:mod:`app.domain.assets.bulk`).

Every POST carries the CSRF token (checked for all, :func:`app.web.auth.check_csrf`); a
malformed id answers 400, too many assets for a zip 413. The JSON twins take
``{"assets": [ids], "versions": {id: version}, …}`` and answer the report as JSON.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, Response, abort, jsonify, render_template, request, stream_with_context
from werkzeug.datastructures import MultiDict

from app.domain.assets.bulk import (
    EDIT_OPERATIONS,
    BadSelection,
    BulkActions,
    BulkReport,
    parse_asset_ids,
)
from app.domain.assets.zips import TooManyForZip, check_count, stream_zip
from app.domain.iris import COLLECTION_ID
from app.domain.people.access import ACCESS_LEVELS
from app.domain.people.audit import Actor
from app.domain.search import BadSearch, SearchQuery
from app.web.auth import current_user, role_required
from app.web.collections import collection_refusals
from app.web.context import current_atrium, current_reader, current_scope
from app.web.i18n import current_language, localized
from app.web.i18n import lazy_text as _l

selection = Blueprint("selection", __name__)
ACTIONS = ("edit", "access", "delete")


# The selection ------------------------------------------------------------------------------


def _payload() -> MultiDict:
    """The request's fields: a form, or a JSON object (lists become repeated fields)."""
    if not request.is_json:
        return request.form
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="send a JSON object")
    fields = MultiDict()
    for name, value in body.items():
        if name == "versions" and isinstance(value, dict):
            for asset_id, version in value.items():
                fields.add(f"version-{asset_id}", str(version))
        elif name == "assets" and isinstance(value, list):
            for asset_id in value:
                fields.add("asset", str(asset_id))
        elif isinstance(value, (str, int, float)):
            fields.add(name, str(value))
    return fields


def _selected_ids(limit: int | None = None) -> list[str]:
    """The assets the request means: 400 if malformed or none, 413 if more than ``limit``
    (None: the most one bulk action takes)."""
    if limit is None:
        limit = current_atrium().config.max_bulk_assets
    form = _payload()
    which = form.get("which", "chosen")
    if which == "all":
        texts = current_atrium().search.matching_ids(_query(form), current_scope(), limit + 1)
    else:
        texts = form.getlist("page_asset" if which == "page" else "asset")
    if len(texts) > limit:
        try:
            check_count(len(texts), limit)
        except TooManyForZip as error:
            abort(413, description=localized(error))
    try:
        ids = parse_asset_ids(texts, limit)
    except BadSelection as error:
        abort(400, description=localized(error))
    if not ids:
        abort(400, description=_l("choose at least one asset: tick its box, or choose all"))
    return ids


def _query(form: MultiDict) -> SearchQuery:
    """The search whose every result is meant ("all N results")."""
    pairs = parse_qsl(form.get("query", ""), keep_blank_values=True, max_num_fields=200)
    try:
        return SearchQuery.from_args(MultiDict(pairs), current_atrium().search.facets().names)
    except BadSearch as error:
        abort(400, description=localized(error))


def _versions(asset_ids: list[str]) -> dict[str, str]:
    form = _payload()
    return {i: v for i in asset_ids if (v := form.get(f"version-{i}", ""))}


@selection.app_template_global()
def selection_query(query: SearchQuery) -> str:
    """A search's parameters (without its page), for "all N results"."""
    return urlencode([(k, v) for k, v in query.params() if k not in ("page", "per_page")])


@selection.app_template_global()
def bulk_collections() -> list[tuple[str, str]]:
    """(id, title) of the collections the signed-in user may add assets to."""
    user = current_user()
    if user is None:
        return []
    atrium = current_atrium()
    found = atrium.collections.list(current_scope(), None if user.is_admin else user.name)
    return [(c.id, c.title) for c in found]


# Zip ------------------------------------------------------------------------------------------


@selection.post("/bulk/zip")
@selection.post("/api/bulk/zip")
def download_zip() -> Response:
    """The selected assets the reader may see, with their metadata.csv, as a streamed zip."""
    ids = _selected_ids(current_atrium().config.max_zip_assets)
    user = current_user()
    actor = Actor.reader(user.name if user else None)
    chunks = stream_zip(current_atrium(), ids, current_scope(), actor, current_language())
    response = Response(stream_with_context(chunks), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="atrium-{len(ids)}-assets.zip"'
    response.headers["Cache-Control"] = "no-store"
    return response


# Collections -----------------------------------------------------------------------------------


@selection.post("/bulk/collection")
@selection.post("/api/bulk/collection")
@role_required("viewer", "contributor")
def add_to_collection() -> Response | str | tuple[str, int]:
    """Add the selected assets to one of the user's collections."""
    collection_id = _payload().get("collection", "")
    if not COLLECTION_ID.fullmatch(collection_id):
        abort(400, description=_l("choose a collection"))
    ids = _selected_ids()
    with collection_refusals():
        added, already = BulkActions(current_atrium()).add_to_collection(
            collection_id, current_reader(), current_scope(), ids
        )
    if request.is_json:
        return jsonify({"collection": collection_id, "added": added, "already": already})
    return render_template(
        "bulk_report.html",
        report=None,
        collection_id=collection_id,
        added=added,
        already=already,
    )


# Edit, access, delete ---------------------------------------------------------------------------


@selection.post("/bulk/review")
@role_required("contributor")
def review() -> str:
    """The confirmation page: what the action will touch, and its form."""
    action = _payload().get("action", "")
    if action not in ACTIONS:
        unknown = _l(
            "unknown action %(action)s: use edit, access or delete", action=repr(action[:40])
        )
        abort(400, description=unknown)
    ids = _selected_ids()
    atrium = current_atrium()
    previews = BulkActions(atrium).preview(ids, current_user(), current_scope())
    if not previews:
        abort(404, description=_l("none of the chosen assets is there any more"))
    departments = sorted({p.department for p in previews})
    fields = {f.name: f for d in departments for f in atrium.fields.editable(d)}
    return render_template(
        "bulk_confirm.html",
        action=action,
        previews=previews,
        allowed=sum(1 for p in previews if p.may_change),
        fields=list(fields.values()),
        language=current_language(),
        operations=EDIT_OPERATIONS,
        access_levels=list(ACCESS_LEVELS),
    )


@selection.post("/bulk/edit")
@selection.post("/api/bulk/edit")
@role_required("contributor")
def edit() -> Response | str:
    form = _payload()
    ids = _selected_ids()
    return _answer(
        lambda actions: actions.edit_field(
            ids,
            current_user(),
            current_scope(),
            form.get("field", ""),
            form.get("operation", ""),
            form.get("value", ""),
            _versions(ids),
        )
    )


@selection.post("/bulk/access")
@selection.post("/api/bulk/access")
@role_required("contributor")
def access() -> Response | str:
    form = _payload()
    ids = _selected_ids()
    return _answer(
        lambda actions: actions.change_access(
            ids, current_user(), current_scope(), form.get("access", ""), _versions(ids)
        )
    )


@selection.post("/bulk/delete")
@selection.post("/api/bulk/delete")
@role_required("contributor")
def delete() -> Response | str:
    ids = _selected_ids()
    if not request.is_json and _payload().get("confirmed") != "yes":
        abort(400, description=_l("confirm the delete on the confirmation page"))
    return _answer(
        lambda actions: actions.delete(ids, current_user(), current_scope(), _versions(ids))
    )


def _answer(run) -> Response | str:  # noqa: ANN001 - BulkActions -> BulkReport
    try:
        report: BulkReport = run(BulkActions(current_atrium()))
    except BadSelection as error:
        abort(400, description=localized(error))
    if request.is_json:
        return jsonify(report.as_json())
    return render_template("bulk_report.html", report=report)
