"""Writers for SPARQL query results, fed a batch of solutions at a time.

The four result formats of the SPARQL 1.1 recommendations:

- JSON: SPARQL 1.1 Query Results JSON Format (https://www.w3.org/TR/sparql11-results-json/),
  §3.1 head (``vars``, optional ``link``), §3.2 results, §3.2.2 the encoding of RDF terms;
- XML: SPARQL Query Results XML Format, Second Edition (https://www.w3.org/TR/rdf-sparql-XMLres/),
  §2.1 head (``variable``, then ``link``), §2.2 results, §2.3.1 the encoding of RDF terms;
- CSV and TSV: SPARQL 1.1 Query Results CSV and TSV Formats
  (https://www.w3.org/TR/sparql11-results-csv-tsv/): CSV (§2) writes values only, CRLF line
  ends, fields quoted as RFC 4180 says; TSV (§3) writes each term in Turtle / N-Triples syntax.

Why not pyoxigraph's ``QuerySolutions.serialize``: it writes every solution in one call, and an
endpoint needs to stop at the row cap, say so, and send the first rows while the query still
runs. So these writers take one batch of solutions at a time. The tests check that they write
byte for byte what pyoxigraph writes (JSON, XML, CSV), and that pyoxigraph parses them back.
Booleans (ASK) and graphs (CONSTRUCT, DESCRIBE) are written by pyoxigraph itself.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from typing import Protocol
from xml.sax.saxutils import escape

from pyoxigraph import BlankNode, Literal, NamedNode

from app.storage.graphstore import Term

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RESULTS_NS = "http://www.w3.org/2005/sparql-results#"

Row = Sequence[Term | None]


class SolutionWriter(Protocol):
    """Writes one SELECT result: ``head`` once, ``rows`` for each batch, ``tail`` once."""

    def head(self, variables: Sequence[str], links: Sequence[str] = ()) -> bytes: ...

    def rows(self, rows: Iterable[Row]) -> bytes: ...

    def tail(self) -> bytes: ...


def solution_writer(media_type: str) -> SolutionWriter:
    """The writer for one of :data:`app.storage.formats.SOLUTION_TYPES`."""
    writers: dict[str, type[SolutionWriter]] = {
        "application/sparql-results+json": JsonWriter,
        "application/sparql-results+xml": XmlWriter,
        "text/csv": CsvWriter,
        "text/tab-separated-values": TsvWriter,
    }
    return writers[media_type]()


class JsonWriter:
    """SPARQL 1.1 Query Results JSON Format."""

    def __init__(self) -> None:
        self._first = True

    def head(self, variables: Sequence[str], links: Sequence[str] = ()) -> bytes:
        self._names = list(variables)
        head: dict[str, list[str]] = {"vars": self._names}
        if links:
            head["link"] = list(links)
        return f'{{"head":{_json(head)},"results":{{"bindings":['.encode()

    def rows(self, rows: Iterable[Row]) -> bytes:
        parts = []
        for row in rows:
            parts.append(("" if self._first else ",") + _json(_json_row(row, self._names)))
            self._first = False
        return "".join(parts).encode()

    def tail(self) -> bytes:
        return b"]}}"


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json_row(row: Row, names: Sequence[str]) -> dict[str, dict[str, str]]:
    return {name: _json_term(term) for name, term in zip(names, row, strict=True) if term}


def _json_term(term: Term) -> dict[str, str]:
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    encoded = {"type": "literal", "value": term.value}
    if term.language:
        encoded["xml:lang"] = term.language
    elif term.datatype.value != XSD_STRING:
        encoded["datatype"] = term.datatype.value
    return encoded


class XmlWriter:
    """SPARQL Query Results XML Format."""

    def head(self, variables: Sequence[str], links: Sequence[str] = ()) -> bytes:
        declared = "".join(f'<variable name="{_xml(name)}"/>' for name in variables)
        declared += "".join(f'<link href="{_xml(href)}"/>' for href in links)
        self._names = list(variables)
        return (
            f'<?xml version="1.0"?><sparql xmlns="{RESULTS_NS}"><head>{declared}</head><results>'
        ).encode()

    def rows(self, rows: Iterable[Row]) -> bytes:
        return "".join(self._row(row) for row in rows).encode()

    def _row(self, row: Row) -> str:
        bindings = "".join(
            f'<binding name="{_xml(name)}">{_xml_term(term)}</binding>'
            for name, term in zip(self._names, row, strict=True)
            if term
        )
        return f"<result>{bindings}</result>"

    def tail(self) -> bytes:
        return b"</results></sparql>"


def _xml(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _xml_term(term: Term) -> str:
    if isinstance(term, NamedNode):
        return f"<uri>{_xml(term.value)}</uri>"
    if isinstance(term, BlankNode):
        return f"<bnode>{_xml(term.value)}</bnode>"
    if term.language:
        return f'<literal xml:lang="{_xml(term.language)}">{_xml(term.value)}</literal>'
    if term.datatype.value != XSD_STRING:
        return f'<literal datatype="{_xml(term.datatype.value)}">{_xml(term.value)}</literal>'
    return f"<literal>{_xml(term.value)}</literal>"


class CsvWriter:
    """SPARQL 1.1 Query Results CSV: values only (IRIs, lexical forms, ``_:`` blank nodes)."""

    def head(self, variables: Sequence[str], links: Sequence[str] = ()) -> bytes:
        return _csv_lines([list(variables)])

    def rows(self, rows: Iterable[Row]) -> bytes:
        return _csv_lines([[_csv_value(term) for term in row] for row in rows])

    def tail(self) -> bytes:
        return b""


def _csv_lines(records: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(records)
    return buffer.getvalue().encode()


def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    return term.value


# Turtle's short forms of numbers and booleans (Turtle §2.5.2), which TSV §3 allows.
_SHORT_FORMS = {
    "http://www.w3.org/2001/XMLSchema#integer": re.compile(r"[+-]?[0-9]+"),
    "http://www.w3.org/2001/XMLSchema#decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    "http://www.w3.org/2001/XMLSchema#double": re.compile(
        r"[+-]?(?:[0-9]+\.[0-9]*|\.?[0-9]+)[eE][+-]?[0-9]+"
    ),
    "http://www.w3.org/2001/XMLSchema#boolean": re.compile(r"true|false"),
}


def _tsv_term(term: Term | None) -> str:
    """A term in N-Triples syntax (``str()`` of a pyoxigraph term: tabs, newlines escaped)."""
    if term is None:
        return ""
    if isinstance(term, Literal) and not term.language:
        short = _SHORT_FORMS.get(term.datatype.value)
        if short is not None and short.fullmatch(term.value):
            return term.value
    return str(term)


class TsvWriter:
    """SPARQL 1.1 Query Results TSV: ``?name`` headers, terms in N-Triples syntax."""

    def head(self, variables: Sequence[str], links: Sequence[str] = ()) -> bytes:
        return ("\t".join(f"?{name}" for name in variables) + "\n").encode()

    def rows(self, rows: Iterable[Row]) -> bytes:
        lines = ("\t".join(_tsv_term(term) for term in row) for row in rows)
        return "".join(line + "\n" for line in lines).encode()

    def tail(self) -> bytes:
        return b""
