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

Both in every language the shapes give (SHACL allows one ``sh:name`` and one ``sh:message`` per
language): pySHACL writes one ``sh:resultMessage`` per ``sh:message``, keeping its language tag,
but a SHACL-SPARQL constraint's messages come back untagged once their ``{?var}`` are filled in,
so each is matched back to the ``sh:message`` it was made from. :attr:`Problem.message` and
``str()`` are English (the API, the CLI, the logs); :meth:`Problem.message_in` is the reader's
language by the fallback every surface uses (:func:`app.domain.shapes.fields.best_text`). A
shape without any ``sh:message`` gets a sentence of Atrium's own by the kind of constraint
that failed, not pySHACL's technical one: an English message id the web translates.

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

import dataclasses
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDFS, SH
from rdflib.term import Node

from app.domain.assets.stored_literals import short_datatype, stored_forms
from app.domain.shapes.fields import Texts, best_text, local_name, members, texts_by_language
from app.domain.shapes.shacl import SharedShapes
from app.messages import M_, Message

RdflibTerm = URIRef | BNode | Literal
OWL_IMPORTS = URIRef("http://www.w3.org/2002/07/owl#imports")
_SKOLEM = "/.well-known/genid/"
_VARIABLE = re.compile(r"\{[?$]\w+\}")  # {?value} in a SHACL-SPARQL sh:message (§5.3.2)
# What a shape without sh:message says, by the constraint component that failed (SHACL §4).
_NOT_VALID = M_("is not valid")
_WITHOUT_MESSAGE: dict[URIRef, Message] = {
    SH.MinCountConstraintComponent: M_("is missing"),
    SH.MaxCountConstraintComponent: M_("has more values than it may"),
    SH.DatatypeConstraintComponent: M_("is not a value of the right type"),
    SH.PatternConstraintComponent: M_("does not have the expected form"),
    SH.InConstraintComponent: M_("is not one of the values allowed"),
}


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
    # The field's name and the message in each language the shapes give; none: the message is
    # one of Atrium's own English sentences (the shape has no sh:message), for the web to
    # translate.
    field_texts: Texts = dataclasses.field(default=(), compare=False)
    message_texts: Texts = dataclasses.field(default=(), compare=False)

    def __str__(self) -> str:
        return f"{self.focus}: {self.field}: {self.message}"

    def field_in(self, language: str) -> str:
        """The field's name in ``language``, else by the fallback order of labels."""
        return best_text(dict(self.field_texts), language) or self.field

    def message_in(self, language: str) -> str:
        """The message in ``language``, else by the fallback order (English if none)."""
        return best_text(dict(self.message_texts), language) or self.message

    def in_language(self, language: str) -> str:
        """``str()`` in ``language``: focus, field and message."""
        return f"{self.focus}: {self.field_and_message_in(language)}"

    def field_and_message_in(self, language: str) -> str:
        """The field and the message in ``language``, for a page that names the focus itself."""
        return f"{self.field_in(language)}: {self.message_in(language)}"


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


@dataclass(frozen=True)
class _Shapes:
    """Shapes ready to run: all of them, whose names and messages a problem quotes, and the
    part pySHACL is given (:func:`_checked_part`)."""

    all: rdflib.Graph
    checked: SharedShapes

    @classmethod
    def of(cls, shapes: rdflib.Graph) -> _Shapes:
        runnable = _runnable(shapes)
        return cls(runnable, SharedShapes(_checked_part(runnable)))


class Validator:
    """The core shapes and every department profile, parsed, ready to check assets."""

    def __init__(self, core: rdflib.Graph, profiles: Mapping[str, rdflib.Graph]) -> None:
        self._sources = (core, dict(profiles))
        self._core = _Shapes.of(core)
        self._profiles = {name: _Shapes.of(graph) for name, graph in profiles.items()}

    @classmethod
    def from_files(cls, shapes_dir: Path, base_iri: str) -> Validator:
        """The shapes of a folder laid out like ``shapes/`` (core.ttl, profiles/NAME.ttl)."""
        vocab_base = base_iri.rstrip("/") + "/vocab/"
        return cls(
            parse_shapes(shapes_dir / "core.ttl", vocab_base),
            {
                path.stem: parse_shapes(path, vocab_base)
                for path in sorted((shapes_dir / "profiles").glob("*.ttl"))
            },
        )

    def check(self, data: rdflib.Graph, department: str | None) -> ValidationReport:
        """Validate ``data``, as written, with the core shapes and, if it has one, the
        department's profile; ShapesCannotRun if pySHACL cannot run them."""
        profile = self._profiles.get(department) if department else None
        refusals = _problems(data, self._core) + _store_changes(data, self._core.all)
        return ValidationReport(
            refusals=sorted(set(refusals), key=_problem_order),
            missing=_problems(data, profile) if profile is not None else [],
        )

    def with_profile(self, department: str, shapes: rdflib.Graph) -> Validator:
        """This validator with ``department``'s profile replaced (to preview an import)."""
        core, profiles = self._sources
        return Validator(core, {**profiles, department: shapes})


@functools.cache
def file_validator(path: Path, vocab_base: str) -> Validator:
    """The validator of one shipped shapes file (``shapes/results.ttl``…), parsed once per
    process: the file does not change while Atrium runs, and every Atrium of a process (each
    test's, say) would otherwise parse it again."""
    return Validator(parse_shapes(path, vocab_base), {})


