"""The SKOS hierarchy, kept consistent both ways by every change the editor makes.

Setting a broader concept also states skos:narrower on the parent (SKOS §8.6.2 makes them
inverse), related links are stated on both concepts (§8.6.3, skos:related is symmetric), and a
concept without a broader concept is a top concept of its scheme (§4.6.3), one with a broader
concept is not. A deleted concept's narrower concepts move up to its broader ones; a merged
concept's move under the concept it was merged into.

Each function adds the statements to remove and to add to a
:class:`~app.domain.vocab.history.Change`; nothing here writes to the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pyoxigraph import NamedNode, Quad, Triple

from app.domain.vocab.history import Change
from app.namespaces import SKOS
from app.storage.graphstore import Term

# (statements about a resource, statements pointing at it) in a graph: Editor._statements.
Statements = Callable[[NamedNode, NamedNode], tuple[list[Triple], list[Triple]]]


def keep_consistent(
    change: Change,
    graph: NamedNode,
    concept: NamedNode,
    own: list[Triple],
    incoming: list[Triple],
    broader: list[NamedNode],
    related: list[NamedNode],
) -> None:
    parents = parents_of(concept, own, incoming)
    for parent in parents - {b.value for b in broader}:
        change.removed += quads(
            [t for t in incoming if t.predicate == SKOS.narrower and t.subject.value == parent],
            graph,
        )
    for parent in broader:
        if parent.value not in parents or not states(incoming, parent, SKOS.narrower):
            change.added.append(Quad(parent, SKOS.narrower, concept, graph))
    partners = {t.subject.value for t in incoming if t.predicate == SKOS.related}
    for partner in partners - {r.value for r in related}:
        change.removed.append(Quad(NamedNode(partner), SKOS.related, concept, graph))
    for partner in related:
        if partner.value not in partners:
            change.added.append(Quad(partner, SKOS.related, concept, graph))
    change.touched += [NamedNode(p) for p in parents] + broader
    _top_concept_links(change, graph, concept, own, incoming, bool(broader))


def _top_concept_links(
    change: Change,
    graph: NamedNode,
    concept: NamedNode,
    own: list[Triple],
    incoming: list[Triple],
    has_broader: bool,
) -> None:
    """A concept is a top concept of its scheme exactly when it has no broader concept."""
    top_links = [t for t in own if t.predicate == SKOS.topConceptOf]
    top_links += [t for t in incoming if t.predicate == SKOS.hasTopConcept]
    if has_broader:
        change.removed += quads(top_links, graph)
        return
    if top_links:
        return
    for scheme in {t.object for t in own if t.predicate == SKOS.inScheme}:
        change.added += top_concept(concept, scheme, graph)


def adopt_orphans(
    change: Change,
    graph: NamedNode,
    concept: NamedNode,
    own: list[Triple],
    incoming: list[Triple],
    statements: Statements,
) -> None:
    """Children left without a broader concept move up to the deleted concept's parents."""
    parents = [NamedNode(p) for p in sorted(parents_of(concept, own, incoming))]
    schemes = {t.object for t in own if t.predicate in (SKOS.inScheme, SKOS.topConceptOf)}
    for child in sorted(children_of(concept, own, incoming)):
        node = NamedNode(child)
        child_own, child_in = statements(node, graph)
        if len(parents_of(node, child_own, child_in)) > 1:
            continue
        change.touched.append(node)
        if parents:
            for parent in parents:
                change.added += quads(
                    [Triple(node, SKOS.broader, parent), Triple(parent, SKOS.narrower, node)],
                    graph,
                )
        else:
            for scheme in schemes:
                change.added += top_concept(node, scheme, graph)


def move_children(
    change: Change,
    graph: NamedNode,
    target_graph: NamedNode,
    source: NamedNode,
    target: NamedNode,
    own: list[Triple],
    incoming: list[Triple],
    statements: Statements,
) -> None:
    """``source``'s narrower concepts move under ``target`` (a merge)."""
    target_own, target_in = statements(target, target_graph)
    under_target = children_of(target, target_own, target_in)
    for child in sorted(children_of(source, own, incoming) - {target.value} - under_target):
        node = NamedNode(child)
        change.touched.append(node)
        change.added.append(Quad(node, SKOS.broader, target, graph))
        change.added.append(Quad(target, SKOS.narrower, node, target_graph))


def parents_of(concept: NamedNode, own: list[Triple], incoming: list[Triple]) -> set[str]:
    up = {
        t.object.value
        for t in own
        if t.predicate == SKOS.broader and isinstance(t.object, NamedNode)
    }
    return up | {t.subject.value for t in incoming if t.predicate == SKOS.narrower}


def children_of(concept: NamedNode, own: list[Triple], incoming: list[Triple]) -> set[str]:
    down = {
        t.object.value
        for t in own
        if t.predicate == SKOS.narrower and isinstance(t.object, NamedNode)
    }
    return down | {t.subject.value for t in incoming if t.predicate == SKOS.broader}


def states(statements: list[Triple], subject: NamedNode, predicate: NamedNode) -> bool:
    return any(t.subject == subject and t.predicate == predicate for t in statements)


def quads(triples: Iterable[Triple], graph: NamedNode) -> list[Quad]:
    return [Quad(t.subject, t.predicate, t.object, graph) for t in triples]


def top_concept(concept: NamedNode, scheme: Term, graph: NamedNode) -> list[Quad]:
    """Both directions of a top-concept link (SKOS §4.6.3)."""
    return quads(
        [Triple(concept, SKOS.topConceptOf, scheme), Triple(scheme, SKOS.hasTopConcept, concept)],
        graph,
    )
