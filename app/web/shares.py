"""Share links (:mod:`app.domain.people.shares`): ``/shares`` and ``/api/shares`` for the people who
make them, ``/s/<token>`` for the outsiders they hand them to.

Signed in (blueprint ``shares``):

- ``GET /shares``: the user's links and their state (an admin's page lists everyone's);
  ``POST /shares`` (the asset or collection page's form: ``kind``, ``target``, ``expires``,
  ``password``, ``allows``) makes one and shows its URL, this once; ``POST
  /shares/<id>/revoke`` revokes one.
- ``POST /api/shares`` ``{"kind": "asset"|"collection", "target": id, "expires":
  "YYYY-MM-DD", "password": optional, "allows": "preview"|"original"}``: 201 ``{"share", "url"}``;
  ``GET /api/shares``: ``{"shares": [...]}`` (the caller's); ``DELETE /api/shares/<id>``: 204.
  A Bearer token, or the session cookie with the ``X-CSRF-Token`` header.

Outsiders (blueprint ``shared``, own pages without the site's navigation):

- ``GET /s/<token>``: title, description, previews and the downloads the link allows (a
  password form first when it has one: ``POST /s/<token>/unlock``);
- an asset link's files: ``/s/<token>/thumbnail``, ``/preview``, ``/original``; a collection
  link's members': ``/s/<token>/<asset_id>/thumbnail`` (``preview``, ``original``).

Unknown token, or a target its creator may no longer see: 404; expired, revoked, or its creator
disabled: 410; a wrong password: 403 (and after repeated failures 429). Every creation,
revocation and use is in the audit trail.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from app.domain.assets.downloads import extension_for
from app.domain.people.audit import Actor
from app.domain.people.shares import (
    ALLOWS,
    MAX_SHARE_DAYS,
    Opened,
    Share,
    ShareError,
    ShareForbidden,
    ShareGone,
    ShareNotFound,
)
from app.domain.people.users import User
from app.domain.terms import NamedNode
from app.namespaces import DAM, DCT, SCHEMA
from app.web.assets import _download_name, _facts, _rendition_kinds, _send
from app.web.auth import answers_anonymous_itself, current_user, failure_log
from app.web.context import current_atrium
from app.web.i18n import N_, LazyText, local_when, localized
from app.web.i18n import lazy_text as _l

shares = Blueprint("shares", __name__)
shared = Blueprint("shared", __name__)

# Why a link is gone, by the words of the domain's ShareGone, as an outsider reads it.
GONE = {
    "this share link has expired": N_("This share link has expired."),
    "this share link has revoked": N_("This share link was revoked."),
    "this share link no longer works": N_("This share link no longer works."),
}
UNLOCKED = "unlocked_shares"  # the session's list of password links opened with their password
MAX_UNLOCKED = 20


# The people who share ------------------------------------------------------------------------


@shares.get("/shares")
def index() -> Response:
    """The signed-in user's links (an admin also sees everyone else's)."""
    user = current_user()
    if user is None:
        return redirect(url_for("auth.login", next="/shares"))
    return _list_page(user)


@shares.post("/shares")
@answers_anonymous_itself
def create() -> Response:
    """Make a link from an asset or collection page's form; shows its URL this once."""
    user = _signed_in()
    form = request.form
    kept = {name: form.get(name, "") for name in ("kind", "target", "expires", "allows")}
    try:
        share, token = _create(user, {**kept, "password": form.get("password", "")})
    except ShareError as error:
        return _list_page(user, error=localized(error), form=kept, status=_status(error))
    return _list_page(user, issued=(share, _link(token)), status=201)


@shares.post("/shares/<share_id>/revoke")
@answers_anonymous_itself
def revoke(share_id: str) -> Response:
    user = _signed_in()
    _revoke(user, share_id)
    return redirect(url_for("shares.index"))


@shares.get("/api/shares")
def api_list() -> Response:
    """The caller's links."""
    user = _signed_in()
    return jsonify({"shares": [s.as_json() for s in current_atrium().shares.of(user)]})


@shares.post("/api/shares")
@answers_anonymous_itself
def api_create() -> tuple[Response, int]:
    user = _signed_in()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="send a JSON object (Content-Type: application/json)")
    try:
        share, token = _create(user, body)
    except ShareError as error:
        abort(_status(error), description=localized(error))
    return jsonify({"share": share.as_json(), "url": _link(token)}), 201


