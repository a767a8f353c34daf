"""The one converter between rdflib and pyoxigraph terms, both ways.

Every term keeps what RDF says it is:

- a literal keeps its exact lexical form (rdflib would make ``"007"`` of ``xsd:integer``
  ``"7"``; validation and deletion both depend on the form written, so rdflib literals are
  made with ``normalize=False``), its datatype, and its language tag;
- an ill-typed literal (``"abc"^^xsd:integer``) passes through unchanged, for SHACL to judge;
- ``xsd:string`` literals become plain rdflib literals, the form rdflib's own parsers give;
- a blank node keeps its label (or, going to pyoxigraph, is replaced by whatever
  ``blank_node`` returns, such as a skolem IRI).

An RDF 1.2 base direction, which rdflib cannot hold, is dropped; triple terms (RDF-star) raise
``TypeError``. A term pyoxigraph refuses (a malformed IRI, a bad language tag) raises
``ValueError`` saying which term.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import pyoxigraph
import rdflib
from rdflib.term import Node

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

OxigraphTerm = pyoxigraph.NamedNode | pyoxigraph.BlankNode | pyoxigraph.Literal
RdflibTerm = rdflib.URIRef | rdflib.BNode | rdflib.Literal
BlankNodeMapper = Callable[[rdflib.BNode], pyoxigraph.NamedNode | pyoxigraph.BlankNode]


def to_oxigraph(term: Node, blank_node: BlankNodeMapper | None = None) -> OxigraphTerm:
    """The pyoxigraph term for an rdflib one (``blank_node`` maps blank nodes, if given)."""
    try:
        if isinstance(term, rdflib.BNode):
            return blank_node(term) if blank_node else pyoxigraph.BlankNode(str(term))
        if isinstance(term, rdflib.URIRef):
            return pyoxigraph.NamedNode(str(term))
        if isinstance(term, rdflib.Literal):
            return _oxigraph_literal(term)
    except ValueError as error:
        raise ValueError(f"{_shown(term)} cannot be stored: {error}") from None
    raise TypeError(f"cannot convert {term!r} to a pyoxigraph term")


def to_oxigraph_triples(
    triples: Iterable[tuple[Node, Node, Node]], blank_node: BlankNodeMapper | None = None
) -> list[pyoxigraph.Triple]:
    """The rdflib triples (a graph, say) as pyoxigraph triples."""
    return [
        pyoxigraph.Triple(
            to_oxigraph(s, blank_node), to_oxigraph(p, blank_node), to_oxigraph(o, blank_node)
        )
        for s, p, o in triples
    ]


def to_rdflib(term: object) -> RdflibTerm:
    """The rdflib term for a pyoxigraph one."""
    if isinstance(term, pyoxigraph.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, pyoxigraph.Literal):
        return _rdflib_literal(term)
    raise TypeError(f"cannot convert {term!r} to an rdflib term")


def to_rdflib_graph(
    triples: Iterable[pyoxigraph.Triple | pyoxigraph.Quad],
    namespaces: Mapping[str, str] | None = None,
) -> rdflib.Graph:
    """An rdflib graph of pyoxigraph triples (or quads: their graph name is dropped), with the
    ``namespaces`` (prefix → IRI, such as a parser's ``prefixes``) bound."""
    graph = rdflib.Graph()
    for prefix, namespace in (namespaces or {}).items():
        graph.bind(prefix, namespace, override=True, replace=True)
    for triple in triples:
        graph.add(
            (to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object))
        )
    return graph


def _shown(term: Node) -> str:
    if isinstance(term, rdflib.Literal):
        suffix = f"@{term.language}" if term.language else f"^^<{term.datatype or XSD_STRING}>"
        return f'"{term}"{suffix}'
    return f"<{term}>" if isinstance(term, rdflib.URIRef) else f"_:{term}"


def _oxigraph_literal(literal: rdflib.Literal) -> pyoxigraph.Literal:
    lexical = str(literal)
    if literal.language:
        return pyoxigraph.Literal(lexical, language=literal.language)
    datatype = str(literal.datatype) if literal.datatype is not None else XSD_STRING
    return pyoxigraph.Literal(lexical, datatype=pyoxigraph.NamedNode(datatype))


def _rdflib_literal(literal: pyoxigraph.Literal) -> rdflib.Literal:
    if literal.language:
        return rdflib.Literal(literal.value, lang=literal.language)
    datatype = literal.datatype.value
    if datatype == XSD_STRING:
        return rdflib.Literal(literal.value)
    return rdflib.Literal(literal.value, datatype=rdflib.URIRef(datatype), normalize=False)
