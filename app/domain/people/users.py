"""Users, roles, departments and API tokens.

Secrets (password hashes, token hashes) live in a SQLite file in the data folder, which no
SPARQL query can reach. Each user's public profile is mirrored into the graph
(``{base}graphs/users``) as FOAF / W3C ORG terms, so analysts can join assets to people.

Roles, from least to most: viewer (reads), contributor (uploads and edits the assets of their
departments), taxonomist (edits vocabularies), admin (everything).

Browser sessions are kept here too, so they can be ended server-side: a session is a random
secret (only its hash is stored) that the signed cookie carries. Signing out ends one session;
a password or role change, or disabling the user, ends all of theirs at once; every session
also ends after ``session_seconds`` (the ``ATRIUM_SESSION_HOURS`` setting).

API tokens may carry an expiry, and record their last use (:mod:`app.domain.people.api_tokens`).

There is always an enabled admin: demoting or disabling the last one is refused, so that
someone can still manage users from the web.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad, Triple
from werkzeug.security import check_password_hash, generate_password_hash

from app.domain.iris import Iris
from app.domain.people import api_tokens, auth_db
from app.domain.people.api_tokens import Token
from app.domain.people.audit import SYSTEM_AGENT
from app.messages import M_
from app.namespaces import DAM, RDF, Namespace
from app.storage.graphstore import GraphStore, data_block, substitute, update_request

FOAF = Namespace("http://xmlns.com/foaf/0.1/")
ORG = Namespace("http://www.w3.org/ns/org#")
ROLES = ("viewer", "contributor", "taxonomist", "admin")
USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD = 10
# Names that are not people: the CLI's agent in the audit trail must never be a user's name.
RESERVED_NAMES = frozenset({SYSTEM_AGENT})

_FORGET_PROFILE = "DELETE WHERE { GRAPH ?graph { ?user ?p ?o } }"


class UserError(ValueError):
    """A user operation was refused; the message says why, and ``field`` names the input at
    fault (``name``, ``role``, ``departments``, ``password``, ``disabled``), where one is."""

    def __init__(self, message: object, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class User:
    name: str
    role: str
    departments: tuple[str, ...]
    disabled: bool
    iri: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def has_role(self, *roles: str) -> bool:
        """Admins hold every role; others only their own."""
        return self.is_admin or self.role in roles

    def may_change(self, department: str) -> bool:
        """The one write rule: contributors may change the assets of their departments (their
        description, access, files, versions and results); admins may change any."""
        return self.has_role("contributor") and (self.is_admin or department in self.departments)


@dataclass(frozen=True)
class UserDetails:
    """A user as administrators list them: with when they joined and last signed in (ISO 8601,
    UTC; None: never) and how many of their API tokens still work."""

    user: User
    created: str
    last_sign_in: str | None
    active_tokens: int


class UserStore:
    def __init__(self, path: Path, store: GraphStore, iris: Iris, session_seconds: float) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.session_seconds = session_seconds
        self.store = store
        self.iris = iris
        self._local = threading.local()
        auth_db.prepare(path)

    def _connect(self) -> sqlite3.Connection:
        return auth_db.connect(self.path)

    def _reading(self) -> sqlite3.Connection:
        """This thread's kept connection, for the reads of every request (sessions): opening
        one per request cost about a third of a millisecond."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = auth_db.connect(self.path)
        return db

    # Users ----------------------------------------------------------------------------------

    def add(self, name: str, role: str, departments: list[str], password: str | None = None) -> str:
        """Create a user; returns the password (generated when none is given)."""
        _check_name(name)
        _check_role(role)
        password = password or secrets.token_urlsafe(15)
        _check_password(password)
        try:
            with self._connect() as db:
                db.execute(
                    "INSERT INTO users (name, password_hash, role, departments, created) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (name, generate_password_hash(password), role, ",".join(departments), _now()),
                )
        except sqlite3.IntegrityError:
            raise UserError(
                M_("a user named %(name)s exists already", name=repr(name)), "name"
            ) from None
        self._publish(name)
        return password

    def get(self, name: str) -> User | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        return self._user(row) if row else None

    def all(self) -> list[User]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM users ORDER BY name").fetchall()
        return [self._user(row) for row in rows]

    def count(self) -> int:
        with self._connect() as db:
            return db.execute("SELECT COUNT(*) FROM users").fetchone()[0]

    def authenticate(self, name: str, password: str) -> User | None:
        """The user, if the name exists, is enabled, and the password matches; else None."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            check_password_hash(_dummy_hash(), password)  # same cost whether the user exists or not
            return None
        if not check_password_hash(row["password_hash"], password) or row["disabled"]:
            return None
        return self._user(row)

    def set_role(self, name: str, role: str, departments: list[str] | None = None) -> User:
        """Change a user's role (and departments, if given); their sessions end."""
        _check_role(role)
        self._require(name)
        with self._connect() as db:
            if role != "admin":
                _keep_an_admin(db, name, "role")
            db.execute("UPDATE users SET role = ? WHERE name = ?", (role, name))
            if departments is not None:
                db.execute(
                    "UPDATE users SET departments = ? WHERE name = ?", (",".join(departments), name)
                )
            _end_sessions(db, name)
        self._publish(name)
        return self._require(name)

    def set_departments(self, name: str, departments: list[str]) -> User:
        """Change a user's departments. Sessions go on: every request reads the user afresh,
        so the change shows on their next request."""
        self._require(name)
        with self._connect() as db:
            db.execute(
                "UPDATE users SET departments = ? WHERE name = ?", (",".join(departments), name)
            )
        self._publish(name)
        return self._require(name)

    def reset_password(self, name: str) -> str:
        """Give ``name`` a new generated password (returned, to show once); sessions end."""
        password = secrets.token_urlsafe(15)
        self.set_password(name, password)
        return password

    def set_password(self, name: str, password: str) -> None:
        _check_password(password)
        self._require(name)
        with self._connect() as db:
            db.execute(
                "UPDATE users SET password_hash = ? WHERE name = ?",
                (generate_password_hash(password), name),
            )
            _end_sessions(db, name)

    def disable(self, name: str) -> None:
        """Disable a user: their sessions end, their tokens stop working, and their public
        profile no longer shows them as a member of any department, all at once."""
        self._require(name)
        with self._connect() as db:
            _keep_an_admin(db, name, "disabled")
            db.execute("UPDATE users SET disabled = 1 WHERE name = ?", (name,))
            db.execute("UPDATE tokens SET revoked = 1 WHERE user = ?", (name,))
            _end_sessions(db, name)
        self._publish(name)

    def enable(self, name: str) -> None:
        """Enable a disabled user again. Their old tokens stay revoked: they need new ones."""
        self._require(name)
        with self._connect() as db:
            db.execute("UPDATE users SET disabled = 0 WHERE name = ?", (name,))
        self._publish(name)

    def details(self, name: str) -> UserDetails | None:
        rows = self._details("WHERE users.name = ?", (name,))
        return rows[0] if rows else None

    def listing(self, offset: int = 0, limit: int = 50) -> tuple[list[UserDetails], int]:
        """One page of users by name, with their details; and how many users there are."""
        page = self._details("ORDER BY users.name LIMIT ? OFFSET ?", (limit, max(offset, 0)))
        return page, self.count()

    def _details(self, where: str, values: tuple) -> list[UserDetails]:
        query = f"SELECT users.*, {api_tokens.ACTIVE_COUNT} AS active_tokens FROM users {where}"
        now = api_tokens.iso_time(api_tokens.utcnow())
        with self._connect() as db:
            rows = db.execute(query, (now, *values)).fetchall()
        return [
            UserDetails(self._user(r), r["created"], r["last_sign_in"], r["active_tokens"])
            for r in rows
        ]

    def _require(self, name: str) -> User:
        user = self.get(name)
        if user is None:
            raise UserError(M_("no user named %(name)s", name=repr(name)))
        return user

    def _user(self, row: sqlite3.Row) -> User:
        departments = tuple(d for d in row["departments"].split(",") if d)
        return User(
            row["name"],
            row["role"],
            departments,
            bool(row["disabled"]),
            self.iris.user(row["name"]).value,
        )

    # Browser sessions -----------------------------------------------------------------------

    def start_session(self, name: str) -> str:
        """A new session for ``name`` (who must be enabled); returns its secret for the cookie."""
        user = self._require(name)
        if user.disabled:
            raise UserError(M_("%(user)s is disabled", user=name))
        secret = secrets.token_urlsafe(32)
        now = time.time()
        with self._connect() as db:
            db.execute("DELETE FROM sessions WHERE expires <= ?", (now,))  # keep the table small
            db.execute("UPDATE users SET last_sign_in = ? WHERE name = ?", (_now(), name))
            db.execute(
                "INSERT INTO sessions (id_hash, user, created, expires) VALUES (?, ?, ?, ?)",
                (api_tokens.secret_hash(secret), name, _now(), now + self.session_seconds),
            )
        return secret

    def session_user(self, secret: str) -> User | None:
        """The user of a live session (not ended, not expired, user enabled), else None."""
        with self._reading() as db:
            row = db.execute(
                "SELECT users.* FROM sessions JOIN users ON users.name = sessions.user "
                "WHERE sessions.id_hash = ? AND sessions.expires > ? AND users.disabled = 0",
                (api_tokens.secret_hash(secret), time.time()),
            ).fetchone()
        return self._user(row) if row else None

    def end_session(self, secret: str) -> None:
        """End one session (signing out); an unknown or ended one is no error."""
        with self._connect() as db:
            db.execute("DELETE FROM sessions WHERE id_hash = ?", (api_tokens.secret_hash(secret),))

    # API tokens -----------------------------------------------------------------------------

    def issue_token(
        self, name: str, label: str = "", expires: dt.datetime | None = None
    ) -> tuple[str, str]:
        """A new API token for ``name``, valid until ``expires`` (None: until revoked):
        (token id, secret). Only its hash is kept."""
        user = self._require(name)
        if user.disabled:
            raise UserError(M_("%(user)s is disabled", user=name))
        if expires is not None and expires <= api_tokens.utcnow():
            raise UserError(M_("a token's expiry must be in the future"))
        if len(label := label.strip()) > api_tokens.MAX_LABEL_CHARS:
            raise UserError(api_tokens.label_too_long(label), "label")
        with self._connect() as db:
            return api_tokens.insert(db, name, label, expires)

    def user_for_token(self, secret: str) -> User | None:
        """The user of a live token (not revoked, user enabled), else None; an expired token
        raises :class:`TokenExpired`. Records the use (at most once per ``LAST_USE_EVERY``)."""
        with self._connect() as db:
            row = api_tokens.live_user_row(db, secret)
        return self._user(row) if row else None

    def tokens(self, name: str) -> list[Token]:
        with self._connect() as db:
            return api_tokens.of_user(db, name)

    def revoke_token(self, token_id: str, owner: str | None = None) -> None:
        """Revoke a token (only one of ``owner``'s, if given: the same error for another's)."""
        with self._connect() as db:
            if not api_tokens.revoke(db, token_id, owner):
                raise UserError(M_("no token with id %(id)s", id=repr(token_id)))

    # The public profile in the graph --------------------------------------------------------

    def _publish(self, name: str) -> None:
        """Mirror the user's profile into the users graph. A disabled user stays a person
        (so the audit trail and past attributions still resolve) but holds no role and is a
        member of no department."""
        user = self._require(name)
        iri = NamedNode(user.iri)
        triples = [
            Triple(iri, RDF.type, FOAF.Person),
            Triple(iri, FOAF.nick, Literal(user.name)),
        ]
        if not user.disabled:
            triples.append(Triple(iri, DAM.role, Literal(user.role)))
            triples += [
                Triple(iri, ORG.memberOf, self.iris.concept(f"departments/{d}"))
                for d in user.departments
            ]
        graph = self.iris.users_graph
        forget = substitute(_FORGET_PROFILE, {"graph": graph, "user": iri})
        quads = (Quad(t.subject, t.predicate, t.object, graph) for t in triples)
        self.store.update(update_request(forget, data_block("INSERT", quads)), graphs={graph.value})


