"""The quality gates (shapes/skos-quality.ttl): one fixture file per rule, named after it."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from conftest import REPO
from pyshacl import validate
from vocab_helpers import VOCAB_DATA

from app.domain.vocab.quality import ERROR, WARNING, QualityGate, quiet_rdflib
from app.service import Atrium

SHAPES = REPO / "shapes" / "skos-quality.ttl"
VOCABULARY = "http://atrium.test/graphs/vocab/test"
EX = "http://example.test/colours/"


@pytest.fixture(scope="module")
def gate() -> QualityGate:
    return QualityGate(SHAPES, "http://atrium.test/vocab/")


def check(gate: QualityGate, name: str):  # noqa: ANN201 - a QualityReport
    with quiet_rdflib():
        graph = rdflib.Graph().parse(VOCAB_DATA / name, format="turtle")
        return gate.check(graph, VOCABULARY)


def test_a_clean_vocabulary_passes_every_gate(gate: QualityGate) -> None:
    assert check(gate, "clean.ttl").issues == []


@pytest.mark.parametrize(
    ("name", "severity", "rule", "concept", "words"),
    [
        ("cycle.ttl", ERROR, "no-cycle", "red", "broader than itself"),
        ("broader-literal.ttl", ERROR, "broken-hierarchy", "red", "not a concept"),
        ("broader-scheme.ttl", ERROR, "hierarchy-not-to-scheme", "red", "concept scheme"),
        ("two-preflabels.ttl", WARNING, "one-preflabel-per-language", "red", "2 prefLabels"),
        ("pref-alt-overlap.ttl", WARNING, "pref-alt-disjoint", "red", "prefLabel and as altLabel"),
        ("related-and-broader.ttl", WARNING, "related-not-hierarchical", "red", "also one of"),
        ("duplicate-preflabel.ttl", WARNING, "unique-preflabel-in-scheme", "rouge", "like"),
        ("no-scheme.ttl", WARNING, "in-scheme", "red", "in no concept scheme"),
        ("top-concept-with-broader.ttl", WARNING, "top-concept-without-broader", "red", "top"),
        ("no-preflabel.ttl", WARNING, "has-preflabel", "red", "has no prefLabel"),
        ("untagged-label.ttl", WARNING, "label-language", "red", "without a language tag"),
        ("scheme-without-top-concepts.ttl", WARNING, "scheme-has-top-concept", "scheme", "top"),
        ("dangling-narrower.ttl", WARNING, "links-inside-vocabulary", "colour", "ultraviolet"),
        ("ill-typed-date.ttl", WARNING, "well-formed-literals", "red", "not a valid date"),
    ],
)
def test_each_problem_is_caught_with_the_concept_and_the_rule(
    gate: QualityGate, name: str, severity: str, rule: str, concept: str, words: str
) -> None:
    report = check(gate, name)
    found = [i for i in report.issues if i.rule == rule and i.concept == EX + concept]
    assert found, [str(i) for i in report.issues]
    issue = found[0]
    assert issue.severity == severity
    assert words in issue.message
    described = issue.describe()
    assert EX + concept in described and f"[{issue.rule_label}]" in described


def test_a_cycle_names_the_concepts_it_runs_through(gate: QualityGate) -> None:
    report = check(gate, "cycle.ttl")
    assert {i.concept for i in report.errors} == {EX + "red", EX + "blue"}
    assert all(i.field == "broader" for i in report.errors)
    red = next(i for i in report.errors if i.concept == EX + "red")
    assert red.label == "Red" and EX + "blue" in red.message


def test_untagged_labels_count_as_one_language(gate: QualityGate, tmp_path: Path) -> None:
    path = tmp_path / "untagged.ttl"
    path.write_text(
        f"<{EX}red> a <http://www.w3.org/2004/02/skos/core#Concept> ; "
        '<http://www.w3.org/2004/02/skos/core#prefLabel> "Red", "Scarlet" .'
    )
    graph = rdflib.Graph().parse(path, format="turtle")
    issues = gate.check(graph, VOCABULARY).issues
    assert any(
        i.rule == "one-preflabel-per-language" and "no language tag" in i.message for i in issues
    )


def test_deprecated_concepts_may_share_a_prefLabel(gate: QualityGate, tmp_path: Path) -> None:
    text = (VOCAB_DATA / "duplicate-preflabel.ttl").read_text()
    path = tmp_path / "merged.ttl"
    path.write_text(text + "\nex:rouge <http://www.w3.org/2002/07/owl#deprecated> true .\n")
    graph = rdflib.Graph().parse(path, format="turtle")
    assert not [i for i in gate.check(graph, VOCABULARY).issues if i.rule.startswith("unique")]


def test_the_check_leaves_the_data_graph_as_it_was(gate: QualityGate) -> None:
    graph = rdflib.Graph().parse(VOCAB_DATA / "clean.ttl", format="turtle")
    before = set(graph)
    gate.check(graph, VOCABULARY)
    assert set(graph) == before


def test_the_shapes_are_valid_shacl() -> None:
    """The shapes file conforms to the SHACL-for-SHACL shapes (SHACL 1.0 Appendix C)."""
    shapes = rdflib.Graph().parse(SHAPES, format="turtle", publicID="http://atrium.test/vocab/")
    conforms, _, text = validate(shapes, meta_shacl=True, shacl_graph=shapes, inference="none")
    assert conforms, text


def test_every_rule_has_a_name_and_an_editor_field(gate: QualityGate) -> None:
    rules = gate._rules.values()  # noqa: SLF001
    assert len(rules) >= 14
    assert all(rule.label for rule in rules)
    assert all(rule.field in {"labels", "broader", "related", "scheme", ""} for rule in rules)


def test_the_shipped_vocabularies_pass_every_gate(atrium: Atrium) -> None:
    for vocabulary in atrium.vocab.catalogue.all():
        assert atrium.vocab.check(vocabulary).issues == [], vocabulary.slug
