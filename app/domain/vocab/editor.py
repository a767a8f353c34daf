"""The taxonomist's editor: every change checked, recorded and applied in one update.

Each operation builds a :class:`~app.domain.vocab.history.Change` (the exact statements it
removes and adds, in which graph), then:

1. checks the version the taxonomist saw (optimistic locking: a conflict loses nothing, the
   caller still holds the taxonomist's draft);
2. runs the quality gates on the change (:mod:`.guard`): a refused change stores nothing;
3. applies the change and its history record (:mod:`.history`) in one SPARQL update request,
   which the store applies as a whole (SPARQL 1.1 Update §2: a request is one unit).

The hierarchy stays consistent both ways (:mod:`.hierarchy`).

A merge of A into B re-tags every asset linked to A (by any concept field of any shape, in
every asset graph: :mod:`.merge` says which merges make sense) with B, moves A's narrower
concepts under B, takes A out of the hierarchy and marks it ``owl:deprecated true`` with
``dct:isReplacedBy B``: A keeps its labels, so a search can still find the assets tagged with A
by them. A concept that assets use (:mod:`.usage`) is not deleted. A change that rewrites
asset records (a merge, its revert) is planned and written holding those assets' editing locks
(:mod:`.asset_rewrites`), so it and an edit of one of them never overwrite each other.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode, Quad, Triple

from app.domain.assets import RecordWatcher
from app.domain.vocab import asset_rewrites, hierarchy
from app.domain.vocab.catalogue import RESERVED_SLUGS, Catalogue
from app.domain.vocab.drafts import ABSOLUTE_IRI, ConceptDraft, SchemeDraft, label_slug, managed
from app.domain.vocab.guard import ChangeGuard
from app.domain.vocab.hierarchy import children_of, parents_of, quads
from app.domain.vocab.history import Actor, Change, ChangeRecord, History
from app.domain.vocab.merge import MergeRules
from app.domain.vocab.quality import Issue
from app.domain.vocab.terms import LABELS
from app.domain.vocab.usage import ConceptUsage
from app.namespaces import DCT, OWL, RDF, SKOS, XSD, sparql_prefixes
from app.storage.graphstore import GraphStore, Scope, Term, data_block, update_request

TRUE = Literal("true", datatype=XSD.boolean)
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")

# A new scheme has no top concept until its first concept is made, nor one whose last is gone.
EMPTY_SCHEME = "scheme-has-top-concept"
_INCOMING = "SELECT ?s ?p WHERE { GRAPH ?g { ?s ?p ?c } }"
_HIERARCHY = {SKOS.broader, SKOS.narrower, SKOS.related, SKOS.topConceptOf, SKOS.hasTopConcept}
_DESCENDANTS = (
    sparql_prefixes()
    + """
SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE {
  GRAPH ?g { ?d (skos:broader|^skos:narrower)+ ?c . ?d a skos:Concept } }"""
)
_LABELLED = (
    sparql_prefixes()
    + """
