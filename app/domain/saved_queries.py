"""Saved queries: named SPARQL queries with a stable URL, kept as RDF in the graph.

Each lives at ``{base}queries/{name}``, in the named graph ``{base}graphs/queries``::

    <{base}queries/{name}> a dam:SavedQuery ;
        dct:identifier "{name}" ; dct:title "…" ; dct:description "…" ;
        sp:text "SELECT …" ;                     # SPIN (https://spinrdf.org/sp.html#sp-text)
        dct:creator <{base}users/{user}> ; dct:created "…"^^xsd:dateTime ;
        dct:modified "…"^^xsd:dateTime .

Parameters: a variable the query uses but does not return can be given a value in the URL
(``?segment=…``). The value is a bound value, passed like every user value in Atrium through the
store's ``bindings=`` (each ``?segment`` becomes the term, strictly escaped by pyoxigraph);
:func:`parse_value` reads it as Turtle would (``<IRI>``, ``dam:Public``, ``"text"@en``,
``"2027"^^xsd:gYear``, ``42``, ``4.5``, ``true``), as an ``xsd:date`` when it is written
``2027-12-31``, and as a plain string otherwise. A variable the query returns (``SELECT ?x``)
cannot be a parameter: the parser would find a value where the projection needs a name.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store, Triple, parse

from app.domain.iris import Iris
from app.domain.sparql_service import check_query
from app.domain.sparql_text import variables
from app.namespaces import DAM, DCT, PREFIXES, RDF, XSD, Namespace
from app.storage.graphstore import (
    GraphStore,
    QuerySyntaxError,
    Scope,
    StoreError,
    Term,
    data_block,
    substitute,
    update_request,
)

SP = Namespace("http://spinrdf.org/sp#")
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
RESERVED_PARAMETERS = {"format"}

_LIST = """
PREFIX dam: <https://w3id.org/atrium/ns#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX sp: <http://spinrdf.org/sp#>
SELECT ?query ?name ?title ?description ?text ?creator ?created ?modified WHERE {
  GRAPH ?graph {
    ?query a dam:SavedQuery ; dct:identifier ?name ; dct:title ?title ; sp:text ?text .
    OPTIONAL { ?query dct:description ?description }
    OPTIONAL { ?query dct:creator ?creator }
    OPTIONAL { ?query dct:created ?created }
    OPTIONAL { ?query dct:modified ?modified }
  }
}
ORDER BY LCASE(STR(?title))
"""
_DELETE = "DELETE WHERE { GRAPH ?graph { ?query ?p ?o } }"


class SavedQueryError(ValueError):
    """A saved query or a parameter value was refused; the message says why."""


@dataclass(frozen=True)
class SavedQuery:
    name: str
    title: str
    sparql: str
    description: str = ""
    creator: str | None = None  # the IRI of the user who saved it
    created: str | None = None
    modified: str | None = None

    @property
    def parameters(self) -> list[str]:
        """The variables a URL may give a value to (used, but not returned, by the query)."""
        return bindable_variables(self.sparql)


class SavedQueries:
    def __init__(self, store: GraphStore, iris: Iris) -> None:
        self.store = store
        self.iris = iris
        self.graph = iris.graph("queries")

    def iri(self, name: str) -> NamedNode:
        return NamedNode(f"{self.iris.base}queries/{name}")

    def all(self) -> list[SavedQuery]:
        rows = self.store.select(_LIST, scope=Scope.everything(), bindings={"graph": self.graph})
        return [_from_row(row) for row in rows]

    def get(self, name: str) -> SavedQuery | None:
        return next((query for query in self.all() if query.name == name), None)

    def save(self, query: SavedQuery) -> SavedQuery:
        """Store a new query, or replace the one of that name (keeping its creation date)."""
        check_saved_query(query)
        earlier = self.get(query.name)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        saved = SavedQuery(
            name=query.name,
            title=query.title.strip(),
            sparql=query.sparql,
            description=query.description.strip(),
            creator=earlier.creator if earlier and earlier.creator else query.creator,
            created=earlier.created if earlier and earlier.created else now,
            modified=now,
        )
        quads = (Quad(t.subject, t.predicate, t.object, self.graph) for t in self.triples(saved))
        self.store.update(
            update_request(_DELETE, data_block("INSERT", quads)),
            bindings={"graph": self.graph, "query": self.iri(saved.name)},
        )
        return saved

    def delete(self, name: str) -> bool:
        if self.get(name) is None:
            return False
        self.store.update(_DELETE, bindings={"graph": self.graph, "query": self.iri(name)})
        return True

    def triples(self, query: SavedQuery) -> list[Triple]:
        """The query's description, as stored and as its IRI dereferences to."""
        iri = self.iri(query.name)
        triples = [
            Triple(iri, RDF.type, DAM.SavedQuery),
            Triple(iri, DCT.identifier, Literal(query.name)),
            Triple(iri, DCT.title, Literal(query.title)),
            Triple(iri, SP.text, Literal(query.sparql)),
        ]
        if query.description:
            triples.append(Triple(iri, DCT.description, Literal(query.description)))
        if query.creator:
            triples.append(Triple(iri, DCT.creator, NamedNode(query.creator)))
        for predicate, value in ((DCT.created, query.created), (DCT.modified, query.modified)):
            if value:
                triples.append(Triple(iri, predicate, Literal(value, datatype=XSD.dateTime)))
        return triples


