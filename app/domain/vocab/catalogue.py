"""Which vocabularies the store holds, and where a scheme or a concept lives.

A vocabulary (:class:`~app.domain.vocab.model.Vocabulary`) is one named graph
``{base}graphs/vocab/{slug}``. It holds one main concept scheme
(skos:ConceptScheme, SKOS §4) and may declare more (an imported file with several schemes keeps
them together). The main scheme is the one whose slug names the graph, else the one with most
member concepts, else the first by IRI, so the choice never depends on chance.
"""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import urlsplit

from pyoxigraph import Literal, NamedNode

from app.domain.iris import Iris
from app.domain.vocab.model import SchemeInfo, Vocabulary
from app.namespaces import sparql_prefixes
from app.storage.graphstore import GraphStore, Scope
from app.storage.read_cache import ReadCache

# First path segments the web layer uses under /vocab/; a vocabulary slug never takes them.
RESERVED_SLUGS = frozenset(
    {"concept", "scheme", "children", "edit", "new", "merge", "delete", "deprecate", "revert",
     "export", "history", "new-scheme", "edit-scheme", "delete-scheme", "static", "api"}
)  # fmt: skip
# Last path segments too generic to name a vocabulary on their own.
_GENERIC = {"conceptscheme", "scheme", "schema", "vocabulary", "vocab", "thesaurus", "concepts",
            "taxonomy", "index", "onto", "ontology", "skos"}  # fmt: skip
_SLUG_CHARS = re.compile(r"[^a-z0-9]+")
MAX_SLUG = 60

_PREFIX_FILTER = "FILTER(STRSTARTS(STR(?g), ?prefix))"
# Counted over %GRAPH%: every vocabulary graph, or one named graph (see _in_graphs).
_CONCEPT_COUNTS = (
    sparql_prefixes()
    + """
SELECT ?g (COUNT(DISTINCT ?c) AS ?n) WHERE {
  GRAPH %GRAPH% { ?c a skos:Concept } %WHICH%
}
GROUP BY ?g"""
)
_LANGUAGES = (
    sparql_prefixes()
    + """
SELECT ?g ?lang (COUNT(*) AS ?n) WHERE {
  GRAPH %GRAPH% { ?c a skos:Concept ; skos:prefLabel ?label } %WHICH%
  BIND(LANG(?label) AS ?lang)
} GROUP BY ?g ?lang"""
)
_SCHEMES = (
    sparql_prefixes()
    + """
SELECT ?g ?s ?label (COUNT(DISTINCT ?member) AS ?members) WHERE {
  GRAPH %GRAPH% {
    ?s a skos:ConceptScheme .
    OPTIONAL { ?s skos:prefLabel|rdfs:label|dct:title|dc:title ?label }
    OPTIONAL { ?member skos:inScheme|skos:topConceptOf ?s }
  } %WHICH%
} GROUP BY ?g ?s ?label"""
)


def _in_graphs(query: str, graph: NamedNode | None) -> str:
    """``query`` over every vocabulary graph (None), or over ``graph`` alone, named in the
    pattern: given as ``VALUES ?g``, Oxigraph matched the schemes' members in every graph
    first (141 ms beside a 100,000-concept scheme, against 5 ms)."""
    if graph is None:
        return query.replace("%GRAPH%", "?g").replace("%WHICH%", _PREFIX_FILTER)
    return query.replace("%GRAPH%", str(graph)).replace("%WHICH%", f"BIND({graph} AS ?g)")


_GRAPH_OF_SCHEME = (
    sparql_prefixes()
    + f"SELECT ?g WHERE {{ GRAPH ?g {{ ?scheme a skos:ConceptScheme }} {_PREFIX_FILTER} }}"
    + " ORDER BY ?g LIMIT 1"
)
_HOME_GRAPH = (
    sparql_prefixes()
    + f"SELECT ?g WHERE {{ GRAPH ?g {{ ?c a ?type }} {_PREFIX_FILTER} "
    + "FILTER(?type IN (skos:Concept, skos:ConceptScheme)) } ORDER BY ?g LIMIT 1"
)


