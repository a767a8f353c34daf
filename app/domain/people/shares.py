"""Share links: an unguessable URL that hands one asset or collection to outsiders.

A link is made by someone who may share the target (an asset: contributors of its owning
department and admins, ``User.may_change``; a collection: its owner and admins), and says until
when it works (at most :data:`MAX_SHARE_DAYS` ahead), whether it asks for a password, and what
may be fetched through it: ``preview`` (previews and thumbnails) or ``original`` (the original
files too).

Links are operational secrets, like API tokens: they live in ``auth.sqlite`` (a ``shares``
table, so every backup holds them), and only a SHA-256 of the token and a salted hash of the
password are kept.

A link never shows more than its creator may see *now*: every use opens it with the creator's
current :class:`~app.domain.people.access.Reader` scope. A creator who was disabled or removed makes
the link gone (:class:`ShareGone`, like an expired or revoked link); a target the creator may
no longer see is not found (:class:`ShareNotFound`, like an unknown token).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import NamedNode
from werkzeug.security import check_password_hash, generate_password_hash

from app.domain.assets.repository import AssetRepository
from app.domain.collections import CollectionNotFound, Collections
from app.domain.collections.model import Collection
from app.domain.iris import ASSET_ID, COLLECTION_ID, Iris
from app.domain.people import api_tokens
from app.domain.people.access import Reader, scope_for
from app.domain.people.users import User, UserStore
from app.messages import M_, Message
from app.storage.graphstore import GraphStore, Scope

MAX_SHARE_DAYS = 366  # a link works at most a year (and a day: through the last day chosen)
ALLOWS = ("preview", "original")  # what a link lets outsiders fetch
KINDS = ("asset", "collection")
MAX_PASSWORD = 200
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS shares (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    creator TEXT NOT NULL,
    kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    allows TEXT NOT NULL,
    password_hash TEXT,
    created TEXT NOT NULL,
    expires TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    last_used TEXT
);
CREATE INDEX IF NOT EXISTS shares_by_creator ON shares(creator);
"""


class ShareError(ValueError):
    """A share link could not be made or changed; the message says why (a 400 or 422)."""


class ShareForbidden(ShareError):
    """The user may see the target but may not share it, or may not revoke the link."""


class ShareNotFound(ShareError):
    """No such link, or its target is not there for its creator (any more)."""


class ShareGone(ShareError):
    """The link was revoked, has expired, or its creator was disabled (a 410)."""


@dataclass(frozen=True)
class Share:
    """One share link as listed (never its token)."""

    id: str
    creator: str
    kind: str  # "asset" or "collection"
    target_id: str
    allows: str  # "preview" or "original"
    created: str
    expires: str  # ISO 8601, UTC: the first instant the link no longer works
    revoked: bool
    has_password: bool
    last_used: str | None = None

    @property
    def expired(self) -> bool:
        return api_tokens.parse_time(self.expires) <= api_tokens.utcnow()

    @property
    def state(self) -> str:
        return "revoked" if self.revoked else "expired" if self.expired else "active"

    @property
    def originals(self) -> bool:
        return self.allows == "original"

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "creator": self.creator,
            "kind": self.kind,
            "target": self.target_id,
            "allows": self.allows,
            "created": self.created,
            "expires": self.expires,
            "state": self.state,
            "password": self.has_password,
            "last_used": self.last_used,
        }


@dataclass
class Opened:
    """A live link, opened with its creator's current scope: what an outsider may see."""

    share: Share
    scope: Scope
    asset_triples: list = field(default_factory=list)  # an asset link: the asset's record
    collection: Collection | None = None  # a collection link: as the creator sees it

    def asset_ids(self) -> list[str]:
        """The assets an outsider may fetch through the link."""
        if self.collection is not None:
            return [member.id for member in self.collection.assets]
        return [self.share.target_id]