SELECT DISTINCT ?c WHERE { GRAPH ?g {
  ?c a skos:Concept ; skos:prefLabel|skos:altLabel|skos:hiddenLabel ?label .
  FILTER(LCASE(STR(?label)) = ?name) } } LIMIT 3"""
)
_PRESENT = (
    "SELECT (COUNT(*) AS ?n) WHERE {{ VALUES (?s ?p ?o ?g) {{ {rows} }} GRAPH ?g {{ ?s ?p ?o }} }}"
)


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


class Refused(EditError):
    """The change breaks a rule: ``fields`` maps form fields to reasons."""

    def __init__(self, fields: dict[str, list[str]], issues: list[Issue] | None = None) -> None:
        self.fields = fields
        self.issues = issues or []
        super().__init__("; ".join(m for ms in fields.values() for m in ms))


@dataclass
class Impact:
    """What a destructive change (delete, merge, move) touches."""

    assets: int  # assets linked to the concept itself
    narrower: int  # its direct narrower concepts
    descendants: int  # every concept below it
    subtree_assets: int  # assets linked to it or to a concept below it


class Editor:
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

    # --- reading what the editor needs -----------------------------------------------------

    def graph_of(self, resource: NamedNode) -> NamedNode:
        graph = self.catalogue.home_graph(resource)
        if graph is None:
            raise NotFound(f"no vocabulary describes <{resource.value}>")
        return graph

    def version(self, resource: NamedNode) -> str:
        return self.guard.version(resource, self.graph_of(resource))

    def draft(self, concept: NamedNode) -> ConceptDraft:
        graph = self.graph_of(concept)
        own, incoming = self._statements(concept, graph)
        return ConceptDraft.of(concept, own, sorted(parents_of(concept, own, incoming)))

    def impact(self, concept: NamedNode) -> Impact:
        graph = self.graph_of(concept)
        own, incoming = self._statements(concept, graph)
        descendants = self.store.select(
            _DESCENDANTS, scope=Scope.everything(), bindings={"c": concept, "g": graph}
        )
        return Impact(
            assets=self.usage.assets(concept),
            narrower=len(children_of(concept, own, incoming)),
            descendants=int(descendants[0]["n"].value),
            subtree_assets=self.usage.in_subtree(concept, graph),
        )

    # --- concepts --------------------------------------------------------------------------

    def save(self, concept: NamedNode, draft: ConceptDraft, version: str, actor: Actor) -> str:
        """Store the draft as the concept's managed statements; returns the new version."""
        with self._lock:
            graph = self.graph_of(concept)
            self._check_version(concept, graph, version)
            draft = draft.cleaned()
            _refuse_if(draft.problems())
            own, incoming = self._statements(concept, graph)
            broader, related = self._resolve_links(concept, graph, draft)
            wanted = draft.statements(concept, broader, related)
            change = Change("edited", f"Edited {_name(draft)}", [concept])
            _replace_managed(change, graph, concept, managed(concept, own), wanted)
            hierarchy.keep_consistent(change, graph, concept, own, incoming, broader, related)
            self._apply(change, actor)
            return self.guard.version(concept, graph)

    def create(
        self,
        vocabulary: str,
        draft: ConceptDraft,
        actor: Actor,
        extra: Iterable[tuple[NamedNode, Term]] = (),
    ) -> NamedNode:
        """A new concept in ``vocabulary`` (a slug); returns its IRI. ``extra``: statements
        about it beyond SKOS (predicate, object), such as a campaign's period, made with it."""
        vocab = self.catalogue.get(vocabulary)
        if vocab is None or vocab.scheme is None:
            raise NotFound(f"no vocabulary {vocabulary!r}")
        draft = draft.cleaned()
        _refuse_if(draft.problems())
        with self._lock:
            scheme = NamedNode(vocab.scheme.iri)
            concept = self._mint(vocab.slug, scheme, draft)
            broader, related = self._resolve_links(concept, vocab.graph, draft)
            statements = [
                Triple(concept, RDF.type, SKOS.Concept),
                Triple(concept, SKOS.inScheme, scheme),
                *draft.statements(concept, broader, related),
                *(Triple(concept, predicate, value) for predicate, value in extra),
            ]
            change = Change("created", f"Created {_name(draft)}", [concept, *broader])
            change.added += [
                Quad(t.subject, t.predicate, t.object, vocab.graph) for t in statements
            ]
            own = [t for t in statements if t.subject == concept]
            hierarchy.keep_consistent(change, vocab.graph, concept, own, [], broader, related)
            self._apply(change, actor)
            return concept

    def delete(self, concept: NamedNode, version: str, actor: Actor) -> None:
        """Delete a concept no asset uses; its narrower concepts move up to its broader ones."""
        with self._lock:
            graph = self.graph_of(concept)
            self._check_version(concept, graph, version)
            used = self.usage.assets(concept)
            if used:
                raise Refused(
                    {
                        "delete": [
                            f"{used:,} assets are tagged with it: merge it into another concept, "
                            "or deprecate it"
                        ]
                    }
                )
            own, incoming = self._statements(concept, graph)
            change = Change("deleted", f"Deleted {_label_of(own)}", [concept])
            change.removed += quads(own + incoming, graph)
            hierarchy.adopt_orphans(change, graph, concept, own, incoming, self._statements)
            self._apply(change, actor, tolerated=(EMPTY_SCHEME,))

    def merge(self, source: NamedNode, target: NamedNode, version: str, actor: Actor) -> None:
        """Merge ``source`` into ``target`` (see the module's documentation)."""
        with self._lock:
            graph = self.graph_of(source)
            target_graph = self.graph_of(target)
            self._check_version(source, graph, version)

            def plan() -> Change:
                own, incoming = self._statements(source, graph)
                target_own, _ = self._statements(target, target_graph)
                problems = self.merges.problems(source, target, own, target_own)
                _refuse_if({"target": problems} if problems else {})
                change = Change(
                    "merged",
                    f"Merged {_label_of(own)} into {_label_of(target_own)}",
                    [source, target],
                )
                change.removed += quads(
                    [t for t in own + incoming if t.predicate in _HIERARCHY], graph
                )
                hierarchy.move_children(
                    change, graph, target_graph, source, target, own, incoming, self._statements
                )
                replaced = [(OWL.deprecated, TRUE), (DCT.isReplacedBy, target)]
                change.added += [Quad(source, p, o, graph) for p, o in replaced]
                self.merges.retag(change, source, target)
                return change

            with asset_rewrites.planned_holding_locks(self.asset_locks, plan, self.iris) as change:
                self._apply(change, actor)

    def deprecate(
        self, concept: NamedNode, version: str, actor: Actor, *, undo: bool = False
    ) -> None:
        """Mark a concept deprecated (assets keep it), or no longer deprecated."""
        with self._lock:
            graph = self.graph_of(concept)
            self._check_version(concept, graph, version)
            own, _ = self._statements(concept, graph)
            flags = [t for t in own if t.predicate == OWL.deprecated]
            verb = "Undeprecated" if undo else "Deprecated"
            change = Change(verb.lower(), f"{verb} {_label_of(own)}", [concept])
            change.removed += quads(flags, graph)
            if not undo:
                change.added.append(Quad(concept, OWL.deprecated, TRUE, graph))
            self._apply(change, actor)

    def revert(self, change_iri: NamedNode, actor: Actor) -> None:
        """Apply the inverse of an earlier change, as a new change."""
        with self._lock:
            record = self.history.get(change_iri)
            if record is None:
                raise NotFound(f"no change <{change_iri.value}>")
            if record.reverted_by:
                raise Refused({"revert": ["this change has been reverted already"]})
            if not (record.added or record.removed):
                raise Refused(
                    {"revert": ["an import cannot be reverted; import the earlier file again"]}
                )
            touched = self.history.touched(change_iri)

            def plan() -> Change:  # checked again holding the locks of the assets it re-tags
                if not self._still_applies(record):
                    raise Refused({"revert": ["later changes touched the same statements; "
                                              "revert them first, newest first"]})  # fmt: skip
                return Change(
                    "reverted",
                    f"Reverted: {record.summary}",
                    touched,
                    removed=record.added,
                    added=record.removed,
                    reverts=change_iri,
                )

            with asset_rewrites.planned_holding_locks(self.asset_locks, plan, self.iris) as change:
                self._apply(change, actor)

    # --- schemes ---------------------------------------------------------------------------

    def create_scheme(self, slug: str, draft: SchemeDraft, actor: Actor) -> NamedNode:
        """A new, empty vocabulary with its scheme at ``{base}vocab/{slug}``."""
        draft = draft.cleaned()
        problems = draft.problems()
        if not SLUG.match(slug) or slug in RESERVED_SLUGS:
            problems.setdefault("slug", []).append(
                "use lower-case letters, digits and hyphens (not a word the site uses)"
            )
        elif self.catalogue.get(slug) is not None:
            problems.setdefault("slug", []).append(f"a vocabulary named {slug!r} exists already")
        _refuse_if(problems)
        with self._lock:
            scheme = NamedNode(self.iris.vocab_base + slug)
            graph = self.iris.vocab_graph(slug)
            change = Change("created scheme", f"Created the scheme {_title(draft)}", [scheme])
            statements = [
                Triple(scheme, RDF.type, SKOS.ConceptScheme),
                *_scheme_statements(scheme, draft),
            ]
            change.added += quads(statements, graph)
            self._apply(change, actor, tolerated=(EMPTY_SCHEME,))
            return scheme

    def save_scheme(
        self, scheme: NamedNode, draft: SchemeDraft, version: str, actor: Actor
    ) -> None:
        with self._lock:
            graph = self.graph_of(scheme)
            self._check_version(scheme, graph, version)
            draft = draft.cleaned()
            _refuse_if(draft.problems())
            own, _ = self._statements(scheme, graph)
            managed_now = [
                t
                for t in own
                if t.predicate in (SKOS.prefLabel, DCT.description)
                and isinstance(t.object, Literal)
            ]
            change = Change("edited scheme", f"Edited the scheme {_title(draft)}", [scheme])
            _replace_managed(change, graph, scheme, managed_now, _scheme_statements(scheme, draft))
            self._apply(change, actor)

    def delete_scheme(self, scheme: NamedNode, actor: Actor) -> None:
        """Delete a whole vocabulary, when no asset uses any of its concepts."""
        with self._lock:
            graph = self.graph_of(scheme)
            used = self.usage.in_vocabulary(graph)
            if used:
                raise Refused(
                    {
                        "delete": [
                            f"{used:,} assets are tagged with its concepts: merge or deprecate "
                            "them first"
                        ]
                    }
                )
            triples = self.store.construct(
                "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
                scope=Scope.everything(),
                bindings={"g": graph},
            )
            change = Change("deleted scheme", f"Deleted the vocabulary {graph.value}", [scheme])
            change.removed += quads(triples, graph)
            self._apply(change, actor)

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
            self.store.update(_update_request(change.removed, change.added + record))
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

    # --- helpers ---------------------------------------------------------------------------

    def _resolve_links(
        self, concept: NamedNode, graph: NamedNode, draft: ConceptDraft
    ) -> tuple[list[NamedNode], list[NamedNode]]:
        problems: dict[str, list[str]] = {}
        resolved = {}
        for name, references in (("broader", draft.broader), ("related", draft.related)):
            resolved[name] = [self._resolve(ref, graph, name, problems) for ref in references]
            if concept in resolved[name]:
                problems.setdefault(name, []).append(f"a concept cannot be its own {name} concept")
        _refuse_if(problems)
        return resolved["broader"], resolved["related"]

    def _resolve(self, reference: str, graph: NamedNode, field: str, problems: dict) -> NamedNode:
        if ABSOLUTE_IRI.match(reference):
            return NamedNode(reference)
        rows = self.store.select(
            _LABELLED,
            scope=Scope.everything(),
            bindings={"g": graph, "name": Literal(reference.casefold())},
        )
        if len(rows) != 1:
            found = "no concept" if not rows else "several concepts"
            problems.setdefault(field, []).append(
                f'{found} of this vocabulary {"is" if not rows else "are"} labelled "{reference}"; '
                "give its IRI"
            )
            return NamedNode(self.iris.vocab_base)
        return rows[0]["c"]

    def _mint(self, slug: str, scheme: NamedNode, draft: ConceptDraft) -> NamedNode:
        """``{scheme}/{label}`` for Atrium's own schemes, else ``{base}vocab/{slug}/{label}``."""
        own_scheme = scheme.value.startswith(self.iris.vocab_base)
        base = f"{scheme.value.rstrip('/')}/" if own_scheme else f"{self.iris.vocab_base}{slug}/"
        label = next(text for kind, _, text in draft.labels if kind == "prefLabel")
        local = label_slug(label)[:60] or "concept"
        candidate, number = NamedNode(base + local), 2
        while self.store.ask(
            "ASK { ?c ?p ?o }", scope=Scope.everything(), bindings={"c": candidate}
        ):
            candidate, number = NamedNode(f"{base}{local}-{number}"), number + 1
        return candidate

    def _still_applies(self, record: ChangeRecord) -> bool:
        """True when every statement the change added is there and none it removed is."""
        return self._present(record.added) == len(set(record.added)) and not self._present(
            record.removed
        )

    def _present(self, statements: list[Quad]) -> int:
        count = 0
        unique = sorted(set(statements), key=str)
        for start in range(0, len(unique), 500):
            rows = " ".join(
                f"({q.subject} {q.predicate} {q.object} {q.graph_name})"
                for q in unique[start : start + 500]
            )
            result = self.store.select(_PRESENT.format(rows=rows), scope=Scope.everything())
            count += int(result[0]["n"].value)
        return count


