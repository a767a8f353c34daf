"""What readers see of vocabularies: a scheme's hierarchy, one level at a time, and a concept.

The hierarchy follows skos:broader and skos:narrower alike (SKOS §8: a file may state either
direction only). A scheme's tree starts at its concepts without a broader concept in the same
vocabulary, sorted by label; deprecated concepts (OWL 2 ``owl:deprecated``) that left the
hierarchy are not roots. Children are read one level at a time, so a 10,000-concept scheme
opens as fast as a small one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode, Triple

from app.domain.vocab.catalogue import Catalogue
from app.domain.vocab.languages import LanguagePreference
from app.domain.vocab.model import Vocabulary, label_of
from app.domain.vocab.terms import KIND_OF, LABELS, MAPPINGS, NOTES, values_clause
from app.domain.vocab.usage import ConceptUsage
from app.namespaces import DC, DCT, OWL, RDF, RDFS, SKOS, sparql_prefixes
from app.storage.graphstore import GraphStore, Scope
from app.storage.read_cache import ReadCache

ROOTS_PER_PAGE = 200

_DESCRIPTION = "CONSTRUCT { ?c ?p ?o } WHERE { GRAPH ?g { ?c ?p ?o } }"
_INCOMING = (
    sparql_prefixes()
    + """
SELECT ?s ?p WHERE { GRAPH ?g { ?s ?p ?c }
  FILTER(?p IN (skos:broader, skos:narrower, skos:related, skos:hasTopConcept)) }"""
)
_LABELS = (
    sparql_prefixes()
    + """
SELECT ?c ?label ?deprecated WHERE {{
  GRAPH ?g {{ {values} ?c a ?type .
    OPTIONAL {{ ?c skos:prefLabel ?label }} OPTIONAL {{ ?c owl:deprecated ?deprecated }} }}
  FILTER(STRSTARTS(STR(?g), ?prefix))
}}"""
)
# MINUS, not FILTER NOT EXISTS: pyoxigraph 0.5 runs the latter as a nested loop (seconds on
# 10,000 concepts), the former as an anti-join (milliseconds). But a type check on concepts
# reached from a bound one is a FILTER EXISTS: as a join, Oxigraph starts from every concept
# of the scheme (GEMET: 30-340 ms a query, against 0.2 ms).
_ROOTS = (
    sparql_prefixes()
    + """
SELECT ?c ?label WHERE { GRAPH ?g {
  ?c a skos:Concept .
  MINUS { ?c skos:broader ?up . ?up a skos:Concept }
  MINUS { ?up2 skos:narrower ?c . ?up2 a skos:Concept }
  MINUS { ?c owl:deprecated true }
  OPTIONAL { ?c skos:prefLabel ?label }
} }"""
)
_CHILDREN = (
    sparql_prefixes()
    + """
SELECT DISTINCT ?c ?label WHERE { GRAPH ?g {
  { ?c skos:broader ?parent } UNION { ?parent skos:narrower ?c }
  FILTER EXISTS { ?c a skos:Concept }
  OPTIONAL { ?c skos:prefLabel ?label }
} }"""
)
_CHILD_COUNTS = (
    sparql_prefixes()
    + """
SELECT ?c (COUNT(DISTINCT ?child) AS ?children) WHERE {{ GRAPH ?g {{ {values}
  {{ ?child skos:broader ?c }} UNION {{ ?c skos:narrower ?child }}
  ?child a skos:Concept
}} }} GROUP BY ?c"""
)
_DEPRECATED = (
    sparql_prefixes()
    + """
SELECT ?c WHERE {{ GRAPH ?g {{ {values} ?c owl:deprecated true }} }}"""
)

# The broader concepts of one concept (either direction stated): a breadcrumb trail's step. One
# level per query: a transitive path from a bound start fails on some remote stores (Virtuoso).
_BROADER = (
    sparql_prefixes()
    + """
SELECT DISTINCT ?up WHERE { GRAPH ?g {
  { ?c skos:broader ?up } UNION { ?up skos:narrower ?c }
  FILTER EXISTS { ?up a skos:Concept }
} }"""
)
MAX_TRAIL = 50  # steps up a breadcrumb trail follows (SKOS hierarchies are rarely 10 deep)
_NOTATIONS = (
    sparql_prefixes()
    + """
