"""The audit view for administrators: every asset's events, newest first, paged and filtered.

``/admin/audit?action=changed&actor=user:anna&asset=ID&page=2``; the actor filter takes what the
rows link to (``user:NAME``, ``anonymous``, ``cli``, ``service:NAME``) or a bare user name.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for

from app.domain.iris import ASSET_ID, InvalidIri, parse_iri
from app.domain.people.audit import ACTIONS, Actor, AuditEvent
from app.domain.terms import NamedNode
from app.web.auth import role_required
from app.web.context import current_atrium
from app.web.i18n import current_language
from app.web.i18n import lazy_text as _l

admin_audit = Blueprint("admin_audit", __name__)


@admin_audit.get("/admin/audit")
@role_required("admin")
def page() -> str:
    atrium = current_atrium()
    action = request.args.get("action", "").strip() or None
    if action is not None and action not in ACTIONS:
        unknown = _l(
            "unknown action %(action)s; use one of %(actions)s",
            action=repr(action),
            actions=", ".join(ACTIONS),
        )
        abort(400, description=unknown)
    actor_key = request.args.get("actor", "").strip()
    try:
        actor = Actor.from_key(actor_key) if actor_key else None
    except ValueError as error:
        abort(400, description=_l("actor: %(reason)s", reason=str(error)))
    asset_text = request.args.get("asset", "").strip()
    asset = _asset(asset_text) if asset_text else None
    number = request.args.get("page", "1")
    if not number.isdigit() or int(number) < 1:
        abort(400, description=_l("page must be a whole number from 1"))
    found = atrium.audit.recent(action=action, actor=actor, asset=asset, page=int(number))
    filters = {"action": action or "", "actor": actor_key, "asset": asset_text}
    kept = {name: value for name, value in filters.items() if value}
    language = current_language()
    return render_template(
        "admin_audit.html",
        rows=[_row(event, language) for event in found.events],
        actions=ACTIONS,
        filters=filters,
        page=found.page,
        previous_url=url_for(".page", **kept, page=found.page - 1) if found.page > 1 else None,
        next_url=url_for(".page", **kept, page=found.page + 1) if found.has_next else None,
    )


def _asset(text: str) -> NamedNode:
    """The asset filter: an asset's id or its IRI."""
    iris = current_atrium().iris
    if ASSET_ID.match(text):
        return iris.asset(text)
    try:
        return parse_iri(text)
    except InvalidIri as error:
        abort(
            400,
            description=_l("asset: give an asset's id or IRI (%(reason)s)", reason=str(error)),
        )


def _row(event: AuditEvent, language: str) -> dict[str, object]:
    atrium = current_atrium()
    asset_id = atrium.iris.asset_id(event.subject)
    fields = atrium.fields
    changed = []
    for path in event.changed:
        field = fields.by_path(path)
        changed.append(field.label(language) if field else path.rsplit("/", 1)[-1].split("#")[-1])
    return {
        "time": event.time,
        "when": event.time[:16].replace("T", " ") + " UTC",
        "actor": event.actor,
        "action": event.action,
        "asset_id": asset_id,
        "subject": event.subject,
        "title": event.title or (asset_id or event.subject),
        "gone": not event.title,
        "changed": changed,
    }
