"""Which assets use a concept: what the concept-usage guard, the impact of a change and the
re-import report count.

An asset uses a concept when it links it by the ``sh:path`` of a concept field of any shape,
the core shape's or a department profile's
(:attr:`~app.domain.shapes.registry.FieldRegistry.concept_paths`). The field registry is read
on every call, so a profile imported while Atrium runs counts at once.
"""

from __future__ import annotations

from collections.abc import Callable

from pyoxigraph import NamedNode

from app.domain.shapes.registry import FieldRegistry
from app.domain.vocab.terms import values_clause
from app.namespaces import sparql_prefixes
from app.storage.graphstore import GraphStore, Scope

# The field registry as the shapes say now (``ShapeCatalogue.registry``, ``Atrium.fields``).
FieldSource = Callable[[], FieldRegistry]

_COUNT = (
    sparql_prefixes()
    + """
SELECT {group} (COUNT(DISTINCT ?asset) AS ?n) WHERE {{
  {concepts} {paths} ?asset ?p ?c . ?asset a dam:Asset
}} {group_by}"""
)
_IN_VOCABULARY = "GRAPH ?g { ?c a skos:Concept }"
_IN_SUBTREE = "GRAPH ?g { ?c (skos:broader|^skos:narrower)* ?top }"


class ConceptUsage:
    """Counts the assets that link concepts through any concept field."""

    def __init__(self, store: GraphStore, fields: FieldSource) -> None:
        self.store = store
        self.fields = fields

    def paths(self) -> list[NamedNode]:
        """Every predicate by which an asset links a concept, as the shapes say now."""
        return list(self.fields().concept_paths)

    def paths_clause(self, variable: str = "p") -> str:
        """``VALUES ?p { … }`` over :meth:`paths`, for a query that matches asset links."""
        return values_clause(variable, self.paths())

    def assets(self, concept: NamedNode, scope: Scope | None = None) -> int:
        """How many assets (within ``scope``, else in every graph) link ``concept``."""
        return self._count("", scope, c=concept)

    def in_vocabulary(self, graph: NamedNode) -> int:
        """How many assets link a concept of the vocabulary ``graph``."""
        return self._count(_IN_VOCABULARY, None, g=graph)

    def in_subtree(self, concept: NamedNode, graph: NamedNode) -> int:
        """How many assets link ``concept`` or a concept below it in ``graph``."""
        return self._count(_IN_SUBTREE, None, top=concept, g=graph)

    def per_concept(self, concepts: list[str]) -> dict[str, int]:
        """How many assets link each of ``concepts`` (the used ones only), in every graph."""
        if not concepts:
            return {}
        query = _COUNT.format(
            group="?c",
            concepts=values_clause("c", [NamedNode(c) for c in concepts]),
            paths=self.paths_clause(),
            group_by="GROUP BY ?c",
        )
        rows = self.store.select(query, scope=Scope.everything())
        return {row["c"].value: int(row["n"].value) for row in rows}

    def _count(self, concepts: str, scope: Scope | None, **bindings: NamedNode) -> int:
        query = _COUNT.format(group="", concepts=concepts, paths=self.paths_clause(), group_by="")
        rows = self.store.select(query, scope=scope or Scope.everything(), bindings=bindings)
        return int(rows[0]["n"].value) if rows else 0