SELECT DISTINCT ?c ?notation WHERE { ?c skos:notation ?notation ; a skos:Concept
  FILTER(STRSTARTS(LCASE(STR(?notation)), ?q)) } LIMIT 50"""
)

_SCHEME_TEXT = (DCT.description, SKOS.definition, RDFS.comment, DC.description)
_SCHEME_TITLES = (SKOS.prefLabel, RDFS.label, DCT.title, DC.title)


@dataclass(frozen=True)
class Link:
    """A linked resource: its label in the reader's language, and whether we describe it."""

    iri: str
    label: str
    known: bool = False
    deprecated: bool = False


@dataclass
class LabelRow:
    kind: str
    language: str
    text: str


@dataclass
class TreeNode:
    iri: str
    label: str
    children: int = 0
    deprecated: bool = False
    expanded: list[TreeNode] | None = None


@dataclass
class ConceptView:
    iri: str
    vocabulary: Vocabulary
    label: str
    labels: list[LabelRow]
    notes: list[LabelRow]
    notations: list[str]
    broader: list[Link]
    narrower: list[Link]
    related: list[Link]
    mappings: list[tuple[str, Link]]
    schemes: list[Link]
    replaced_by: list[Link]
    deprecated: bool
    trail: list[Link] = field(default_factory=list)  # broader concepts, from the top down
    other: list[tuple[str, str, bool]] = field(default_factory=list)  # (property, value, is IRI)
    triples: list[Triple] = field(default_factory=list, repr=False)


@dataclass
class SchemeView:
    iri: str
    vocabulary: Vocabulary
    title: str
    titles: list[LabelRow]
    descriptions: list[LabelRow]
    roots: list[TreeNode]
    total_roots: int
    triples: list[Triple] = field(default_factory=list, repr=False)