# --- pure helpers -------------------------------------------------------------------------------


def _replace_managed(
    change: Change, graph: NamedNode, resource: NamedNode, old: list[Triple], new: list[Triple]
) -> None:
    change.removed += quads([t for t in old if t not in set(new)], graph)
    change.added += quads([t for t in new if t not in set(old)], graph)


def _scheme_statements(scheme: NamedNode, draft: SchemeDraft) -> list[Triple]:
    return [
        *(Triple(scheme, SKOS.prefLabel, Literal(t, language=lang)) for lang, t in draft.titles),
        *(
            Triple(scheme, DCT.description, Literal(t, language=lang))
            for lang, t in draft.descriptions
        ),
    ]


def _refuse_if(problems: dict[str, list[str]]) -> None:
    if problems:
        raise Refused(problems)


def _by_field(issues: list[Issue]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for issue in issues:
        fields.setdefault(issue.field or "concept", []).append(issue.describe())
    return fields


def _name(draft: ConceptDraft) -> str:
    pref = [text for kind, _, text in draft.labels if kind == "prefLabel"]
    return f"“{sorted(pref)[0]}”" if pref else "a concept"


def _label_of(triples: list[Triple]) -> str:
    labels = sorted(
        (
            t.object
            for t in triples
            if t.predicate == LABELS["prefLabel"] and isinstance(t.object, Literal)
        ),
        key=lambda label: (not (label.language or "").startswith("en"), label.value),
    )
    return (
        f"“{labels[0].value}”"
        if labels
        else (f"<{triples[0].subject.value}>" if triples else "a concept")
    )


def _title(draft: SchemeDraft) -> str:
    return f"“{draft.titles[0][1]}”" if draft.titles else "without a name"


def _update_request(removed: list[Quad], added: list[Quad]) -> str:
    """One SPARQL update request: DELETE DATA then INSERT DATA, every term strictly escaped."""
    return update_request(data_block("DELETE", removed), data_block("INSERT", added))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _describe(record: ChangeRecord) -> str:
    when = record.time[:16].replace("T", " ")
    return f"{_lower_first(record.summary)} by {record.agent} at {when} UTC"
