"""What the graph store keeps of a literal, found by asking the store engine itself.

Oxigraph (the embedded store, and ``oxigraph serve``) keeps a literal of a datatype it knows by
its value, and hands back the canonical form of that value (XSD 1.1 Part 2 canonical mappings):

- lexical forms: ``"1.50"^^xsd:decimal`` becomes ``"1.5"``, ``"007"^^xsd:integer`` ``"7"``,
  ``"1"^^xsd:boolean`` ``"true"``, ``"…T10:00:00+00:00"^^xsd:dateTime`` ``"…T10:00:00Z"``;
- datatypes: every type derived from ``xsd:integer`` (``xsd:int``, ``xsd:long``, ``xsd:short``,
  ``xsd:byte``, ``xsd:nonNegativeInteger``, ``xsd:positiveInteger``, the unsigned ones…) becomes
  ``xsd:integer``, without checking the derived type's range: ``"-1"^^xsd:nonNegativeInteger``,
  which is not a value of its type, is kept as ``"-1"^^xsd:integer``, which is.

The value is kept by the first kind; the second loses the datatype, so a stored record checked
again would be judged by another type than the one written. :func:`stored_forms` answers, for
any literals, what the store will hand back, by putting them in an in-memory store of the same
engine; nothing here lists datatypes.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph
import rdflib
from rdflib.namespace import XSD

from app.storage.terms import to_oxigraph

_PROBE_SUBJECT = pyoxigraph.NamedNode("urn:atrium:stored-literal")


def stored_forms(literals: Iterable[rdflib.Literal]) -> dict[rdflib.Literal, rdflib.Literal]:
    """The typed literals (of those given) that the store would hand back changed, each with
    the form it would hand back. Plain strings and language-tagged text are never changed."""
    typed = [
        literal
        for literal in dict.fromkeys(literals)
        if literal.datatype is not None and literal.datatype != XSD.string
    ]
    if not typed:
        return {}
    probe = pyoxigraph.Store()
    predicates = [pyoxigraph.NamedNode(f"urn:atrium:literal:{n}") for n in range(len(typed))]
    probe.extend(
        pyoxigraph.Quad(_PROBE_SUBJECT, predicate, to_oxigraph(literal))
        for predicate, literal in zip(predicates, typed, strict=True)
    )
    changed = {}
    for predicate, literal in zip(predicates, typed, strict=True):
        stored = next(probe.quads_for_pattern(_PROBE_SUBJECT, predicate, None)).object
        kept = rdflib.Literal(
            stored.value, datatype=rdflib.URIRef(stored.datatype.value), normalize=False
        )
        if (str(kept), kept.datatype) != (str(literal), literal.datatype):
            changed[literal] = kept
    return changed


def stored_datatype(datatype: rdflib.URIRef) -> rdflib.URIRef:
    """The datatype the store keeps values of ``datatype`` under (probed with ``"1"``)."""
    probe = rdflib.Literal("1", datatype=datatype, normalize=False)
    stored = stored_forms([probe]).get(probe)
    return datatype if stored is None else rdflib.URIRef(stored.datatype)


def short_datatype(datatype: rdflib.URIRef | None) -> str:
    text = str(datatype)
    return "xsd:" + text.removeprefix(str(XSD)) if text.startswith(str(XSD)) else f"<{text}>"
