"""Signing in and out, who the current user is, roles, API tokens and CSRF protection.

- Browsers sign in with a name and password; the session cookie is signed, HttpOnly and
  SameSite=Lax, and carries a server-side session's secret (kept in auth.sqlite by
  :class:`app.domain.people.users.UserStore`), checked on every request: signing out ends the
  session for good, and disabling a user or changing their role or password ends all of theirs at
  once.
- Scripts and analytics tools send ``Authorization: Bearer <token>`` (``atrium user token``,
  or ``/account/tokens`` in :mod:`app.web.tokens`, where a signed-in user issues, lists and
  revokes their own). A token may expire; an expired one answers 401 saying so. Tokens are
  managed from a browser session only: a token cannot mint another that outlives it.
- Every unsafe request (POST, PUT, PATCH, DELETE) made with a session cookie must carry the
  session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``); requests that
  authenticate with a Bearer token carry no ambient authority and are exempt.
- Sign-in failures are rate-limited per client address and per (address, user name) pair, with
  a backoff that doubles with each further failure: nobody can lock an account out from
  another address, and the owner can still sign in from theirs. The message never says
  whether a user name exists. The failure log is bounded: old entries are pruned, and past
  ``MAX_TRACKED`` keys the longest-quiet ones are forgotten.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
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

from app.config import Config
from app.domain.people.api_tokens import TokenExpired
from app.domain.people.users import User, UserStore
from app.domain.terms import NamedNode
from app.domain.vocab.history import Actor
from app.web.atrium import current_atrium
from app.web.i18n import lazy_either
from app.web.i18n import lazy_text as _l

auth = Blueprint("auth", __name__)

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MAX_TRACKED = 10_000  # keys kept at most; the longest-quiet ones go first
F = TypeVar("F", bound=Callable[..., object])
STALE_FORM = _l("the form has expired or did not come from Atrium; reload the page")


@dataclass(frozen=True)
class SignInLimits:
    """Failures allowed before the backoff starts: per (address, name) pair a handful of
    guesses; per address more, as colleagues may share one NAT. The first lock-out doubles
    with each further failure, up to the longest."""

    per_pair: int
    per_address: int
    first_lockout_seconds: float
    max_lockout_seconds: float

    @classmethod
    def of(cls, config: Config) -> SignInLimits:
        return cls(
            config.sign_in_failures,
            config.sign_in_failures_per_address,
            config.sign_in_lockout_seconds,
            config.sign_in_lockout_max_seconds,
        )

    @property
    def forget_after_seconds(self) -> float:
        """A key quiet this long starts afresh."""
        return 2 * self.max_lockout_seconds


@dataclass
class _Failures:
    count: int
    last: float


class FailureLog:
    """Recent sign-in failures per key (``addr:…``, ``pair:…``), in memory and bounded."""

    def __init__(self, limits: SignInLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._failures: OrderedDict[str, _Failures] = OrderedDict()  # longest quiet first
        self._lock = threading.Lock()
        self._clock = clock

    def __len__(self) -> int:
        return len(self._failures)

    def blocked(self, *keys: str) -> bool:
        """Whether any key is within its backoff (then no password is even checked)."""
        now = self._clock()
        with self._lock:
            self._prune(now)
            return any(self._blocked(key, now) for key in keys)

    def add(self, *keys: str) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                entry = self._failures.pop(key, None) or _Failures(0, now)
                entry.count, entry.last = entry.count + 1, now
                self._failures[key] = entry  # now the most recent
            self._prune(now)

    def forget(self, *keys: str) -> None:
        """A successful sign-in clears its pair's failures."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def _blocked(self, key: str, now: float) -> bool:
        entry = self._failures.get(key)
        limits = self.limits
        allowed = limits.per_pair if key.startswith("pair:") else limits.per_address
        if entry is None or entry.count < allowed:
            return False
        backoff = limits.first_lockout_seconds * 2 ** min(entry.count - allowed, 8)
        return now - entry.last < min(backoff, limits.max_lockout_seconds)

    def _prune(self, now: float) -> None:
        while self._failures:
            key, oldest = next(iter(self._failures.items()))
            quiet = now - oldest.last > self.limits.forget_after_seconds
            if not quiet and len(self._failures) <= MAX_TRACKED:
                return
            del self._failures[key]


