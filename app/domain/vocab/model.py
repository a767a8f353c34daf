"""The one SKOS model (in the style of Skosmos): a :class:`Vocabulary` and its :class:`Concept`\\ s.

A vocabulary is one named graph ``{base}graphs/vocab/{slug}`` holding a main concept scheme
(SKOS §4); :class:`~app.domain.vocab.catalogue.Catalogue` finds them. A concept is what SKOS
says of it (§5 labels, §8 hierarchy, a merge recorded as ``owl:deprecated`` and
``dct:isReplacedBy``). Which label a reader sees is decided in one place,
:class:`~app.domain.vocab.languages.LanguagePreference`, for every surface.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode

from app.domain.vocab.languages import LanguagePreference, as_preference


@dataclass
class SchemeInfo:
    iri: str
    labels: list[Literal] = field(default_factory=list)
    members: int = 0


@dataclass
class Vocabulary:
    """One vocabulary graph: its slug, main scheme, size and languages."""

    slug: str
    graph: NamedNode
    schemes: list[SchemeInfo]
    concepts: int = 0
    languages: dict[str, int] = field(default_factory=dict)

    @property
    def scheme(self) -> SchemeInfo | None:
        return self.schemes[0] if self.schemes else None

    def title(self, prefs: LanguagePreference) -> str:
        scheme = self.scheme
        best = prefs.best(scheme.labels) if scheme else None
        return best.value if best else self.slug


@dataclass
class Concept:
    """A concept as the reader's scope shows it."""

    iri: str
    pref_labels: dict[str, str] = field(default_factory=dict)  # language ("" for none) → label
    labels: list[str] = field(default_factory=list)  # every lexical label, any language
    broader: set[str] = field(default_factory=set)
    narrower: set[str] = field(default_factory=set)
    schemes: set[str] = field(default_factory=set)
    replaced_by: set[str] = field(default_factory=set)
    notation: str | None = None
    deprecated: bool = False

    def add_pref_label(self, label: Literal) -> None:
        """Keep one prefLabel per language: the first by text, so the choice never depends on
        the order the store gives them in."""
        language = label.language or ""
        kept = self.pref_labels.get(language)
        if kept is None or label.value < kept:
            self.pref_labels[language] = label.value

    def label(self, language: str | LanguagePreference) -> str:
        """The prefLabel the reader sees, else the notation, else the IRI's local name."""
        return (
            as_preference(language).best_text(self.pref_labels)
            or self.notation
            or local_name(self.iri)
        )


def label_of(labels: list[Literal], iri: str, prefs: LanguagePreference) -> str:
    """The label the reader sees of ``labels`` (a resource's prefLabels), else its local name."""
    best = prefs.best(labels)
    return best.value if best else local_name(iri)


def local_name(iri: str) -> str:
    """``…/vocab/subjects/bicycle`` → ``bicycle``: the name of a resource with no label."""
    return iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1] or iri
