"""Hierarchical facets: the concepts of a concept field as a SKOS tree, expanded level by level.

A concept's count is how many assets hold it or anything narrower (or a concept merged into one
of those), each asset counted once. The top level lists the roots of the field's scheme (for
the subject field: the roots of every scheme that no field claims); a level opens under every
concept that is chosen, lies above a chosen one, or is named in ``request.expanded``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from app.domain.search.facets import (
    FacetContext,
    FacetRequest,
    FacetResult,
    FacetValue,
    ValueFacet,
)


@dataclass(frozen=True)
class ConceptTreeFacet(ValueFacet):
    """The concepts of one field, as a tree read from SKOS."""

    claimed: frozenset[str] = frozenset()  # schemes that fields claim: not subjects
    hierarchical: ClassVar[bool] = True

    def roots(self, context: FacetContext) -> list[str]:
        return context.vocabulary.roots(self.field.scheme, self.claimed)

    def count(self, context: FacetContext, mask: np.ndarray, request: FacetRequest) -> FacetResult:
        context.budget.check()
        vocabulary = context.vocabulary
        opened = set(request.expanded)
        for chosen in request.selected:
            opened |= {chosen} | vocabulary.ancestors(chosen)
        tree = _Tree(self, context, mask, request, opened)
        values, truncated = tree.level(self.roots(context), request.limit)
        result = FacetResult.of(self, context.language, values=values, truncated=truncated)
        for chosen in request.selected:  # chosen outside the tree (retired, other scheme)
            if chosen not in tree.listed:
                result.values.append(tree.node(chosen))
        return result


class _Tree:
    """The levels of a concept tree with their counts, for one :class:`ConceptTreeFacet`."""

    def __init__(
        self,
        facet: ConceptTreeFacet,
        context: FacetContext,
        mask: np.ndarray,  # the assets counted
        request: FacetRequest,
        opened: set[str],
    ) -> None:
        self.facet, self.context, self.mask = facet, context, mask
        self.request, self.opened = request, opened
        self.listed: set[str] = set()

    def level(
        self, concepts: list[str], limit: int | None, path: frozenset[str] = frozenset()
    ) -> tuple[list[FacetValue], bool]:
        """The concepts of one level that have assets (or are chosen), most assets first."""
        nodes = []
        for concept, count in zip(concepts, self._counts(concepts), strict=True):
            node = self.node(concept, path, count)
            if node.count or node.selected:
                nodes.append(node)
        nodes.sort(key=lambda n: (-n.count, n.label.casefold()))
        if limit is None or len(nodes) <= limit:
            return nodes, False
        kept = nodes[:limit] + [n for n in nodes[limit:] if n.selected]
        return kept, True

    def node(
        self, concept: str, path: frozenset[str] = frozenset(), count: int | None = None
    ) -> FacetValue:
        """One concept with its count (counted here unless given); its level below if opened
        (``path``: the levels above)."""
        self.context.budget.check()
        vocabulary, language = self.context.vocabulary, self.context.language
        path = path | {concept}
        children = [c for c in vocabulary.children(concept) if c not in path]  # no cycle
        value = FacetValue(
            concept,
            vocabulary.label(concept, language),
            self._counts([concept])[0] if count is None else count,
            selected=concept in self.request.selected,
            expandable=bool(children),
        )
        self.listed.add(concept)
        if children and concept in self.opened:
            value.children, _ = self.level(children, None, path)
            value.expanded = True
        return value

    def _counts(self, concepts: list[str]) -> list[int]:
        """Each concept's count: the assets holding it or anything in its subtree, once."""
        columns, vocabulary = self.context.columns, self.context.vocabulary
        groups = [columns.terms.ids_of(self.facet.name, vocabulary.subtree(c)) for c in concepts]
        return columns.distinct_owners(self.facet.name, groups, self.mask).tolist()
