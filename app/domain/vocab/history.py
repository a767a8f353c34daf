"""The history of vocabulary changes, as PROV-O (https://www.w3.org/TR/prov-o/) in one graph.

Each change is a ``prov:Activity`` in the named graph ``{base}graphs/history/vocab``, which only
administrators' scope includes (a merge records which assets it re-tagged):

    <{base}history/vocab/{uuid}> a prov:Activity ;
        dam:action "merged" ; rdfs:label "Merged “Cars” into “Vehicles”" ;
        prov:used <concept>, <other concept> ;          # what the change touched
        prov:wasAssociatedWith <{base}users/alice> ;     # none for the command line
        prov:endedAtTime "2026-01-01T12:00:00Z"^^xsd:dateTime ;
        dam:removedQuads "<s> <p> <o> <g> .\\n…" ;       # N-Quads, exact
        dam:addedQuads "…" ;
        dam:reverts <{base}history/vocab/{other uuid}> .  # only on a revert

The statements are kept as N-Quads text so that a record is readable in any SPARQL client and
exact: reverting a change applies its inverse, as a new change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, parse, serialize

from app.domain.iris import Iris
from app.messages import M_, MN_, Message, parsed
from app.namespaces import DAM, PROV, RDF, RDFS, XSD, sparql_prefixes
from app.storage.graphstore import GraphStore, Scope

HISTORY_LIMIT = 100
COMMAND_LINE = "command line"

# What a change did, in words: stored in English (rdfs:label), shown in the reader's language
# (:attr:`ChangeRecord.said` reads a stored summary back as the message it was written from).
QUOTED = M_("“%(label)s”")
A_CONCEPT = M_("a concept")
WITHOUT_A_NAME = M_("without a name")
REVERTED = M_("Reverted: %(change)s")
CREATED_SCHEME = M_("Created the scheme %(scheme)s")
EDITED_SCHEME = M_("Edited the scheme %(scheme)s")
DELETED_SCHEME = M_("Deleted the vocabulary %(graph)s")
CREATED = M_("Created %(concept)s")
EDITED = M_("Edited %(concept)s")
DELETED = M_("Deleted %(concept)s")
DEPRECATED = M_("Deprecated %(concept)s")
UNDEPRECATED = M_("Undeprecated %(concept)s")
MERGED = M_("Merged %(source)s into %(target)s")
IMPORTED_CHANGES = MN_(
    "Imported %(file)s: %(count)s concept (%(added)s added, %(removed)s removed, "
    "%(relabelled)s relabelled, %(moved)s moved)",
    "Imported %(file)s: %(count)s concepts (%(added)s added, %(removed)s removed, "
    "%(relabelled)s relabelled, %(moved)s moved)",
)
REIMPORTED_CHANGES = MN_(
    "Re-imported %(file)s: %(count)s concept (%(added)s added, %(removed)s removed, "
    "%(relabelled)s relabelled, %(moved)s moved)",
    "Re-imported %(file)s: %(count)s concepts (%(added)s added, %(removed)s removed, "
    "%(relabelled)s relabelled, %(moved)s moved)",
)
IMPORTED = MN_("Imported %(file)s: %(count)s concept", "Imported %(file)s: %(count)s concepts")
REIMPORTED = MN_(
    "Re-imported %(file)s: %(count)s concept", "Re-imported %(file)s: %(count)s concepts"
)
SUMMARIES = (  # the more specific first: "Edited the scheme …" before "Edited …"
    REVERTED,
    CREATED_SCHEME,
    EDITED_SCHEME,
    DELETED_SCHEME,
    CREATED,
    EDITED,
    DELETED,
    DEPRECATED,
    UNDEPRECATED,
    MERGED,
    IMPORTED_CHANGES,
    REIMPORTED_CHANGES,
    IMPORTED,
    REIMPORTED,
)

_RECORDS = (
    sparql_prefixes()
    + """
SELECT ?change ?action ?summary ?agent ?time ?added ?removed ?reverts ?revertedBy WHERE {
  GRAPH ?history {
    ?change a prov:Activity ; dam:action ?action ; rdfs:label ?summary ;
        prov:endedAtTime ?time .
    OPTIONAL { ?change prov:wasAssociatedWith ?agent }
    OPTIONAL { ?change dam:addedQuads ?added }
    OPTIONAL { ?change dam:removedQuads ?removed }
    OPTIONAL { ?change dam:reverts ?reverts }
    OPTIONAL { ?revertedBy dam:reverts ?change }
  }
  %s
} ORDER BY DESC(?time) DESC(?change) LIMIT %d
"""
)


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a signed-in user (name and IRI), or the command line (no IRI)."""

    name: str
    iri: NamedNode | None = None


