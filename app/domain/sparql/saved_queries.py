"""Saved queries: named SPARQL queries with a stable URL, kept as RDF in the graph.

Each lives at ``{base}queries/{name}``, in the named graph ``{base}graphs/queries``::

    <{base}queries/{name}> a dam:SavedQuery ;
        dct:identifier "{name}" ; dct:title "…" ; dct:description "…" ;
        sp:text "SELECT …" ;                     # SPIN (https://spinrdf.org/sp.html#sp-text)
        dct:creator <{base}users/{user}> ; dct:created "…"^^xsd:dateTime ;
        dct:modified "…"^^xsd:dateTime .

Parameters: a variable the query uses but does not return can be given a value in the URL
(``?segment=…``). The value is a bound value: each ``?segment`` becomes the term, strictly
escaped (:func:`app.domain.sparql.text.bind_values`), and a query where a parser could read a
``?segment`` the scan does not see is refused rather than run with it unbound;
:func:`parse_value` reads it as Turtle would (``<IRI>``, ``dam:Public``, ``"text"@en``,
``"2027"^^xsd:gYear``, ``42``, ``4.5``, ``true``), as an ``xsd:date`` when it is written
``2027-12-31``, and as a plain string otherwise. A variable the query returns (``SELECT ?x``)
cannot be a parameter: the parser would find a value where the projection needs a name.

The parser decides, in a query worker (:meth:`SparqlService.prepare`), never in this process:
pyoxigraph's parser can overflow its stack on a deeply nested text and kill the process it runs
in. Nothing is evaluated there, and the parse takes the caller's share of the workers like a
query. The answers are cached by text (:data:`PARAMETER_CACHE` texts).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Triple, parse

from app.domain.iris import Iris
from app.domain.sparql.service import Caller, SparqlService
from app.domain.sparql.text import QueryRefused, variables
from app.messages import M_, message_of
from app.namespaces import DAM, DCT, PREFIXES, RDF, XSD, Namespace
from app.storage.graphstore import (
    GraphStore,
    QuerySyntaxError,
    Scope,
    Term,
    data_block,
    update_request,
)

SP = Namespace("http://spinrdf.org/sp#")
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
RESERVED_PARAMETERS = {"format"}
PARAMETER_CACHE = 256  # query texts whose parameters are remembered

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
    # The variables a URL may give a value to (used, but not returned, by the query), as the
    # parser says: set on what SavedQueries.get and .save return, None where not worked out.
    parameters: list[str] | None = field(default=None, compare=False)


class SavedQueries:
    def __init__(self, store: GraphStore, iris: Iris, sparql: SparqlService) -> None:
        self.store = store
        self.iris = iris
        self.graph = iris.graph("queries")
        self._sparql = sparql
        self._parsed: OrderedDict[str, tuple[str, ...]] = OrderedDict()  # newest last
        self._parsed_lock = threading.Lock()

    def iri(self, name: str) -> NamedNode:
        return self.iris.saved_query(name)

    def all(self) -> list[SavedQuery]:
        """Every saved query (without its parameters: see :meth:`get`)."""
        rows = self.store.select(_LIST, scope=Scope.everything(), bindings={"graph": self.graph})
        return [_from_row(row) for row in rows]

    def get(self, name: str, caller: Caller | None = None) -> SavedQuery | None:
        """The query of that name, with its parameters (StoreError if no worker answered)."""
        query = self._find(name)
        if query is None:
            return None
        try:
            parameters = self.parameters(query.sparql, caller)
        except QuerySyntaxError:  # saved before a rule that now refuses it: it cannot run
            parameters = []
        return replace(query, parameters=parameters)

    def parameters(self, sparql: str, caller: Caller | None = None) -> list[str]:
        """The variables of ``sparql`` a URL may give a value to (QuerySyntaxError, StoreError).

        Worked out by a query worker, in ``caller``'s share, unless the text is in the cache."""
        with self._parsed_lock:
            if sparql in self._parsed:
                self._parsed.move_to_end(sparql)
                return list(self._parsed[sparql])
        found = tuple(self._sparql.prepare(sparql, caller))
        with self._parsed_lock:
            self._parsed[sparql] = found
            while len(self._parsed) > PARAMETER_CACHE:
                self._parsed.popitem(last=False)
        return list(found)

    def save(self, query: SavedQuery, caller: Caller | None = None) -> SavedQuery:
        """Store a new query, or replace the one of that name (keeping its creation date)."""
        parameters = check_saved_query(query, lambda text: self.parameters(text, caller))
        earlier = self._find(query.name)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        saved = SavedQuery(
            name=query.name,
            title=query.title.strip(),
            sparql=query.sparql,
            description=query.description.strip(),
            creator=earlier.creator if earlier and earlier.creator else query.creator,
            created=earlier.created if earlier and earlier.created else now,
            modified=now,
            parameters=parameters,
        )
        quads = (Quad(t.subject, t.predicate, t.object, self.graph) for t in self.triples(saved))
        self.store.update(
            update_request(_DELETE, data_block("INSERT", quads)),
            bindings={"graph": self.graph, "query": self.iri(saved.name)},
            graphs={self.graph.value},
        )
        return saved

    def delete(self, name: str) -> bool:
        if self._find(name) is None:
            return False
        bindings = {"graph": self.graph, "query": self.iri(name)}
        self.store.update(_DELETE, bindings=bindings, graphs={self.graph.value})
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

    def _find(self, name: str) -> SavedQuery | None:
        return next((query for query in self.all() if query.name == name), None)


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


def check_saved_query(query: SavedQuery, parameters: Callable[[str], list[str]]) -> list[str]:
    """Refuse a bad name, an empty title, or a query that is not valid, read-only SPARQL.

    ``parameters`` checks and parses the text (:meth:`SavedQueries.parameters`); returned are the
    query's parameters. StoreError when no query worker answered.
    """
    if not NAME.match(query.name):
        raise SavedQueryError(
            M_(
                "the name must be 1 to 63 lowercase letters, digits and hyphens, like "
                "assets-per-department; it becomes part of the query's URL"
            )
        )
    if not query.title.strip():
        raise SavedQueryError(M_("give the query a title"))
    try:
        found = parameters(query.sparql)  # parsed in a query worker, over an empty store
    except QueryRefused as error:
        raise SavedQueryError(message_of(error) or str(error)) from error
    except QuerySyntaxError as error:
        invalid = M_("the query is not valid SPARQL 1.1: %(detail)s", detail=str(error))
        raise SavedQueryError(invalid) from error
    clash = RESERVED_PARAMETERS & set(found)
    if clash:
        raise SavedQueryError(
            M_(
                "rename the variable ?%(name)s: it is a reserved URL parameter",
                name=min(clash),
            )
        )
    return found


def bindings_from(query: SavedQuery, arguments: Mapping[str, str]) -> dict[str, Term]:
    """The bound values that URL arguments give to the query's variables.

    ``query`` comes from :meth:`SavedQueries.get`, which works out its parameters.
    """
    parameters = query.parameters or []
    names = set(arguments) - RESERVED_PARAMETERS
    returned = sorted(names & variables(query.sparql) - set(parameters))
    if returned:
        raise SavedQueryError(
            f"?{returned[0]} is returned by the query, so it cannot be given a value; "
            f"this query's parameters: {', '.join(parameters) or 'none'}"
        )
    unknown = sorted(names - set(parameters))
    if unknown:
        raise SavedQueryError(
            f"unknown parameter {', '.join(unknown)}; "
            f"this query's parameters: {', '.join(parameters) or 'none'}"
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
