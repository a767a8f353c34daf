"""A collection's stored record as the administrator sees it: every quad about it, where its
members are stored, and the quads that place a member in it.

Reads here use the administrator's scope: they decide where statements go, never what a reader
is shown (that is :mod:`.reading`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode, Quad

from app.domain.collections.model import PREFIXES, VISIBILITY_NAMES
from app.domain.iris import Iris
from app.namespaces import DAM, DCMITYPE, DCT, RDF, SCHEMA, XSD
from app.storage.graphstore import GraphStore, Scope

VERSION_DIGITS = 20
ASSET, COLLECTION = "asset", "collection"

_RECORD = (
    PREFIXES
    + """
SELECT ?s ?p ?o ?g WHERE {
  { GRAPH ?g { ?c ?p ?o } BIND(?c AS ?s) }
  UNION
  { GRAPH ?g { ?c schema:itemListElement ?s . ?s ?p ?o } }
}"""
)
_HOMES = (
    PREFIXES
    + """
SELECT ?m ?type ?g WHERE {
  VALUES ?type { dam:Asset dcmitype:Collection }
  VALUES ?m { %s }
  GRAPH ?g { ?m a ?type }
}"""
)


def version_of(quads: Iterable[Quad]) -> str:
    """A hash of the record's quads in any order: every write changes it, nothing stores it."""
    lines = sorted({str(quad) for quad in quads})
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:VERSION_DIGITS]


@dataclass
class Item:
    """One member of a stored collection, with its list item and where they are stored."""

    member: NamedNode
    item: NamedNode
    position: int
    graph: NamedNode
    quads: list[Quad] = field(default_factory=list)


@dataclass
class StoredCollection:
    iri: NamedNode
    graph: NamedNode  # where its description is
    description: list[Quad]
    items: list[Item]  # in order

    @property
    def quads(self) -> list[Quad]:
        return self.description + [q for item in self.items for q in item.quads]

    @property
    def version(self) -> str:
        return version_of(self.quads)

    def value(self, predicate: NamedNode) -> str | None:
        found = [q.object.value for q in self.description if q.predicate == predicate]
        return found[0] if found else None

    @property
    def owner(self) -> str:
        return (self.value(DCT.creator) or "").rsplit("/", 1)[-1]

    @property
    def visibility(self) -> str:
        return VISIBILITY_NAMES.get(self.value(DAM.visibility) or "", "personal")

    @property
    def department(self) -> str | None:
        shared = self.value(DAM.sharedWith)
        return shared.rsplit("/", 1)[-1] if shared else None

    def item_of(self, member: NamedNode) -> Item | None:
        return next((item for item in self.items if item.member == member), None)

    @property
    def last_position(self) -> int:
        return max((item.position for item in self.items), default=0)


def read_stored(store: GraphStore, iris: Iris, collection: NamedNode) -> StoredCollection | None:
    """The stored collection (None: there is none)."""
    rows = store.select(_RECORD, scope=Scope.everything(), bindings={"c": collection})
    description: list[Quad] = []
    by_item: dict[NamedNode, list[Quad]] = {}
    parts: dict[NamedNode, Quad] = {}
    for row in rows:
        quad = Quad(row["s"], row["p"], row["o"], row["g"])
        graph = quad.graph_name.value
        if quad.subject == collection and iris.is_collection_graph(graph):
            description.append(quad)
        elif iris.is_membership_graph(graph) and quad.predicate == DCT.hasPart:
            parts[quad.object] = quad
        elif iris.is_membership_graph(graph):
            item = quad.object if quad.predicate == SCHEMA.itemListElement else quad.subject
            by_item.setdefault(item, []).append(quad)
    if not any(q.predicate == RDF.type and q.object == DCMITYPE.Collection for q in description):
        return None
    items = []
    for item_iri, quads in by_item.items():
        member = next((q.object for q in quads if q.predicate == SCHEMA.item), None)
        position = next((q.object for q in quads if q.predicate == SCHEMA.position), None)
        if member is None or position is None:
            continue
        if member in parts:
            quads.append(parts[member])
        graph = quads[0].graph_name
        items.append(Item(member, item_iri, int(position.value), graph, list(dict.fromkeys(quads))))
    items.sort(key=lambda item: (item.position, item.member.value))
    return StoredCollection(collection, description[0].graph_name, description, items)


def member_homes(
    store: GraphStore, iris: Iris, members: list[NamedNode]
) -> dict[str, tuple[str, NamedNode]]:
    """Per member IRI: its kind (asset or collection) and the graph it is stored in; members
    that do not exist are left out."""
    found: dict[str, tuple[str, NamedNode]] = {}
    for start in range(0, len(members), 500):
        values = " ".join(str(m) for m in members[start : start + 500])
        for row in store.select(_HOMES % values, scope=Scope.everything()):
            graph = row["g"].value
            if row["type"] == DAM.Asset and iris.is_asset_graph(graph):
                found[row["m"].value] = (ASSET, row["g"])
            elif row["type"] == DCMITYPE.Collection and iris.is_collection_graph(graph):
                found[row["m"].value] = (COLLECTION, row["g"])
    return found


def item_quads(
    iris: Iris, collection_id: str, member: NamedNode, position: int, graph: NamedNode
) -> list[Quad]:
    """The quads placing ``member`` at ``position`` of a collection, in ``graph``."""
    collection = iris.collection(collection_id)
    item = iris.collection_item(collection_id, member)
    return [
        Quad(collection, DCT.hasPart, member, graph),
        Quad(collection, SCHEMA.itemListElement, item, graph),
        Quad(item, RDF.type, SCHEMA.ListItem, graph),
        Quad(item, SCHEMA.item, member, graph),
        Quad(item, SCHEMA.position, Literal(str(position), datatype=XSD.integer), graph),
    ]
