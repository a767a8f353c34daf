"""What a reader sees of collections: every query runs in the reader's :class:`Scope`, so a
collection they may not see, a member they may not see and a membership of either are never
listed or counted: the store does not show them.

Members are also checked to be visible themselves (``?m a dam:Asset`` in the same scope), so a
membership statement left behind in a stale graph would still not show.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import NamedNode, Triple

from app.domain.collections.model import (
    PREFIXES,
    VISIBILITY_NAMES,
    Collection,
    CollectionError,
    CollectionNotFound,
    Member,
    Summary,
)
from app.domain.collections.record import ASSET, COLLECTION, member_homes, read_stored
from app.domain.iris import Iris, parse_iri
from app.domain.people.access import Reader
from app.messages import M_
from app.namespaces import DAM
from app.storage.graphstore import GraphStore, Scope
from app.storage.read_cache import ReadCache

# Lists kept per (scope, owner) until the next write: the search page offers its reader's
# collections as bulk targets on every page, and most readers share a few scopes.
KEPT_LISTS = 64

_DESCRIPTION = (
    PREFIXES
    + """
SELECT ?title ?description ?visibility ?creator ?shared ?created ?modified WHERE {
  ?c a dcmitype:Collection ; dct:title ?title ; dam:visibility ?visibility ;
     dct:creator ?creator .
  OPTIONAL { ?c dct:created ?created }
  OPTIONAL { ?c dct:modified ?modified }
  OPTIONAL { ?c dct:description ?description }
  OPTIONAL { ?c dam:sharedWith ?shared }
} LIMIT 1"""
)
_MEMBERS = (
    PREFIXES
    + """
SELECT ?m ?type ?title ?position WHERE {
  VALUES ?type { dam:Asset dcmitype:Collection }
  ?c schema:itemListElement ?item .
  ?item schema:item ?m ; schema:position ?position .
  ?m a ?type ; dct:title ?title .
} ORDER BY ?position STR(?m)"""
)
_LIST = (
    PREFIXES
    + """
SELECT ?c ?title ?visibility ?creator ?assets ?collections WHERE {
  ?c a dcmitype:Collection ; dct:title ?title ; dam:visibility ?visibility ;
     dct:creator ?creator .
  # FILTER EXISTS, not a join: Oxigraph would start the join from every asset in the store.
  OPTIONAL { SELECT ?c (COUNT(DISTINCT ?a) AS ?assets) WHERE {
    ?c dct:hasPart ?a . FILTER EXISTS { ?a a dam:Asset } } GROUP BY ?c }
  OPTIONAL { SELECT ?c (COUNT(DISTINCT ?k) AS ?collections) WHERE {
    ?c dct:hasPart ?k . FILTER EXISTS { ?k a dcmitype:Collection } } GROUP BY ?c }
  %s
} ORDER BY LCASE(STR(?title)) STR(?c)"""
)
_CONTAINING = (
    PREFIXES
    + """
SELECT DISTINCT ?c ?title WHERE {
  ?c dct:hasPart ?m ; a dcmitype:Collection ; dct:title ?title .
} ORDER BY LCASE(STR(?title))"""
)
_MEMBERSHIPS = (
    PREFIXES
    + """
SELECT DISTINCT ?c ?title ?a WHERE {
  ?c a dcmitype:Collection ; dct:title ?title ; dct:hasPart+ ?a .
  ?a a dam:Asset .
}"""
)


_TRIPLES = (
    PREFIXES
    + """