def parse_shapes(path: Path, vocab_base: str) -> rdflib.Graph:
    """A Turtle shapes file, its relative IRIs against Atrium's vocabulary base."""
    return rdflib.Graph().parse(path, format="turtle", publicID=vocab_base)


# --- reading a validation report ------------------------------------------------------------


def _problems(data: rdflib.Graph, shapes: _Shapes) -> list[Problem]:
    _bind_missing(data, shapes.all)
    try:
        _, report, text = shapes.checked.validate(data, allow_warnings=False, allow_infos=False)
    except Exception as error:  # noqa: BLE001 - pySHACL and rdflib's SPARQL parser raise many kinds
        raise ShapesCannotRun(f"the shapes could not be run: {error}") from error
    if not isinstance(report, rdflib.Graph):  # pySHACL's ValidationFailure: it refused the shapes
        reason = getattr(report, "message", None) or text
        raise ShapesCannotRun(f"the shapes could not be run: {reason}")
    problems = {_problem(report, result, shapes.all) for result in report.objects(None, SH.result)}
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


# What names, explains and orders a shape but checks nothing (SHACL §2.3.2, non-validating
# property shape characteristics; rdfs:label and rdfs:comment likewise).
_ANNOTATIONS = frozenset({SH.name, SH.description, SH.order, SH.group, RDFS.label, RDFS.comment})


def _checked_part(shapes: rdflib.Graph) -> rdflib.Graph:
    """The shapes without their annotations: pySHACL reads every statement of a shape while it
    looks for the constraints, so names and help texts in three languages cost a third of the
    time of each validation; sh:message stays, the report carries it."""
    checked = rdflib.Graph(namespace_manager=shapes.namespace_manager)
    for triple in shapes:
        if triple[1] not in _ANNOTATIONS:
            checked.add(triple)
    return checked


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
        names = texts_by_language(shapes.objects(shape, SH.name)) if shape is not None else {}
        field = best_text(names) or local_name(path)
        problems.append(
            Problem(str(subject), path, field, message, str(value), tuple(names.items()))
        )
    return problems


def _problem(report: rdflib.Graph, result: Node, shapes: rdflib.Graph) -> Problem:
    shape = report.value(result, SH.sourceShape)
    rule = _rule_shape(shapes, shape)
    path = _iri_or_none(report.value(result, SH.resultPath))
    if path is None and rule is not None:
        path = _iri_or_none(shapes.value(rule, SH.path))
    value = report.value(result, SH.value)
    names = _field_names(shapes, shape, rule, path)
    messages = _messages(report, result, shapes)
    return Problem(
        focus=str(report.value(result, SH.focusNode)),
        path=path,
        field=best_text(names) or "asset",
        message=best_text(messages) or str(_fallback(report, result)),
        value=str(value) if value is not None else None,
        field_texts=tuple(names.items()),
        message_texts=tuple(messages.items()),
    )


def _messages(report: rdflib.Graph, result: Node, shapes: rdflib.Graph) -> dict[str, str]:
    """The result's messages by language, as pySHACL wrote them: a SHACL-SPARQL constraint's
    own (pySHACL writes its shape's after them, untagged too), else its shape's; none when
    neither has an sh:message."""
    written = sorted(m for m in report.objects(result, SH.resultMessage) if isinstance(m, Literal))
    sources = (report.value(result, SH.sourceConstraint), report.value(result, SH.sourceShape))
    for source in (s for s in sources if s is not None):
        templates = [m for m in shapes.objects(source, SH.message) if isinstance(m, Literal)]
        texts: dict[str, str] = {}
        for message in written:
            language = message.language or _language_of(str(message), templates)
            if language is not None:
                texts.setdefault(language.lower(), str(message))
        if texts:
            return texts
    return {}


def _language_of(message: str, templates: list[Literal]) -> str | None:
    """The language ("" for none) of the ``sh:message`` a message was made from by filling in
    its ``{?var}``; None if it was made from none of ``templates``."""
    for template in templates:
        parts = _VARIABLE.split(str(template))
        if re.fullmatch(".*?".join(re.escape(part) for part in parts), message, re.S):
            return template.language or ""
    return None


def _fallback(report: rdflib.Graph, result: Node) -> Message:
    component = report.value(result, SH.sourceConstraintComponent)
    found = _WITHOUT_MESSAGE.get(component) if isinstance(component, URIRef) else None
    return found or _NOT_VALID


def _rule_shape(shapes: rdflib.Graph, shape: Node | None) -> Node | None:
    """The property shape a result is about: the shape itself, or the one inside its sh:or."""
    if shape is None or shapes.value(shape, SH.path) is not None:
        return shape
    with_path = {member for member in members(shapes, shape) if (member, SH.path, None) in shapes}
    return with_path.pop() if len(with_path) == 1 else None


def _field_names(
    shapes: rdflib.Graph, shape: Node | None, rule: Node | None, path: str | None
) -> dict[str, str]:
    """The field's name by language: the sh:name of the shape or of the one inside its sh:or,
    else its rdfs:label, else the local name of the path."""
    for candidate in (shape, rule):
        if candidate is not None:
            names = texts_by_language(shapes.objects(candidate, SH.name))
            if names:
                return names
    labels = texts_by_language(shapes.objects(shape, RDFS.label)) if shape is not None else {}
    return labels or ({"": local_name(path)} if path else {})


def _iri_or_none(node: Node | None) -> str | None:
    return str(node) if isinstance(node, URIRef) else None
