"""The SKOS terms Atrium reads and edits, grouped as the editor and the browser use them.

Labels (SKOS §5), documentation notes (§7), semantic relations (§8) and mapping properties
(§10) of the SKOS Reference, https://www.w3.org/TR/skos-reference/.
"""

from __future__ import annotations

from pyoxigraph import NamedNode

from app.namespaces import SKOS

LABELS: dict[str, NamedNode] = {
    "prefLabel": SKOS.prefLabel,
    "altLabel": SKOS.altLabel,
    "hiddenLabel": SKOS.hiddenLabel,
}
NOTES: dict[str, NamedNode] = {
    "definition": SKOS.definition,
    "scopeNote": SKOS.scopeNote,
    "note": SKOS.note,
    "example": SKOS.example,
    "historyNote": SKOS.historyNote,
    "editorialNote": SKOS.editorialNote,
    "changeNote": SKOS.changeNote,
}
MAPPINGS: dict[str, NamedNode] = {
    "exactMatch": SKOS.exactMatch,
    "closeMatch": SKOS.closeMatch,
    "broadMatch": SKOS.broadMatch,
    "narrowMatch": SKOS.narrowMatch,
    "relatedMatch": SKOS.relatedMatch,
}
KIND_OF: dict[str, str] = {
    predicate.value: kind for kind, predicate in (LABELS | NOTES | MAPPINGS).items()
}

# Blank nodes of imported files are stored as skolem IRIs (RDF 1.1 Concepts §3.5) under
# {base}.well-known/genid/, so that every stored triple can be deleted exactly.
GENID_PATH = ".well-known/genid/"


def values_clause(variable: str, terms: list[NamedNode]) -> str:
    """``VALUES ?variable { <a> <b> }`` with each IRI strictly escaped (N-Triples syntax)."""
    return f"VALUES ?{variable} {{ {' '.join(str(term) for term in terms)} }}"