def _from_row(row: Mapping[str, Term]) -> SavedQuery:
    def text(name: str) -> str | None:
        return row[name].value if name in row else None

    return SavedQuery(
        name=row["name"].value,
        title=row["title"].value,
        sparql=row["text"].value,
        description=text("description") or "",
        creator=text("creator"),
        created=text("created"),
        modified=text("modified"),
    )


def check_saved_query(query: SavedQuery) -> None:
    """Refuse a bad name, an empty title, or a query that is not valid, read-only SPARQL."""
    if not NAME.match(query.name):
        raise SavedQueryError(
            "the name must be 1 to 63 lowercase letters, digits and hyphens, like "
            "assets-per-department; it becomes part of the query's URL"
        )
    if not query.title.strip():
        raise SavedQueryError("give the query a title")
    try:
        check_query(query.sparql)
        Store().query(query.sparql)  # parses it, over an empty store: nothing is read
    except (QuerySyntaxError, SyntaxError) as error:
        raise SavedQueryError(f"the query is not valid SPARQL 1.1: {error}") from error
    clash = RESERVED_PARAMETERS & set(query.parameters)
    if clash:
        raise SavedQueryError(f"rename the variable ?{min(clash)}: it is a reserved URL parameter")


@functools.lru_cache(maxsize=256)
def bindable_variables(sparql: str) -> list[str]:
    """The variables that still leave a valid query when bound (the parser decides)."""
    probe = NamedNode("urn:atrium:parameter")
    bindable = []
    for name in sorted(variables(sparql)):
        try:
            Store().query(substitute(sparql, {name: probe}))
        except (SyntaxError, StoreError):
            continue
        bindable.append(name)
    return bindable


def bindings_from(query: SavedQuery, arguments: Mapping[str, str]) -> dict[str, Term]:
    """The bound values that URL arguments give to the query's variables."""
    names = set(arguments) - RESERVED_PARAMETERS
    returned = sorted(names & variables(query.sparql) - set(query.parameters))
    if returned:
        raise SavedQueryError(
            f"?{returned[0]} is returned by the query, so it cannot be given a value; "
            f"this query's parameters: {', '.join(query.parameters) or 'none'}"
        )
    unknown = sorted(names - set(query.parameters))
    if unknown:
        raise SavedQueryError(
            f"unknown parameter {', '.join(unknown)}; "
            f"this query's parameters: {', '.join(query.parameters) or 'none'}"
        )
    return {name: parse_value(arguments[name]) for name in sorted(names)}


def parse_value(text: str) -> Term:
    """A parameter's value: a Turtle term, an ISO date, or else a plain string."""
    text = text.strip()
    if _ISO_DATE.match(text):
        try:
            return Literal(dt.date.fromisoformat(text).isoformat(), datatype=XSD.date)
        except ValueError as error:
            raise SavedQueryError(f"{text!r} is not a date: {error}") from None
    term = _turtle_term(text)
    return term if term is not None else Literal(text)


def _turtle_term(text: str) -> Term | None:
    """``text`` as the object of one Turtle triple, or None if it is not exactly one term."""
    prologue = "".join(f"@prefix {name}: <{iri}> .\n" for name, iri in PREFIXES.items())
    document = f"{prologue}<urn:x:s> <urn:x:p> {text} ."
    try:
        quads = list(parse(document, format=RdfFormat.TURTLE))
    except SyntaxError:
        return None
    if len(quads) != 1 or quads[0].subject != NamedNode("urn:x:s"):
        return None
    value = quads[0].object
    return value if isinstance(value, NamedNode | Literal) else None
