"""What the concept editor edits: a concept's labels, notes, notations and links, as a draft.

A draft holds only the statements the editor manages: literal labels (SKOS §5) and notes
(§7) with their language, plain notations (§6), and links to other concepts: broader and
related (§8) and mappings (§10). Everything else a concept says (types, scheme membership,
typed notations, SKOS-XL labels, custom properties) is kept as it is.

Links are typed by the taxonomist as an IRI or as a label of a concept of the same vocabulary;
:meth:`Editor.save` resolves them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode, Triple

from app.domain.vocab.terms import LABELS, MAPPINGS, NOTES
from app.namespaces import SKOS, XSD

LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$")
ABSOLUTE_IRI = re.compile(r"^[a-z][a-z0-9+.-]*:[^\s<>\"{}|\\^`]+$", re.IGNORECASE)

_LITERAL_KINDS = {**LABELS, **NOTES}


def label_slug(label: str) -> str:
    """The local name a new concept gets from its label: ``Frühjahrskollektion 2026`` →
    ``fruhjahrskollektion-2026`` (accents dropped; empty when nothing of it is ASCII)."""
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_label.lower()).strip("-")


_LINKS = {SKOS.broader, SKOS.related, *MAPPINGS.values()}


@dataclass
class ConceptDraft:
    """A concept as the edit form shows it; rows with empty text are ignored."""

    labels: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, language, text)
    notes: list[tuple[str, str, str]] = field(default_factory=list)
    notations: list[str] = field(default_factory=list)
    broader: list[str] = field(default_factory=list)  # IRIs or labels
    related: list[str] = field(default_factory=list)
    mappings: list[tuple[str, str]] = field(default_factory=list)  # (kind, IRI)

    @classmethod
    def of(cls, concept: NamedNode, triples: list[Triple], parents: list[str]) -> ConceptDraft:
        """The draft of a stored concept (``parents``: broader, stated either way)."""
        draft = cls(broader=sorted(parents))
        kinds = {p: k for k, p in _LITERAL_KINDS.items()}
        mapping_kinds = {p: k for k, p in MAPPINGS.items()}
        for t in sorted(managed(concept, triples), key=str):
            if t.predicate in kinds:
                row = (kinds[t.predicate], t.object.language or "", t.object.value)
                (draft.labels if kinds[t.predicate] in LABELS else draft.notes).append(row)
            elif t.predicate == SKOS.notation:
                draft.notations.append(t.object.value)
            elif t.predicate == SKOS.related:
                draft.related.append(t.object.value)
            elif t.predicate in mapping_kinds:
                draft.mappings.append((mapping_kinds[t.predicate], t.object.value))
        return draft

    def cleaned(self) -> ConceptDraft:
        """The draft without empty rows, texts trimmed, language tags lower-cased."""

        def rows(items: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
            return [
                (kind.strip(), language.strip().lower(), " ".join(text.split()))
                for kind, language, text in items
                if text.strip()
            ]

        return ConceptDraft(
            labels=rows(self.labels),
            notes=rows(self.notes),
            notations=[n.strip() for n in self.notations if n.strip()],
            broader=list(dict.fromkeys(b.strip() for b in self.broader if b.strip())),
            related=list(dict.fromkeys(r.strip() for r in self.related if r.strip())),
            mappings=[(k.strip(), i.strip()) for k, i in self.mappings if i.strip()],
        )

    def problems(self) -> dict[str, list[str]]:
        """Input the editor refuses before any quality gate, by form field."""
        found: dict[str, list[str]] = {}
        for field_name, rows, kinds in (
            ("labels", self.labels, LABELS),
            ("notes", self.notes, NOTES),
        ):
            for kind, language, text in rows:
                if kind not in kinds:
                    found.setdefault(field_name, []).append(f"unknown kind {kind!r}")
                if not LANGUAGE_TAG.match(language):
                    found.setdefault(field_name, []).append(
                        f'"{text}" needs a language tag, like en or de-CH (got {language!r})'
                    )
        if not any(kind == "prefLabel" for kind, _, _ in self.labels):
            found.setdefault("labels", []).append("a concept needs a prefLabel")
        for kind, iri in self.mappings:
            if kind not in MAPPINGS:
                found.setdefault("mappings", []).append(f"unknown mapping {kind!r}")
            if not ABSOLUTE_IRI.match(iri):
                found.setdefault("mappings", []).append(f"{iri!r} is not an IRI")
        return found

    def statements(
        self, concept: NamedNode, broader: list[NamedNode], related: list[NamedNode]
    ) -> list[Triple]:
        """The managed statements this draft makes about ``concept`` (links resolved)."""
        triples = [
            Triple(concept, _LITERAL_KINDS[kind], Literal(text, language=language))
            for kind, language, text in (*self.labels, *self.notes)
        ]
        triples += [Triple(concept, SKOS.notation, Literal(n)) for n in self.notations]
        triples += [Triple(concept, SKOS.broader, b) for b in broader]
        triples += [Triple(concept, SKOS.related, r) for r in related]
        triples += [Triple(concept, MAPPINGS[k], NamedNode(i)) for k, i in self.mappings]
        return list(dict.fromkeys(triples))


@dataclass
class SchemeDraft:
    """A scheme's names (skos:prefLabel) and descriptions (dct:description), per language."""

    titles: list[tuple[str, str]] = field(default_factory=list)  # (language, text)
    descriptions: list[tuple[str, str]] = field(default_factory=list)

    def cleaned(self) -> SchemeDraft:
        def rows(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
            return [(lang.strip().lower(), " ".join(t.split())) for lang, t in items if t.strip()]

        return SchemeDraft(rows(self.titles), rows(self.descriptions))

    def problems(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        if not self.titles:
            found["titles"] = ["a scheme needs a name"]
        for name, rows in (("titles", self.titles), ("descriptions", self.descriptions)):
            for language, text in rows:
                if not LANGUAGE_TAG.match(language):
                    found.setdefault(name, []).append(f'"{text}" needs a language tag, like en')
        return found


def managed(concept: NamedNode, triples: list[Triple]) -> list[Triple]:
    """The statements about ``concept`` that the concept editor manages."""
    return [t for t in triples if t.subject == concept and is_managed(t)]


def is_managed(t: Triple) -> bool:
    if t.predicate in _LITERAL_KINDS.values():
        return isinstance(t.object, Literal) and (
            bool(t.object.language) or t.object.datatype == XSD.string
        )
    if t.predicate == SKOS.notation:
        return isinstance(t.object, Literal) and t.object.datatype == XSD.string
    return t.predicate in _LINKS and isinstance(t.object, NamedNode)
