"""``/account/tokens``: the signed-in user's own API tokens, for scripts and analytics tools:
when each expires and was last used; issue one (its secret shown once), revoke one.

Managed from a browser session only: a Bearer token that could issue tokens would never
really expire (``app.web.auth`` checks the tokens themselves).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from app.domain.people.api_tokens import TokenError, token_expiry
from app.domain.people.users import User, UserError
from app.web.atrium import current_atrium
from app.web.auth import bearer_token, current_user
from app.web.i18n import localized

tokens = Blueprint("tokens", __name__)


@tokens.get("/account/tokens")
def page() -> object:
    """The signed-in user's API tokens: when each expires and was last used; issue, revoke."""
    user = _session_only()
    if not isinstance(user, User):
        return user
    return _tokens_page(user)


@tokens.post("/account/tokens")
def issue() -> object:
    """Issue a token (label, optional expiry) and show its secret, this once."""
    user = _session_only()
    if not isinstance(user, User):
        return user
    label = request.form.get("label", "").strip()
    expires_text = request.form.get("expires", "")
    try:
        token_id, secret = current_atrium().users.issue_token(
            user.name, label, token_expiry(expires_text)
        )
    except (TokenError, UserError) as error:
        form = {"label": label, "expires": expires_text}
        return _tokens_page(user, error=localized(error), form=form, status=400)
    return _tokens_page(user, issued=(token_id, secret), status=201)


@tokens.post("/account/tokens/<token_id>/revoke")
def revoke(token_id: str) -> object:
    user = _session_only()
    if not isinstance(user, User):
        return user
    try:
        current_atrium().users.revoke_token(token_id, owner=user.name)
    except UserError as error:
        abort(404, description=localized(error))
    return redirect(url_for("tokens.page"))


def _session_only() -> User | Response:
    """The user of this browser session; else a redirect to sign in, or a 403 for a Bearer
    token (a token that could issue tokens would never really expire)."""
    if bearer_token():
        current_user()  # an unknown or expired token still answers 401
        abort(403, description="manage API tokens from a signed-in browser session")
    user = current_user()
    if user is None:
        return redirect(url_for("auth.login", next=url_for("tokens.page")))
    return user


def _tokens_page(
    user: User,
    *,
    issued: tuple[str, str] | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    body = render_template(
        "tokens.html",
        tokens=list(reversed(current_atrium().users.tokens(user.name))),
        issued=issued,
        error=error,
        form=form or {},
    )
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"  # the page may hold a token's secret
    return response
