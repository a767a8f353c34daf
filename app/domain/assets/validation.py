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

A write is checked on the exact terms written (:func:`app.storage.terms.to_rdflib_graph`
keeps every lexical form), before the store canonicalises them
(:mod:`app.domain.assets.stored_literals`). Where the store would change what the shapes
judge, the write is refused: a literal that is not a valid value of its datatype but would be
stored as a valid one, and a literal whose datatype the store does not keep (``xsd:int`` is
stored as ``xsd:integer``).

SHACL-SPARQL constraints (§5) get the prefixes their ``sh:prefixes`` declare, including those of
the ontologies these ``owl:imports`` (§5.2.1: ``sh:prefixes/owl:imports*/sh:declare``), and the
namespace bindings of the data and shapes graphs. Shapes pySHACL cannot run (SHACL-SPARQL it
does not support, a query that does not parse) raise :class:`ShapesCannotRun`: nothing can be
checked, so nothing may be stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import rdflib
from pyshacl import validate
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDFS, SH
from rdflib.term import Node

from app.domain.assets.stored_literals import short_datatype, stored_forms
from app.domain.shapes.fields import local_name, members

RdflibTerm = URIRef | BNode | Literal
OWL_IMPORTS = URIRef("http://www.w3.org/2002/07/owl#imports")
_SKOLEM = "/.well-known/genid/"


class ShapesCannotRun(ValueError):
    """pySHACL could not run the shapes, so the data could not be checked; says why."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a description, in words a person understands."""

    focus: str
    path: str | None
    field: str
    message: str
    value: str | None = None  # sh:value: the value at fault, when the result names one

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
        self._core = _runnable(core)
        self._profiles = {name: _runnable(graph) for name, graph in profiles.items()}

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

    def check(self, data: rdflib.Graph, department: str | None) -> ValidationReport:
        """Validate ``data``, as written, with the core shapes and, if it has one, the
        department's profile; ShapesCannotRun if pySHACL cannot run them."""
        profile = self._profiles.get(department) if department else None
        refusals = _problems(data, self._core) + _store_changes(data, self._core)
        return ValidationReport(
            refusals=sorted(set(refusals), key=_problem_order),
            missing=_problems(data, profile) if profile is not None else [],
        )

    def with_profile(self, department: str, shapes: rdflib.Graph) -> Validator:
        """This validator with ``department``'s profile replaced (to preview an import)."""
        return Validator(self._core, {**self._profiles, department: shapes})


def _parse_shapes(path: Path, vocab_base: str) -> rdflib.Graph:
    return rdflib.Graph().parse(path, format="turtle", publicID=vocab_base)


# --- reading a validation report ------------------------------------------------------------


def _problems(data: rdflib.Graph, shapes: rdflib.Graph) -> list[Problem]:
    _bind_missing(data, shapes)
    try:
        _, report, text = validate(
            data,
            shacl_graph=shapes,
            inference="none",
            advanced=False,
            allow_warnings=False,
            allow_infos=False,
        )
    except Exception as error:  # noqa: BLE001 - pySHACL and rdflib's SPARQL parser raise many kinds
        raise ShapesCannotRun(f"the shapes could not be run: {error}") from error
    if not isinstance(report, rdflib.Graph):  # pySHACL's ValidationFailure: it refused the shapes
        reason = getattr(report, "message", None) or text
        raise ShapesCannotRun(f"the shapes could not be run: {reason}")
    problems = {_problem(report, result, shapes) for result in report.objects(None, SH.result)}
    return sorted(problems, key=_problem_order)


def _problem_order(problem: Problem) -> tuple[str, ...]:
    return (problem.focus, problem.field, problem.path or "", problem.message, problem.value or "")


def _bind_missing(data: rdflib.Graph, shapes: rdflib.Graph) -> None:
    """Give the data graph the shapes graph's prefixes it lacks: rdflib resolves the prefixed
    names of a SHACL-SPARQL query that no sh:prefixes declares with the data graph's."""
    bound = {prefix for prefix, _ in data.namespaces()}
    for prefix, namespace in shapes.namespaces():
        if prefix and prefix not in bound:
            data.bind(prefix, namespace, override=False)


