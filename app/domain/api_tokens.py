"""API tokens: what a token is, when it expires, and how its times read.

The tokens themselves are kept by :class:`app.domain.users.UserStore` (hashed, in
auth.sqlite). A token may carry an expiry (:func:`token_expiry`: a number of days, or a last
day); an expired token is refused with :class:`TokenExpired`, which says when it expired. Its
last use is recorded at most once every ``LAST_USE_EVERY`` seconds, so that a busy script does
not turn every read into a write.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

LAST_USE_EVERY = 60  # seconds: a token's last use is written at most this often
MAX_TOKEN_DAYS = 3650  # the furthest expiry a token can be given
_DAYS = re.compile(r"^(\d{1,6})\s*d$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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
            raise TokenError(f"expiry {text!r}: no such date") from None
        expires = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC)
    else:
        raise TokenError(f"expiry {text!r}: write a number of days (90d) or a day (2027-03-31)")
    if expires <= now:
        raise TokenError(f"expiry {text!r} is not in the future")
    if expires > now + dt.timedelta(days=MAX_TOKEN_DAYS):
        raise TokenError(f"expiry {text!r}: a token lasts at most {MAX_TOKEN_DAYS} days")
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
