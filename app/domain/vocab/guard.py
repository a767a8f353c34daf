"""Every change passes the quality gates before it lands, without checking the whole vocabulary.

The gates run on the *neighbourhood* of a change, before and after it: the concepts it
touches, their ancestors (skos:broader, or skos:narrower stated on the parent, to any depth),
the concepts they are related to and the ancestors of those, their schemes, the concepts that
share one of their prefLabels, and the types of everything these link to. That is all the
rules of ``shapes/skos-quality.ttl`` look at for the touched concepts: a cycle through a
concept runs through its ancestors; a related concept that is also broader or narrower is an
ancestor of one of the two. A change is refused when the gates find a problem after it that
they did not find before; problems that were there already are left to ``atrium vocab check``.

Versions for optimistic locking are a hash of every statement about a resource in its graph
(as subject or object), so any change to it, or to its links, makes a new version.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable

from pyoxigraph import Literal, NamedNode, Quad, Triple

from app.domain.vocab.quality import Issue, QualityGate, quiet_rdflib
from app.domain.vocab.terms import values_clause
from app.namespaces import SKOS, sparql_prefixes
from app.storage.graphstore import GraphStore, Scope
from app.storage.terms import to_rdflib_graph

_UP = "(skos:broader|^skos:narrower)*"
_NEIGHBOURS = (
    sparql_prefixes()
    + f"""
SELECT DISTINCT ?n WHERE {{ GRAPH ?g {{
  {{ {{starts}} ?start {_UP} ?n }}
  UNION {{ {{starts}} ?start skos:related|^skos:related ?r . ?r {_UP} ?n }}
  UNION {{ {{starts}} ?start skos:inScheme|skos:topConceptOf|^skos:hasTopConcept ?n }}
  UNION {{ {{starts}} ?start skos:prefLabel ?l . ?n skos:prefLabel ?l }}
  {{labels}}
}} }}"""
)
_DESCRIPTIONS = """
CONSTRUCT {{ ?n ?p ?o . ?o a ?type }} WHERE {{ GRAPH ?g {{
  {values} ?n ?p ?o . OPTIONAL {{ ?o a ?type }}
}} }}"""
_STATEMENTS_ABOUT = """
CONSTRUCT { ?c ?p ?o . ?s ?q ?c } WHERE { GRAPH ?g { { ?c ?p ?o } UNION { ?s ?q ?c } } }"""


class ChangeGuard:
    def __init__(self, store: GraphStore, gate: QualityGate) -> None:
        self.store = store
        self.gate = gate

    def version(self, resource: NamedNode, graph: NamedNode) -> str:
        """A short hash of every statement about ``resource`` in ``graph``."""
        triples = self.store.construct(
            _STATEMENTS_ABOUT, scope=Scope.everything(), bindings={"c": resource, "g": graph}
        )
        digest = hashlib.sha256("\n".join(sorted(map(str, triples))).encode("utf-8"))
        return digest.hexdigest()[:16]

    def new_problems(
        self, removed: list[Quad], added: list[Quad], is_vocabulary: Callable[[NamedNode], bool]
    ) -> list[Issue]:
        """Problems the change would add, in each vocabulary graph it changes."""
        by_graph: dict[NamedNode, tuple[list[Triple], list[Triple]]] = defaultdict(lambda: ([], []))
        for index, quads in enumerate((removed, added)):
            for quad in quads:
                if is_vocabulary(quad.graph_name):
                    by_graph[quad.graph_name][index].append(quad.triple)
        problems: list[Issue] = []
        for graph, (gone, new) in by_graph.items():
            problems += self._new_in_graph(graph, gone, new)
        return problems

    def _new_in_graph(
        self, graph: NamedNode, removed: list[Triple], added: list[Triple]
    ) -> list[Issue]:
        nodes, before = self._neighbourhood(graph, removed + added)
        after = (set(before) - set(removed)) | set(added)
        # Only the neighbourhood's own nodes are checked: the types read along with what they
        # link to would otherwise make every child of a big top concept a focus node.
        focus = [*nodes, graph]
        with quiet_rdflib():
            old = set(self.gate.check(to_rdflib_graph(before), graph.value, focus).issues)
            new = self.gate.check(to_rdflib_graph(after), graph.value, focus).issues
        return [issue for issue in new if issue not in old]

    def _neighbourhood(
        self, graph: NamedNode, changed: list[Triple]
    ) -> tuple[list[NamedNode], list[Triple]]:
        """The nodes the change touches and their neighbours, and every statement about them."""
        starts = sorted(
            {t.subject for t in changed}
            | {t.object for t in changed if isinstance(t.object, NamedNode)},
            key=str,
        )
        labels = sorted({t.object for t in changed if t.predicate == SKOS.prefLabel}, key=str)
        nodes = self._nodes(graph, starts, labels)
        if not nodes:
            return [], []
        query = _DESCRIPTIONS.format(values=values_clause("n", nodes))
        return nodes, self.store.construct(query, scope=Scope.everything(), bindings={"g": graph})

    def _nodes(
        self, graph: NamedNode, starts: list[NamedNode], labels: list[Literal]
    ) -> list[NamedNode]:
        label_part = ""
        if labels:
            values = "VALUES ?l2 { " + " ".join(str(label) for label in labels) + " }"
            label_part = f"UNION {{ {values} ?n skos:prefLabel ?l2 }}"
        query = _NEIGHBOURS.replace("{starts}", values_clause("start", starts)).replace(
            "{labels}", label_part
        )
        rows = self.store.select(query, scope=Scope.everything(), bindings={"g": graph})
        found = {row["n"] for row in rows if isinstance(row.get("n"), NamedNode)}
        return sorted(found | set(starts), key=str)
