"""The shared SKOS vocabularies as Atrium uses them: installing the shipped schemes, and
finding concepts by IRI, notation or label.

Labels match case-insensitively in any language (SKOS §5: prefLabel, altLabel and hiddenLabel
are all lexical labels of a concept).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, parse

from app.domain.iris import Iris
from app.namespaces import DAM, DCT, RDF, SKOS, sparql_prefixes
from app.storage.graphstore import GraphStore, Scope, Term

if TYPE_CHECKING:
    from app.domain.shapes.fields import Field
    from app.domain.shapes.registry import FieldRegistry

RESOURCES = Path(__file__).resolve().parents[2]
VOCABULARY_DIR = RESOURCES / "vocabularies"
ONTOLOGY_FILE = RESOURCES / "ontologies" / "atrium.ttl"
SHAPES_DIR = RESOURCES / "shapes"


class UnknownConcept(ValueError):
    """No concept (or more than one) answers to a name."""


def read_turtle(path: Path, base_iri: str) -> list[Triple]:
    return [
        quad.triple for quad in parse(path=str(path), format=RdfFormat.TURTLE, base_iri=base_iri)
    ]


def install_shipped(store: GraphStore, iris: Iris) -> list[str]:
    """Load the ontology, and each shipped vocabulary that is not in the store yet, into its
    own graph; returns the slugs of the shipped vocabularies.

    A vocabulary already in the store is kept as it is: taxonomists may have edited it since.
    ``atrium vocab import vocabularies/NAME.ttl`` replaces it with the file, on purpose.
    """
    store.replace_graph(iris.ontology_graph, read_turtle(ONTOLOGY_FILE, iris.vocab_base))
    present = {graph.value for graph in store.graphs()}
    slugs = []
    for path in sorted(VOCABULARY_DIR.glob("*.ttl")):
        graph = iris.vocab_graph(path.stem)
        if graph.value not in present:
            store.replace_graph(graph, read_turtle(path, iris.vocab_base))
        slugs.append(path.stem)
    return slugs


_DEPARTMENTS = sparql_prefixes() + "SELECT ?n WHERE { ?d skos:inScheme ?s ; skos:notation ?n }"


def department_names(store: GraphStore, fields: FieldRegistry) -> list[str]:
    """The departments' short names (``skos:notation``), in order: the concepts of the scheme
    that the department field (``dam:department``) takes its values from."""
    owner = fields.by_path(DAM.department.value)
    if owner is None or owner.scheme is None:
        return []
    scheme = {"s": NamedNode(owner.scheme)}
    rows = store.select(_DEPARTMENTS, scope=Scope.everything(), bindings=scheme)
    return sorted({row["n"].value for row in rows})


_CONCEPTS = (
    sparql_prefixes()
    + """
