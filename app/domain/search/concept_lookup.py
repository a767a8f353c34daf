"""The concepts a reader may see, as search looks them up: labels, hierarchy and merges.

The concepts (:class:`~app.domain.vocab.model.Concept`) are read from the vocabulary graphs
with one query through the reader's scope, and kept until a write may have changed one of those
graphs (:mod:`app.storage.read_cache`): an asset saved is no reason to read GEMET's 50,000
labels again (0.7 s). So a taxonomist's edit (a new label, a concept moved, two concepts
merged) shows in the very next search with no reindex: the search index stores only which
concepts an asset is tagged with, never their labels or their place in the hierarchy.

Rules of the SKOS Reference (https://www.w3.org/TR/skos-reference/) applied here:

- §5 Lexical labels: prefLabel, altLabel and hiddenLabel are all labels of a concept, in any
  language; search matches all three, display uses the prefLabel in the reader's language.
- §8 Semantic relations: skos:broader and skos:narrower are inverses, so either one stated is
  enough; the hierarchy is followed transitively (the meaning of skos:broaderTransitive), and a
  cycle in bad data cannot loop.
- A merge is recorded the usual way, the retired concept marked ``owl:deprecated true`` and
  ``dct:isReplacedBy`` its successor: a retired concept is a synonym of its successor, so its
  labels find what the successor finds, and assets still tagged with it count under the
  successor.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from functools import cached_property

from pyoxigraph import Literal

from app.domain.iris import Iris
from app.domain.search.stems import word_stems
from app.domain.search.text import words
from app.domain.vocab.languages import LanguagePreference
from app.domain.vocab.model import Concept
from app.namespaces import DCT, OWL, SKOS, sparql_prefixes
from app.storage.graphstore import GraphStore, Scope

CACHED_SCOPES = 64  # readers' scopes whose lookups are kept (one per department mix)

_VOCABULARY = (
    sparql_prefixes()
    + """
