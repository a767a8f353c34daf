"""Keeps the statements placing a member in collections in the graph that pairs the
collection's visibility with the member's access (:meth:`app.domain.iris.Iris.membership_graph`).

Told around every write of an asset record, like the search index and the results
(:class:`~app.domain.assets.repository.RecordWatcher`): after an access change it moves the asset's
memberships to the graphs of its new access, and after a delete it drops them, so that no
reader ever sees a membership of an asset they may no longer see. Collections call
:meth:`MembershipHomes.rehome` themselves when their own visibility changes or they go.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pyoxigraph import Literal, NamedNode, Quad

from app.domain.collections.model import PREFIXES
from app.domain.collections.record import member_homes
from app.domain.iris import Iris
from app.storage.graphstore import GraphStore, Scope

_ANY = PREFIXES + "ASK { GRAPH ?g { ?c dct:hasPart ?m } FILTER(STRSTARTS(STR(?g), ?members)) }"
_PLACEMENTS = (
    PREFIXES
    + """
SELECT ?c ?s ?p ?o ?g WHERE {
  GRAPH ?g {
    { ?c dct:hasPart ?m . BIND(?c AS ?s) BIND(dct:hasPart AS ?p) BIND(?m AS ?o) }
    UNION
    { ?c schema:itemListElement ?o . ?o schema:item ?m .
      BIND(?c AS ?s) BIND(schema:itemListElement AS ?p) }
    UNION
    { ?c schema:itemListElement ?s . ?s schema:item ?m ; ?p ?o . }
  }
  FILTER(STRSTARTS(STR(?g), ?members))
}"""
)


class MembershipHomes:
    """Moves or drops a member's memberships when the member's own graph changes."""

    def __init__(self, store: GraphStore, iris: Iris) -> None:
        self.store = store
        self.iris = iris

    @contextmanager
    def changing(self, asset_id: str) -> Iterator[None]:
        yield
        self.rehome(self.iris.asset(asset_id))

    def rehome(self, member: NamedNode) -> None:
        """Put every statement placing ``member`` in a collection where the member's graph
        and the collection's now put it; drop them if either is gone."""
        members = Literal(self.iris.graph("members/").value)
        bindings = {"m": member, "members": members}
        if not self.store.ask(_ANY, scope=Scope.everything(), bindings=bindings):
            return
        rows = self.store.select(_PLACEMENTS, scope=Scope.everything(), bindings=bindings)
        by_collection: dict[NamedNode, list[Quad]] = {}
        for row in rows:
            quad = Quad(row["s"], row["p"], row["o"], row["g"])
            by_collection.setdefault(row["c"], []).append(quad)
        homes = member_homes(self.store, self.iris, [member, *by_collection])
        member_graph = homes.get(member.value)
        removed: list[Quad] = []
        added: list[Quad] = []
        for collection, quads in by_collection.items():
            container = homes.get(collection.value)
            target = None
            if member_graph is not None and container is not None:
                target = self.iris.membership_graph(container[1], member_graph[1])
            for quad in quads:
                if quad.graph_name == target:
                    continue
                removed.append(quad)
                if target is not None:
                    added.append(Quad(quad.subject, quad.predicate, quad.object, target))
        if removed:
            self.store.change_quads(removed, added)
