"""What every view asks of the request it serves: the service, who reads, and what they may
see. Apart from the package ``__init__`` (which builds the app and imports every blueprint), so
that blueprints can import it without a circle."""

from __future__ import annotations

from flask import g

from app.domain.people.access import ANONYMOUS, Reader, Scope, scope_for
from app.web.atrium import current_atrium
from app.web.auth import current_user

__all__ = ["current_atrium", "current_reader", "current_scope", "may_change"]


def current_reader() -> Reader:
    """Who is reading: the signed-in user (session or API token), else anonymous."""
    user = current_user()
    if user is None:
        return ANONYMOUS
    return Reader.signed_in_as(user.name, user.departments, user.is_admin)


def current_scope() -> Scope:
    """The graphs the current reader may see, worked out once per request."""
    if "scope" not in g:
        atrium = current_atrium()
        g.scope = scope_for(current_reader(), atrium.iris, atrium.store)
    return g.scope


def may_change(asset_id: str) -> bool:
    """Contributors of the owning department, and admins, may change an asset (its access,
    its description, its results)."""
    user = current_user()
    if user is None:
        return False
    found = current_atrium().assets.access_of(asset_id)
    return found is not None and user.may_change(found[1])