def _failures() -> FailureLog:
    """The sign-in failures of this app (one log per app, so tests and apps do not share)."""
    return failure_log("sign_in_failures")


def failure_log(name: str) -> FailureLog:
    """The app's failure log called ``name``, made with the configured sign-in limits."""
    failures = current_app.extensions.get(name)
    if failures is None:
        limits = SignInLimits.of(current_atrium().config)
        failures = current_app.extensions.setdefault(name, FailureLog(limits))
    return failures


def _users() -> UserStore:
    return current_atrium().users


def current_user() -> User | None:
    """The signed-in user (session or Bearer token), or None for an anonymous reader."""
    if "user" not in g:
        g.user = _bearer_user() if bearer_token() else _session_user()
    return g.user


def current_actor() -> Actor:
    """Who makes a change, as histories record it: the signed-in user (required)."""
    user = current_user()
    if user is None:
        abort(401)
    return Actor(user.name, NamedNode(user.iri))


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _bearer_user() -> User | None:
    try:
        user = _users().user_for_token(bearer_token() or "")
    except TokenExpired as expired:
        abort(401, description=str(expired))
    if user is None:
        abort(401, description="the API token is unknown, revoked, or its user is disabled")
    return user


def _session_user() -> User | None:
    secret = session.get("sid")
    if not isinstance(secret, str) or not secret:
        if "user" in session:  # a cookie from before server-side sessions
            session.clear()
        return None
    user = _users().session_user(secret)
    if user is None or user.name != session.get("user"):
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
                needs = _l("this needs the %(roles)s role", roles=lazy_either(roles))
                abort(403, description=needs)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.path.startswith("/api/") or best == "application/json" or bool(bearer_token())


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


def answers_anonymous_itself(view: F) -> F:
    """Mark a view that answers an anonymous caller itself (SPARQL Update: 401): with no one
    signed in there is no session to forge, so the CSRF check leaves the answer to it."""
    view.answers_anonymous = True  # type: ignore[attr-defined]
    return view


def check_csrf() -> None:
    """Refuse an unsafe request made with a session cookie but without its CSRF token."""
    if request.method not in UNSAFE_METHODS or bearer_token():
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "csrf_exempt", False):
        return
    if getattr(view, "answers_anonymous", False) and current_user() is None:
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent, expected):
        abort(400, description=STALE_FORM)


# Views ----------------------------------------------------------------------------------------


@auth.route("/login", methods=["GET", "POST"])
def login() -> object:
    """The sign-in form."""
    target = _safe_next(request.values.get("next", ""))
    if request.method == "GET":
        return render_template("login.html", next=target, error=None)
    name = request.form.get("name", "").strip().lower()
    password = request.form.get("password", "")
    address = request.remote_addr or ""
    keys = (f"addr:{address}", f"pair:{address} {name[:64]}")  # user names are 40 at most
    if _failures().blocked(*keys):
        message = "Too many failed sign-ins. Wait a few minutes and try again."
        return render_template("login.html", next=target, error=message, name=name), 429
    user = _users().authenticate(name, password)
    if user is None:
        _failures().add(*keys)
        message = "That name and password do not match an active account."
        return render_template("login.html", next=target, error=message, name=name), 401
    _failures().forget(keys[1])
    _end_session()  # a sign-in never inherits another session
    session.clear()
    session.update(user=user.name, sid=_users().start_session(user.name))
    session.permanent = False
    return redirect(target)


@auth.post("/logout")
def logout() -> object:
    """Sign out (a POST with the CSRF token, so no other site can sign anyone out).

    The session ends server-side, so a copy of the cookie no longer signs anyone in."""
    _end_session()
    session.clear()
    return redirect(url_for("browse.index"))


def _end_session() -> None:
    secret = session.get("sid")
    if isinstance(secret, str) and secret:
        _users().end_session(secret)


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
    """Only redirect to a path on this site, never to another host.

    Browsers read ``\\`` as ``/`` and drop tabs and line breaks, so ``/\\evil.example`` and
    ``/<TAB>/evil.example`` mean ``//evil.example``: any backslash or control character makes
    the target unsafe (a line break would also be an invalid Location header)."""
    unsafe = "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target)
    if unsafe or not target.startswith("/") or target.startswith("//"):
        return url_for("browse.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("browse.index")
    return target