def share_expiry(text: object) -> dt.datetime:
    """The expiry a person chose: a day ``2027-03-31`` (the link works through that day, UTC),
    in the future and at most :data:`MAX_SHARE_DAYS` ahead; a :class:`ShareError` otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise ShareError(M_("choose the last day the link works (an expiry date is required)"))
    text = text.strip()
    if not _DATE.match(text):
        raise ShareError(M_("expiry %(given)s: write a day as YYYY-MM-DD", given=repr(text[:40])))
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ShareError(M_("expiry %(given)s: no such date", given=repr(text))) from None
    expires = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC)
    now = api_tokens.utcnow()
    if expires <= now:
        raise ShareError(M_("expiry %(day)s is not in the future", day=text))
    if expires > now + dt.timedelta(days=MAX_SHARE_DAYS):
        raise ShareError(M_("expiry %(day)s: a share link lasts at most a year", day=text))
    return expires


class ShareLinks:
    """Share links kept in ``path`` (auth.sqlite), checked against the graph on every use."""

    def __init__(
        self,
        path: Path,
        users: UserStore,
        store: GraphStore,
        iris: Iris,
        assets: AssetRepository,
        collections: Collections,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.users = users
        self.store = store
        self.iris = iris
        self.assets = assets
        self.collections = collections
        with self._connect() as db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        return db

    # Making, listing, revoking ----------------------------------------------------------------

    def create(
        self,
        user: User,
        kind: object,
        target_id: object,
        expires: object,
        password: object = None,
        allows: object = "preview",
    ) -> tuple[Share, str]:
        """A new link to an asset or collection ``user`` may share: (the link, its token).
        The token is shown this once; only its hash is kept."""
        if user.disabled:
            raise ShareForbidden(M_("%(user)s is disabled", user=user.name))
        if kind not in KINDS:
            raise ShareError(
                M_("share an asset or a collection, not %(kind)s", kind=repr(str(kind)[:40]))
            )
        if not isinstance(target_id, str) or not _id_pattern(kind).match(target_id):
            raise ShareNotFound(
                M_("no %(kind)s %(id)s", kind=Message(kind), id=repr(str(target_id)[:40]))
            )
        if allows not in ALLOWS:
            raise ShareError(
                M_(
                    "a link allows %(choices)s, not %(given)s",
                    choices=" or ".join(ALLOWS),
                    given=repr(str(allows)[:40]),
                )
            )
        if password is not None and not isinstance(password, str):
            raise ShareError(M_("the password must be text"))
        if password and len(password) > MAX_PASSWORD:
            raise ShareError(
                M_("the password is longer than %(limit)s characters", limit=MAX_PASSWORD)
            )
        expiry = share_expiry(expires)
        self._require_may_share(user, kind, target_id)
        share_id, token = secrets.token_hex(8), secrets.token_urlsafe(32)
        with self._connect() as db:
            db.execute(
                "INSERT INTO shares (id, token_hash, creator, kind, target_id, allows, "
                "password_hash, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    share_id,
                    _token_hash(token),
                    user.name,
                    kind,
                    target_id,
                    allows,
                    generate_password_hash(password) if password else None,
                    api_tokens.utcnow().isoformat(),
                    api_tokens.iso_time(expiry),
                ),
            )
        return self._require(share_id), token

    def may_share(self, user: User | None, kind: str, target_id: str) -> bool:
        """Whether ``user`` may make links to the asset or collection."""
        if user is None or user.disabled:
            return False
        try:
            self._require_may_share(user, kind, target_id)
        except ShareError:
            return False
        return True

    def of(self, user: User) -> list[Share]:
        """The links ``user`` made, newest first."""
        return self._select("WHERE creator = ?", (user.name,))

    def everyone_elses(self, user: User) -> list[Share]:
        """For an administrator: the links others made, newest first."""
        if not user.is_admin:
            return []
        return self._select("WHERE creator != ?", (user.name,))

    def get(self, share_id: str) -> Share | None:
        found = self._select("WHERE id = ?", (share_id,))
        return found[0] if found else None

    def revoke(self, user: User, share_id: str) -> Share:
        """Revoke a link (its creator or an admin); revoking a revoked link is no error."""
        share = self.get(share_id) if isinstance(share_id, str) else None
        if share is None or (share.creator != user.name and not user.is_admin):
            raise ShareNotFound(M_("no share link %(id)s of yours", id=repr(str(share_id)[:40])))
        with self._connect() as db:
            db.execute("UPDATE shares SET revoked = 1 WHERE id = ?", (share_id,))
        return self._require(share_id)

    def target(self, share: Share) -> NamedNode:
        """The IRI of what the link shares."""
        if share.kind == "asset":
            return self.iris.asset(share.target_id)
        return self.iris.collection(share.target_id)

    # Using ------------------------------------------------------------------------------------

    def find(self, token: str) -> Share | None:
        """The link of ``token``, whatever its state; None for an unknown token."""
        if not isinstance(token, str) or not _TOKEN.match(token):
            return None
        found = self._select("WHERE token_hash = ?", (_token_hash(token),))
        return found[0] if found else None

    def open(self, token: str) -> Opened:
        """The live link of ``token``, opened with its creator's scope now.
        :class:`ShareNotFound` (unknown token, target gone or out of the creator's sight),
        :class:`ShareGone` (revoked, expired, creator disabled)."""
        share = self.find(token)
        if share is None:
            raise ShareNotFound("no such share link")
        if share.state != "active":
            raise ShareGone(f"this share link has {share.state}")
        creator = self.users.get(share.creator)
        if creator is None or creator.disabled:
            raise ShareGone("this share link no longer works")
        reader = Reader.signed_in_as(creator.name, creator.departments, creator.is_admin)
        scope = scope_for(reader, self.iris, self.store)
        opened = Opened(share, scope)
        if share.kind == "asset":
            opened.asset_triples = self.assets.record(share.target_id, scope)
            if not opened.asset_triples:
                raise ShareNotFound("what this link shared is no longer there")
        else:
            try:
                opened.collection = self.collections.get(share.target_id, reader, scope)
            except CollectionNotFound:
                raise ShareNotFound("what this link shared is no longer there") from None
        self._note_use(share.id)
        return opened

    def password_matches(self, share: Share, password: str) -> bool:
        with self._connect() as db:
            row = db.execute(
                "SELECT password_hash FROM shares WHERE id = ?", (share.id,)
            ).fetchone()
        stored = row["password_hash"] if row else None
        return bool(stored) and check_password_hash(stored, password or "")

    # Helpers ----------------------------------------------------------------------------------

    def _require_may_share(self, user: User, kind: str, target_id: str) -> None:
        reader = Reader.signed_in_as(user.name, user.departments, user.is_admin)
        scope = scope_for(reader, self.iris, self.store)
        if kind == "asset":
            home = self.assets.access_of(target_id)
            if home is None or not self.assets.record(target_id, scope):
                raise ShareNotFound(M_("no asset %(id)s", id=target_id))
            if not user.may_change(home[1]):
                raise ShareForbidden(M_("only contributors of the owning department may share it"))
            return
        try:
            collection = self.collections.get(target_id, reader, scope)
        except CollectionNotFound:
            raise ShareNotFound(M_("no collection %(id)s", id=target_id)) from None
        if not collection.may_edit:
            raise ShareForbidden(M_("only the collection's owner may share it"))

    def _note_use(self, share_id: str) -> None:
        now = api_tokens.utcnow()
        due = api_tokens.iso_time(now - dt.timedelta(seconds=api_tokens.LAST_USE_EVERY))
        with self._connect() as db:
            db.execute(
                "UPDATE shares SET last_used = ? WHERE id = ? "
                "AND (last_used IS NULL OR last_used <= ?)",
                (api_tokens.iso_time(now), share_id, due),
            )

    def _require(self, share_id: str) -> Share:
        share = self.get(share_id)
        if share is None:
            raise ShareNotFound(f"no share link {share_id}")
        return share

    def _select(self, where: str, values: tuple) -> list[Share]:
        with self._connect() as db:
            rows = db.execute(
                f"SELECT * FROM shares {where} ORDER BY created DESC, id", values
            ).fetchall()
        return [
            Share(
                id=row["id"],
                creator=row["creator"],
                kind=row["kind"],
                target_id=row["target_id"],
                allows=row["allows"],
                created=row["created"],
                expires=row["expires"],
                revoked=bool(row["revoked"]),
                has_password=row["password_hash"] is not None,
                last_used=row["last_used"],
            )
            for row in rows
        ]


def _id_pattern(kind: str) -> re.Pattern[str]:
    return ASSET_ID if kind == "asset" else COLLECTION_ID


def _token_hash(token: str) -> str:
    # Tokens are 256-bit random secrets: a plain SHA-256 is enough to store them safely.
    return hashlib.sha256(token.encode()).hexdigest()
