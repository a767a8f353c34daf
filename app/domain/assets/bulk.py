"""Acting on many assets at once: a batch edit of one field, a change of access level, a delete.

A selection is a list of asset ids (from the search page's checkboxes, or every hit of a
search, :meth:`~app.domain.search.SearchEngine.matching_ids`). Each action goes asset by
asset and answers a :class:`BulkReport` saying, per asset, what changed or why not:

- an asset the reader may not see is left out, as if it did not exist (nothing leaks);
- one the user may not change (:meth:`app.domain.people.users.User.may_change`) is "not allowed";
- one that someone changed since the person saw it (the version they were shown, or, without
  one, since this action read it) is "changed by someone else", and the rest carry on;
- a batch edit is validated against each asset's own profile (core shape and department
  profile), so one asset may be refused, with the shapes' message, while the others change.

Every change is audited in the same store update as the change ("changed", "deleted"), by
:class:`~app.domain.assets.repository.AssetRepository`. A deleted asset's media files go only when
no record (of any graph) still names their bytes.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from pyoxigraph import Literal, NamedNode, Triple

from app.domain.assets.records import AssetConflict, AssetDraft, AssetRefused
from app.domain.iris import ASSET_ID
from app.domain.people.access import ACCESS_LEVELS, Reader
from app.domain.people.audit import Actor
from app.domain.people.users import User
from app.domain.shapes.fields import Field, UnknownField
from app.messages import M_, Message, message_of
from app.namespaces import DAM, DCT, sparql_prefixes
from app.storage.graphstore import Scope

if TYPE_CHECKING:
    from app.domain.assets.repository import AssetRepository
    from app.domain.collections.writing import Collections
    from app.domain.concepts import ConceptIndex
    from app.domain.iris import Iris
    from app.domain.shapes.registry import FieldRegistry
    from app.storage.graphstore import GraphStore
    from app.storage.media import MediaStore


class BulkServices(Protocol):
    """What the bulk actions need of the service (:class:`app.service.Atrium`)."""

    @property
    def iris(self) -> Iris: ...

    @property
    def store(self) -> GraphStore: ...

    @property
    def media(self) -> MediaStore: ...

    @property
    def fields(self) -> FieldRegistry: ...

    @property
    def assets(self) -> AssetRepository: ...

    @property
    def collections(self) -> Collections: ...

    def concepts(self) -> ConceptIndex: ...


EDIT_OPERATIONS = ("set", "add", "remove")
CONFLICT = "changed by someone else"
DELETED_MEANWHILE = M_("deleted meanwhile")
_REFERENCED = sparql_prefixes() + "ASK { ?file dam:sha256 ?hash }"


class BadSelection(ValueError):
    """The selection is malformed or too large; the message says what to change."""


def parse_asset_ids(texts: Iterable[str], limit: int) -> list[str]:
    """The asset ids of a selection, each once in the order given; :class:`BadSelection` for
    anything that is not an asset id, or more than ``limit`` of them."""
    ids: dict[str, None] = {}
    for text in texts:
        candidate = (text or "").strip()
        if not ASSET_ID.fullmatch(candidate):
            raise BadSelection(
                M_("%(text)s is not an asset id (16 hex digits)", text=repr(candidate[:40]))
            )
        ids[candidate] = None
        if len(ids) > limit:
            raise BadSelection(
                M_("at most %(limit)s assets at a time: narrow the selection", limit=limit)
            )
    return list(ids)


@dataclass(frozen=True)
class Outcome:
    """What an action did to one asset: ``status`` is one of changed, unchanged, refused,
    not allowed, changed by someone else, deleted, not found; ``message`` says more."""

    asset_id: str
    title: str
    status: str
    message: Message | str = ""

    @property
    def done(self) -> bool:
        return self.status in ("changed", "deleted")


@dataclass
class BulkReport:
    action: Message  # what was asked, in words ("set Keywords to “harbour”")
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def counts(self) -> Counter[str]:
        return Counter(outcome.status for outcome in self.outcomes)

    def as_json(self) -> dict[str, object]:
        return {
            "action": str(self.action),
            "counts": dict(self.counts),
            "assets": [
                {"id": o.asset_id, "title": o.title, "status": o.status, "message": str(o.message)}
                for o in self.outcomes
            ],
        }


@dataclass(frozen=True)
class Preview:
    """A selected asset as the confirmation page lists it."""

    asset_id: str
    title: str
    department: str
    access: str
    version: str
    may_change: bool


class BulkActions:
    """The bulk actions over one Atrium's assets."""

    def __init__(self, atrium: BulkServices) -> None:
        self.atrium = atrium
        self.assets = atrium.assets

    # Reading the selection --------------------------------------------------------------

    def visible(self, asset_ids: Sequence[str], scope: Scope) -> list[str]:
        """Those of ``asset_ids`` that ``scope`` sees, in order."""
        return [i for i in asset_ids if self.assets.record(i, scope)]

    def preview(self, asset_ids: Sequence[str], user: User | None, scope: Scope) -> list[Preview]:
        """The visible assets of the selection with what the confirmation page shows."""
        found = []
        for asset_id in asset_ids:
            if not self.assets.record(asset_id, scope):
                continue
            draft = self.assets.stored_draft(asset_id)
            if draft is None:
                continue
            allowed = user is not None and user.may_change(draft.department)
            found.append(
                Preview(
                    asset_id,
                    _title(draft),
                    draft.department,
                    draft.access,
                    draft.version or "",
                    allowed,
                )
            )
        return found

    # Actions ------------------------------------------------------------------------------

    def edit_field(
        self,
        asset_ids: Sequence[str],
        user: User,
        scope: Scope,
        name: str,
        operation: str,
        text: str,
        versions: Mapping[str, str] | None = None,
    ) -> BulkReport:
        """Set, add or remove one value of the field ``name`` on each asset (set with no
        value clears the field; remove takes the value to remove)."""
        if operation not in EDIT_OPERATIONS:
            raise BadSelection(
                M_(
                    "unknown operation %(operation)s: use set, add or remove",
                    operation=repr(operation),
                )
            )
        if operation in ("add", "remove") and not text.strip():
            raise BadSelection(M_("give the value to %(operation)s", operation=Message(operation)))
        report = BulkReport(_edit_words(operation, name, text))
        concepts = self.atrium.concepts()
        by_department: dict[str, list[AssetDraft]] = {}
        for asset_id in asset_ids:
            draft, refusal = self._writable(asset_id, user, scope, versions)
            if refusal is not None:
                report.outcomes.append(refusal)
                continue
            try:
                chosen = self.atrium.fields.field(name, draft.department)
                value = chosen.parse(text, concepts) if text.strip() else None
            except (UnknownField, ValueError) as error:
                why = message_of(error) or str(error)
                report.outcomes.append(Outcome(asset_id, _title(draft), "refused", why))
                continue
            before = set(draft.triples)
            draft.triples = _edited(draft, chosen, operation, value)
            if set(draft.triples) == before:
                report.outcomes.append(Outcome(asset_id, _title(draft), "unchanged"))
                continue
            linked = [t.object for t in draft.triples if isinstance(t.object, NamedNode)]
            draft.context = concepts.context_triples(linked)
            by_department.setdefault(draft.department, []).append(draft)
        for drafts in by_department.values():
            reports = self.assets.validate_many(drafts)
            for draft in drafts:
                report.outcomes.append(self._save(draft, reports[draft.asset_id], user))
        order = {asset_id: n for n, asset_id in enumerate(asset_ids)}
        report.outcomes.sort(key=lambda outcome: order.get(outcome.asset_id, 0))
        return report

    def change_access(
        self,
        asset_ids: Sequence[str],
        user: User,
        scope: Scope,
        access: str,
        versions: Mapping[str, str] | None = None,
    ) -> BulkReport:
        """Move each asset to ``access`` (an incomplete asset cannot become public)."""
        if access not in ACCESS_LEVELS:
            raise BadSelection(
                M_(
                    "unknown access level %(access)s: use %(levels)s",
                    access=repr(access),
                    levels=", ".join(ACCESS_LEVELS),
                )
            )
        level = Message(access)  # the name of an access level, a word of the catalogue
        report = BulkReport(M_("change access to %(access)s", access=level))
        for asset_id in asset_ids:
            draft, refusal = self._writable(asset_id, user, scope, versions)
            if refusal is not None:
                report.outcomes.append(refusal)
                continue
            title = _title(draft)
            if draft.access == access:
                already = M_("already %(access)s", access=level)
                report.outcomes.append(Outcome(asset_id, title, "unchanged", already))
                continue
            try:
                self.assets.set_access(
                    asset_id, access, expected_version=draft.version, actor=_actor(user)
                )
            except AssetRefused as refusal:
                report.outcomes.append(Outcome(asset_id, title, "refused", str(refusal)))
            except AssetConflict:
                report.outcomes.append(Outcome(asset_id, title, CONFLICT))
            except KeyError:
                report.outcomes.append(Outcome(asset_id, title, "not found", DELETED_MEANWHILE))
            else:
                now = M_("now %(access)s", access=level)
                report.outcomes.append(Outcome(asset_id, title, "changed", now))
        return report

    def delete(
        self,
        asset_ids: Sequence[str],
        user: User,
        scope: Scope,
        versions: Mapping[str, str] | None = None,
    ) -> BulkReport:
        """Delete each asset the user may change; its media files go when no record uses them."""
        report = BulkReport(M_("delete"))
        for asset_id in asset_ids:
            with self.assets.editing(asset_id):
                draft, refusal = self._writable(asset_id, user, scope, versions)
                if refusal is not None:
                    report.outcomes.append(refusal)
                    continue
                hashes = {t.object.value for t in draft.triples if t.predicate == DAM.sha256}
                before = time.time()
                self.assets.delete(asset_id, actor=_actor(user))
            self._remove_unused_media(hashes, before)
            report.outcomes.append(Outcome(asset_id, _title(draft), "deleted"))
        return report

    def add_to_collection(
        self, collection_id: str, reader: Reader, scope: Scope, asset_ids: Sequence[str]
    ) -> tuple[int, int]:
        """Add the visible assets of the selection to a collection (its own rules apply:
        :meth:`app.domain.collections.Collections.add`); (added, already in it)."""
        visible = self.visible(asset_ids, scope)
        if not visible:
            return 0, 0
        members = [self.atrium.iris.asset(asset_id) for asset_id in visible]
        added = self.atrium.collections.add(collection_id, reader, scope, members)
        return added, len(visible) - added

    # Helpers ------------------------------------------------------------------------------

    def _writable(
        self, asset_id: str, user: User, scope: Scope, versions: Mapping[str, str] | None
    ) -> tuple[AssetDraft, None] | tuple[None, Outcome]:
        """The stored draft of an asset the user may change, or the outcome saying why not."""
        if not self.assets.record(asset_id, scope):
            return None, Outcome(asset_id, asset_id, "not found", M_("no such asset"))
        draft = self.assets.stored_draft(asset_id)
        if draft is None:
            return None, Outcome(asset_id, asset_id, "not found", DELETED_MEANWHILE)
        title = _title(draft)
        if not user.may_change(draft.department):
            why = M_(
                "only contributors of %(department)s may change it", department=draft.department
            )
            return None, Outcome(asset_id, title, "not allowed", why)
        seen = (versions or {}).get(asset_id)
        if seen and seen != draft.version:
            return None, Outcome(asset_id, title, CONFLICT, _since(self.assets.conflict(asset_id)))
        return draft, None

    def _save(self, draft: AssetDraft, validation: object, user: User) -> Outcome:
        title = _title(draft)
        try:
            self.assets.save_validated(draft, validation, actor=_actor(user))  # type: ignore[arg-type]
        except AssetRefused as refusal:
            messages = "; ".join(f"{p.field}: {p.message}" for p in refusal.report.refusals)
            return Outcome(draft.asset_id, title, "refused", messages)
        except AssetConflict as conflict:
            return Outcome(draft.asset_id, title, CONFLICT, _since(conflict))
        return Outcome(draft.asset_id, title, "changed")

    def _remove_unused_media(self, hashes: Iterable[str], before: float) -> None:
        """Remove the files no record names any more, unless someone stored them since
        ``before`` (:meth:`app.storage.media.MediaStore.remove_unused`)."""
        store, media = self.atrium.store, self.atrium.media
        for sha256 in hashes:
            bound = {"hash": Literal(sha256)}
            if len(sha256) != 64 or store.ask(
                _REFERENCED, scope=Scope.everything(), bindings=bound
            ):
                continue
            try:
                media.remove_unused(sha256, before)
            except ValueError:  # not a hash the media store could hold
                continue


