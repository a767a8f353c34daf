"""The quality shapes' SPARQL constraints (SHACL §5), run by Oxigraph rather than by rdflib.

The rules that look at a vocabulary as a whole (cycles, one prefLabel per language, labels shared
within a scheme, links out of the vocabulary…) are SPARQL-based constraints of shapes that target
the vocabulary node. pySHACL evaluates them with rdflib, which parses each query again on every
run and walks property paths in Python: on a 5,000-concept neighbourhood, most of a gate's time.
Here each such shape is read once from the shapes graph and run on an in-memory Oxigraph store,
with the SHACL semantics the shapes use: ``$this`` is the vocabulary, each solution is a result
with ``?value``, and ``{?name}`` in ``sh:message`` is replaced by the solution's ``?name``, in
each language the shape gives a message in (SHACL allows one ``sh:message`` per language).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import rdflib
from pyoxigraph import Quad, Store
from rdflib.namespace import SH

from app.domain.shapes.fields import Texts, texts_by_language
from app.storage.graphstore import solution_rows
from app.storage.terms import to_oxigraph_triples

_PLACEHOLDER = re.compile(r"\{[?$](\w+)\}")


@dataclass(frozen=True)
class Solution:
    """One result of a vocabulary-wide rule: the shape, the node it is about, the message in
    each language."""

    shape: rdflib.term.Node
    value: str
    messages: Texts
    severity: rdflib.term.Node


@dataclass(frozen=True)
class _Rule:
    shape: rdflib.term.Node
    query: str
    messages: Texts
    severity: rdflib.term.Node


class VocabularyRules:
    """The SPARQL constraints of the shapes that target ``target`` (the vocabulary class)."""

    def __init__(self, shapes: rdflib.Graph, target: rdflib.URIRef) -> None:
        self.shapes = frozenset(shapes.subjects(SH.targetClass, target))
        self._rules = [
            _rule(shapes, shape, constraint)
            for shape in sorted(self.shapes)
            for constraint in shapes.objects(shape, SH.sparql)
        ]

    def solutions(self, data: Iterable) -> Iterator[Solution]:
        """Every result of the rules over ``data`` (rdflib triples)."""
        store = Store()
        store.extend(Quad(t.subject, t.predicate, t.object) for t in to_oxigraph_triples(data))
        for rule in self._rules:
            for bound in solution_rows(store.query(rule.query)):
                value = bound.get("value")
                if value is None:
                    continue
                messages = tuple(
                    (language, _PLACEHOLDER.sub(lambda m, b=bound: _filled(b, m[1]), template))
                    for language, template in rule.messages
                )
                yield Solution(rule.shape, value.value, messages, rule.severity)


def _filled(bound: dict, name: str) -> str:
    return bound[name].value if name in bound else ""


def _rule(shapes: rdflib.Graph, shape: rdflib.term.Node, constraint: rdflib.term.Node) -> _Rule:
    prefixes = "".join(
        f"PREFIX {shapes.value(d, SH.prefix)}: <{shapes.value(d, SH.namespace)}>\n"
        for source in shapes.objects(constraint, SH.prefixes)
        for d in shapes.objects(source, SH.declare)
    )
    return _Rule(
        shape=shape,
        query=prefixes + str(shapes.value(constraint, SH.select)),
        messages=tuple(texts_by_language(shapes.objects(constraint, SH.message)).items()),
        severity=shapes.value(shape, SH.severity) or SH.Violation,
    )
