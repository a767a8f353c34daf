"""Creating, changing, filling, ordering and deleting collections.

Only signed-in readers create collections; only the owner and administrators change one. Each
change of a collection holds its lock (one writer at a time per collection in this process)
around reading the record, checking the version the caller saw (``expected_version``: else
:class:`CollectionConflict`, nothing stored) and writing; every write is checked with the SHACL
shape ``shapes/collections.ttl`` before it lands.

A member is only added, removed or moved by someone who may see it, and a collection never
becomes part of itself (:class:`CollectionCycle`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

from pyoxigraph import Literal, NamedNode, Quad, Triple

from app.domain.assets.validation import Validator, file_validator
from app.domain.collections.editing import Editing
from app.domain.collections.homes import MembershipHomes
from app.domain.collections.model import (
    MAX_MEMBERS_PER_CALL,
    PREFIXES,
    VISIBILITIES,
    Changes,
    CollectionCycle,
    CollectionError,
    CollectionForbidden,
    CollectionRefused,
    check_visibility,
    clean_description,
    clean_title,
    next_position,
)
from app.domain.collections.reading import CollectionReads
from app.domain.collections.record import (
    COLLECTION,
    StoredCollection,
    item_quads,
    member_homes,
    read_stored,
)
from app.domain.concepts import SHAPES_DIR
from app.domain.iris import Iris
from app.domain.keyed_locks import KeyedLocks
from app.domain.people.access import Reader
from app.domain.people.audit import Actor, AuditTrail
from app.messages import M_
from app.namespaces import DAM, DCMITYPE, DCT, RDF, SCHEMA, XSD
from app.storage.graphstore import GraphStore, Scope
from app.storage.terms import to_rdflib_graph

COLLECTION_SHAPE = SHAPES_DIR / "collections.ttl"
_VISIBLE = PREFIXES + "ASK { VALUES ?type { dam:Asset dcmitype:Collection } ?m a ?type }"
_WITHIN = PREFIXES + "ASK { ?inner dct:hasPart+ ?outer }"
_DEPARTMENT = PREFIXES + "ASK { ?d a skos:Concept ; skos:notation ?notation }"


class Collections(CollectionReads):
    def __init__(self, store: GraphStore, iris: Iris, audit: AuditTrail | None = None) -> None:
        super().__init__(store, iris)
        self.audit = audit or AuditTrail(store, iris)
        self.homes = MembershipHomes(store, iris)
        self.locks = KeyedLocks()

    @property
    def _shape(self) -> Validator:
        return file_validator(COLLECTION_SHAPE, self.iris.vocab_base)

    def _event(self, action: str, iri: NamedNode, reader: Reader) -> list[Quad]:
        """The audit event's quads, written in the same update as the change they record."""
        return self.audit.event_quads(action, iri, Actor.of(reader.name))

    # Writes ------------------------------------------------------------------------------

    def create(
        self,
        reader: Reader,
        title: object,
        description: object = "",
        visibility: object = "personal",
        department: object = None,
        *,
        owner: str | None = None,
    ) -> str:
        """A new collection owned by ``owner`` (default: the reader); returns its id."""
        if not reader.signed_in:
            raise CollectionForbidden(M_("sign in to make a collection"))
        owner = owner or reader.name
        if not owner:
            raise CollectionError(M_("a collection needs an owner (a user name)"))
        if owner != reader.name and not reader.admin:
            raise CollectionForbidden(M_("only administrators make collections for someone else"))
        chosen = self._placement(reader, check_visibility(visibility), department, owner)
        collection_id = secrets.token_hex(8)
        iri = self.iris.collection(collection_id)
        now = _now()
        triples = [
            Triple(iri, RDF.type, DCMITYPE.Collection),
            Triple(iri, RDF.type, SCHEMA.Collection),
            Triple(iri, RDF.type, SCHEMA.ItemList),
            Triple(iri, DCT.identifier, Literal(collection_id)),
            Triple(iri, DCT.creator, self.iris.user(owner)),
            Triple(iri, DCT.created, now),
            Triple(iri, SCHEMA.itemListOrder, SCHEMA.ItemListOrderAscending),
            *self._described(iri, clean_title(title), clean_description(description), *chosen),
        ]
        self._check(triples)
        graph = self._graph(chosen[0], chosen[1], owner)
        quads = [Quad(t.subject, t.predicate, t.object, graph) for t in triples]
        self.store.insert(quads + self._event("created", iri, reader))
        return collection_id

    def update(
        self,
        collection_id: str,
        reader: Reader,
        scope: Scope,
        changes: Changes,
        *,
        expected_version: str | None = None,
    ) -> None:
        """Change the title, description or visibility (the owner and administrators)."""
        with self._editing(collection_id, reader, scope, expected_version) as stored:
            visibility = stored.visibility
            department: object = stored.department
            if changes.visibility is not None:
                visibility = check_visibility(changes.visibility)
                department = changes.department
            elif changes.department is not None:
                department = changes.department
            chosen = self._placement(reader, visibility, department, stored.owner)
            title = clean_title(changes.title) if changes.title is not None else None
            text = stored.value(DCT.title) if title is None else title
            described = (
                clean_description(changes.description)
                if changes.description is not None
                else stored.value(DCT.description) or ""
            )
            kept = [
                Triple(q.subject, q.predicate, q.object)
                for q in stored.description
                if q.predicate not in _DESCRIBED
            ]
            triples = kept + self._described(stored.iri, text or "", described, *chosen)
            self._check(triples)
            graph = self._graph(chosen[0], chosen[1], stored.owner)
            new = [Quad(t.subject, t.predicate, t.object, graph) for t in triples]
            removed, added = list(stored.description), new
            if graph != stored.graph:  # its members' statements follow it to the new pair
                removed, added = self._regraph(stored, graph, removed, added)
            added += self._event("changed", stored.iri, reader)
            self.store.change_quads(removed, added)
            if graph != stored.graph:
                self.homes.rehome(stored.iri)  # where it is itself a member

    def delete(
        self,
        collection_id: str,
        reader: Reader,
        scope: Scope,
        *,
        expected_version: str | None = None,
    ) -> None:
        """Delete the collection (not its members); it leaves the collections holding it."""
        with self._editing(collection_id, reader, scope, expected_version) as stored:
            event = self._event("deleted", stored.iri, reader)
            self.store.change_quads(stored.quads, event)
            self.homes.rehome(stored.iri)

    def add(
        self,
        collection_id: str,
        reader: Reader,
        scope: Scope,
        members: Sequence[NamedNode],
        *,
        expected_version: str | None = None,
    ) -> int:
        """Add members at the end, in the order given; returns how many were new."""
        members = _few(members)
        with self._editing(collection_id, reader, scope, expected_version) as stored:
            homes = member_homes(self.store, self.iris, list(members))
            position = stored.last_position
            added: list[Quad] = []
            for member in dict.fromkeys(members):
                self._may_use(member, homes, scope)
                if member.value in homes and homes[member.value][0] == COLLECTION:
                    self._refuse_cycle(stored.iri, member)
                if stored.item_of(member) is not None:
                    continue
                position = next_position(position)
                graph = self.iris.membership_graph(stored.graph, homes[member.value][1])
                added += item_quads(self.iris, collection_id, member, position, graph)
            if added:
                self._check(
                    [Triple(q.subject, q.predicate, q.object) for q in added + stored.description]
                )
            self._store_touched(stored, "INSERT", added)
        return len(added) // 5

    def remove(
        self,
        collection_id: str,
        reader: Reader,
        scope: Scope,
        members: Sequence[NamedNode],
        *,
        expected_version: str | None = None,
    ) -> int:
        """Take members out (only those the reader sees); returns how many were in it."""
        members = _few(members)
        with self._editing(collection_id, reader, scope, expected_version) as stored:
            removed: list[Quad] = []
            for member in dict.fromkeys(members):
                item = stored.item_of(member)
                if item is not None and self._sees(member, scope):
                    removed += item.quads
            self._store_touched(stored, "DELETE", removed)
        return sum(1 for q in removed if q.predicate == DCT.hasPart)

    def reorder(
        self,
        collection_id: str,
        reader: Reader,
        scope: Scope,
        order: Sequence[NamedNode],
        *,
        expected_version: str | None = None,
    ) -> None:
        """Put the members the reader sees in ``order`` (each of them, once); members they may
        not see keep their places among them."""
        with self._editing(collection_id, reader, scope, expected_version) as stored:
            visible = [m.iri for m in self.members(stored.iri, scope)]
            wanted = [m.value for m in order]
            if sorted(wanted) != sorted(visible) or len(set(wanted)) != len(wanted):
                raise CollectionError(
                    M_(
                        "give every member of the collection once, in the new order "
                        "(%(members)s members, %(given)s given)",
                        members=len(visible),
                        given=len(wanted),
                    )
                )
            self._renumber(stored, visible, wanted)

    def move(
        self, collection_id: str, reader: Reader, scope: Scope, member: NamedNode, offset: int
    ) -> None:
        """Move one member ``offset`` places (negative: earlier) among those the reader sees."""
        with self._editing(collection_id, reader, scope, None) as stored:
            visible = [m.iri for m in self.members(stored.iri, scope)]
            if member.value not in visible:
                raise CollectionError(M_("that is not a member of this collection"))
            wanted = list(visible)
            at = wanted.index(member.value)
            wanted.insert(max(0, min(len(wanted) - 1, at + offset)), wanted.pop(at))
            self._renumber(stored, visible, wanted)

    # Helpers -----------------------------------------------------------------------------

    def _renumber(self, stored: StoredCollection, visible: list[str], wanted: list[str]) -> None:
        shown = set(visible)
        queue = iter(wanted)
        order = [next(queue) if i.member.value in shown else i.member.value for i in stored.items]
        by_member = {i.member.value: i for i in stored.items}
        removed: list[Quad] = []
        added: list[Quad] = []
        position = 0
        for member in order:
            item = by_member[member]
            position = next_position(position)
            old = [q for q in item.quads if q.predicate == SCHEMA.position]
            removed += old
            added.append(Quad(item.item, SCHEMA.position, _integer(position), item.graph))
        undated, dated = self._modified(stored)
        self.store.change_quads(undated + removed, dated + added)

    def _editing(
        self, collection_id: str, reader: Reader, scope: Scope, expected_version: str | None
    ):  # noqa: ANN202 - a context manager yielding the stored collection
        return Editing(self, collection_id, reader, scope, expected_version)

    def stored(self, collection_id: str) -> StoredCollection | None:
        return read_stored(self.store, self.iris, self.iris.collection(collection_id))

    def _sees(self, member: NamedNode, scope: Scope) -> bool:
        return self.store.ask(_VISIBLE, scope=scope, bindings={"m": member})

    def _may_use(self, member: NamedNode, homes: dict, scope: Scope) -> None:
        if member.value not in homes or not self._sees(member, scope):
            raise CollectionError(M_("no asset or collection %(member)s", member=member.value))

    def _refuse_cycle(self, outer: NamedNode, inner: NamedNode) -> None:
        if inner == outer or self.store.ask(
            _WITHIN, scope=Scope.everything(), bindings={"inner": inner, "outer": outer}
        ):
            raise CollectionCycle(
                M_(
                    "a collection cannot hold itself, nor a collection that holds it: "
                    "%(inner)s already holds %(outer)s",
                    inner=inner.value,
                    outer=outer.value,
                )
                if inner != outer
                else M_("a collection cannot hold itself")
            )

    def _placement(
        self, reader: Reader, visibility: str, department: object, owner: str
    ) -> tuple[str, str | None]:
        if visibility != "department":
            return visibility, None
        if not isinstance(department, str) or not department.strip():
            raise CollectionError(M_("a collection shared with a department needs its department"))
        department = department.strip()
        known = self.store.ask(
            _DEPARTMENT,
            scope=Scope.everything(),
            bindings={
                "d": self.iris.concept(f"departments/{department}"),
                "notation": Literal(department),
            },
        )
        if "/" in department or not known:
            raise CollectionError(
                M_("unknown department %(department)s", department=repr(department))
            )
        if not reader.admin and department not in reader.departments:
            raise CollectionForbidden(
                M_(
                    "you can only share with your own departments, not %(department)s",
                    department=department,
                )
            )
        return visibility, department

    def _graph(self, visibility: str, department: str | None, owner: str) -> NamedNode:
        holder = {"public": "", "department": department or "", "personal": owner}[visibility]
        return self.iris.collection_graph(visibility, holder)

    def _described(
        self, iri: NamedNode, title: str, description: str, visibility: str, department: str | None
    ) -> list[Triple]:
        triples = [
            Triple(iri, DCT.title, Literal(title)),
            Triple(iri, DCT.modified, _now()),
            Triple(iri, DAM.visibility, VISIBILITIES[visibility]),
        ]
        if description:
            triples.append(Triple(iri, DCT.description, Literal(description)))
        if department:
            triples.append(
                Triple(iri, DAM.sharedWith, self.iris.concept(f"departments/{department}"))
            )
        return triples

    def _regraph(
        self, stored: StoredCollection, graph: NamedNode, removed: list[Quad], added: list[Quad]
    ) -> tuple[list[Quad], list[Quad]]:
        homes = member_homes(self.store, self.iris, [i.member for i in stored.items])
        for item in stored.items:
            removed = removed + item.quads
            if item.member.value in homes:
                target = self.iris.membership_graph(graph, homes[item.member.value][1])
                added = added + [Quad(q.subject, q.predicate, q.object, target) for q in item.quads]
        return removed, added

    def _store_touched(self, stored: StoredCollection, kind: str, quads: list[Quad]) -> None:
        """Insert or delete (``kind``) the quads, with the date modified set to now."""
        if quads:
            undated, dated = self._modified(stored)
            if kind == "INSERT":
                self.store.change_quads(undated, dated + quads)
            else:
                self.store.change_quads(undated + quads, dated)

    def _modified(self, stored: StoredCollection) -> tuple[list[Quad], list[Quad]]:
        """The quads out and in that set the collection's date modified to now."""
        old = [q for q in stored.description if q.predicate == DCT.modified]
        return old, [Quad(stored.iri, DCT.modified, _now(), stored.graph)]

    def _check(self, triples: list[Triple]) -> None:
        report = self._shape.check(to_rdflib_graph(triples), None)
        if report.refusals:
            raise CollectionRefused(report.refusals)


_DESCRIBED = (DCT.title, DCT.description, DCT.modified, DAM.visibility, DAM.sharedWith)


def _few(members: Sequence[NamedNode]) -> Sequence[NamedNode]:
    if not members:
        raise CollectionError(M_("name at least one asset or collection"))
    if len(members) > MAX_MEMBERS_PER_CALL:
        raise CollectionError(M_("at most %(limit)s members at a time", limit=MAX_MEMBERS_PER_CALL))
    return members


def _now() -> Literal:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    return Literal(now, datatype=XSD.dateTime)


def _integer(value: int) -> Literal:
    return Literal(str(value), datatype=XSD.integer)