CONSTRUCT { ?c ?p ?o . ?item ?ip ?io } WHERE {
  { ?c a dcmitype:Collection ; ?p ?o . }
  UNION
  { ?c schema:itemListElement ?item . ?item ?ip ?io ; schema:item ?m .
    VALUES ?type { dam:Asset dcmitype:Collection } ?m a ?type . }
}"""
)


@dataclass(frozen=True)
class Membership:
    """The assets a reader sees in one collection, directly or through nested ones."""

    iri: str
    title: str
    assets: frozenset[str]  # asset IRIs


class CollectionReads:
    def __init__(self, store: GraphStore, iris: Iris) -> None:
        self.store = store
        self.iris = iris
        self._lists: ReadCache[tuple[Summary, ...]] = ReadCache(store, keep=KEPT_LISTS)

    def reference(self, text: str) -> NamedNode:
        """A member named by its IRI, or by the id of an asset or a collection."""
        text = (text or "").strip()
        if self.iris.asset_id(text) or self.iris.collection_id(text):
            return NamedNode(text)
        if len(text) == 16 and self.iris.asset_id(self.iris.asset(text).value):
            for iri in (self.iris.asset(text), self.iris.collection(text)):
                if member_homes(self.store, self.iris, [iri]):
                    return iri
            raise CollectionError(M_("no asset or collection %(member)s", member=text))
        try:
            parse_iri(text)
        except ValueError as error:
            raise CollectionError(
                M_(
                    "%(text)s names no asset or collection: %(error)s",
                    text=repr(text[:80]),
                    error=str(error),
                )
            ) from None
        raise CollectionError(
            M_("%(text)s is not an asset or collection of this Atrium", text=repr(text[:80]))
        )

    def get(self, collection_id: str, reader: Reader, scope: Scope) -> Collection:
        """The collection as ``reader`` sees it; :class:`CollectionNotFound` if they may not."""
        iri = self.iris.collection(collection_id)
        rows = self.store.select(_DESCRIPTION, scope=scope, bindings={"c": iri})
        if not rows:
            raise CollectionNotFound(M_("no collection %(id)s", id=collection_id))
        row = rows[0]
        stored = read_stored(self.store, self.iris, iri)
        if stored is None:
            raise CollectionNotFound(M_("no collection %(id)s", id=collection_id))
        owner = row["creator"].value.rsplit("/", 1)[-1]
        shared = row.get("shared")
        collection = Collection(
            id=collection_id,
            iri=iri.value,
            title=row["title"].value,
            description=row["description"].value if "description" in row else "",
            visibility=VISIBILITY_NAMES.get(row["visibility"].value, "personal"),
            department=shared.value.rsplit("/", 1)[-1] if shared is not None else None,
            owner=owner,
            created=row["created"].value if "created" in row else "",
            modified=row["modified"].value if "modified" in row else "",
            version=stored.version,
            may_edit=reader.admin or (reader.signed_in and reader.name == owner),
        )
        collection.members = self.members(iri, scope)
        return collection

    def triples(self, collection_id: str, scope: Scope) -> list[Triple]:
        """The collection's statements that ``scope`` sees (its linked-data view)."""
        iri = self.iris.collection(collection_id)
        return self.store.construct(_TRIPLES, scope=scope, bindings={"c": iri})

    def members(self, collection: NamedNode, scope: Scope) -> list[Member]:
        """The members ``scope`` sees, in order, ranked 1, 2, … among themselves."""
        seen: dict[str, Member] = {}
        for row in self.store.select(_MEMBERS, scope=scope, bindings={"c": collection}):
            iri = row["m"].value
            if iri in seen:
                continue
            kind = ASSET if row["type"] == DAM.Asset else COLLECTION
            found = self.iris.asset_id(iri) if kind == ASSET else self.iris.collection_id(iri)
            if found is None:
                continue
            seen[iri] = Member(iri, kind, found, row["title"].value, len(seen) + 1)
        return list(seen.values())

    def list(self, scope: Scope, owner: str | None = None) -> list[Summary]:
        """The collections ``scope`` sees (only ``owner``'s, if given), by title."""
        return list(self._lists.get((scope, owner), lambda: self._read_list(scope, owner)))

    def _read_list(self, scope: Scope, owner: str | None) -> tuple[Summary, ...]:
        condition = "FILTER(?creator = ?owner)" if owner else ""
        bindings = {"owner": self.iris.user(owner)} if owner else None
        found: dict[str, Summary] = {}
        for row in self.store.select(_LIST % condition, scope=scope, bindings=bindings):
            iri = row["c"].value
            collection_id = self.iris.collection_id(iri)
            if collection_id is None or iri in found:
                continue
            found[iri] = Summary(
                id=collection_id,
                iri=iri,
                title=row["title"].value,
                visibility=VISIBILITY_NAMES.get(row["visibility"].value, "personal"),
                owner=row["creator"].value.rsplit("/", 1)[-1],
                assets=int(row["assets"].value) if "assets" in row else 0,
                collections=int(row["collections"].value) if "collections" in row else 0,
            )
        return tuple(found.values())

    def containing(self, member: NamedNode, scope: Scope) -> list[tuple[str, str]]:
        """(id, title) of the collections ``scope`` sees that hold ``member`` directly."""
        rows = self.store.select(_CONTAINING, scope=scope, bindings={"m": member})
        found = [(self.iris.collection_id(r["c"].value), r["title"].value) for r in rows]
        return [(cid, title) for cid, title in found if cid is not None]

    def memberships(self, scope: Scope) -> list[Membership]:
        """Every collection ``scope`` sees with the assets it sees in it (nested ones too)."""
        titles: dict[str, str] = {}
        assets: dict[str, set[str]] = {}
        for row in self.store.select(_MEMBERSHIPS, scope=scope):
            iri = row["c"].value
            titles.setdefault(iri, row["title"].value)
            assets.setdefault(iri, set()).add(row["a"].value)
        return [Membership(iri, titles[iri], frozenset(assets[iri])) for iri in titles]