SELECT ?c ?p ?o WHERE {
  VALUES ?p { skos:prefLabel skos:altLabel skos:hiddenLabel skos:broader skos:narrower
              skos:inScheme skos:notation owl:deprecated dct:isReplacedBy }
  GRAPH ?g { ?c ?p ?o }
  FILTER(STRSTARTS(STR(?g), ?vocabularies))
}"""
)


class ConceptLookup:
    """Every concept the reader may see, with the look-ups search and facets need."""

    def __init__(self, concepts: dict[str, Concept], iris: Iris) -> None:
        self.concepts = concepts
        self.iris = iris
        self._roots: dict[tuple[str | None, frozenset[str]], list[str]] = {}
        # A search shows some 130 labels and counts some 80 subtrees: each worked out once
        # for the lookup's life (it never changes; a write makes a new one).
        self._labels: dict[tuple[str, str | LanguagePreference], str] = {}
        self._subtrees: dict[str, frozenset[str]] = {}
        self._replaces: dict[str, set[str]] = defaultdict(set)
        for concept in concepts.values():
            for successor in concept.replaced_by:
                self._replaces[successor].add(concept.iri)

    @classmethod
    def load(cls, store: GraphStore, scope: Scope, iris: Iris) -> ConceptLookup:
        """The vocabulary graphs as ``scope`` shows them, in one query."""
        found: dict[str, Concept] = {}
        vocabularies = {"vocabularies": Literal(iris.vocab_graph("").value)}
        for row in store.select(_VOCABULARY, scope=scope, bindings=vocabularies):
            subject = row["c"].value
            concept = found.get(subject) or found.setdefault(subject, Concept(subject))
            _add(concept, row["p"].value, row["o"], found)
        # Only what is in a scheme or a hierarchy is a concept (schemes have labels too).
        concepts = {iri: c for iri, c in found.items() if c.schemes or c.broader or c.narrower}
        for concept in concepts.values():
            concept.broader &= concepts.keys()
            concept.narrower &= concepts.keys()
        return cls(concepts, iris)

    # Labels ---------------------------------------------------------------------------------

    def label(self, iri: str, language: str | LanguagePreference = "en") -> str:
        """The concept's prefLabel as the reader's languages choose it
        (:class:`~app.domain.vocab.languages.LanguagePreference`), else its notation, else its
        name."""
        label = self._labels.get((iri, language))
        if label is None:
            label = (self.concepts.get(iri) or Concept(iri)).label(language)
            self._labels[(iri, language)] = label
        return label

    @cached_property
    def _words(self) -> dict[str, set[str]]:
        """Each folded word of any label → the concepts with a label holding it."""
        index: dict[str, set[str]] = defaultdict(set)
        for concept in self.concepts.values():
            for label in concept.labels:
                for word in words(label):
                    index[word].add(concept.iri)
        return index

    def concepts_named(self, word: str, *, prefix: bool) -> set[str]:
        """Concepts with a label word equal to ``word`` (or starting with it, if ``prefix``)."""
        if not prefix:
            return set(self._words.get(word, ()))
        return {c for known, found in self._words.items() if known.startswith(word) for c in found}

    @property
    def label_words(self) -> Iterable[str]:
        """Every folded word of every label (the "did you mean" candidates)."""
        return self._words.keys()

    @cached_property
    def _stems(self) -> dict[str, set[str]]:
        """Stem (:mod:`.stems`) → the label words of that stem."""
        index: dict[str, set[str]] = {}
        for known in self._words:
            for stem in word_stems(known):
                index.setdefault(stem, set()).add(known)
        return index

    def matching(self, word: str, *, prefix: bool, stems: Iterable[str] = ()) -> set[str]:
        """What a search word finds: the concepts it names, their successors, and all narrower.

        A label word it inflects also names them: one that shares a stem with it and that it
        starts with ("bicycles": "bicycle", "fahrrader": "fahrrad"), not any of that stem
        ("cycling" is not "cycle").

        An asset tagged with any of these matches, so "vehicle" finds an asset tagged "bicycle"
        (narrower), and a retired concept's label finds assets tagged with its successor.
        """
        found: set[str] = set()
        named = self.concepts_named(word, prefix=prefix)
        for stem in stems:
            for known in self._stems.get(stem, ()):
                if word.startswith(known):
                    named |= self._words[known]
        for concept in named:
            for current in self.successors(concept):
                found |= self.subtree(current)
        return found

    # Hierarchy ------------------------------------------------------------------------------

    def successors(self, iri: str) -> set[str]:
        """The concept itself, or what it was merged into (followed to the end of the chain)."""
        seen, todo, final = set(), [iri], set()
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            replacements = self.concepts[current].replaced_by if current in self.concepts else ()
            if replacements:
                todo.extend(replacements)
            else:
                final.add(current)
        return final or {iri}

    def subtree(self, iri: str) -> frozenset[str]:
        """The concept, everything narrower (transitively), and every concept merged into any.

        Selecting a concept finds assets tagged with any of these; its count counts them.
        """
        found = self._subtrees.get(iri)
        if found is None:
            found = self._subtrees[iri] = frozenset(self._closure([iri], self._down))
        return found

    def ancestors(self, iri: str) -> set[str]:
        """Everything broader than the concept, transitively (the concept itself left out)."""
        return self._closure(self._up(iri), self._up)

    def children(self, iri: str) -> list[str]:
        """The narrower concepts that are in use (not retired), for the tree."""
        concept = self.concepts.get(iri)
        return (
            sorted(c for c in concept.narrower if not self.concepts[c].deprecated)
            if concept
            else []
        )

    def roots(self, scheme: str | None = None, claimed: Collection[str] = ()) -> list[str]:
        """The tops of a concept tree: the live concepts of ``scheme`` with nothing broader in
        it. ``scheme`` None is the subject tree: the concepts of every scheme not ``claimed``
        by a field (:attr:`~app.domain.shapes.registry.FieldRegistry.claimed_schemes`)."""
        key = (scheme, frozenset(claimed))
        if key not in self._roots:
            members = self._members(scheme, key[1])
            self._roots[key] = sorted(
                iri
                for iri in members
                if not self.concepts[iri].deprecated and not self.concepts[iri].broader & members
            )
        return self._roots[key]

    def _members(self, scheme: str | None, claimed: frozenset[str]) -> set[str]:
        if scheme is not None:
            return set(self._by_scheme.get(scheme, ()))
        return {iri for iri, c in self.concepts.items() if c.schemes and not c.schemes & claimed}

    @cached_property
    def _by_scheme(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = defaultdict(set)
        for concept in self.concepts.values():
            for scheme in concept.schemes:
                found[scheme].add(concept.iri)
        return found

    def schemes_of(self, iri: str) -> set[str]:
        """The schemes the concept is in (none for an unknown IRI)."""
        concept = self.concepts.get(iri)
        return set(concept.schemes) if concept else set()

    def _down(self, iri: str) -> Iterable[str]:
        concept = self.concepts.get(iri)
        yield from concept.narrower if concept else ()
        yield from self._replaces.get(iri, ())

    def _up(self, iri: str) -> Iterable[str]:
        concept = self.concepts.get(iri)
        return concept.broader if concept else ()

    @staticmethod
    def _closure(start: Iterable[str], step) -> set[str]:  # noqa: ANN001 - a neighbour function
        seen: set[str] = set()
        todo = list(start)
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(step(current))
        return seen


def _add(concept: Concept, predicate: str, value, found: dict[str, Concept]) -> None:  # noqa: ANN001
    if predicate in (SKOS.prefLabel.value, SKOS.altLabel.value, SKOS.hiddenLabel.value):
        if predicate == SKOS.prefLabel.value:
            concept.add_pref_label(value)
        concept.labels.append(value.value)
    elif predicate == SKOS.broader.value:
        concept.broader.add(value.value)
        found.setdefault(value.value, Concept(value.value)).narrower.add(concept.iri)
    elif predicate == SKOS.narrower.value:
        concept.narrower.add(value.value)
        found.setdefault(value.value, Concept(value.value)).broader.add(concept.iri)
    elif predicate == SKOS.inScheme.value:
        concept.schemes.add(value.value)
    elif predicate == SKOS.notation.value:
        concept.notation = value.value
    elif predicate == OWL.deprecated.value:
        concept.deprecated = isinstance(value, Literal) and value.value in ("true", "1")
    elif predicate == DCT.isReplacedBy.value:
        concept.replaced_by.add(value.value)
