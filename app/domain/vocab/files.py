"""Vocabulary files in and out: parsing (Turtle, RDF/XML, N-Triples, JSON-LD) and export.

Parsing uses rdflib, whose graph skosify and pySHACL also need. Relative IRIs resolve against
``{base}vocab/``, like the shipped vocabularies. Blank nodes become skolem IRIs on the way into
the store (RDF 1.1 Concepts §3.5) and blank nodes again on the way out, so an export reads like
the file that was imported. The CSV export has one row per concept and one column per property
and language, for spreadsheets.

Files come from outside, so parsing fetches nothing and expands nothing:

- JSON-LD may not name a remote document: a ``@context`` (or ``@import``) that is a URL is
  refused before rdflib sees the file, since rdflib would fetch it (a request to any host the
  server reaches). Inline the context instead.
- RDF/XML may not have a document type declaration: ``<!DOCTYPE`` is where entities are declared,
  and nested entities expand exponentially ("billion laughs") or read other files (external
  entities). The check reads only the prolog, with expat, before rdflib parses the file; without
  a DTD, parsing takes time linear in the file's size. Write the IRIs out in full instead.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

import rdflib
from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Triple, serialize

from app.domain.vocab.terms import KIND_OF, LABELS, MAPPINGS, NOTES
from app.namespaces import DCT, OWL, PREFIXES, RDF, SKOS
from app.storage.formats import GRAPH_FORMATS, graph_format
from app.storage.terms import to_oxigraph_triples

# rdflib's parser for each file name ending, from the one format table
PARSERS = {
    f".{suffix}": graph.rdflib
    for graph in GRAPH_FORMATS
    for suffix in (graph.extension, *graph.read_suffixes)
}


@dataclass(frozen=True)
class ExportFormat:
    name: str
    media_type: str
    extension: str
    rdf_format: RdfFormat | None  # None: CSV


EXPORT_FORMATS: dict[str, ExportFormat] = {
    **{g.name: ExportFormat(g.name, g.media_type, g.extension, g.oxigraph) for g in GRAPH_FORMATS},
    "csv": ExportFormat("csv", "text/csv", "csv", None),
}


def export_format(name: str) -> ExportFormat | None:
    """The download format a short name (or an alias: ``rdfxml``, ``turtle``…) stands for."""
    graph = graph_format(name)
    return EXPORT_FORMATS[graph.name] if graph else EXPORT_FORMATS.get(name.strip().lower())


class VocabularyFileError(ValueError):
    """A file that cannot be read as RDF; the message says which file and why."""


class EmptyVocabularyError(VocabularyFileError):
    """A file that parses but holds no statement at all (an empty vocabulary is refused)."""


def read_vocabulary(path: Path, base: str) -> rdflib.Graph:
    """Parse ``path`` by its extension (``.ttl``, ``.rdf``/``.xml``, ``.nt``, ``.jsonld``)."""
    parser = PARSERS.get(path.suffix.lower())
    if parser is None:
        known = ", ".join(sorted(PARSERS))
        raise VocabularyFileError(f"{path.name}: unknown file type; use one of {known}")
    if not path.is_file():
        raise VocabularyFileError(f"{path}: no such file")
    data = path.read_bytes()
    if parser == "json-ld":
        refuse_remote_contexts(data, path.name)
    elif parser == "xml":
        refuse_doctype(data, path.name)
    try:
        return rdflib.Graph().parse(data=data, format=parser, publicID=base)
    except Exception as error:  # rdflib's parsers raise many unrelated types
        raise VocabularyFileError(f"{path.name} is not valid {parser}: {error}") from error


def refuse_remote_contexts(data: bytes, name: str) -> None:
    """VocabularyFileError if the JSON-LD names a remote context (rdflib would fetch it)."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as error:
        raise VocabularyFileError(f"{name} is not valid json-ld: {error}") from error
    pending = [document]
    while pending:  # iterative: a deeply nested document cannot exhaust the stack
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key in ("@context", "@import"):
                    _check_context(value, name)
                pending.append(value)


def _check_context(value: object, name: str) -> None:
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            raise VocabularyFileError(
                f"{name}: refused: the JSON-LD names the remote context {item!r}, and Atrium "
                "fetches nothing while importing a file; put the context in the file instead"
            )


class _Prolog(Exception):
    """Raised by the prolog check: ``doctype`` True if the file has a DOCTYPE."""

    def __init__(self, doctype: bool) -> None:
        self.doctype = doctype


