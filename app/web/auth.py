"""Signing in and out, who the current user is, roles, API tokens and CSRF protection.

- Browsers sign in with a name and password; the session cookie is signed, HttpOnly and
  SameSite=Lax, and carries the user's session version, so disabling a user or changing their
  role or password ends their sessions at once.
- Scripts and analytics tools send ``Authorization: Bearer <token>`` (``atrium user token``).
- Every unsafe request (POST, PUT, PATCH, DELETE) made with a session cookie must carry the
  session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``); requests that
  authenticate with a Bearer token carry no ambient authority and are exempt.
- Sign-in failures are rate-limited per client address and per user name; the message never
  says whether a user name exists.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from functools import wraps
from typing import TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup

from app.domain.users import User

auth = Blueprint("auth", __name__)

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
FAILURE_WINDOW_SECONDS = 300
# Per user name a handful of guesses; per address more, as colleagues may share one NAT.
FAILURES_ALLOWED = {"user": 5, "addr": 20}
F = TypeVar("F", bound=Callable[..., object])


class _FailureLog:
    """Recent sign-in failures per key (client address, user name), in memory."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def blocked(self, *keys: str) -> bool:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                recent = self._failures[key]
                while recent and now - recent[0] > FAILURE_WINDOW_SECONDS:
                    recent.popleft()
                if len(recent) >= FAILURES_ALLOWED[key.split(":", 1)[0]]:
                    return True
        return False

    def add(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures[key].append(time.monotonic())


def _failures() -> _FailureLog:
    """The sign-in failures of this app (one log per app, so tests and apps do not share)."""
    return current_app.extensions.setdefault("sign_in_failures", _FailureLog())


def _users():  # noqa: ANN202
    from app.web import current_atrium

    return current_atrium().users


def current_user() -> User | None:
    """The signed-in user (session or Bearer token), or None for an anonymous reader."""
    if "user" not in g:
        g.user = _bearer_user() if _bearer_token() else _session_user()
    return g.user


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _bearer_user() -> User | None:
    user = _users().user_for_token(_bearer_token() or "")
    if user is None:
        abort(401, description="the API token is unknown, revoked, or its user is disabled")
    return user


def _session_user() -> User | None:
    name = session.get("user")
    if not name:
        return None
    user = _users().get(name)
    if user is None or user.disabled or user.session_version != session.get("version"):
        session.clear()
        return None
    return user


def role_required(*roles: str) -> Callable[[F], F]:
    """Only users holding one of ``roles`` (admins hold every role) may call the view."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: object, **kwargs: object) -> object:
            user = current_user()
            if user is None:
                if _wants_json():
                    abort(401, description="sign in or send an API token")
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not user.has_role(*roles):
                abort(403, description=f"this needs the {' or '.join(roles)} role")
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.path.startswith("/api/") or best == "application/json" or bool(_bearer_token())


# CSRF ---------------------------------------------------------------------------------------


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_field() -> Markup:
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(csrf_token())


def csrf_exempt(view: F) -> F:
    """Mark a view whose POST changes nothing (a SPARQL query sent by POST, §2.1.2 / §2.1.3)."""
    view.csrf_exempt = True  # type: ignore[attr-defined]
    return view


def check_csrf() -> None:
    """Refuse an unsafe request made with a session cookie but without its CSRF token."""
    if request.method not in UNSAFE_METHODS or _bearer_token():
        return
    if getattr(current_app.view_functions.get(request.endpoint or ""), "csrf_exempt", False):
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent, expected):
        abort(400, description="the form has expired or did not come from Atrium; reload the page")


# Views ----------------------------------------------------------------------------------------


@auth.route("/login", methods=["GET", "POST"])
def login() -> object:
    """The sign-in form."""
    target = _safe_next(request.values.get("next", ""))
    if request.method == "GET":
        return render_template("login.html", next=target, error=None)
    name = request.form.get("name", "").strip().lower()
    password = request.form.get("password", "")
    keys = (f"addr:{request.remote_addr}", f"user:{name}")
    if _failures().blocked(*keys):
        message = "Too many failed sign-ins. Wait a few minutes and try again."
        return render_template("login.html", next=target, error=message, name=name), 429
    user = _users().authenticate(name, password)
    if user is None:
        _failures().add(*keys)
        message = "That name and password do not match an active account."
        return render_template("login.html", next=target, error=message, name=name), 401
    session.clear()
    session.update(user=user.name, version=user.session_version)
    session.permanent = False
    return redirect(target)


@auth.post("/logout")
def logout() -> object:
    """Sign out (a POST with the CSRF token, so no other site can sign anyone out)."""
    session.clear()
    return redirect(url_for("browse.index"))


@auth.get("/api/me")
def me() -> object:
    """Who the caller is, for scripts checking their token."""
    user = current_user()
    if user is None:
        return jsonify({"signed_in": False})
    return jsonify(
        {"signed_in": True, "name": user.name, "role": user.role, "departments": user.departments}
    )


def _safe_next(target: str) -> str:
    """Only redirect to a path on this site, never to another host."""
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc:
        return url_for("browse.index")
    return target