SELECT ?c ?p ?o WHERE {
  GRAPH ?g {
    ?c a skos:Concept ; ?p ?o .
    FILTER(?p IN (skos:prefLabel, skos:altLabel, skos:hiddenLabel, skos:inScheme, skos:notation,
                  rdf:type, dct:isReplacedBy))
  }
  FILTER(STRSTARTS(STR(?g), ?vocabularies))
}"""
)


@dataclass
class ConceptIndex:
    """An in-memory index of every concept's labels, schemes and notations, as the
    vocabulary graphs hold them.

    Kept (:meth:`app.service.Atrium.concepts`) until a write may have changed a vocabulary
    graph; cheap next to one query per keyword.
    """

    iris: Iris
    fields: FieldRegistry
    by_label: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_notation: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    schemes: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    context: dict[str, list[Triple]] = field(default_factory=lambda: defaultdict(list))
    replaced_by: dict[str, str] = field(default_factory=dict)  # merged concept → its successor

    @classmethod
    def load(cls, store: GraphStore, iris: Iris, fields: FieldRegistry) -> ConceptIndex:
        index = cls(iris, fields)
        vocabularies = Literal(iris.vocab_graph("").value)
        rows = store.select(
            _CONCEPTS, scope=Scope.everything(), bindings={"vocabularies": vocabularies}
        )
        for row in rows:
            index._add(row["c"], row["p"], row["o"])
        return index

    def _add(self, concept: NamedNode, predicate: NamedNode, value: Term) -> None:
        iri = concept.value
        if predicate == DCT.isReplacedBy:
            self.replaced_by[iri] = value.value
            return
        if predicate in (RDF.type, SKOS.inScheme):
            self.context[iri].append(Triple(concept, predicate, value))
        if predicate == SKOS.inScheme:
            self.schemes[iri].add(value.value)
        elif predicate == SKOS.notation:
            self.by_notation[value.value].add(iri)
        elif predicate != RDF.type:
            self.by_label[value.value.casefold()].add(iri)

    def scheme_iri(self, slug: str) -> str:
        return self.iris.vocab_base + slug

    def in_scheme(self, iri: str, slug: str) -> bool:
        return self.scheme_iri(slug) in self.schemes.get(iri, ())

    def current(self, iri: str) -> str:
        """The concept to tag with now: a merged concept's successor (dct:isReplacedBy)."""
        seen = {iri}
        while iri in self.replaced_by and self.replaced_by[iri] not in seen:
            iri = self.replaced_by[iri]
            seen.add(iri)
        return iri

    def resolve(self, name: str, slug: str | None = None) -> NamedNode:
        """A concept by IRI, notation or label; within scheme ``slug`` when given. A concept
        merged into another resolves to the one it was merged into."""
        return NamedNode(self.current(self._resolve(name, slug).value))

    def _resolve(self, name: str, slug: str | None) -> NamedNode:
        name = name.strip()
        if name in self.schemes and (slug is None or self.in_scheme(name, slug)):
            return NamedNode(name)
        # A notation is only unique within its scheme, so it names a concept only with one.
        by_notation = self.by_notation.get(name) if slug is not None else None
        candidates = by_notation or self.by_label.get(name.casefold(), set())
        found = {self.current(c) for c in candidates if slug is None or self.in_scheme(c, slug)}
        where = f" in the {slug} scheme" if slug else ""
        if not found:
            raise UnknownConcept(f"no concept named {name!r}{where}")
        if len(found) > 1:
            raise UnknownConcept(
                f"{name!r} names {len(found)} concepts{where}; "
                f"give its IRI: {', '.join(sorted(found))}"
            )
        return NamedNode(found.pop())

    def resolve_for(self, field: Field, name: str) -> NamedNode:
        """A value of a concept field: a concept of its scheme, or for the subject field a
        concept of a scheme no field claims."""
        if field.scheme is not None:
            return self.resolve(name, field.scheme.removeprefix(self.iris.vocab_base))
        return self.resolve_subject(name)

    def is_subject(self, iri: str) -> bool:
        """Whether the concept belongs to a subject scheme (one that no concept field claims)."""
        schemes = self.schemes.get(iri, set())
        return bool(schemes) and not schemes & self.fields.claimed_schemes

    def resolve_subject(self, name: str) -> NamedNode:
        """A subject to tag with, by IRI, notation or label; a label that a claimed scheme
        shares (``Events`` is a subject and a channel) means the subject."""
        name = name.strip()
        if name in self.schemes:
            if not self.is_subject(name):
                raise UnknownConcept(
                    f"{name} is not a subject: its scheme belongs to another field"
                )
            return NamedNode(self.current(name))
        subject = self.subject_for_keyword(name)
        if subject is None:
            matches = {self.current(c) for c in self.by_label.get(name.casefold(), ())}
            subjects = {c for c in matches if self.is_subject(c)}
            if len(subjects) > 1:
                raise UnknownConcept(
                    f"{name!r} names {len(subjects)} subjects; give its IRI: "
                    + ", ".join(sorted(subjects))
                )
            raise UnknownConcept(f"no subject named {name!r}")
        return subject

    def subject_for_keyword(self, keyword: str) -> NamedNode | None:
        """The one subject concept whose label is ``keyword``, or None (no match, or ambiguous)."""
        found = {
            self.current(c)
            for c in self.by_label.get(keyword.strip().casefold(), ())
            if self.is_subject(c)
        }
        return NamedNode(found.pop()) if len(found) == 1 else None

    def context_triples(self, concepts: list[NamedNode]) -> list[Triple]:
        """The rdf:type and skos:inScheme triples that validation needs about linked concepts."""
        return [t for c in concepts for t in self.context.get(c.value, ())]