def _runnable(shapes: rdflib.Graph) -> rdflib.Graph:
    """The shapes as pySHACL must see them (a copy, when that changes anything)."""
    return _with_imported_prefixes(_without_skolem_iris(shapes))


def _without_skolem_iris(shapes: rdflib.Graph) -> rdflib.Graph:
    """Skolem IRIs (``…/.well-known/genid/…``, RDF 1.1 Concepts §3.5: how the store keeps the
    shapes' blank nodes) as blank nodes again: pySHACL reads a property path that is an IRI as
    a predicate, so a stored ``sh:path [ sh:inversePath … ]`` would check the wrong thing."""

    def blank(term: Node) -> Node:
        if isinstance(term, URIRef) and _SKOLEM in term:
            return BNode(term.split(_SKOLEM, 1)[1])
        return term

    if not any(isinstance(t, URIRef) and _SKOLEM in t for t in shapes.all_nodes()):
        return shapes
    plain = rdflib.Graph(namespace_manager=shapes.namespace_manager)
    for subject, predicate, value in shapes:
        plain.add((blank(subject), predicate, blank(value)))
    return plain


def _with_imported_prefixes(shapes: rdflib.Graph) -> rdflib.Graph:
    """The shapes with each ``sh:prefixes`` node also declaring the prefixes of the ontologies
    it ``owl:imports``, transitively (SHACL §5.2.1), which pySHACL does not follow itself."""
    additions = []
    for node in set(shapes.objects(None, SH.prefixes)):
        seen, todo = {node}, list(shapes.objects(node, OWL_IMPORTS))
        while todo:
            imported = todo.pop()
            if imported in seen:
                continue
            seen.add(imported)
            additions += [(node, SH.declare, d) for d in shapes.objects(imported, SH.declare)]
            todo += shapes.objects(imported, OWL_IMPORTS)
    if not additions:
        return shapes
    extended = rdflib.Graph(namespace_manager=shapes.namespace_manager)
    extended += shapes
    for triple in additions:
        extended.add(triple)
    return extended


def _store_changes(data: rdflib.Graph, shapes: rdflib.Graph) -> list[Problem]:
    """Refusals for literals the store would change in a way that changes what the shapes say:
    an invalid value it would keep as a valid one, or a datatype it would not keep."""
    literals = [o for o in data.objects() if isinstance(o, Literal)]
    changed = stored_forms(literals)
    problems = []
    for subject, predicate, value in data:
        stored = changed.get(value) if isinstance(value, Literal) else None
        if stored is None or not (value.ill_typed or stored.datatype != value.datatype):
            continue
        written, kept = short_datatype(value.datatype), short_datatype(stored.datatype)
        if value.ill_typed:
            message = (
                f'"{value}" is not a valid {written}; the store would keep it as '
                f'"{stored}"^^{kept}, which would then pass for valid'
            )
        else:
            message = (
                f'the store keeps {written} values as {kept} ("{value}" as "{stored}"^^{kept}), '
                f"so the record could not be checked again as written: write it as {kept}"
            )
        path = str(predicate)
        shape = shapes.value(None, SH.path, predicate)
        field = _best_text(shapes.objects(shape, SH.name)) if shape is not None else None
        problems.append(Problem(str(subject), path, field or local_name(path), message, str(value)))
    return problems


def _problem(report: rdflib.Graph, result: Node, shapes: rdflib.Graph) -> Problem:
    shape = report.value(result, SH.sourceShape)
    rule = _rule_shape(shapes, shape)
    path = _iri_or_none(report.value(result, SH.resultPath))
    if path is None and rule is not None:
        path = _iri_or_none(shapes.value(rule, SH.path))
    value = report.value(result, SH.value)
    return Problem(
        focus=str(report.value(result, SH.focusNode)),
        path=path,
        field=_field_name(shapes, shape, rule, path),
        message=_best_text(report.objects(result, SH.resultMessage)) or "is not valid",
        value=str(value) if value is not None else None,
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