def refuse_doctype(data: bytes, name: str) -> None:
    """VocabularyFileError if the RDF/XML has a document type declaration (entities)."""

    def stop(doctype: bool):  # noqa: ANN202 - an expat handler
        def handler(*_: object) -> None:
            raise _Prolog(doctype)

        return handler

    prolog = expat.ParserCreate()
    prolog.StartDoctypeDeclHandler = stop(True)
    prolog.EntityDeclHandler = stop(True)
    prolog.StartElementHandler = stop(False)  # the root element: past the prolog, no DTD
    try:
        prolog.Parse(data, True)
    except _Prolog as seen:
        if seen.doctype:
            raise VocabularyFileError(
                f"{name}: refused: the RDF/XML has a document type declaration (<!DOCTYPE>), "
                "where entities are declared; Atrium expands no XML entities (they can expand "
                "without bound or read other files); write the IRIs out in full instead"
            ) from None
    except expat.ExpatError:
        pass  # not well-formed: rdflib's parser says where


def to_oxigraph(graph: rdflib.Graph, genid_base: str) -> list[Triple]:
    """The graph's triples as pyoxigraph terms, each blank node replaced by a fresh skolem IRI."""
    skolems: dict[str, NamedNode] = {}

    def skolem(node: rdflib.BNode) -> NamedNode:
        if str(node) not in skolems:
            skolems[str(node)] = NamedNode(f"{genid_base}{uuid.uuid4().hex}")
        return skolems[str(node)]

    try:
        return to_oxigraph_triples(graph, blank_node=skolem)
    except ValueError as error:
        raise VocabularyFileError(f"a term cannot be stored: {error}") from error


def unskolemize(triples: Iterable[Triple], genid_base: str) -> list[Triple]:
    """Skolem IRIs back to blank nodes, for an export."""

    def convert(term):  # noqa: ANN001, ANN202 - any pyoxigraph term
        if isinstance(term, NamedNode) and term.value.startswith(genid_base):
            return BlankNode(term.value[len(genid_base) :])
        return term

    return [Triple(convert(t.subject), t.predicate, convert(t.object)) for t in triples]


def export(triples: list[Triple], fmt: ExportFormat, genid_base: str) -> bytes:
    """The vocabulary's triples in ``fmt``."""
    if fmt.rdf_format is None:
        return concepts_csv(triples).encode("utf-8")
    plain = unskolemize(triples, genid_base)
    return serialize(plain, format=fmt.rdf_format, prefixes=dict(PREFIXES)) or b""


# --- CSV ----------------------------------------------------------------------------------------

_CSV_RELATIONS = {"broader": SKOS.broader, "narrower": SKOS.narrower, "related": SKOS.related}
_CSV_LITERALS = {**LABELS, **NOTES}
_SEPARATOR = " | "


def concepts_csv(triples: list[Triple]) -> str:
    """One row per concept: IRI, notation, a column per label kind and language, relations."""
    rows = _concept_rows(triples)
    literal_columns = sorted({c for row in rows.values() for c in row if "@" in c}, key=_order)
    columns = [
        "iri",
        "notation",
        *literal_columns,
        *_CSV_RELATIONS,
        *MAPPINGS,
        "deprecated",
        "isReplacedBy",
    ]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for iri in sorted(rows):
        row = rows[iri]
        writer.writerow([iri, *(_SEPARATOR.join(sorted(row.get(c, ()))) for c in columns[1:])])
    return out.getvalue()


def _order(column: str) -> tuple[int, str]:
    kind, _, language = column.partition("@")
    return (list(_CSV_LITERALS).index(kind), language)


def _concept_rows(triples: list[Triple]) -> dict[str, dict[str, set[str]]]:
    concepts = {
        t.subject.value for t in triples if t.predicate == RDF.type and t.object == SKOS.Concept
    }
    rows: dict[str, dict[str, set[str]]] = {iri: defaultdict(set) for iri in concepts}
    relations = {p.value: name for name, p in {**_CSV_RELATIONS, **MAPPINGS}.items()}
    for t in triples:
        row = rows.get(t.subject.value)
        if row is None:
            continue
        predicate = t.predicate.value
        if predicate in relations:
            row[relations[predicate]].add(t.object.value)
        elif KIND_OF.get(predicate) in _CSV_LITERALS and isinstance(t.object, Literal):
            row[f"{KIND_OF[predicate]}@{t.object.language or ''}"].add(t.object.value)
        elif t.predicate == SKOS.notation:
            row["notation"].add(t.object.value)
        elif t.predicate == OWL.deprecated:
            row["deprecated"].add(t.object.value)
        elif t.predicate == DCT.isReplacedBy:
            row["isReplacedBy"].add(t.object.value)
    return rows