CLI_ACTOR = Actor(COMMAND_LINE)


@dataclass
class Change:
    """A change to apply in one update: statements removed and added, and what it touched."""

    action: str
    summary: str
    touched: list[NamedNode]
    removed: list[Quad] = field(default_factory=list)
    added: list[Quad] = field(default_factory=list)
    reverts: NamedNode | None = None

    @property
    def is_empty(self) -> bool:
        return not (set(self.removed) ^ set(self.added))


@dataclass
class ChangeRecord:
    """A change as the history shows it."""

    iri: str
    action: str
    summary: str
    agent: str
    time: str
    added: list[Quad]
    removed: list[Quad]
    reverts: str | None = None
    reverted_by: str | None = None

    @property
    def said(self) -> Message:
        """The summary as the message it was written from, to show in the reader's language."""
        return parsed(self.summary, SUMMARIES, (A_CONCEPT, WITHOUT_A_NAME), (QUOTED,))

    def in_graphs(self, prefix: str) -> tuple[list[Quad], list[Quad]]:
        """(added, removed) statements in graphs whose IRI starts with ``prefix``."""
        return (
            [q for q in self.added if q.graph_name.value.startswith(prefix)],
            [q for q in self.removed if q.graph_name.value.startswith(prefix)],
        )


class History:
    def __init__(self, store: GraphStore, iris: Iris) -> None:
        self.store = store
        self.iris = iris
        self.graph = iris.graph("history/vocab")

    def new_iri(self) -> NamedNode:
        return self.iris.new_vocab_change()

    def record(self, change: Change, actor: Actor, iri: NamedNode) -> list[Quad]:
        """The quads that describe ``change`` (to insert in the same update as the change)."""
        now = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")  # µs: orders changes
        statements = [
            (RDF.type, PROV.Activity),
            (DAM.action, Literal(change.action)),
            (RDFS.label, Literal(change.summary)),
            (PROV.endedAtTime, Literal(now, datatype=XSD.dateTime)),
            *((PROV.used, resource) for resource in dict.fromkeys(change.touched)),
        ]
        if actor.iri is not None:
            statements.append((PROV.wasAssociatedWith, actor.iri))
        if change.added:
            statements.append((DAM.addedQuads, Literal(_n_quads(change.added))))
        if change.removed:
            statements.append((DAM.removedQuads, Literal(_n_quads(change.removed))))
        if change.reverts is not None:
            statements.append((DAM.reverts, change.reverts))
        return [Quad(iri, p, o, self.graph) for p, o in statements]

    def of(self, resource: NamedNode, limit: int = HISTORY_LIMIT) -> list[ChangeRecord]:
        """The changes that touched ``resource``, newest first."""
        return self._records("?change prov:used ?resource .", {"resource": resource}, limit)

    def get(self, change: NamedNode) -> ChangeRecord | None:
        records = self._records("BIND(?wanted AS ?change)", {"wanted": change}, 1)
        return records[0] if records else None

    def touched(self, change: NamedNode) -> list[NamedNode]:
        """The resources a change touched (its ``prov:used``)."""
        rows = self.store.select(
            "PREFIX prov: <http://www.w3.org/ns/prov#> "
            "SELECT ?used WHERE { GRAPH ?history { ?change prov:used ?used } } ORDER BY ?used",
            scope=Scope.everything(),
            bindings={"history": self.graph, "change": change},
        )
        return [row["used"] for row in rows]

    def _records(self, condition: str, bindings: dict, limit: int) -> list[ChangeRecord]:
        query = _RECORDS % (f"GRAPH ?history {{ {condition} }}", int(limit))
        rows = self.store.select(
            query, scope=Scope.everything(), bindings={"history": self.graph, **bindings}
        )
        return [self._record(row) for row in rows]

    def _record(self, row: dict) -> ChangeRecord:
        agent = row.get("agent")
        return ChangeRecord(
            iri=row["change"].value,
            action=row["action"].value,
            summary=row["summary"].value,
            agent=agent.value.rsplit("/", 1)[-1] if agent is not None else COMMAND_LINE,
            time=row["time"].value,
            added=_parse_quads(row.get("added")),
            removed=_parse_quads(row.get("removed")),
            reverts=row["reverts"].value if "reverts" in row else None,
            reverted_by=row["revertedBy"].value if "revertedBy" in row else None,
        )


def _n_quads(quads: list[Quad]) -> str:
    return (serialize(sorted(quads, key=str), format=RdfFormat.N_QUADS) or b"").decode("utf-8")


def _parse_quads(text: Literal | None) -> list[Quad]:
    if text is None:
        return []
    return list(parse(text.value.encode("utf-8"), format=RdfFormat.N_QUADS))
