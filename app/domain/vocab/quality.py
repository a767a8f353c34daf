"""The quality gates: ``shapes/skos-quality.ttl`` run with pySHACL over one vocabulary.

Each result of the SHACL validation report (SHACL 1.0 §3.6) becomes an :class:`Issue` that
names the concept, the rule and the problem in words:

- the rule is the shape that failed (``sh:sourceShape``), named by its ``rdfs:label``;
- the concept is ``sh:focusNode``, or ``sh:value`` for the rules that check the vocabulary as a
  whole (they target the node ``dam:Vocabulary`` this module adds to the data);
- the severity is ``sh:resultSeverity``: ``sh:Violation`` is an *error* (the graph is
  unusable), ``sh:Warning`` a *warning*;
- the editor field is the rule's ``sh:group``.

One check SHACL cannot say without listing every datatype is done here: typed literals whose
text is not a valid value of their datatype (RDF 1.1 Concepts §3.3, "ill-typed"), such as
``"1986-21-00"^^xsd:date``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import rdflib
from pyshacl import validate
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, SKOS

DAM_VOCABULARY = URIRef("https://w3id.org/atrium/ns#Vocabulary")
ERROR, WARNING = "error", "warning"
WELL_FORMED = "well-formed-literals"


@dataclass(frozen=True, order=True)
class Issue:
    """One problem of a vocabulary, in words a taxonomist understands."""

    severity: str
    rule: str
    concept: str
    message: str
    rule_label: str = dataclasses.field(compare=False)
    field: str = dataclasses.field(compare=False, default="")
    label: str = dataclasses.field(compare=False, default="")

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def describe(self) -> str:
        """``"Concept 2" <iri>: is broader than itself … [no cycle in broader]``."""
        name = f'"{self.label}" <{self.concept}>' if self.label else f"<{self.concept}>"
        return f"{name}: {self.message} [{self.rule_label}]"

    def __str__(self) -> str:
        return f"{self.severity.upper()}: {self.describe()}"


@dataclass
class QualityReport:
    issues: list[Issue]

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.is_error]

    @property
    def warnings(self) -> list[Issue]:
        return [issue for issue in self.issues if not issue.is_error]

    def by_rule(self) -> dict[str, list[Issue]]:
        """The issues grouped by rule name, errors first."""
        groups: dict[str, list[Issue]] = {}
        for issue in sorted(self.issues, key=lambda i: (not i.is_error, i.rule_label, i.concept)):
            groups.setdefault(issue.rule_label, []).append(issue)
        return groups

    def about(self, concepts: Iterable[str]) -> list[Issue]:
        wanted = set(concepts)
        return [issue for issue in self.issues if issue.concept in wanted]


@dataclass(frozen=True)
class _Rule:
    id: str
    label: str
    field: str


class QualityGate:
    """The SKOS quality shapes, parsed once, ready to check vocabularies."""

    def __init__(self, shapes_file: Path, vocab_base: str) -> None:
        self.shapes = rdflib.Graph().parse(shapes_file, format="turtle", publicID=vocab_base)
        self._rules = {
            shape: self._rule(shape) for shape in set(self.shapes.subjects(RDFS.label, None))
        }

    def _rule(self, shape: rdflib.term.Node) -> _Rule:
        group = self.shapes.value(shape, SH.group)
        return _Rule(
            id=str(shape).rsplit("#", 1)[-1],
            label=str(self.shapes.value(shape, RDFS.label)),
            field=str(self.shapes.value(group, RDFS.label)) if group is not None else "",
        )

    def check(self, data: rdflib.Graph, vocabulary: str) -> QualityReport:
        """Every problem of the vocabulary ``data`` (a graph named ``vocabulary``)."""
        node = URIRef(vocabulary)
        data.add((node, RDF.type, DAM_VOCABULARY))
        try:
            _, report, text = validate(
                data,
                shacl_graph=self.shapes,
                inference="none",
                advanced=False,
                allow_warnings=True,
                allow_infos=True,
            )
        finally:
            data.remove((node, RDF.type, DAM_VOCABULARY))
        if not isinstance(report, rdflib.Graph):
            raise RuntimeError(f"the quality shapes could not run: {text}")
        issues = {
            self._issue(report, result, node, data) for result in report.objects(None, SH.result)
        }
        issues.update(ill_typed_literals(data))
        return QualityReport(sorted(issues))

    def _issue(
        self, report: rdflib.Graph, result: rdflib.term.Node, vocabulary: URIRef, data: rdflib.Graph
    ) -> Issue:
        focus = report.value(result, SH.focusNode)
        value = report.value(result, SH.value)
        concept = value if focus == vocabulary else focus
        rule = self._rules.get(report.value(result, SH.sourceShape), _Rule("shape", "shape", ""))
        message = str(report.value(result, SH.resultMessage) or "breaks a quality rule")
        if focus != vocabulary and isinstance(value, Literal):
            message = f'{message}: "{value}"'
        severity = ERROR if report.value(result, SH.resultSeverity) == SH.Violation else WARNING
        return Issue(
            severity=severity,
            rule=rule.id,
            concept=str(concept),
            message=message,
            rule_label=rule.label,
            field=rule.field,
            label=display_label(data, concept),
        )


def display_label(data: rdflib.Graph, node: rdflib.term.Node | None) -> str:
    """A prefLabel to name a concept in a report: English, else any, else ''."""
    labels = [o for o in data.objects(node, SKOS.prefLabel) if isinstance(o, Literal)]
    labels.sort(key=lambda label: (label.language != "en", label.language or "", str(label)))
    return str(labels[0]) if labels else ""


def ill_typed_literals(data: rdflib.Graph) -> Iterator[Issue]:
    """Typed literals whose text is not a value of their datatype."""
    for subject, predicate, value in data:
        if isinstance(value, Literal) and value.ill_typed:
            datatype = str(value.datatype).rsplit("#", 1)[-1]
            prop = str(predicate).rsplit("/", 1)[-1].rsplit("#", 1)[-1]
            yield Issue(
                severity=WARNING,
                rule=WELL_FORMED,
                concept=str(subject),
                message=f'has {prop} "{value}", which is not a valid {datatype}',
                rule_label="values are well-formed",
                label=display_label(data, subject),
            )


@contextmanager
def quiet_rdflib() -> Iterator[None]:
    """Silence rdflib's traceback for each ill-typed literal: we report them ourselves."""
    logger = logging.getLogger("rdflib.term")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
