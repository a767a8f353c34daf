"""What every editing operation shares: checking the version, the quality gates, and applying
a change with its history record.

Each operation builds a :class:`~app.domain.vocab.history.Change` (the exact statements it
removes and adds, in which graph), then:

1. checks the version the taxonomist saw (optimistic locking: a conflict loses nothing, the
   caller still holds the taxonomist's draft);
2. runs the quality gates on the change (:mod:`.guard`): a refused change stores nothing;
3. applies the change and its history record (:mod:`.history`) in one SPARQL update request,
   which the store applies as a whole (SPARQL 1.1 Update §2: a request is one unit).
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode, Triple

import app.domain.vocab.asset_rewrites as asset_rewrites
from app.domain.assets.repository import RecordWatcher
from app.domain.vocab.catalogue import Catalogue
from app.domain.vocab.guard import ChangeGuard
from app.domain.vocab.hierarchy import quads
from app.domain.vocab.history import A_CONCEPT, QUOTED, Actor, Change, ChangeRecord, History
from app.domain.vocab.merge import MergeRules
from app.domain.vocab.quality import Issue
from app.domain.vocab.terms import LABELS
from app.domain.vocab.usage import ConceptUsage
from app.messages import Message
from app.namespaces import XSD
from app.storage.graphstore import GraphStore, Scope

TRUE = Literal("true", datatype=XSD.boolean)

# A new scheme has no top concept until its first concept is made, nor one whose last is gone.
EMPTY_SCHEME = "scheme-has-top-concept"
_INCOMING = "SELECT ?s ?p WHERE { GRAPH ?g { ?s ?p ?c } }"


class EditError(Exception):
    """A change was not made; the message says why."""


class NotFound(EditError):
    pass


class Conflict(EditError):
    """Someone else changed the resource since the taxonomist loaded it."""

    def __init__(self, message: str, current_version: str, last: ChangeRecord | None) -> None:
        super().__init__(message)
        self.current_version = current_version
        self.last = last


Reason = str | Message  # a quality gate's description (English), or a message of the editor's


class Refused(EditError):
    """The change breaks a rule: ``fields`` maps form fields to reasons (``str()``: English)."""

    def __init__(self, fields: dict[str, list[Reason]], issues: list[Issue] | None = None) -> None:
        self.fields = fields
        self.issues = issues or []
        super().__init__("; ".join(str(m) for ms in fields.values() for m in ms))

    def fields_in(self, language: str) -> dict[str, list[Reason]]:
        """``fields`` with the quality gates' reasons in ``language`` (:meth:`Issue.describe_in`);
        the editor's messages as they are, for the web to translate."""
        said = {issue.describe(): issue.describe_in(language) for issue in self.issues}
        return {name: [said.get(m, m) for m in ms] for name, ms in self.fields.items()}


@dataclass
class Impact:
    """What a destructive change (delete, merge, move) touches."""

    assets: int  # assets linked to the concept itself
    narrower: int  # its direct narrower concepts
    descendants: int  # every concept below it
    subtree_assets: int  # assets linked to it or to a concept below it


class EditorBase:
    """The store, catalogue, guard and history each editor works with, and one lock for all."""

    def __init__(
        self,
        store: GraphStore,
        catalogue: Catalogue,
        guard: ChangeGuard,
        history: History,
        usage: ConceptUsage,
        watcher: RecordWatcher | None = None,
        asset_locks: asset_rewrites.AssetLocks | None = None,
    ) -> None:
        self.watcher = watcher
        self.asset_locks = asset_locks or asset_rewrites.NoAssetLocks()
        self.store = store
        self.catalogue = catalogue
        self.guard = guard
        self.history = history
        self.usage = usage
        self.merges = MergeRules(store, catalogue, usage)
        self.iris = catalogue.iris
        self._lock = threading.Lock()

    def graph_of(self, resource: NamedNode) -> NamedNode:
        graph = self.catalogue.home_graph(resource)
        if graph is None:
            raise NotFound(f"no vocabulary describes <{resource.value}>")
        return graph

    def version(self, resource: NamedNode) -> str:
        return self.guard.version(resource, self.graph_of(resource))

    # --- applying a change -----------------------------------------------------------------

    def _apply(
        self, change: Change, actor: Actor, tolerated: tuple[str, ...] = ()
    ) -> NamedNode | None:
        """Check, record and store a change (if it rewrites assets, planned holding their locks:
        :mod:`.asset_rewrites`); ``tolerated``: rules it may break for now."""
        if change.is_empty:
            return None
        problems = [
            issue
            for issue in self.guard.new_problems(change.removed, change.added, self._is_vocabulary)
            if issue.rule not in tolerated
        ]
        if problems:
            raise Refused(_by_field(problems), problems)
        iri = self.history.new_iri()
        record = self.history.record(change, actor, iri)
        with ExitStack() as watching:
            for asset_id in (
                asset_rewrites.rewritten_assets(change, self.iris) if self.watcher else ()
            ):
                watching.enter_context(self.watcher.changing(asset_id))
            self.store.change_quads(change.removed, change.added + record)
        return iri

    def _is_vocabulary(self, graph: NamedNode) -> bool:
        return self.iris.is_vocab_graph(graph.value)

    def _check_version(self, resource: NamedNode, graph: NamedNode, seen: str) -> None:
        current = self.guard.version(resource, graph)
        if seen != current:
            history = self.history.of(resource, limit=1)
            last = history[0] if history else None
            who = f" ({_describe(last)})" if last else ""
            raise Conflict(
                f"someone else changed this since you opened it{who}; your edits were not "
                "saved: compare them with the current version and save again",
                current,
                last,
            )

    def _statements(
        self, resource: NamedNode, graph: NamedNode
    ) -> tuple[list[Triple], list[Triple]]:
        """(statements about ``resource``, statements pointing at it) in ``graph``."""
        own = self.store.construct(
            "CONSTRUCT { ?c ?p ?o } WHERE { GRAPH ?g { ?c ?p ?o } }",
            scope=Scope.everything(),
            bindings={"c": resource, "g": graph},
        )
        rows = self.store.select(
            _INCOMING, scope=Scope.everything(), bindings={"c": resource, "g": graph}
        )
        return own, [Triple(row["s"], row["p"], resource) for row in rows]


# --- pure helpers -------------------------------------------------------------------------------


def _replace_managed(
    change: Change, graph: NamedNode, resource: NamedNode, old: list[Triple], new: list[Triple]
) -> None:
    change.removed += quads([t for t in old if t not in set(new)], graph)
    change.added += quads([t for t in new if t not in set(old)], graph)


def _refuse_if(problems: dict[str, list[str]]) -> None:
    if problems:
        raise Refused(problems)


def _by_field(issues: list[Issue]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for issue in issues:
        fields.setdefault(issue.field or "concept", []).append(issue.describe())
    return fields


def _label_of(triples: list[Triple]) -> str:
    labels = sorted(
        (
            t.object
            for t in triples
            if t.predicate == LABELS["prefLabel"] and isinstance(t.object, Literal)
        ),
        key=lambda label: (not (label.language or "").startswith("en"), label.value),
    )
    if labels:
        return str(QUOTED(label=labels[0].value))
    return f"<{triples[0].subject.value}>" if triples else str(A_CONCEPT)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _describe(record: ChangeRecord) -> str:
    when = record.time[:16].replace("T", " ")
    return f"{_lower_first(record.summary)} by {record.agent} at {when} UTC"
