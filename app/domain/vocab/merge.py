"""Merging a concept into another: which merges make sense, and re-tagging the assets.

A merge of A into B re-tags every asset that links A by a concept field (of any shape, in
every asset graph: :mod:`.usage`) with B, on the same path. So B must be a value that field
takes (the fields come from the shapes, :class:`~app.domain.shapes.registry.FieldRegistry`):

- a concept of a scheme that a field claims (asset types, rights statements, a profile's
  scheme) merges only into another concept of that scheme;
- a subject (a concept of no claimed scheme) merges only into another subject;
- a department never merges: departments decide who may see an asset (the access model reads
  the core ``dam:department`` field), so a merge would move assets between scopes.
"""

from __future__ import annotations

from pyoxigraph import Literal, NamedNode, Quad, Triple

from app.domain.shapes.registry import FieldRegistry
from app.domain.vocab.catalogue import Catalogue
from app.domain.vocab.history import Change
from app.domain.vocab.usage import ConceptUsage
from app.namespaces import DAM, OWL, RDF, SKOS, sparql_prefixes
from app.storage.graphstore import GraphStore, Scope

_LINKS = (
    sparql_prefixes()
    + """
SELECT ?g ?asset ?p ?already WHERE {{
  GRAPH ?g {{ {paths} ?asset ?p ?source }}
  FILTER(STRSTARTS(STR(?g), ?assets))
  BIND(EXISTS {{ GRAPH ?g {{ ?asset ?p ?target }} }} AS ?already)
}}"""
)


class MergeRules:
    """What a merge may join, and the asset statements it rewrites."""

    def __init__(self, store: GraphStore, catalogue: Catalogue, usage: ConceptUsage) -> None:
        self.store = store
        self.catalogue = catalogue
        self.usage = usage

    def problems(
        self,
        source: NamedNode,
        target: NamedNode,
        own: list[Triple],
        target_own: list[Triple],
    ) -> list[str]:
        """Why ``source`` (described by ``own``) cannot be merged into ``target``; [] if it can."""
        reasons = []
        if source == target:
            reasons.append("a concept cannot be merged into itself")
        if is_deprecated(own):
            reasons.append("this concept is deprecated already")
        reasons += self._field_problems(self.usage.fields(), _schemes(own), _schemes(target_own))
        if not any(t.predicate == RDF.type and t.object == SKOS.Concept for t in target_own):
            reasons.append(f"<{target.value}> is not a concept")
        if is_deprecated(target_own):
            reasons.append("the target is deprecated; merge into its replacement")
        return reasons

    def _field_problems(
        self, fields: FieldRegistry, schemes: set[str], target_schemes: set[str]
    ) -> list[str]:
        """The target must be a value of every field whose values the source is."""
        access = fields.by_path(DAM.department.value)
        if access is not None and access.scheme in schemes:
            return ["departments decide who may see assets; they cannot be merged"]
        claimed = schemes & fields.claimed_schemes
        if claimed:
            return [
                f"a concept of {name} can only be merged into another of {name}"
                for name in map(self._name, sorted(claimed - target_schemes))
            ]
        target_claimed = sorted(target_schemes & fields.claimed_schemes)
        if target_claimed:
            name = self._name(target_claimed[0])
            return [f"a subject can only be merged into another subject, not a concept of {name}"]
        return []

    def _name(self, scheme: str) -> str:
        """A scheme by its vocabulary's slug (``rights``), else by its IRI."""
        vocabulary = self.catalogue.get(scheme)
        return vocabulary.slug if vocabulary is not None else f"<{scheme}>"

    def retag(self, change: Change, source: NamedNode, target: NamedNode) -> None:
        """Every asset link to ``source`` becomes one to ``target``, on the same path."""
        rows = self.store.select(
            _LINKS.format(paths=self.usage.paths_clause()),
            scope=Scope.everything(),
            bindings={
                "source": source,
                "target": target,
                "assets": Literal(self.catalogue.iris.graph("assets/").value),
            },
        )
        for row in rows:
            change.removed.append(Quad(row["asset"], row["p"], source, row["g"]))
            if row["already"].value != "true":
                change.added.append(Quad(row["asset"], row["p"], target, row["g"]))


def is_deprecated(own: list[Triple]) -> bool:
    return any(t.predicate == OWL.deprecated and t.object.value == "true" for t in own)


def _schemes(own: list[Triple]) -> set[str]:
    """The schemes a concept is in (skos:inScheme, as the shapes check it)."""
    return {t.object.value for t in own if t.predicate == SKOS.inScheme}
