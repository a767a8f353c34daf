"""The audit trail: who created, changed, downloaded or deleted which asset, and when.

Each event is a PROV-O activity in its own named graph (``{base}graphs/audit``), which only
administrators' scope includes:

    <{base}audit/{uuid}> a prov:Activity ; dam:action "changed" ;
        prov:used <asset> ; prov:wasAssociatedWith <actor> ; prov:endedAtTime "…"^^xsd:dateTime ;
        dam:changedField dct:title, dct:subject .

The actor is a user (``{base}users/{name}``), the administrator's CLI
(``{base}users/atrium-cli``, a reserved user name), an anonymous reader
(``{base}agents/anonymous``) or a service of Atrium such as the rights check
(``{base}agents/{name}``): see :class:`Actor`. ``dam:changedField`` names the property paths
whose values a change altered.

Events of a record change are written by the asset repository in the same store update as the
change (:meth:`AuditTrail.event_quads`); :meth:`AuditTrail.record` writes an event on its own,
for what changes no record (downloads, share links).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

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
ANONYMOUS_AGENT = "anonymous"
ACTOR_KINDS = ("user", "anonymous", "cli", "service")
PAGE_SIZE = 50
_ACTOR_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # a user's or a service's name

_EVENTS = (
    sparql_prefixes()
    + """