class Browser:
    def __init__(self, store: GraphStore, catalogue: Catalogue, usage: ConceptUsage) -> None:
        self.store = store
        self.catalogue = catalogue
        self._usage = usage
        self._roots: ReadCache[list[dict]] = ReadCache(store, keep=16, reading=catalogue.prefix)

    def _select(self, query: str, **bindings: NamedNode | Literal) -> list[dict]:
        return self.store.select(query, scope=Scope.everything(), bindings=bindings)

    def description(self, resource: NamedNode, graph: NamedNode) -> list[Triple]:
        """Every statement about ``resource`` in its vocabulary graph."""
        return self.store.construct(
            _DESCRIPTION, scope=Scope.everything(), bindings={"c": resource, "g": graph}
        )

    # --- a concept ------------------------------------------------------------------------

    def concept(self, iri: str, prefs: LanguagePreference) -> ConceptView | None:
        resource = NamedNode(iri)
        graph = self.catalogue.home_graph(resource)
        vocabulary = self.catalogue.get(graph.value) if graph is not None else None
        if graph is None or vocabulary is None:
            return None
        triples = self.description(resource, graph)
        if not any(t.predicate == RDF.type and t.object == SKOS.Concept for t in triples):
            return None
        return self._concept_view(resource, vocabulary, triples, prefs)

    def _concept_view(
        self,
        resource: NamedNode,
        vocabulary: Vocabulary,
        triples: list[Triple],
        prefs: LanguagePreference,
    ) -> ConceptView:
        values: dict[NamedNode, list] = defaultdict(list)
        for t in triples:
            values[t.predicate].append(t.object)
        incoming = self._select(_INCOMING, c=resource, g=vocabulary.graph)
        broader = _iris(values[SKOS.broader]) | _from(incoming, SKOS.narrower)
        narrower = _iris(values[SKOS.narrower]) | _from(incoming, SKOS.broader)
        related = _iris(values[SKOS.related]) | _from(incoming, SKOS.related)
        mapped = [(kind, o.value) for kind, p in MAPPINGS.items() for o in values[p]]
        schemes = _iris(values[SKOS.inScheme]) | _iris(values[SKOS.topConceptOf])
        replaced = _iris(values[DCT.isReplacedBy])
        linked = broader | narrower | related | schemes | replaced | {iri for _, iri in mapped}
        links = self.links(sorted(linked), prefs)
        pref_labels = [o for o in values[SKOS.prefLabel] if isinstance(o, Literal)]
        return ConceptView(
            iri=resource.value,
            vocabulary=vocabulary,
            label=label_of(pref_labels, resource.value, prefs),
            labels=_rows(values, LABELS, prefs),
            notes=_rows(values, NOTES, prefs),
            notations=sorted(o.value for o in values[SKOS.notation]),
            broader=_sorted_links(broader, links),
            narrower=_sorted_links(narrower, links),
            related=_sorted_links(related, links),
            mappings=[(kind, links[iri]) for kind, iri in mapped],
            schemes=_sorted_links(schemes, links),
            replaced_by=_sorted_links(replaced, links),
            deprecated=any(o.value == "true" for o in values[OWL.deprecated]),
            trail=self.trail(resource, vocabulary.graph, prefs),
            other=_other(triples),
            triples=triples,
        )

    def links(self, iris: list[str], prefs: LanguagePreference) -> dict[str, Link]:
        """A :class:`Link` for each IRI, labelled from any vocabulary that describes it."""
        labels: dict[str, list[Literal]] = defaultdict(list)
        known, deprecated = set(), set()
        for chunk in _chunks(iris, 500):
            query = _LABELS.format(values=values_clause("c", [NamedNode(i) for i in chunk]))
            prefix = Literal(self.catalogue.prefix)
            for row in self._select(query, prefix=prefix):
                iri = row["c"].value
                known.add(iri)
                if isinstance(row.get("label"), Literal):
                    labels[iri].append(row["label"])
                if "deprecated" in row and row["deprecated"].value == "true":
                    deprecated.add(iri)
        return {
            iri: Link(
                iri, label_of(labels.get(iri, []), iri, prefs), iri in known, iri in deprecated
            )
            for iri in iris
        }

    def trail(self, concept: NamedNode, graph: NamedNode, prefs: LanguagePreference) -> list[Link]:
        """The broader concepts above ``concept``, top first: at each step the first broader
        concept by label (a concept with several has several paths; one is shown)."""
        path: list[Link] = []
        current, seen = concept, {concept.value}
        while len(path) < MAX_TRAIL:
            rows = self._select(_BROADER, c=current, g=graph)
            above = sorted({row["up"].value for row in rows} - seen)
            if not above:
                break
            step = _sorted_links(set(above), self.links(above, prefs))[0]
            path.append(step)
            current = NamedNode(step.iri)
            seen.add(step.iri)
        return path[::-1]

    def with_notation(self, typed: str, graph: NamedNode | None) -> dict[str, str]:
        """Concepts whose notation starts with ``typed`` (any case): IRI → notation; in the
        vocabulary ``graph``, else in any vocabulary."""
        text = typed.strip().casefold()
        if not text:
            return {}
        scope = Scope.of([graph.value]) if graph is not None else self.catalogue.scope()
        rows = self.store.select(_NOTATIONS, scope=scope, bindings={"q": Literal(text)})
        return {row["c"].value: row["notation"].value for row in rows}

    def usage(self, concept: NamedNode, scope: Scope) -> int:
        """How many assets within ``scope`` link the concept (by any concept field)."""
        return self._usage.assets(concept, scope)

    # --- a scheme and its tree ------------------------------------------------------------

    def scheme(
        self,
        vocabulary: Vocabulary,
        prefs: LanguagePreference,
        *,
        opened: frozenset[str] = frozenset(),
        page: int = 1,
    ) -> SchemeView | None:
        if vocabulary.scheme is None:
            return None
        resource = NamedNode(vocabulary.scheme.iri)
        triples = self.description(resource, vocabulary.graph)
        values: dict[NamedNode, list] = defaultdict(list)
        for t in triples:
            values[t.predicate].append(t.object)
        roots, total = self.roots(vocabulary.graph, prefs, page)
        for node in roots:
            self._expand(vocabulary.graph, node, prefs, opened)
        titles = [o for p in _SCHEME_TITLES for o in values[p] if isinstance(o, Literal)]
        best = prefs.best(titles)
        return SchemeView(
            iri=resource.value,
            vocabulary=vocabulary,
            title=best.value if best else vocabulary.slug,
            titles=_literal_rows("title", titles, prefs),
            descriptions=_literal_rows(
                "description",
                [o for p in _SCHEME_TEXT for o in values[p] if isinstance(o, Literal)],
                prefs,
            ),
            roots=roots,
            total_roots=total,
            triples=triples,
        )

    def roots(
        self, graph: NamedNode, prefs: LanguagePreference, page: int = 1
    ) -> tuple[list[TreeNode], int]:
        """One page of the tree's roots, by label; and how many roots there are."""
        rows = self._roots.get(graph.value, lambda: self._select(_ROOTS, g=graph))
        ordered = self._labelled(rows, prefs)
        start = (max(page, 1) - 1) * ROOTS_PER_PAGE
        return self._nodes(graph, ordered[start : start + ROOTS_PER_PAGE]), len(ordered)

    def children(self, graph: NamedNode, parent: str, prefs: LanguagePreference) -> list[TreeNode]:
        rows = self._select(_CHILDREN, g=graph, parent=NamedNode(parent))
        return self._nodes(graph, self._labelled(rows, prefs))

    def _expand(
        self, graph: NamedNode, node: TreeNode, prefs: LanguagePreference, opened: frozenset[str]
    ) -> None:
        """Read the children of opened nodes (the tree without JavaScript)."""
        if node.iri not in opened or not node.children:
            return
        node.expanded = self.children(graph, node.iri, prefs)
        for child in node.expanded:
            self._expand(graph, child, prefs, opened - {node.iri})

    def _labelled(self, rows: list[dict], prefs: LanguagePreference) -> list[tuple[str, str]]:
        labels: dict[str, list[Literal]] = defaultdict(list)
        for row in rows:
            labels[row["c"].value]  # noqa: B018 - every concept gets an entry
            if isinstance(row.get("label"), Literal):
                labels[row["c"].value].append(row["label"])
        named = [(iri, label_of(found, iri, prefs)) for iri, found in labels.items()]
        return sorted(named, key=lambda pair: (pair[1].casefold(), pair[0]))

    def _nodes(self, graph: NamedNode, labelled: list[tuple[str, str]]) -> list[TreeNode]:
        if not labelled:
            return []
        values = values_clause("c", [NamedNode(iri) for iri, _ in labelled])
        counts = {
            row["c"].value: int(row["children"].value)
            for row in self._select(_CHILD_COUNTS.format(values=values), g=graph)
        }
        deprecated = {
            row["c"].value for row in self._select(_DEPRECATED.format(values=values), g=graph)
        }
        return [
            TreeNode(iri, label, counts.get(iri, 0), iri in deprecated) for iri, label in labelled
        ]


