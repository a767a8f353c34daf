"""The quality gates: ``shapes/skos-quality.ttl`` run with pySHACL over one vocabulary.

Each result of the SHACL validation report (SHACL 1.0 §3.6) becomes an :class:`Issue` that
names the concept, the rule and the problem in words:

- the rule is the shape that failed (``sh:sourceShape``), named by its ``rdfs:label``;
- the concept is ``sh:focusNode``, or ``sh:value`` for the rules that check the vocabulary as a
  whole (they target the node ``dam:Vocabulary`` this module adds to the data);
- the severity is ``sh:resultSeverity``: ``sh:Violation`` is an *error* (the graph is
  unusable), ``sh:Warning`` a *warning*;
- the editor field is the rule's ``sh:group``.

The message and the rule's name come in every language the shapes give them (pySHACL writes one
``sh:resultMessage`` per ``sh:message``, keeping its language tag): :attr:`Issue.message`,
:meth:`Issue.describe` and ``str()`` are English (the CLI, the logs, the guard's comparisons);
:meth:`Issue.describe_in` is the reader's language, by the fallback every surface uses
(:func:`app.domain.shapes.fields.best_text`). The checks made here in Python (ill-typed
literals, the depth of the hierarchy) say so in English only.

One check SHACL cannot say without listing every datatype is done here: typed literals whose
text is not a valid value of their datatype (RDF 1.1 Concepts §3.3, "ill-typed"), such as
``"1986-21-00"^^xsd:date``.

Hierarchies deeper than :data:`MAX_HIERARCHY_DEPTH` levels (concepts on the longest chain of
skos:broader / inverse skos:narrower links) are refused before the shapes run: the SHACL
property paths (``skos:broader+``) are evaluated by recursion, one Python frame per level, and
in time that grows with the square of the depth (a 1,000-level chain takes about a minute). The
depth is measured without recursion (strongly connected components, then the longest path), and
the recursion limit is raised to what the measured depth needs while the shapes run.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import rdflib
from pyoxigraph import NamedNode
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, SKOS

from app.domain.shapes.fields import Texts, best_text, texts_by_language
from app.domain.shapes.shacl import SharedShapes
from app.domain.vocab.quality_sparql import Solution, VocabularyRules

DAM_VOCABULARY = URIRef("https://w3id.org/atrium/ns#Vocabulary")
ERROR, WARNING = "error", "warning"
WELL_FORMED = "well-formed-literals"
HIERARCHY_DEPTH = "hierarchy-depth"
MAX_HIERARCHY_DEPTH = 1000  # levels; documented in docs and the module docstring
_FRAMES_PER_LEVEL = 2  # rdflib's path evaluation, measured with headroom
_BREAKS_A_RULE = "breaks a quality rule"  # a rule without sh:message


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
    # The message and the rule's name in each language the shapes give; none: English only.
    message_texts: Texts = dataclasses.field(compare=False, default=())
    rule_labels: Texts = dataclasses.field(compare=False, default=())

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def message_in(self, language: str) -> str:
        """The message in ``language``, else by the fallback order (English if none)."""
        return best_text(dict(self.message_texts), language) or self.message

    def rule_label_in(self, language: str) -> str:
        """The rule's name in ``language``, else by the fallback order (English if none)."""
        return best_text(dict(self.rule_labels), language) or self.rule_label

    def describe(self) -> str:
        """``"Concept 2" <iri>: is broader than itself … [no cycle in broader]``."""
        return self._described(self.message, self.rule_label)

    def describe_in(self, language: str) -> str:
        """:meth:`describe` in ``language``."""
        return self._described(self.message_in(language), self.rule_label_in(language))

    def _described(self, message: str, rule_label: str) -> str:
        name = f'"{self.label}" <{self.concept}>' if self.label else f"<{self.concept}>"
        return f"{name}: {message} [{rule_label}]"

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


@dataclass(frozen=True)
class _Rule:
    id: str
    label: str
    field: str
    labels: Texts = ()


