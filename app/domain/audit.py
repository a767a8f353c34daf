"""The audit trail: who created, changed, downloaded or deleted which asset, and when.

Each event is a PROV-O activity in its own named graph (``{base}graphs/audit``), which only
administrators' scope includes:

    <{base}audit/{uuid}> a prov:Activity ; dam:action "downloaded" ;
        prov:used <asset> ; prov:wasAssociatedWith <user> ; prov:endedAtTime "…"^^xsd:dateTime .
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode, Quad

from app.domain.iris import Iris
from app.namespaces import DAM, PROV, RDF, XSD, sparql_prefixes
from app.storage.graphstore import GraphStore, Scope

ACTIONS = (
    "created",
    "changed",
    "versioned",
    "reverted",
    "downloaded",
    "deleted",
    "shared",  # a share link made for the asset or collection
    "share-revoked",
    "share-used",  # an outsider fetched it through a share link
)
SYSTEM_AGENT = "atrium-cli"

_HISTORY = (
    sparql_prefixes()
    + """
SELECT ?action ?agent ?time WHERE {
  GRAPH ?audit {
    ?event prov:used ?asset ; dam:action ?action ; prov:endedAtTime ?time .
    OPTIONAL { ?event prov:wasAssociatedWith ?agent }
  }
} ORDER BY DESC(?time) LIMIT 200
"""
)


@dataclass(frozen=True)
class AuditEvent:
    action: str
    agent: str
    time: str


class AuditTrail:
    def __init__(self, store: GraphStore, iris: Iris) -> None:
        self.store = store
        self.iris = iris

    def record(self, action: str, asset: NamedNode, agent: str | None) -> None:
        """Add one event; ``agent`` is a user name (None: the administrator's CLI)."""
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        event = NamedNode(f"{self.iris.base}audit/{uuid.uuid4()}")
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        graph = self.iris.audit_graph
        self.store.insert(
            Quad(s, p, o, graph)
            for s, p, o in (
                (event, RDF.type, PROV.Activity),
                (event, DAM.action, Literal(action)),
                (event, PROV.used, asset),
                (event, PROV.wasAssociatedWith, self.iris.user(agent or SYSTEM_AGENT)),
                (event, PROV.endedAtTime, Literal(now, datatype=XSD.dateTime)),
            )
        )

    def history(self, asset: NamedNode) -> list[AuditEvent]:
        """The asset's latest events, newest first (an administrator's view)."""
        rows = self.store.select(
            _HISTORY,
            scope=Scope.everything(),
            bindings={"asset": asset, "audit": self.iris.audit_graph},
        )
        return [
            AuditEvent(
                row["action"].value,
                row["agent"].value.rsplit("/", 1)[-1] if "agent" in row else "?",
                row["time"].value,
            )
            for row in rows
        ]
