"""Check asset descriptions against Atrium's SHACL shapes before they are stored.

Two kinds of shapes (SHACL 1.0, https://www.w3.org/TR/shacl/):

- ``shapes/core.ttl``: what every ``dam:Asset`` must satisfy. A violation is a *refusal*:
  the write is refused and nothing is stored.
- ``shapes/profiles/{department}.ttl``: the extra fields one department requires. A violation
  is *missing*: the asset is stored, marked ``dam:incomplete true``, until they are filled in.

Each set of shapes is validated separately with pySHACL (SHACL Core, no inference), and each
result of the validation report (SHACL 1.0 section 3.6: ``sh:focusNode``, ``sh:resultPath``,
``sh:sourceShape``, ``sh:resultMessage``) becomes a :class:`Problem` in plain words: the
field is the ``sh:name`` of the shape that failed, the message its ``sh:message``.

The shape files use relative IRIs for Atrium's own concepts and are parsed with the base
``{base_iri}vocab/``, so ``<departments>`` is the departments scheme. Checks of linked
concepts (asset type, department, rights, sites, channels, audiences) read only their
``rdf:type`` and ``skos:inScheme`` triples, which the caller adds to the data graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
import rdflib
from pyshacl import validate
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDFS, SH, XSD
from rdflib.term import Node

from app.domain.shapes.fields import local_name, members

RdflibTerm = URIRef | BNode | Literal


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a description, in words a person understands."""

    focus: str
    path: str | None
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.focus}: {self.field}: {self.message}"


@dataclass
class ValidationReport:
    """The outcome of a check: core violations refuse the write, profile ones mark it.

    Mutable, so that a caller can merge or replace the lists of several checks.
    """

    refusals: list[Problem]
    missing: list[Problem]

    @property
    def accepted(self) -> bool:
        """True when the core shapes are satisfied, so the write may be stored."""
        return not self.refusals

    @property
    def complete(self) -> bool:
        """True when the department profile is satisfied too (not ``dam:incomplete``)."""
        return not self.missing


class Validator:
    """The core shapes and every department profile, parsed, ready to check assets."""

    def __init__(self, core: rdflib.Graph, profiles: Mapping[str, rdflib.Graph]) -> None:
        self._core = core
        self._profiles = dict(profiles)

    @classmethod
    def from_files(cls, shapes_dir: Path, base_iri: str) -> Validator:
        """The shapes of a folder laid out like ``shapes/`` (core.ttl, profiles/NAME.ttl)."""
        vocab_base = base_iri.rstrip("/") + "/vocab/"
        return cls(
            _parse_shapes(shapes_dir / "core.ttl", vocab_base),
            {
                path.stem: _parse_shapes(path, vocab_base)
                for path in sorted((shapes_dir / "profiles").glob("*.ttl"))
            },
        )

    @property
    def departments_with_profiles(self) -> tuple[str, ...]:
        """The department notations that have a profile, in alphabetical order."""
        return tuple(sorted(self._profiles))

    def check(self, data: rdflib.Graph, department: str | None) -> ValidationReport:
        """Validate ``data`` with the core shapes and, if it has one, the department's profile."""
        profile = self._profiles.get(department) if department else None
        return ValidationReport(
            refusals=_problems(data, self._core),
            missing=_problems(data, profile) if profile is not None else [],
        )

    def with_profile(self, department: str, shapes: rdflib.Graph) -> Validator:
        """This validator with ``department``'s profile replaced (to preview an import)."""
        return Validator(self._core, {**self._profiles, department: shapes})


def to_rdflib(triples: Iterable[pyoxigraph.Triple]) -> rdflib.Graph:
    """An rdflib graph of pyoxigraph triples (or quads: their graph name is dropped).

    Literals keep their datatype or language tag (an RDF 1.2 base direction, which rdflib
    cannot hold, is dropped); ``xsd:string`` literals become plain rdflib literals, as
    rdflib's own parsers make them. Triple terms (RDF-star) raise ``TypeError``.
    """
    graph = rdflib.Graph()
    for triple in triples:
        graph.add(
            (
                _to_rdflib_term(triple.subject),
                _to_rdflib_term(triple.predicate),
                _to_rdflib_term(triple.object),
            )
        )
    return graph


def _to_rdflib_term(term: object) -> RdflibTerm:
    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return BNode(term.value)
    if isinstance(term, pyoxigraph.Literal):
        return _to_rdflib_literal(term)
    raise TypeError(f"cannot convert {term!r} to an rdflib term")


def _to_rdflib_literal(literal: pyoxigraph.Literal) -> Literal:
    if literal.language:
        return Literal(literal.value, lang=literal.language)
    datatype = URIRef(literal.datatype.value)
    if datatype == XSD.string:
        return Literal(literal.value)  # the form rdflib's parsers give plain strings
    return Literal(literal.value, datatype=datatype)


def _parse_shapes(path: Path, vocab_base: str) -> rdflib.Graph:
    return rdflib.Graph().parse(path, format="turtle", publicID=vocab_base)


# --- reading a validation report ------------------------------------------------------------


def _problems(data: rdflib.Graph, shapes: rdflib.Graph) -> list[Problem]:
    _, report, _ = validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=False,
        allow_warnings=False,
        allow_infos=False,
    )
    problems = {_problem(report, result, shapes) for result in report.objects(None, SH.result)}
    return sorted(problems, key=lambda p: (p.focus, p.field, p.path or "", p.message))


def _problem(report: rdflib.Graph, result: Node, shapes: rdflib.Graph) -> Problem:
    shape = report.value(result, SH.sourceShape)
    rule = _rule_shape(shapes, shape)
    path = _iri_or_none(report.value(result, SH.resultPath))
    if path is None and rule is not None:
        path = _iri_or_none(shapes.value(rule, SH.path))
    return Problem(
        focus=str(report.value(result, SH.focusNode)),
        path=path,
        field=_field_name(shapes, shape, rule, path),
        message=_best_text(report.objects(result, SH.resultMessage)) or "is not valid",
    )


def _rule_shape(shapes: rdflib.Graph, shape: Node | None) -> Node | None:
    """The property shape a result is about: the shape itself, or the one inside its sh:or."""
    if shape is None or shapes.value(shape, SH.path) is not None:
        return shape
    with_path = {member for member in members(shapes, shape) if (member, SH.path, None) in shapes}
    return with_path.pop() if len(with_path) == 1 else None


def _field_name(
    shapes: rdflib.Graph, shape: Node | None, rule: Node | None, path: str | None
) -> str:
    for candidate in (shape, rule):
        if candidate is not None:
            name = _best_text(shapes.objects(candidate, SH.name))
            if name:
                return name
    label = _best_text(shapes.objects(shape, RDFS.label)) if shape is not None else None
    return label or (local_name(path) if path else "asset")


def _best_text(literals: Iterable[Node]) -> str | None:
    """English if there is any, else text without a language, else any text."""
    texts = [node for node in literals if isinstance(node, Literal)]
    for wanted in ("en", None):
        for text in texts:
            if text.language == wanted:
                return str(text)
    return str(texts[0]) if texts else None


def _iri_or_none(node: Node | None) -> str | None:
    return str(node) if isinstance(node, URIRef) else None