SELECT ?event ?action ?agent ?time ?used (GROUP_CONCAT(STR(?field); separator=" ") AS ?fields)
WHERE {
  GRAPH ?audit {
    ?event prov:used ?used ; dam:action ?action ; prov:endedAtTime ?time .
    OPTIONAL { ?event prov:wasAssociatedWith ?agent }
    OPTIONAL { ?event dam:changedField ?field }
    %(patterns)s
  }
} GROUP BY ?event ?action ?agent ?time ?used ORDER BY DESC(?time) DESC(?event)
LIMIT %(limit)d OFFSET %(offset)d
"""
)
HISTORY_LIMIT = 200
_TITLES = (
    sparql_prefixes()
    + "SELECT ?used (SAMPLE(?t) AS ?title) WHERE { VALUES ?used { {values} } ?used dct:title ?t }"
    + " GROUP BY ?used"
)


@dataclass(frozen=True)
class Actor:
    """Who did what the audit trail records.

    ``kind`` is one of :data:`ACTOR_KINDS`: a signed-in ``user`` (``name`` their user name), an
    ``anonymous`` reader, the administrator's ``cli``, or a ``service`` of Atrium (``name`` says
    which, e.g. the rights check).
    """

    kind: str
    name: str

    def __post_init__(self) -> None:
        if self.kind not in ACTOR_KINDS:
            raise ValueError(f"unknown kind of actor {self.kind!r}")

    @classmethod
    def user(cls, name: str) -> Actor:
        return cls("user", name)

    @classmethod
    def anonymous(cls) -> Actor:
        return cls("anonymous", ANONYMOUS_AGENT)

    @classmethod
    def cli(cls) -> Actor:
        return cls("cli", SYSTEM_AGENT)

    @classmethod
    def service(cls, name: str) -> Actor:
        return cls("service", name)

    @classmethod
    def reader(cls, user_name: str | None) -> Actor:
        """A web reader: the signed-in user, or anonymous when nobody is signed in."""
        return cls.user(user_name) if user_name else cls.anonymous()

    @classmethod
    def of(cls, agent: Actor | str | None) -> Actor:
        """An actor as older callers name it: a user name, or None for the CLI."""
        if isinstance(agent, Actor):
            return agent
        return cls.cli() if agent is None or agent == SYSTEM_AGENT else cls.user(agent)

    @property
    def key(self) -> str:
        """How a filter names the actor: ``user:anna``, ``anonymous``, ``cli``,
        ``service:rights-check`` (see :meth:`from_key`)."""
        return self.kind if self.kind in ("anonymous", "cli") else f"{self.kind}:{self.name}"

    @classmethod
    def from_key(cls, key: str) -> Actor:
        """The actor a :attr:`key` names; a bare name is a user's (or the CLI's, or anonymous).
        Raises ValueError for text that names none."""
        kind, _, name = key.strip().rpartition(":")
        if not kind:
            if name in ("anonymous", ANONYMOUS_AGENT):
                return cls.anonymous()
            return cls.cli() if name in ("cli", SYSTEM_AGENT) else cls._named("user", name)
        if kind not in ("user", "service"):
            raise ValueError(f"unknown kind of actor {kind!r}: use user:NAME or service:NAME")
        return cls._named(kind, name)

    @classmethod
    def _named(cls, kind: str, name: str) -> Actor:
        if not _ACTOR_NAME.match(name):
            raise ValueError(f"{name!r} is not a name of an actor")
        return cls(kind, name)

    @property
    def is_anonymous(self) -> bool:
        return self.kind == "anonymous"

    def iri(self, iris: Iris) -> NamedNode:
        if self.kind in ("user", "cli"):
            return iris.user(self.name)
        return iris.agent(self.name)

    @classmethod
    def from_iri(cls, iri: str, iris: Iris) -> Actor:
        if (name := iris.user_name(iri)) is not None:
            return cls.of(name)
        if (name := iris.agent_name(iri)) is not None:
            return cls.anonymous() if name == ANONYMOUS_AGENT else cls.service(name)
        return cls.service(iri.rsplit("/", 1)[-1])


@dataclass(frozen=True)
class AuditEvent:
    action: str
    agent: str  # the actor's name (``atrium-cli``, ``anonymous``, a user name)
    time: str
    actor: Actor = field(default_factory=Actor.cli)
    changed: tuple[str, ...] = ()  # the property paths (IRIs) whose values changed
    subject: str = ""  # the IRI of the asset (or collection) the event is about
    title: str = ""  # the subject's title now ("" when it has none, or is gone)


@dataclass(frozen=True)
class AuditPage:
    """One page of :meth:`AuditTrail.recent`, newest first."""

    events: list[AuditEvent]
    page: int
    has_next: bool


class AuditTrail:
    def __init__(self, store: GraphStore, iris: Iris) -> None:
        self.store = store
        self.iris = iris

    def event_quads(
        self,
        action: str,
        asset: NamedNode,
        actor: Actor,
        changed: Iterable[NamedNode] = (),
    ) -> list[Quad]:
        """The quads of one event, to write in the same update as the change it records."""
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        event = self.iris.new_audit_event()
        now = dt.datetime.now(dt.UTC).isoformat()  # µs: events of one second keep their order
        statements = [
            (RDF.type, PROV.Activity),
            (DAM.action, Literal(action)),
            (PROV.used, asset),
            (PROV.wasAssociatedWith, actor.iri(self.iris)),
            (PROV.endedAtTime, Literal(now, datatype=XSD.dateTime)),
            *((DAM.changedField, path) for path in dict.fromkeys(changed)),
        ]
        return [Quad(event, p, o, self.iris.audit_graph) for p, o in statements]

    def record(
        self,
        action: str,
        asset: NamedNode,
        agent: Actor | str | None,
        *,
        changed: Iterable[NamedNode] = (),
    ) -> None:
        """Add one event that goes with no record change (a download, a share link).

        ``agent``: an :class:`Actor`, or as older callers give it, a user name (None: the CLI).
        """
        self.store.insert(self.event_quads(action, asset, Actor.of(agent), changed))

    def history(self, asset: NamedNode) -> list[AuditEvent]:
        """The asset's latest events, newest first (an administrator's view)."""
        return self._events(["?event prov:used ?wanted_asset ."], {"wanted_asset": asset}, 0)

    def recent(
        self,
        *,
        action: str | None = None,
        actor: Actor | None = None,
        asset: NamedNode | None = None,
        page: int = 1,
        page_size: int = PAGE_SIZE,
    ) -> AuditPage:
        """Events across all assets, newest first, one page at a time (administrators only),
        of one ``action``, one ``actor`` and one ``asset`` when given."""
        if action is not None and action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        page = max(page, 1)
        patterns: list[str] = []
        bindings: dict[str, NamedNode | Literal] = {}
        if action is not None:
            patterns.append("?event dam:action ?wanted_action .")
            bindings["wanted_action"] = Literal(action)
        if actor is not None:
            patterns.append("?event prov:wasAssociatedWith ?wanted_agent .")
            bindings["wanted_agent"] = actor.iri(self.iris)
        if asset is not None:
            patterns.append("?event prov:used ?wanted_asset .")
            bindings["wanted_asset"] = asset
        events = self._events(patterns, bindings, (page - 1) * page_size, page_size + 1)
        titles = self._titles([NamedNode(e.subject) for e in events[:page_size]])
        titled = [replace(e, title=titles.get(e.subject, "")) for e in events[:page_size]]
        return AuditPage(titled, page, len(events) > page_size)

    def _titles(self, subjects: list[NamedNode]) -> dict[str, str]:
        rows = self.store.select_values(_TITLES, subjects, scope=Scope.everything())
        return {row["used"].value: row["title"].value for row in rows if "title" in row}

    def _events(
        self,
        patterns: list[str],
        bindings: dict[str, NamedNode | Literal],
        offset: int,
        limit: int = HISTORY_LIMIT,
    ) -> list[AuditEvent]:
        query = _EVENTS % {"patterns": "\n    ".join(patterns), "limit": limit, "offset": offset}
        rows = self.store.select(
            query,
            scope=Scope.everything(),
            bindings={**bindings, "audit": self.iris.audit_graph},
        )
        return [self._event(row) for row in rows]

    def _event(self, row: dict) -> AuditEvent:
        actor = Actor.from_iri(row["agent"].value, self.iris) if "agent" in row else None
        fields = row["fields"].value.split() if "fields" in row else []
        return AuditEvent(
            row["action"].value,
            actor.name if actor else "?",
            row["time"].value,
            actor or Actor.service("?"),
            tuple(sorted(fields)),
            row["used"].value,
        )
