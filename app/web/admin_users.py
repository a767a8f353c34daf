"""User administration for admins: list and add users, change a user's role and departments,
disable or enable them, reset their password, and issue or revoke their API tokens.

A thin layer over :class:`app.domain.people.users.UserStore`: the domain validates and refuses; a
refusal comes back as the form again, with the message on the field and the input kept (422).
Secrets (a generated password, a new token) are shown once, on a page no cache keeps.
Managed from a signed-in browser session only: an API token cannot mint users' tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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

from app.domain.assets.view import concept_labels
from app.domain.people.access import Scope
from app.domain.people.api_tokens import TokenError, token_expiry
from app.domain.people.users import ROLES, UserDetails, UserError, check_departments
from app.web.auth import current_user, role_required
from app.web.context import current_atrium
from app.web.i18n import current_language, localized
from app.web.i18n import lazy_text as _l

admin_users = Blueprint("admin_users", __name__, url_prefix="/admin/users")
PAGE_SIZE = 50


@dataclass
class Form:
    """What was typed into a form, and what is wrong with it, by field."""

    values: dict[str, object] = field(default_factory=dict)
    errors: dict[str, object] = field(default_factory=dict)  # texts and lazy messages

    def refuse(self, error: UserError | TokenError, default_field: str) -> None:
        self.errors[getattr(error, "field", None) or default_field] = localized(error)


@admin_users.before_request
def browser_sessions_only() -> None:
    if request.headers.get("Authorization"):
        current_user()  # an unknown or expired token still answers 401
        abort(403, description=_l("manage users from a signed-in browser session"))


@admin_users.get("")
@role_required("admin")
def index() -> Response:
    return _list_page(Form(values={"role": "viewer", "departments": []}))


@admin_users.post("")
@role_required("admin")
def add() -> Response:
    name = request.form.get("name", "").strip()
    role = request.form.get("role", "")
    chosen = request.form.getlist("departments")
    password = request.form.get("password", "")
    form = Form(values={"name": name, "role": role, "departments": chosen})
    users = current_atrium().users
    try:
        departments = check_departments(chosen, current_atrium().departments())
        password = users.add(name, role, departments, password or None)
    except UserError as error:
        form.refuse(error, "name")
        return _list_page(form, status=422)
    generated = None if request.form.get("password") else password
    return _list_page(
        Form(values={"role": "viewer", "departments": []}), added=(name, generated), status=201
    )


@admin_users.get("/<name>")
@role_required("admin")
def user(name: str) -> Response:
    return _user_page(_details(name))


@admin_users.post("/<name>/role")
@role_required("admin")
def change_role(name: str) -> Response:
    details = _details(name)
    role = request.form.get("role", "")
    chosen = request.form.getlist("departments")
    form = Form(values={"role": role, "departments": chosen})
    users = current_atrium().users
    try:
        departments = check_departments(chosen, current_atrium().departments())
        if role == details.user.role:
            users.set_departments(name, departments)  # sessions go on
        else:
            users.set_role(name, role, departments)  # a new role: their sessions end
    except UserError as error:
        form.refuse(error, "role")
        return _user_page(details, form=form, status=422)
    return redirect(url_for("admin_users.user", name=name, changed="role"), 303)


@admin_users.post("/<name>/disable")
@role_required("admin")
def disable(name: str) -> Response:
    details = _details(name)
    try:
        current_atrium().users.disable(name)
    except UserError as error:
        return _user_page(details, form=Form(errors={"disabled": localized(error)}), status=422)
    return redirect(url_for("admin_users.user", name=name, changed="disabled"), 303)


@admin_users.post("/<name>/enable")
@role_required("admin")
def enable(name: str) -> Response:
    _details(name)
    current_atrium().users.enable(name)
    return redirect(url_for("admin_users.user", name=name, changed="enabled"), 303)


@admin_users.post("/<name>/password")
@role_required("admin")
def reset_password(name: str) -> Response:
    _details(name)
    password = current_atrium().users.reset_password(name)
    return _user_page(_details(name), password=password)


@admin_users.post("/<name>/tokens")
@role_required("admin")
def issue_token(name: str) -> Response:
    details = _details(name)
    label = request.form.get("label", "").strip()
    expires = request.form.get("expires", "")
    form = Form(values={"label": label, "expires": expires})
    try:
        issued = current_atrium().users.issue_token(name, label, token_expiry(expires))
    except TokenError as error:
        form.refuse(error, "expires")
        return _user_page(details, form=form, status=422)
    except UserError as error:
        form.refuse(error, "label")
        return _user_page(details, form=form, status=422)
    return _user_page(_details(name), issued=issued, status=201)


@admin_users.post("/<name>/tokens/<token_id>/revoke")
@role_required("admin")
def revoke_token(name: str, token_id: str) -> Response:
    _details(name)
    try:
        current_atrium().users.revoke_token(token_id, owner=name)
    except UserError as error:
        abort(404, description=localized(error))
    return redirect(url_for("admin_users.user", name=name, changed="revoked"), 303)


# Pages -------------------------------------------------------------------------------------


def _details(name: str) -> UserDetails:
    details = current_atrium().users.details(name)
    if details is None:
        abort(404, description=_l("no user named %(name)s", name=repr(name)))
    return details


def _department_labels() -> dict[str, str]:
    """Each department's label in the reader's language, by short name."""
    atrium = current_atrium()
    slugs = atrium.departments()
    iris = [atrium.iris.concept(f"departments/{slug}") for slug in slugs]
    labels = concept_labels(atrium.store, Scope.everything(), iris, current_language())
    return {slug: labels.get(iri.value, slug) for slug, iri in zip(slugs, iris, strict=True)}


def _page_number() -> int:
    try:
        return max(int(request.args.get("page", "1")), 1)
    except ValueError:
        return 1


def _list_page(
    form: Form, *, added: tuple[str, str | None] | None = None, status: int = 200
) -> Response:
    store = current_atrium().users
    pages = max((store.count() + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(_page_number(), pages)  # past the end: the last page
    users, total = store.listing((page - 1) * PAGE_SIZE, PAGE_SIZE)
    body = render_template(
        "admin_users.html",
        users=users,
        total=total,
        page=page,
        pages=pages,
        roles=ROLES,
        departments=_department_labels(),
        form=form,
        added=added,
    )
    return _no_store(body, status)


def _user_page(
    details: UserDetails,
    *,
    form: Form | None = None,
    password: str | None = None,
    issued: tuple[str, str] | None = None,
    status: int = 200,
) -> Response:
    user = details.user
    form = form or Form()
    form.values.setdefault("role", user.role)
    form.values.setdefault("departments", list(user.departments))
    body = render_template(
        "admin_user.html",
        details=details,
        shown=user,
        tokens=list(reversed(current_atrium().users.tokens(user.name))),
        roles=ROLES,
        departments=_department_labels(),
        form=form,
        password=password,
        issued=issued,
        changed=request.args.get("changed"),
        is_self=user.name == current_user().name,
    )
    return _no_store(body, status)


def _no_store(body: str, status: int) -> Response:
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"  # the page may hold a password or a token
    return response