@shares.delete("/api/shares/<share_id>")
@answers_anonymous_itself
def api_revoke(share_id: str) -> tuple[str, int]:
    _revoke(_signed_in(), share_id)
    return "", 204


@shares.app_context_processor
def _helpers() -> dict[str, object]:
    return {"share_form": share_form}


def share_form(kind: str, target_id: str) -> dict[str, object] | None:
    """For an asset or collection page: the share form's settings, or None when the reader
    may not share it."""
    if not current_atrium().shares.may_share(current_user(), kind, target_id):
        return None
    return {"kind": kind, "target": target_id, "allows": ALLOWS, "max_days": MAX_SHARE_DAYS}


def _create(user: User, values: dict) -> tuple[Share, str]:
    atrium = current_atrium()
    share, token = atrium.shares.create(
        user,
        values.get("kind"),
        values.get("target"),
        values.get("expires"),
        values.get("password") or None,
        values.get("allows") or "preview",
    )
    atrium.audit.record("shared", atrium.shares.target(share), user.name)
    return share, token


def _revoke(user: User, share_id: str) -> None:
    atrium = current_atrium()
    try:
        share = atrium.shares.revoke(user, share_id)
    except ShareNotFound:
        abort(404, description="no share link of yours by that id")
    atrium.audit.record("share-revoked", atrium.shares.target(share), user.name)