def check_departments(departments: Iterable[str], known: Iterable[str]) -> list[str]:
    """``departments`` without repeats, each one of ``known`` (the departments vocabulary's
    short names); a :class:`UserError` naming those that are not."""
    known = set(known)
    chosen = list(dict.fromkeys(d.strip() for d in departments if d.strip()))
    unknown = [d for d in chosen if d not in known]
    if unknown:
        raise UserError(
            M_(
                "unknown department %(unknown)s; use one of %(known)s",
                unknown=", ".join(map(repr, unknown)),
                known=", ".join(sorted(known)),
            ),
            "departments",
        )
    return chosen


def _check_name(name: str) -> None:
    if not name:
        raise UserError(M_("give the user a name"), "name")
    if not USER_NAME.match(name):
        raise UserError(
            M_(
                "user name %(name)s: use 2–40 lower-case letters, digits, dots, dashes or "
                "underscores",
                name=repr(name),
            ),
            "name",
        )
    if name in RESERVED_NAMES:
        raise UserError(
            M_(
                "user name %(name)s is reserved: Atrium's CLI records its work under it",
                name=repr(name),
            ),
            "name",
        )


def _keep_an_admin(db: sqlite3.Connection, name: str, field: str) -> None:
    """Refuse to take the admin role from ``name`` (demote or disable) if no other enabled
    admin would be left. Takes the write lock first, so two such changes cannot both pass."""
    db.execute("BEGIN IMMEDIATE")
    others = db.execute(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0 AND name != ?", (name,)
    ).fetchone()[0]
    row = db.execute("SELECT role, disabled FROM users WHERE name = ?", (name,)).fetchone()
    if row["role"] == "admin" and not row["disabled"] and others == 0:
        raise UserError(
            M_("%(user)s is the last enabled admin; make another user admin first", user=name),
            field,
        )


def _end_sessions(db: sqlite3.Connection, name: str) -> None:
    db.execute("DELETE FROM sessions WHERE user = ?", (name,))


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(
            M_(
                "unknown role %(role)s; use one of %(roles)s",
                role=repr(role),
                roles=", ".join(ROLES),
            ),
            "role",
        )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(
            M_("a password needs at least %(limit)s characters", limit=MIN_PASSWORD), "password"
        )


def _now() -> str:
    return api_tokens.utcnow().isoformat()


@functools.cache
def _dummy_hash() -> str:
    """What a sign-in with an unknown name is checked against; made on first use, since a
    hash costs some 0.1 s that every command and worker process paid at import."""
    return generate_password_hash("not a real password")
