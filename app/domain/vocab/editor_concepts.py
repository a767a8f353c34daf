"""Editing concepts: create, save, delete, deprecate; and what a destructive change touches.

The hierarchy stays consistent both ways (:mod:`.hierarchy`). A concept that assets use
(:mod:`.usage`) is not deleted.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyoxigraph import Literal, NamedNode, Quad, Triple

import app.domain.vocab.hierarchy as hierarchy
from app.domain.vocab.drafts import ABSOLUTE_IRI, ConceptDraft, label_slug, managed
from app.domain.vocab.editor_base import (
    EMPTY_SCHEME,
    TRUE,
    EditorBase,
    Impact,
    NotFound,
    Refused,
    _label_of,
    _refuse_if,
    _replace_managed,
)
from app.domain.vocab.hierarchy import children_of, parents_of, quads
from app.domain.vocab.history import (
    A_CONCEPT,
    CREATED,
    DELETED,
    DEPRECATED,
    EDITED,
    QUOTED,
    UNDEPRECATED,
    Actor,
    Change,
)
from app.messages import MN_
from app.namespaces import OWL, RDF, SKOS, sparql_prefixes
from app.storage.graphstore import Scope, Term

_DESCENDANTS = (
    sparql_prefixes()
    + """
SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE {
  GRAPH ?g { ?d (skos:broader|^skos:narrower)+ ?c FILTER EXISTS { ?d a skos:Concept } } }"""
)
_LABELLED = (
    sparql_prefixes()
    + """
SELECT DISTINCT ?c WHERE { GRAPH ?g {
  ?c a skos:Concept ; skos:prefLabel|skos:altLabel|skos:hiddenLabel ?label .
  FILTER(LCASE(STR(?label)) = ?name) } } LIMIT 3"""
)


class ConceptEditor(EditorBase):
    """Concepts: their drafts, their impact, and every change to one of them."""

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
            change = Change("edited", str(EDITED(concept=_name(draft))), [concept])
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
            said = str(CREATED(concept=_name(draft)))
            change = Change("created", said, [concept, *broader])
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
                            MN_(
                                "%(count)s asset is tagged with it: merge it into another "
                                "concept, or deprecate it",
                                "%(count)s assets are tagged with it: merge it into another "
                                "concept, or deprecate it",
                                count=used,
                            )
                        ]
                    }
                )
            own, incoming = self._statements(concept, graph)
            change = Change("deleted", str(DELETED(concept=_label_of(own))), [concept])
            change.removed += quads(own + incoming, graph)
            hierarchy.adopt_orphans(change, graph, concept, own, incoming, self._statements)
            self._apply(change, actor, tolerated=(EMPTY_SCHEME,))

    def deprecate(
        self, concept: NamedNode, version: str, actor: Actor, *, undo: bool = False
    ) -> None:
        """Mark a concept deprecated (assets keep it), or no longer deprecated."""
        with self._lock:
            graph = self.graph_of(concept)
            self._check_version(concept, graph, version)
            own, _ = self._statements(concept, graph)
            flags = [t for t in own if t.predicate == OWL.deprecated]
            said = (UNDEPRECATED if undo else DEPRECATED)(concept=_label_of(own))
            change = Change("undeprecated" if undo else "deprecated", str(said), [concept])
            change.removed += quads(flags, graph)
            if not undo:
                change.added.append(Quad(concept, OWL.deprecated, TRUE, graph))
            self._apply(change, actor)

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
        label = next(text for kind, _, text in draft.labels if kind == "prefLabel")
        local = label_slug(label)[:60] or "concept"
        candidate, number = self.iris.new_concept(scheme, slug, local), 2
        while self.store.ask(
            "ASK { ?c ?p ?o }", scope=Scope.everything(), bindings={"c": candidate}
        ):
            candidate, number = self.iris.new_concept(scheme, slug, local, number), number + 1
        return candidate


def _name(draft: ConceptDraft) -> str:
    pref = [text for kind, _, text in draft.labels if kind == "prefLabel"]
    return str(QUOTED(label=sorted(pref)[0])) if pref else str(A_CONCEPT)
