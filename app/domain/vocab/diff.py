"""What a new version of a vocabulary changed, concept by concept.

A concept is a resource typed skos:Concept (SKOS §3). Between two versions a concept is
*added* or *removed*, *relabelled* when its lexical labels changed (skos:prefLabel, altLabel,
hiddenLabel, SKOS §5), and *moved* when its broader concepts changed (skos:broader, or
skos:narrower stated on the parent, SKOS §8).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from pyoxigraph import Literal, Triple

from app.domain.vocab.terms import LABELS
from app.namespaces import RDF, SKOS

_LABEL_PREDICATES = set(LABELS.values())


@dataclass
class VocabularyDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    relabelled: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # a label to name each concept

    def summary(self) -> str:
        return (
            f"{len(self.added):,} concepts added, {len(self.removed):,} removed, "
            f"{len(self.relabelled):,} relabelled, {len(self.moved):,} moved"
        )

    def named(self, iri: str) -> str:
        label = self.labels.get(iri)
        return f'"{label}" <{iri}>' if label else f"<{iri}>"


@dataclass
class _Snapshot:
    concepts: set[str] = field(default_factory=set)
    labels: dict[str, set[tuple[str, str, str]]] = field(default_factory=lambda: defaultdict(set))
    broader: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, triples: Iterable[Triple]) -> _Snapshot:
        snapshot = cls()
        for t in triples:
            snapshot._add(t)
        return snapshot

    def _add(self, t: Triple) -> None:
        subject = t.subject.value
        if t.predicate == RDF.type and t.object == SKOS.Concept:
            self.concepts.add(subject)
        elif t.predicate in _LABEL_PREDICATES and isinstance(t.object, Literal):
            self.labels[subject].add((t.predicate.value, t.object.language or "", t.object.value))
            if t.predicate == SKOS.prefLabel:
                english = (t.object.language or "").lower().startswith("en")
                if english or subject not in self.names:
                    self.names[subject] = t.object.value
        elif t.predicate == SKOS.broader:
            self.broader[subject].add(t.object.value)
        elif t.predicate == SKOS.narrower:
            self.broader[t.object.value].add(subject)


def diff_versions(old: Iterable[Triple], new: Iterable[Triple]) -> VocabularyDiff:
    before, after = _Snapshot.of(old), _Snapshot.of(new)
    kept = before.concepts & after.concepts
    return VocabularyDiff(
        added=sorted(after.concepts - before.concepts),
        removed=sorted(before.concepts - after.concepts),
        relabelled=sorted(c for c in kept if before.labels[c] != after.labels[c]),
        moved=sorted(c for c in kept if before.broader[c] != after.broader[c]),
        labels={**before.names, **after.names},
    )
