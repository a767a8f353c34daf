"""``/api/concepts?q=``: concepts whose label starts with what the user typed.

Any lexical label matches (skos:prefLabel, altLabel, hiddenLabel: SKOS §5), in any language,
case-insensitively, at the start of the label or of one of its words. The answer shows each
concept by its prefLabel in the reader's language. A deprecated concept that was merged into
another (``dct:isReplacedBy``) is offered as its replacement, so a tagger who types an old term
gets the concept to use now.

For a field (``?field=``, the name of a concept field of a shape) only the concepts it takes
are offered: those of its scheme, or for the subject field those of no scheme a field claims, so
a profile's scheme never shows up among subjects. The fields are read from the shapes on every
request (:mod:`app.domain.shapes.registry`).

Ranking: exact matches first, then matches at the start of the label, then prefLabels before
alternative labels, then shorter labels, then alphabetical order.

The labels are looked up in memory (:mod:`app.domain.vocab.label_index`), read again when a
vocabulary may have changed, so a keystroke costs a binary search; a store that cannot tell
when (no write count) is asked with SPARQL each time.
"""

from __future__ import annotations

import functools
import heapq
from collections import defaultdict
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode

from app.domain.shapes.fields import Field, UnknownField
from app.domain.vocab.catalogue import Catalogue
from app.domain.vocab.label_index import IndexedConcept, LabelIndex, LabelIndexes, fold
from app.domain.vocab.languages import LanguagePreference
from app.domain.vocab.terms import values_clause
from app.domain.vocab.usage import FieldSource
from app.namespaces import SKOS, sparql_prefixes
from app.storage.graphstore import GraphStore, Scope

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
MAX_QUERY_CHARS = 100
_CANDIDATES = 200  # matching labels read (per pass) before ranking
SHORT_PREFIX = 2  # letters: answers to as few are kept with the label index
_PREF_LABEL = SKOS.prefLabel

# One pass over the labels, stopping at _CANDIDATES matches; when it stops there (a short
# prefix), a second pass reads labels that start with the text. No ORDER BY: sorting every
# match of a one-letter prefix costs more than ranking a few hundred candidates in Python.
_MATCHES = (
    sparql_prefixes()
    + f"""
SELECT ?c ?p ?label ?replacement WHERE {{
  VALUES ?p {{ skos:prefLabel skos:altLabel skos:hiddenLabel }}
  ?c ?p ?label .
  FILTER(%(condition)s) %(within)s
  OPTIONAL {{ ?c dct:isReplacedBy ?replacement . ?c owl:deprecated true }}
}} LIMIT {_CANDIDATES}"""
)
_AT_START = "STRSTARTS(LCASE(STR(?label)), ?q)"
_AT_A_WORD = 'CONTAINS(LCASE(STR(?label)), CONCAT(" ", ?q))'
_IN_SCHEME = "?c skos:inScheme ?scheme ."
_NOT_CLAIMED = "MINUS { ?c skos:inScheme ?claimed . %s }"
_PREF_LABELS = (
    sparql_prefixes()
    + """
SELECT ?c ?label ?g WHERE {{
  GRAPH ?g {{ {values} ?c a ?type . OPTIONAL {{ ?c skos:prefLabel ?label }} }}
  FILTER(STRSTARTS(STR(?g), ?prefix))
}}"""
)


@dataclass(frozen=True)
class Suggestion:
    iri: str
    label: str  # the concept's prefLabel in the reader's language
    matched: str  # the label that matched what was typed
    kind: str  # prefLabel, altLabel or hiddenLabel
    language: str
    vocabulary: str  # slug
    replaces: str | None = None  # the deprecated concept whose label matched

    def as_json(self) -> dict[str, str | None]:
        return {
            "iri": self.iri,
            "label": self.label,
            "matched": self.matched,
            "matchedKind": self.kind,
            "matchedLanguage": self.language,
            "vocabulary": self.vocabulary,
            "replaces": self.replaces,
        }