class QualityGate:
    """The SKOS quality shapes, parsed once, ready to check vocabularies."""

    def __init__(self, shapes_file: Path, vocab_base: str) -> None:
        self.shapes = rdflib.Graph().parse(shapes_file, format="turtle", publicID=vocab_base)
        self._rules = {
            shape: self._rule(shape) for shape in set(self.shapes.subjects(RDFS.label, None))
        }
        self._vocabulary_rules = VocabularyRules(self.shapes, DAM_VOCABULARY)
        # pySHACL runs the rest: the constraints on each concept and scheme.
        node_shapes = rdflib.Graph()
        for triple in self.shapes:
            if not (triple[1] == SH.sparql and triple[0] in self._vocabulary_rules.shapes):
                node_shapes.add(triple)
        self._node_shapes = SharedShapes(node_shapes)

    def _rule(self, shape: rdflib.term.Node) -> _Rule:
        group = self.shapes.value(shape, SH.group)
        # The group's English label names the editor's field (a form key, not a text).
        fields = (
            texts_by_language(self.shapes.objects(group, RDFS.label)) if group is not None else {}
        )
        labels = texts_by_language(self.shapes.objects(shape, RDFS.label))
        return _Rule(
            id=str(shape).rsplit("#", 1)[-1],
            label=best_text(labels) or "",
            field=best_text(fields) or "",
            labels=tuple(labels.items()),
        )

    def check(
        self, data: rdflib.Graph, vocabulary: str, focus: list[NamedNode] | None = None
    ) -> QualityReport:
        """Every problem of the vocabulary ``data`` (a graph named ``vocabulary``); of the
        ``focus`` nodes only, when given (the rest of ``data`` is what they link to)."""
        refusal = check_depth(data)
        if refusal is not None:
            return QualityReport([refusal])
        node = URIRef(vocabulary)
        data.add((node, RDF.type, DAM_VOCABULARY))
        try:
            _, report, text = self._node_shapes.validate(
                data,
                allow_warnings=True,
                allow_infos=True,
                focus_nodes=[URIRef(n.value) for n in focus] if focus is not None else None,
            )
        finally:
            data.remove((node, RDF.type, DAM_VOCABULARY))
        if not isinstance(report, rdflib.Graph):
            raise RuntimeError(f"the quality shapes could not run: {text}")
        issues = {
            self._issue(report, result, node, data) for result in report.objects(None, SH.result)
        }
        issues.update(
            self._vocabulary_issue(found, data) for found in self._vocabulary_rules.solutions(data)
        )
        issues.update(ill_typed_literals(data))
        return QualityReport(sorted(issues))

    def _vocabulary_issue(self, found: Solution, data: rdflib.Graph) -> Issue:
        rule = self._rules.get(found.shape, _Rule("shape", "shape", ""))
        return Issue(
            severity=ERROR if found.severity == SH.Violation else WARNING,
            rule=rule.id,
            concept=found.value,
            message=best_text(dict(found.messages)) or _BREAKS_A_RULE,
            rule_label=rule.label,
            field=rule.field,
            label=display_label(data, URIRef(found.value)),
            message_texts=found.messages,
            rule_labels=rule.labels,
        )

    def _issue(
        self, report: rdflib.Graph, result: rdflib.term.Node, vocabulary: URIRef, data: rdflib.Graph
    ) -> Issue:
        focus = report.value(result, SH.focusNode)
        value = report.value(result, SH.value)
        concept = value if focus == vocabulary else focus
        rule = self._rules.get(report.value(result, SH.sourceShape), _Rule("shape", "shape", ""))
        messages = texts_by_language(report.objects(result, SH.resultMessage)) or {
            "": _BREAKS_A_RULE
        }
        if focus != vocabulary and isinstance(value, Literal):
            messages = {language: f'{text}: "{value}"' for language, text in messages.items()}
        severity = ERROR if report.value(result, SH.resultSeverity) == SH.Violation else WARNING
        return Issue(
            severity=severity,
            rule=rule.id,
            concept=str(concept),
            message=best_text(messages) or _BREAKS_A_RULE,
            rule_label=rule.label,
            field=rule.field,
            label=display_label(data, concept),
            message_texts=tuple(messages.items()),
            rule_labels=rule.labels,
        )


def hierarchy_depth(data: rdflib.Graph) -> tuple[int, rdflib.term.Node | None]:
    """The number of concepts on the longest broader chain, and the concept at its bottom.

    Concepts in a cycle count once each (a bound on any chain through the cycle). Iterative:
    Tarjan's strongly connected components, which come out parents first, then the longest
    path through them.
    """
    parents: dict[rdflib.term.Node, list[rdflib.term.Node]] = {}
    for child, parent in [
        *data.subject_objects(SKOS.broader),
        *((c, p) for p, c in data.subject_objects(SKOS.narrower)),
    ]:
        if not isinstance(child, Literal) and not isinstance(parent, Literal):
            parents.setdefault(child, []).append(parent)
    depth: dict[rdflib.term.Node, int] = {}
    deepest: tuple[int, rdflib.term.Node | None] = (0, None)
    for component in _components(parents):
        members = set(component)
        above = max(
            (depth[p] for c in component for p in parents.get(c, ()) if p not in members),
            default=0,
        )
        for concept in component:
            depth[concept] = above + len(component)
        if above + len(component) > deepest[0]:
            deepest = (above + len(component), component[0])
    return deepest


def _components(edges: dict[rdflib.term.Node, list[rdflib.term.Node]]) -> list[list]:
    """Strongly connected components, each after every component it has an edge to."""
    index: dict[rdflib.term.Node, int] = {}
    low: dict[rdflib.term.Node, int] = {}
    stack: list[rdflib.term.Node] = []
    on_stack: set[rdflib.term.Node] = set()
    components: list[list] = []
    for root in list(edges):
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(edges.get(root, ())))]
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(edges.get(target, ()))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(component)
    return components


def check_depth(data: rdflib.Graph) -> Issue | None:
    """The refusal of a hierarchy deeper than :data:`MAX_HIERARCHY_DEPTH`; else None, with the
    recursion limit raised to what walking the hierarchy recursively needs (pySHACL, skosify)."""
    depth, deepest = hierarchy_depth(data)
    if depth > MAX_HIERARCHY_DEPTH:
        return _too_deep(data, depth, deepest)
    _allow_recursion(_FRAMES_PER_LEVEL * depth + 1000)
    return None


def _too_deep(data: rdflib.Graph, depth: int, deepest: rdflib.term.Node | None) -> Issue:
    return Issue(
        severity=ERROR,
        rule=HIERARCHY_DEPTH,
        concept=str(deepest),
        message=(
            f"is {depth:,} levels down the broader hierarchy; Atrium checks hierarchies of at "
            f"most {MAX_HIERARCHY_DEPTH:,} levels, so the other rules did not run"
        ),
        rule_label=f"hierarchy at most {MAX_HIERARCHY_DEPTH:,} levels deep",
        field="broader",
        label=display_label(data, deepest),
    )


def _allow_recursion(frames: int) -> None:
    """Raise the recursion limit to ``frames`` if it is lower (never lowered: other threads
    may be relying on it)."""
    if sys.getrecursionlimit() < frames:
        sys.setrecursionlimit(frames)


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