def _edited(draft: AssetDraft, chosen: Field, operation: str, value: object | None) -> list[Triple]:
    """The draft's triples with the field's values set to, added or stripped of ``value``."""
    mine = [t for t in draft.triples if t.subject == draft.iri and t.predicate == chosen.path]
    others = [t for t in draft.triples if t not in mine]
    new = Triple(draft.iri, chosen.path, value) if value is not None else None  # type: ignore[arg-type]
    if operation == "set":
        return others + ([new] if new is not None else [])
    if operation == "add":
        return draft.triples if new in mine else [*draft.triples, new]
    return [t for t in draft.triples if t != new]


def _title(draft: AssetDraft) -> str:
    found = (
        t.object.value for t in draft.triples if t.subject == draft.iri and t.predicate == DCT.title
    )
    return next(found, draft.asset_id)


def _since(conflict: AssetConflict) -> Message:
    return conflict.words(since_opened=False)


def _actor(user: User) -> Actor:
    return Actor.user(user.name)


def _edit_words(operation: str, name: str, text: str) -> Message:
    value = M_("“%(label)s”", label=text.strip()) if text.strip() else M_("nothing")
    return {
        "set": M_("set %(field)s to %(value)s", field=name, value=value),
        "add": M_("add %(value)s to %(field)s", field=name, value=value),
        "remove": M_("remove %(value)s from %(field)s", field=name, value=value),
    }[operation]
