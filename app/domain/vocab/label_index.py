"""Every concept label of the vocabularies, in memory, for ``/api/concepts`` as the user types.

A label is found by what starts it or starts one of its words: each label is kept under its
whole folded text and under the text from each of its words on, in one sorted list, so the
labels that start with a prefix are one binary search and a short walk. The index is read in
one query and kept until the store's write count moves (:class:`LabelIndexes`), so the next
keystroke after a taxonomist's edit already sees it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode

from app.namespaces import DCT, OWL, SKOS, sparql_prefixes
from app.storage.graphstore import GraphStore, Scope
from app.storage.read_cache import ReadCache

LABELS = (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)
REMEMBERED_ANSWERS = 4096  # short prefixes' answers kept at most (then forgotten, all at once)

_READ = (
    sparql_prefixes()
    + """
SELECT ?g ?c ?p ?o WHERE {
  GRAPH ?g {
    VALUES ?p { skos:prefLabel skos:altLabel skos:hiddenLabel skos:inScheme dct:isReplacedBy
                owl:deprecated rdf:type }
    ?c ?p ?o }
  FILTER(STRSTARTS(STR(?g), ?prefix))
}"""
)


def fold(text: str) -> str:
    """What a label and what is typed are compared as: spaces collapsed, case folded."""
    return " ".join(text.split()).casefold()


@dataclass
class IndexedConcept:
    graphs: set[str]
    schemes: set[str]
    pref_labels: list[Literal]
    replacement: NamedNode | None = None
    deprecated: bool = False


class LabelIndex:
    """The labels, and what the answer needs of each concept: schemes, graph, prefLabels."""

    def __init__(self, rows: list[dict]) -> None:
        concepts: dict[str, IndexedConcept] = defaultdict(lambda: IndexedConcept(set(), set(), []))
        labels: list[tuple[str, NamedNode, Literal]] = []
        for row in rows:
            iri, predicate, value = row["c"].value, row["p"], row["o"]
            concept = concepts[iri]
            concept.graphs.add(row["g"].value)
            if predicate in LABELS and isinstance(value, Literal):
                labels.append((iri, predicate, value))
                if predicate == SKOS.prefLabel:
                    concept.pref_labels.append(value)
            elif predicate == SKOS.inScheme:
                concept.schemes.add(value.value)
            elif predicate == DCT.isReplacedBy and isinstance(value, NamedNode):
                concept.replacement = value
            elif predicate == OWL.deprecated:
                concept.deprecated = value.value in ("true", "1")
        self._concepts = dict(concepts)
        # The rows the matcher hands on: ?c ?p ?label, and ?replacement for a merged concept.
        self._rows: list[dict] = []
        keyed: list[tuple[str, int]] = []
        for iri, predicate, label in labels:
            concept = self._concepts[iri]
            row = {"c": NamedNode(iri), "p": predicate, "label": label}
            row["folded"] = label.value.casefold()  # as ranking compares it
            if concept.deprecated and concept.replacement is not None:
                row["replacement"] = concept.replacement
            number = len(self._rows)
            self._rows.append(row)
            folded = fold(label.value)
            keyed += [(folded[start:], number) for start in _word_starts(folded)]
        keyed.sort()
        self._keys = [key for key, _ in keyed]
        self._numbers = [number for _, number in keyed]
        self._remembered: dict[Hashable, list[dict]] = {}

    def remember(self, key: Hashable, answer: Callable[[], list[dict]]) -> list[dict]:
        """An answer kept with this index (which a write replaces): ``answer()`` once per key."""
        if key not in self._remembered:
            if len(self._remembered) >= REMEMBERED_ANSWERS:
                self._remembered.clear()
            self._remembered[key] = answer()
        return self._remembered[key]

    @classmethod
    def load(cls, store: GraphStore, graph_prefix: str) -> LabelIndex:
        rows = store.select(
            _READ, scope=Scope.everything(), bindings={"prefix": Literal(graph_prefix)}
        )
        return cls(rows)

    def matching(self, text: str, wanted: Callable[[str, IndexedConcept], bool]) -> Iterator[dict]:
        """The label rows whose text or one of whose words starts with ``text`` (folded), of
        the concepts ``wanted(iri, concept)`` keeps; each row once."""
        seen: set[int] = set()
        start = bisect_left(self._keys, text)
        end = bisect_left(self._keys, text + "\U0010ffff", start)  # past every key with it
        for number in self._numbers[start:end]:
            if number in seen:
                continue
            seen.add(number)
            row = self._rows[number]
            iri = row["c"].value
            if wanted(iri, self._concepts[iri]):
                yield row

    def concept(self, iri: str) -> IndexedConcept | None:
        return self._concepts.get(iri)


def _word_starts(folded: str) -> Iterator[int]:
    yield 0
    for position, character in enumerate(folded):
        if character == " " and position + 1 < len(folded):
            yield position + 1


class LabelIndexes:
    """The label index, read again only when the store's write count moved; None for a store
    without one, which is asked with SPARQL."""

    def __init__(self, store: GraphStore, graph_prefix: str) -> None:
        self.store = store
        self.graph_prefix = graph_prefix
        self._cache: ReadCache[LabelIndex] = ReadCache(store, keep=1, reading=graph_prefix)

    def current(self) -> LabelIndex | None:
        if self.store.write_count() is None:
            return None
        return self._cache.get("labels", lambda: LabelIndex.load(self.store, self.graph_prefix))