def _list_page(
    user: User,
    *,
    issued: tuple[Share, str] | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    links = current_atrium().shares
    page = render_template(
        "share_list.html",
        mine=links.of(user),
        others=links.everyone_elses(user),
        issued=issued,
        error=error,
        form=form or {},
        allows=ALLOWS,
    )
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"  # the page may hold a new link's token
    return response


def _signed_in() -> User:
    user = current_user()
    if user is None:
        abort(401, description=_l("sign in (or send an API token) to share"))
    return user


def _status(error: ShareError) -> int:
    return (
        404
        if isinstance(error, ShareNotFound)
        else 403
        if isinstance(error, ShareForbidden)
        else 400
    )


def _link(token: str) -> str:
    return url_for("shared.page", token=token, _external=True)


# Outsiders -----------------------------------------------------------------------------------


@shared.errorhandler(HTTPException)
def _refused(error: HTTPException) -> tuple[str, int]:
    """Every refusal on an outsider's path is a page of its own, without the site around it."""
    status = error.code or 500
    message = str(error.description)  # a lazy message, in the reader's language
    return render_template("share_message.html", status=status, message=message), status


@shared.after_request
def _private(response: Response) -> Response:
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return response


@shared.get("/s/<token>")
def page(token: str) -> str | tuple[str, int]:
    """What the link shares, as its creator may see it now (a password form first)."""
    opened = _open(token)
    if not _unlocked(opened.share):
        return render_template("share_password.html", token=token, error=None), 200
    _audit_use(current_atrium().shares.target(opened.share))
    return render_template("share_page.html", token=token, view=_view(opened))


@shared.post("/s/<token>/unlock")
def unlock(token: str) -> Response | tuple[str, int]:
    """Check the link's password; the session then opens the link without asking again."""
    opened = _open(token)
    share = opened.share
    address = request.remote_addr or ""
    keys = (f"pair:{share.id} {address}", f"addr:{address}")
    failures = failure_log("share_failures")
    if failures.blocked(*keys):
        message = gettext("Too many wrong passwords. Wait a few minutes and try again.")
        return render_template("share_password.html", token=token, error=message), 429
    if not current_atrium().shares.password_matches(share, request.form.get("password", "")):
        failures.add(*keys)
        message = gettext("That password is not the link's password.")
        return render_template("share_password.html", token=token, error=message), 403
    failures.forget(keys[0])
    unlocked = [i for i in session.get(UNLOCKED, []) if i != share.id][-MAX_UNLOCKED + 1 :]
    session[UNLOCKED] = [*unlocked, share.id]
    return redirect(url_for("shared.page", token=token))


@shared.get("/s/<token>/<any(thumbnail, preview, original):kind>")
def asset_file(token: str, kind: str) -> Response:
    """A file of an asset link."""
    opened = _open_unlocked(token)
    if opened.share.kind != "asset":
        abort(404)
    return _file(opened, opened.share.target_id, opened.asset_triples, kind)


@shared.get("/s/<token>/<asset_id>/<any(thumbnail, preview, original):kind>")
def member_file(token: str, asset_id: str, kind: str) -> Response:
    """A file of an asset in a collection link, if its creator may see the asset now."""
    opened = _open_unlocked(token)
    if opened.share.kind != "collection" or asset_id not in opened.asset_ids():
        abort(404)
    triples = current_atrium().assets.record(asset_id, opened.scope)
    if not triples:
        abort(404)
    return _file(opened, asset_id, triples, kind)


def _open(token: str) -> Opened:
    try:
        return current_atrium().shares.open(token)
    except ShareGone as gone:
        abort(410, description=_gone_words(str(gone)))
    except ShareNotFound:
        abort(404, description=_l("There is no such share link, or what it shared is gone."))


def _gone_words(reason: str) -> LazyText:
    why = _l(GONE[reason]) if reason in GONE else f"{reason}."
    return _l("%(why)s Ask whoever sent it for a new one.", why=why)


def _open_unlocked(token: str) -> Opened:
    opened = _open(token)
    if not _unlocked(opened.share):
        abort(
            403,
            description=_l("This link asks for a password: open the link and enter it."),
        )
    return opened


def _unlocked(share: Share) -> bool:
    return not share.has_password or share.id in session.get(UNLOCKED, [])


def _file(opened: Opened, asset_id: str, triples: list, kind: str) -> Response:
    atrium = current_atrium()
    attachment = kind == "original" or request.args.get("download") == "1"
    if kind == "original":
        if not opened.share.originals:
            abort(
                403,
                description=_l("This link shares previews only, not the original files."),
            )
        file = _facts(triples, atrium.iris.asset_file(asset_id))
        mime = file.get(SCHEMA.encodingFormat, "application/octet-stream")
        name = _download_name(asset_id, triples, extension_for(mime, file.get(SCHEMA.name, "")))
        response = _send(file.get(DAM.sha256, ""), mime, name, True)
    else:
        if kind not in _rendition_kinds(triples):
            abort(
                404,
                description=_l("This asset has no %(kind)s.", kind=_l(kind)),
            )
        rendition = _facts(triples, atrium.iris.rendition(asset_id, kind))
        mime = rendition.get(SCHEMA.encodingFormat, "image/jpeg")
        name = _download_name(asset_id, triples, extension_for(mime), kind)
        response = _send(rendition.get(DAM.sha256, ""), mime, name, attachment)
    _audit_use(atrium.iris.asset(asset_id))
    return response


def _audit_use(iri: NamedNode) -> None:
    current_atrium().audit.record("share-used", iri, Actor.anonymous())  # an outsider


def _view(opened: Opened) -> dict[str, object]:
    """What the outsider's page shows: the title, description and files per asset."""
    atrium, share = current_atrium(), opened.share
    collection = opened.collection
    expires = local_when(share.expires)
    view: dict[str, object] = {"expires": expires, "collection": collection is not None}
    if collection is None:
        asset = _asset_entry(opened, share.target_id, opened.asset_triples)
        return view | {
            "title": asset["title"],
            "description": asset["description"],
            "assets": [asset],
        }
    entries = []
    for asset_id in opened.asset_ids():
        if triples := atrium.assets.record(asset_id, opened.scope):
            entries.append(_asset_entry(opened, asset_id, triples))
    return view | {
        "title": collection.title,
        "description": collection.description,
        "assets": entries,
    }


def _asset_entry(opened: Opened, asset_id: str, triples: list) -> dict[str, object]:
    atrium = current_atrium()
    facts = _facts(triples, atrium.iris.asset(asset_id))
    file = _facts(triples, atrium.iris.asset_file(asset_id))
    token = request.view_args["token"]

    def link(kind: str, **args: object) -> str:
        if opened.collection is None:
            return url_for("shared.asset_file", token=token, kind=kind, **args)
        return url_for("shared.member_file", token=token, asset_id=asset_id, kind=kind, **args)

    has_preview = "preview" in _rendition_kinds(triples)
    return {
        "id": asset_id,
        "title": facts.get(DCT.title) or file.get(SCHEMA.name) or asset_id,
        "description": facts.get(DCT.description, ""),
        "type": file.get(SCHEMA.encodingFormat, ""),
        "preview": link("preview") if has_preview else None,
        "preview_download": link("preview", download=1) if has_preview else None,
        "original": link("original") if opened.share.originals and file.get(DAM.sha256) else None,
    }
