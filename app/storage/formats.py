"""The one table of RDF and query-result formats: media type, short name, file extension, and
the name each library knows it by.

The short name is what a user types and a link carries (``?format=``, ``--format``, the
``Link: rel="alternate"`` of every IRI, a vocabulary download); other spellings people use
(``turtle``, ``rdfxml``, ``xml``, ``json-ld``…) stay accepted as aliases, so older links and
scripts keep working. The W3C name is the format's IRI under ``http://www.w3.org/ns/formats/``
(the SPARQL service description's ``sd:resultFormat``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import QueryResultsFormat, RdfFormat


@dataclass(frozen=True)
class GraphFormat:
    """An RDF serialisation of a graph."""

    name: str  # the short name
    media_type: str
    extension: str  # of a file written in it
    oxigraph: RdfFormat
    rdflib: str  # rdflib's parser and serializer name
    w3c: str
    aliases: tuple[str, ...] = ()
    read_suffixes: tuple[str, ...] = ()  # other file name endings read as this format


@dataclass(frozen=True)
class ResultFormat:
    """A serialisation of SELECT and ASK results."""

    name: str
    media_type: str
    extension: str
    oxigraph: QueryResultsFormat
    w3c: str


# In order of preference when a client accepts several equally.
GRAPH_FORMATS: tuple[GraphFormat, ...] = (
    GraphFormat(
        "ttl", "text/turtle", "ttl", RdfFormat.TURTLE, "turtle", "Turtle",
        aliases=("turtle",), read_suffixes=("turtle",),
    ),
    GraphFormat(
        "jsonld", "application/ld+json", "jsonld", RdfFormat.JSON_LD, "json-ld", "JSON-LD",
        aliases=("json-ld",), read_suffixes=("json",),
    ),
    GraphFormat(
        "nt", "application/n-triples", "nt", RdfFormat.N_TRIPLES, "nt", "N-Triples",
        aliases=("ntriples", "n-triples"),
    ),
    GraphFormat(
        "rdf", "application/rdf+xml", "rdf", RdfFormat.RDF_XML, "xml", "RDF_XML",
        aliases=("rdfxml", "rdf-xml", "xml"), read_suffixes=("xml", "owl"),
    ),
)  # fmt: skip
RESULT_FORMATS: tuple[ResultFormat, ...] = (
    ResultFormat(
        "json", "application/sparql-results+json", "json", QueryResultsFormat.JSON,
        "SPARQL_Results_JSON",
    ),
    ResultFormat(
        "xml", "application/sparql-results+xml", "xml", QueryResultsFormat.XML,
        "SPARQL_Results_XML",
    ),
    ResultFormat("csv", "text/csv", "csv", QueryResultsFormat.CSV, "SPARQL_Results_CSV"),
    ResultFormat(
        "tsv", "text/tab-separated-values", "tsv", QueryResultsFormat.TSV, "SPARQL_Results_TSV"
    ),
)  # fmt: skip
# A short name that asks for results and graphs alike: the graph format it stands for.
RESULTS_WITH_GRAPHS = {"json": "jsonld", "xml": "rdf"}

GRAPH_TYPES: dict[str, RdfFormat] = {f.media_type: f.oxigraph for f in GRAPH_FORMATS}
SOLUTION_TYPES: dict[str, QueryResultsFormat] = {f.media_type: f.oxigraph for f in RESULT_FORMATS}
GRAPH_NAMES: list[str] = [f.name for f in GRAPH_FORMATS]
QUERY_FORMAT_NAMES: list[str] = list(
    dict.fromkeys([*(f.name for f in RESULT_FORMATS), *GRAPH_NAMES])
)

_GRAPHS_BY_NAME = {n: f for f in GRAPH_FORMATS for n in (f.name, *f.aliases)}
_RESULTS_BY_NAME = {f.name: f for f in RESULT_FORMATS}
# each results format's name: (its media type, that of the graph format it also stands for)
RESULTS_AND_GRAPHS: dict[str, tuple[str, str | None]] = {
    f.name: (
        f.media_type,
        _GRAPHS_BY_NAME[RESULTS_WITH_GRAPHS[f.name]].media_type
        if f.name in RESULTS_WITH_GRAPHS
        else None,
    )
    for f in RESULT_FORMATS
}


def graph_format(name: str) -> GraphFormat | None:
    """The graph format a short name (or an alias) stands for; None for an unknown name."""
    return _GRAPHS_BY_NAME.get(name.strip().lower())


def graph_format_of_type(media_type: str) -> GraphFormat | None:
    return next((f for f in GRAPH_FORMATS if f.media_type == media_type), None)


def graph_format_of_suffix(suffix: str) -> GraphFormat | None:
    """The graph format a file name ending (``.ttl``, ``.owl``…) says it is written in."""
    wanted = suffix.lower().lstrip(".")
    return next((f for f in GRAPH_FORMATS if wanted in (f.extension, *f.read_suffixes)), None)


def query_formats(name: str) -> tuple[str | None, str | None] | None:
    """The media types a short name asks for: (for SELECT / ASK, for CONSTRUCT / DESCRIBE),
    None where it suits no query of that kind; None for an unknown name."""
    wanted = name.strip().lower()
    if wanted in RESULTS_AND_GRAPHS:
        return RESULTS_AND_GRAPHS[wanted]
    graph = graph_format(wanted)
    return (None, graph.media_type) if graph else None
