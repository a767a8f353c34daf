"""API tokens: what a token is, when it expires, and how its times read.

The tokens are kept in auth.sqlite (only their hashes), through
:class:`app.domain.people.users.UserStore`, which calls the table's functions below. A token may
carry an expiry (:func:`token_expiry`: a number of days, or a last day); an expired token is
refused with :class:`TokenExpired`, which says when it expired. Its last use is recorded at
most once every ``LAST_USE_EVERY`` seconds, so that a busy script does not turn every read
into a write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import sqlite3
from dataclasses import dataclass

from app.messages import M_, Message

LAST_USE_EVERY = 60  # seconds: a token's last use is written at most this often
MAX_TOKEN_DAYS = 3650  # the furthest expiry a token can be given
MAX_LABEL_CHARS = 200  # a token's label names the script or tool that holds it
_DAYS = re.compile(r"^(\d{1,6})\s*d$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# How many of a user's tokens still work, as a column of a query on users (bind: now, ISO).
ACTIVE_COUNT = (
    "(SELECT COUNT(*) FROM tokens WHERE tokens.user = users.name AND tokens.revoked = 0 "
    "AND (tokens.expires IS NULL OR tokens.expires > ?))"
)


def label_too_long(label: str) -> Message:
    return M_(
        "a token's label holds at most %(limit)s characters (%(given)s given)",
        limit=MAX_LABEL_CHARS,
        given=len(label),
    )


class TokenError(ValueError):
    """A token could not be issued or was refused; the message says why."""


class TokenExpired(TokenError):
    """An API token past its expiry was presented; the message says when it expired."""

    def __init__(self, token_id: str, expires: str) -> None:
        super().__init__(f"the API token {token_id} expired on {when(expires)}; ask for a new one")


@dataclass(frozen=True)
class Token:
    """One API token as listed (never its secret)."""

    id: str
    user: str
    label: str
    created: str
    revoked: bool
    expires: str | None = None  # ISO 8601, UTC; None: never
    last_used: str | None = None  # ISO 8601, UTC; None: never used

    @property
    def expired(self) -> bool:
        return self.expires is not None and parse_time(self.expires) <= utcnow()

    @property
    def state(self) -> str:
        return "revoked" if self.revoked else "expired" if self.expired else "active"


def token_expiry(text: str) -> dt.datetime | None:
    """The expiry a person wrote: ``90d`` (days from now), a date ``2027-03-31`` (the token
    works through that day, UTC), or nothing or ``never``; a :class:`TokenError` otherwise."""
    text = text.strip().lower()
    if text in ("", "never"):
        return None
    now = utcnow()
    days = _DAYS.match(text)
    if days:
        expires = now + dt.timedelta(days=min(int(days.group(1)), MAX_TOKEN_DAYS + 1))
    elif _DATE.match(text):
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise TokenError(M_("expiry %(given)s: no such date", given=repr(text))) from None
        expires = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC)
    else:
        raise TokenError(
            M_(
                "expiry %(given)s: write a number of days (90d) or a day (2027-03-31)",
                given=repr(text),
            )
        )
    if expires <= now:
        raise TokenError(M_("expiry %(given)s is not in the future", given=repr(text)))
    if expires > now + dt.timedelta(days=MAX_TOKEN_DAYS):
        raise TokenError(
            M_(
                "expiry %(given)s: a token lasts at most %(days)s days",
                given=repr(text),
                days=MAX_TOKEN_DAYS,
            )
        )
    return expires


def when(stored: str | None, never: str = "never") -> str:
    """A stored time as people read it (``2027-04-01 00:00 UTC``); ``never`` if None."""
    return parse_time(stored).strftime("%Y-%m-%d %H:%M UTC") if stored else never


def utcnow() -> dt.datetime:
    """Now, to the second (the clock of every token check; tests move it)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def iso_time(instant: dt.datetime | None) -> str | None:
    """How a time is stored: ISO 8601 in UTC, to the second (so stored times sort as text)."""
    return instant.astimezone(dt.UTC).replace(microsecond=0).isoformat() if instant else None


def parse_time(stored: str) -> dt.datetime:
    instant = dt.datetime.fromisoformat(stored)
    return instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)


# The tokens table (auth.sqlite) ----------------------------------------------------------------


def secret_hash(secret: str) -> str:
    # Tokens and session ids are 256-bit random secrets: a plain SHA-256 stores them safely.
    return hashlib.sha256(secret.encode()).hexdigest()


def insert(
    db: sqlite3.Connection, user: str, label: str, expires: dt.datetime | None
) -> tuple[str, str]:
    """Store a new token of ``user``: (token id, secret)."""
    token_id = secrets.token_hex(4)
    secret = f"atr_{token_id}_{secrets.token_urlsafe(32)}"
    db.execute(
        "INSERT INTO tokens (id, user, token_hash, label, created, expires) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (token_id, user, secret_hash(secret), label, utcnow().isoformat(), iso_time(expires)),
    )
    return token_id, secret


def live_user_row(db: sqlite3.Connection, secret: str) -> sqlite3.Row | None:
    """The users row of a live token (not revoked, user enabled), else None; an expired token
    raises :class:`TokenExpired`. Records the use (at most once per ``LAST_USE_EVERY``)."""
    now = utcnow()
    row = db.execute(
        "SELECT users.*, tokens.id AS token_id, tokens.expires AS token_expires, "
        "tokens.last_used AS token_last_used "
        "FROM tokens JOIN users ON users.name = tokens.user "
        "WHERE tokens.token_hash = ? AND tokens.revoked = 0 AND users.disabled = 0",
        (secret_hash(secret),),
    ).fetchone()
    if row is None:
        return None
    if row["token_expires"] and parse_time(row["token_expires"]) <= now:
        raise TokenExpired(row["token_id"], row["token_expires"])
    due = iso_time(now - dt.timedelta(seconds=LAST_USE_EVERY))
    if row["token_last_used"] is None or row["token_last_used"] <= due:
        db.execute(  # the condition again: of simultaneous requests, one writes
            "UPDATE tokens SET last_used = ? WHERE id = ? "
            "AND (last_used IS NULL OR last_used <= ?)",
            (iso_time(now), row["token_id"], due),
        )
    return row


def of_user(db: sqlite3.Connection, user: str) -> list[Token]:
    rows = db.execute("SELECT * FROM tokens WHERE user = ? ORDER BY created", (user,)).fetchall()
    return [
        Token(
            r["id"],
            r["user"],
            r["label"],
            r["created"],
            bool(r["revoked"]),
            r["expires"],
            r["last_used"],
        )  # fmt: skip
        for r in rows
    ]


def revoke(db: sqlite3.Connection, token_id: str, owner: str | None) -> bool:
    """Revoke a token (only one of ``owner``'s, if given); whether there was one."""
    changed = db.execute(
        "UPDATE tokens SET revoked = 1 WHERE id = ? AND (? IS NULL OR user = ?)",
        (token_id, owner, owner),
    )
    return changed.rowcount > 0