class Catalogue:
    """Reads which vocabularies there are; every query is limited to vocabulary graphs."""

    def __init__(self, store: GraphStore, iris: Iris) -> None:
        self.store = store
        self.iris = iris
        self.prefix = iris.vocab_graph("").value
        self._loaded: ReadCache[list[Vocabulary]] = ReadCache(store, reading=self.prefix)

    def _select(self, query: str, **bindings: NamedNode | Literal) -> list[dict]:
        bindings["prefix"] = Literal(self.prefix)
        return self.store.select(query, scope=Scope.everything(), bindings=bindings)

    def graphs(self) -> list[NamedNode]:
        found = (g for g in self.store.graphs() if g.value.startswith(self.prefix))
        return sorted(found, key=lambda g: g.value)

    def scope(self) -> Scope:
        """The vocabulary graphs only: what every reader may see of vocabularies."""
        return Scope.of(g.value for g in self.graphs())

    def slug_of(self, graph: NamedNode) -> str:
        return graph.value[len(self.prefix) :]

    def all(self) -> list[Vocabulary]:
        """Every vocabulary, by slug."""
        return self._load(None)

    def _load(self, graph: NamedNode | None) -> list[Vocabulary]:
        """The vocabulary of ``graph`` (None: all of them), with their schemes and counts;
        kept until the store's write count moves (counting a 10,000-concept scheme takes tens
        of milliseconds, on every page of it). Callers read what they get, never change it."""
        key = None if graph is None else graph.value
        return self._loaded.get(key, lambda: self._read(graph))

    def _read(self, graph: NamedNode | None) -> list[Vocabulary]:
        found: dict[str, Vocabulary] = {}

        def rows(query: str) -> list[dict]:
            return self._select(_in_graphs(query, graph))

        def vocabulary(graph: NamedNode) -> Vocabulary:
            slug = self.slug_of(graph)
            return found.setdefault(slug, Vocabulary(slug, graph, []))

        schemes: dict[str, dict[str, SchemeInfo]] = defaultdict(dict)
        for row in rows(_SCHEMES):
            info = schemes[row["g"].value].setdefault(row["s"].value, SchemeInfo(row["s"].value))
            info.members = max(info.members, int(row["members"].value))
            if "label" in row and isinstance(row["label"], Literal):
                info.labels.append(row["label"])
            vocabulary(row["g"])
        for row in rows(_CONCEPT_COUNTS):
            vocabulary(row["g"]).concepts = int(row["n"].value)
        for row in rows(_LANGUAGES):
            languages = vocabulary(row["g"]).languages
            languages[row["lang"].value] = int(row["n"].value)
        for vocab in found.values():
            vocab.schemes = _main_first(vocab.slug, list(schemes[vocab.graph.value].values()))
        return [found[slug] for slug in sorted(found)]

    def get(self, name: str) -> Vocabulary | None:
        """A vocabulary by slug, graph IRI or (main or other) scheme IRI."""
        graph = self.graph_named(name)
        found = self._load(graph) if graph is not None else []
        return found[0] if found else None

    def graph_named(self, name: str) -> NamedNode | None:
        """The graph of a vocabulary named as :meth:`get` takes it, without reading its counts."""
        graphs = {g.value: g for g in self.graphs()}
        for candidate in (name, self.prefix + name):
            if candidate in graphs:
                return graphs[candidate]
        try:
            return self.graph_of_scheme(NamedNode(name)) if ":" in name else None
        except ValueError:  # not an IRI
            return None

    def graph_of_scheme(self, scheme: NamedNode) -> NamedNode | None:
        rows = self._select(_GRAPH_OF_SCHEME, scheme=scheme)
        return rows[0]["g"] if rows else None

    def home_graph(self, resource: NamedNode) -> NamedNode | None:
        """The vocabulary graph that describes a concept or scheme (first by IRI if several)."""
        rows = self._select(_HOME_GRAPH, c=resource)
        return rows[0]["g"] if rows else None

    def new_slug(self, scheme_iri: str) -> str:
        """A slug for a new vocabulary graph: from the scheme IRI, made unique."""
        taken = {self.slug_of(g) for g in self.graphs()}
        base = slug_for(scheme_iri)
        slug, number = base, 2
        while slug in taken:
            slug, number = f"{base}-{number}", number + 1
        return slug


def slug_for(iri: str) -> str:
    """``http://geonetwork-opensource.org/gemet`` → ``gemet``; a generic name gives way to its
    parent (``…/cycle/conceptscheme`` → ``cycle``); reserved names get ``-vocab``."""
    parts = urlsplit(iri)
    segments = [s for s in re.split(r"[/#]", parts.path + "#" + parts.fragment) if s]
    if not segments:
        segments = [parts.netloc or "vocabulary"]
    chosen = segments[-1]
    if chosen.lower() in _GENERIC:
        chosen = segments[-2] if len(segments) > 1 else parts.netloc
    slug = _SLUG_CHARS.sub("-", chosen.lower()).strip("-")[:MAX_SLUG].strip("-") or "vocabulary"
    return f"{slug}-vocab" if slug in RESERVED_SLUGS else slug


def _main_first(slug: str, schemes: list[SchemeInfo]) -> list[SchemeInfo]:
    return sorted(schemes, key=lambda s: (slug_for(s.iri) != slug, -s.members, s.iri))