class Autocomplete:
    def __init__(self, store: GraphStore, catalogue: Catalogue, fields: FieldSource) -> None:
        self.store = store
        self.catalogue = catalogue
        self.fields = fields
        self.labels = LabelIndexes(store, catalogue.prefix)

    def field(self, name: str, department: str | None = None) -> Field:
        """The concept field named ``name`` (in ``department``'s profile or the core shape,
        else in any shape); UnknownField if there is none, or it is not a concept field."""
        registry = self.fields()
        if department:
            found = [registry.field(name, department)]
        else:
            short = name.strip().split(":")[-1]
            found = [f for f in registry.all_fields if f.name == short and f.editable]
        concepts = [f for f in found if f.is_concept]
        if not found:
            known = ", ".join(sorted(f.name for f in registry.all_fields if f.is_concept))
            raise UnknownField(f"unknown field {name!r}; concept fields: {known}")
        if not concepts:
            raise UnknownField(f"{name!r} is a {found[0].kind} field, not a concept field")
        if len({f.scheme for f in concepts}) > 1:
            departments = ", ".join(sorted(f.department or "core" for f in concepts))
            raise UnknownField(f"{name!r} names fields of {departments}: give department=")
        return concepts[0]

    def suggest(
        self,
        typed: str,
        prefs: LanguagePreference,
        *,
        graph: NamedNode | None = None,
        field: Field | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> list[Suggestion]:
        """Up to ``limit`` concepts for ``typed``: in the vocabulary ``graph`` (else in any),
        among those ``field`` takes (when given)."""
        text = fold(typed)[:MAX_QUERY_CHARS]
        if not text:
            return []
        limit = max(1, min(limit, MAX_LIMIT))
        index = self.labels.current()
        if index is not None:
            picked = self._indexed_best(index, text, graph, field, limit)
        else:
            picked = _best(self._matches(text, graph, field), text, limit)
        if index is not None:
            concepts = _indexed_concepts(index, picked, prefs)
        else:
            concepts = self._concepts(picked, prefs)
        return [self._suggestion(row, concepts) for row in picked]

    def _indexed_best(
        self,
        index: LabelIndex,
        text: str,
        graph: NamedNode | None,
        field: Field | None,
        limit: int,
    ) -> list[dict]:
        """The best rows from the label index. The answers to one or two letters, which match
        a large part of a big vocabulary, are kept with the index (until the next write)."""
        if len(text) > SHORT_PREFIX:
            return _best(self._indexed_matches(index, text, graph, field), text, limit)
        key = (text, graph, field.name if field else None, field.department if field else None)
        return index.remember(
            (*key, limit),
            lambda: _best(self._indexed_matches(index, text, graph, field), text, limit),
        )

    def _indexed_matches(
        self, index: LabelIndex, text: str, graph: NamedNode | None, field: Field | None
    ) -> list[dict]:
        """As :meth:`_matches`, from the label index: the same concepts are wanted."""
        scheme, claimed = None, frozenset[str]()
        if field is not None and field.scheme is not None:
            scheme = field.scheme
            graph = graph or self.catalogue.graph_of_scheme(NamedNode(scheme))
            if graph is None:
                return []
        elif field is not None:
            claimed = frozenset(self.fields().claimed_schemes)
        within = graph.value if graph is not None else None

        def wanted(_iri: str, concept: IndexedConcept) -> bool:
            return (
                (within is None or within in concept.graphs)
                and (scheme is None or scheme in concept.schemes)
                and not (claimed and concept.schemes & claimed)
            )

        return list(index.matching(text, wanted))

    def _matches(self, text: str, graph: NamedNode | None, field: Field | None) -> list[dict]:
        """Matching labels, read over the vocabulary graphs (or the one asked for) only: for a
        field with a scheme, over that scheme's vocabulary graph."""
        bindings: dict[str, NamedNode | Literal] = {"q": Literal(text)}
        within = ""
        if field is not None and field.scheme is not None:
            within, bindings["scheme"] = _IN_SCHEME, NamedNode(field.scheme)
            graph = graph or self.catalogue.graph_of_scheme(NamedNode(field.scheme))
            if graph is None:  # no vocabulary holds the scheme (yet)
                return []
        elif field is not None and (claimed := sorted(self.fields().claimed_schemes)):
            within = _NOT_CLAIMED % values_clause("claimed", [NamedNode(s) for s in claimed])
        scope = Scope.of([graph.value]) if graph is not None else self.catalogue.scope()
        rows = self._select(f"{_AT_START} || {_AT_A_WORD}", within, scope, bindings)
        if len(rows) >= _CANDIDATES:  # a short prefix: make sure labels that start with it count
            rows = self._select(_AT_START, within, scope, bindings) + rows
        return rows

    def _select(self, condition: str, within: str, scope: Scope, bindings: dict) -> list[dict]:
        query = _MATCHES % {"condition": condition, "within": within}
        return self.store.select(query, scope=scope, bindings=bindings)

    def _concepts(
        self, rows: list[dict], prefs: LanguagePreference
    ) -> dict[str, tuple[str, NamedNode]]:
        """Each suggested concept's prefLabel in the reader's language, and its vocabulary."""
        if not rows:
            return {}
        concepts = list(dict.fromkeys(row.get("replacement", row["c"]) for row in rows))
        query = _PREF_LABELS.format(values=values_clause("c", concepts))
        labels: dict[str, list[Literal]] = defaultdict(list)
        graphs: dict[str, NamedNode] = {}
        bindings = {"prefix": Literal(self.catalogue.prefix)}
        for row in self.store.select(query, scope=Scope.everything(), bindings=bindings):
            iri = row["c"].value
            graphs[iri] = min(graphs.get(iri, row["g"]), row["g"], key=str)
            if isinstance(row.get("label"), Literal):
                labels[iri].append(row["label"])
        return {
            iri: (best.value if (best := prefs.best(labels[iri])) else "", graph)
            for iri, graph in graphs.items()
        }

    def _suggestion(self, row: dict, concepts: dict[str, tuple[str, NamedNode]]) -> Suggestion:
        replacement = row.get("replacement")
        concept = (replacement or row["c"]).value
        label, graph = concepts.get(concept, ("", None))
        return Suggestion(
            iri=concept,
            label=label or row["label"].value,
            matched=row["label"].value,
            kind=row["p"].value.rsplit("#", 1)[-1],
            language=row["label"].language or "",
            vocabulary=self.catalogue.slug_of(graph) if graph is not None else "",
            replaces=row["c"].value if replacement is not None else None,
        )


def _indexed_concepts(
    index: LabelIndex, rows: list[dict], prefs: LanguagePreference
) -> dict[str, tuple[str, NamedNode]]:
    """As :meth:`Autocomplete._concepts`, from the label index."""
    found = {}
    for row in rows:
        iri = row.get("replacement", row["c"]).value
        concept = index.concept(iri)
        if concept is not None and concept.graphs:
            best = prefs.best(concept.pref_labels)
            found[iri] = (best.value if best else "", NamedNode(min(concept.graphs)))
    return found


def _rank(row: dict, text: str) -> tuple[int, int, int, int, str]:
    label = row["label"].value
    folded = row.get("folded") or label.casefold()
    pref_label_first = row["p"] != _PREF_LABEL
    return (folded != text, not folded.startswith(text), pref_label_first, len(label), folded)


def _best(rows: list[dict], text: str, limit: int) -> list[dict]:
    """The rows of the first ``limit`` concepts by rank. Past a few hundred rows (a short
    prefix) only the best few hundred are sorted, which gives the same answer unless they hold
    fewer than ``limit`` concepts; then all are."""
    key = functools.partial(_rank, text=text)
    if len(rows) > _CANDIDATES:
        picked = _first_per_concept(heapq.nsmallest(_CANDIDATES, rows, key=key), limit)
        if len(picked) == limit:
            return picked
    return _first_per_concept(sorted(rows, key=key), limit)


def _first_per_concept(rows: list[dict], limit: int) -> list[dict]:
    seen: set[str] = set()
    picked = []
    for row in rows:
        concept = row.get("replacement", row["c"]).value
        if concept not in seen:
            seen.add(concept)
            picked.append(row)
        if len(picked) == limit:
            break
    return picked