def _iris(terms: list) -> set[str]:
    return {t.value for t in terms if isinstance(t, NamedNode)}


def _from(rows: list[dict], predicate: NamedNode) -> set[str]:
    return {row["s"].value for row in rows if row["p"] == predicate}


def _sorted_links(iris: set[str], links: dict[str, Link]) -> list[Link]:
    return sorted((links[iri] for iri in iris), key=lambda link: (link.label.casefold(), link.iri))


def _rows(
    values: dict[NamedNode, list], kinds: dict[str, NamedNode], prefs: LanguagePreference
) -> list[LabelRow]:
    rows = []
    for kind, predicate in kinds.items():
        literals = [o for o in values[predicate] if isinstance(o, Literal)]
        rows += _literal_rows(kind, literals, prefs)
    return rows


def _literal_rows(kind: str, literals: list[Literal], prefs: LanguagePreference) -> list[LabelRow]:
    ordered = sorted(literals, key=prefs.literal_key)
    return [LabelRow(kind, literal.language or "", literal.value) for literal in ordered]


_SHOWN = {RDF.type.value, SKOS.notation.value, SKOS.inScheme.value, SKOS.topConceptOf.value,
          SKOS.broader.value, SKOS.narrower.value, SKOS.related.value, OWL.deprecated.value,
          DCT.isReplacedBy.value, *KIND_OF}  # fmt: skip


# Labels and notes shown in their own sections only when they are text.
_LITERAL_ONLY = {p.value for p in (*LABELS.values(), *NOTES.values())}


def _other(triples: list[Triple]) -> list[tuple[str, str, bool]]:
    """Statements the page does not show in a section of its own."""
    rows = [
        (t.predicate.value, t.object.value, isinstance(t.object, NamedNode))
        for t in triples
        if t.predicate.value not in _SHOWN
        or (t.predicate == RDF.type and t.object != SKOS.Concept)
        or (t.predicate.value in _LITERAL_ONLY and not isinstance(t.object, Literal))
    ]
    return sorted(rows)


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
