"""The vocabulary quality gates' words in the reader's language (issue 13).

Each ``sh:message`` and rule name (``rdfs:label``) of ``shapes/skos-quality.ttl`` is in English,
German and French. A refused edit shows them next to the field in the reader's language; the
domain (``Issue.message``, ``Refused.fields``, ``str()``) and the CLI keep English.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rdflib
from conftest import REPO, csrf_token
from pyoxigraph import NamedNode
from rdflib.namespace import RDFS, SH
from vocab_helpers import VOCAB_DATA, import_file, post_new_concept

from app.cli.vocab import print_quality
from app.domain.vocab.drafts import ConceptDraft
from app.domain.vocab.editor import Refused
from app.domain.vocab.history import Actor
from app.domain.vocab.quality import QualityGate, quiet_rdflib
from app.service import Atrium
from app.web import create_app

SHAPES = REPO / "shapes" / "skos-quality.ttl"
LANGUAGES = {"en", "de", "fr"}
VOCABULARY = "http://atrium.test/graphs/vocab/test"
EX = "http://example.test/colours/"
RED = NamedNode(EX + "red")
_PLACEHOLDER = re.compile(r"\{[?$]\w+\}")

ENGLISH = "has the same text as prefLabel and as altLabel"
GERMAN = "hat denselben Text als prefLabel und als altLabel"
FRENCH = "a le même texte en prefLabel et en altLabel"
RULE = {
    "en": "prefLabel and altLabel disjoint",
    "de": "prefLabel und altLabel verschieden",
    "fr": "prefLabel et altLabel distincts",
}


# The shapes --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(SHAPES, format="turtle", publicID="http://atrium.test/vocab/")


def _languages(graph: rdflib.Graph, node: rdflib.term.Node, predicate: rdflib.URIRef) -> list:
    return sorted(o.language or "" for o in graph.objects(node, predicate))


def test_every_quality_message_is_in_english_german_and_french(shapes: rdflib.Graph) -> None:
    holders = set(shapes.subjects(SH.message, None))
    assert len(holders) >= 15
    for holder in holders:
        assert _languages(shapes, holder, SH.message) == sorted(LANGUAGES), holder
        placeholders = {
            frozenset(_PLACEHOLDER.findall(str(m))) for m in shapes.objects(holder, SH.message)
        }
        assert len(placeholders) == 1, (holder, placeholders)  # every language fills the same


def test_every_rule_name_is_in_english_german_and_french(shapes: rdflib.Graph) -> None:
    """The rules' names (shown after each reason); the editor fields' groups name form fields
    and stay English."""
    groups = set(shapes.subjects(rdflib.RDF.type, SH.PropertyGroup))
    named = set(shapes.subjects(RDFS.label, None)) - groups
    assert len(named) >= 15
    for shape in named:
        assert _languages(shapes, shape, RDFS.label) == sorted(LANGUAGES), shape
    for group in groups:
        assert _languages(shapes, group, RDFS.label) == ["en"], group


# The domain: every language carried, English kept ------------------------------------------------


@pytest.fixture(scope="module")
def gate() -> QualityGate:
    return QualityGate(SHAPES, "http://atrium.test/vocab/")


def _issues(gate: QualityGate, name: str, rule: str) -> list:
    with quiet_rdflib():
        graph = rdflib.Graph().parse(VOCAB_DATA / name, format="turtle")
        return [i for i in gate.check(graph, VOCABULARY).issues if i.rule == rule]


def test_a_shacl_core_issue_carries_its_message_in_each_language(gate: QualityGate) -> None:
    (issue,) = _issues(gate, "pref-alt-overlap.ttl", "pref-alt-disjoint")
    assert issue.message == f'{ENGLISH}: "Red"' and issue.rule_label == RULE["en"]
    assert str(issue) == f'WARNING: "Red" <{EX}red>: {ENGLISH}: "Red" [{RULE["en"]}]'
    assert issue.describe_in("en") == issue.describe()
    assert issue.describe_in("de") == f'"Red" <{EX}red>: {GERMAN}: "Red" [{RULE["de"]}]'
    assert issue.describe_in("fr") == f'"Red" <{EX}red>: {FRENCH}: "Red" [{RULE["fr"]}]'
    assert issue.message_in("es") == issue.message  # no Spanish: English, by the fallback


def test_a_sparql_rule_fills_in_its_values_in_each_language(gate: QualityGate) -> None:
    cycle = {i.concept: i for i in _issues(gate, "cycle.ttl", "no-cycle")}[EX + "red"]
    blue = EX + "blue"
    assert cycle.message == f"is broader than itself: the hierarchy runs in a circle through {blue}"
    assert cycle.message_in("de") == (
        f"ist sein eigener Oberbegriff: die Hierarchie läuft über {blue} im Kreis"
    )
    assert cycle.message_in("fr") == (
        f"est son propre concept générique : la hiérarchie tourne en rond en passant par {blue}"
    )
    assert cycle.rule_label_in("de") == "kein Kreis in den Oberbegriffen"


def test_labels_without_a_language_are_named_so_in_each_language(
    gate: QualityGate, tmp_path: Path
) -> None:
    path = tmp_path / "untagged.ttl"
    path.write_text(
        f"<{EX}red> a <http://www.w3.org/2004/02/skos/core#Concept> ; "
        '<http://www.w3.org/2004/02/skos/core#prefLabel> "Red", "Scarlet", "Rot"@de, "Rouge"@de .'
    )
    graph = rdflib.Graph().parse(path, format="turtle")
    found = [i for i in gate.check(graph, VOCABULARY).issues if i.rule.startswith("one-pref")]
    by_message = {i.message: i for i in found}
    assert set(by_message) == {
        "has 2 prefLabels in one language (de)",
        "has 2 prefLabels in one language (no language tag)",
    }
    untagged = by_message["has 2 prefLabels in one language (no language tag)"]
    assert untagged.message_in("de") == "hat 2 prefLabels ohne Sprachangabe"
    assert untagged.message_in("fr") == "a 2 prefLabels sans indication de langue"


def test_a_refusal_stays_english_and_says_it_in_another_language_on_request(
    atrium: Atrium,
) -> None:
    assert import_file(atrium, VOCAB_DATA / "clean.ttl").stored
    editor = atrium.vocab.editor
    draft: ConceptDraft = editor.draft(RED)
    draft.labels.append(("altLabel", "en", "Red"))
    alice = Actor("alice", atrium.iris.user("alice"))
    with pytest.raises(Refused) as refused:
        editor.save(RED, draft, editor.version(RED), alice)
    (reason,) = refused.value.fields["labels"]
    assert ENGLISH in reason and ENGLISH in str(refused.value) and GERMAN not in str(refused.value)
    (german,) = refused.value.fields_in("de")["labels"]
    assert german == reason.replace(ENGLISH, GERMAN).replace(RULE["en"], RULE["de"])
    assert refused.value.fields["labels"] == [reason]  # asking for German changed nothing


def test_the_cli_report_stays_english(gate: QualityGate, capsys: pytest.CaptureFixture) -> None:
    with quiet_rdflib():
        graph = rdflib.Graph().parse(VOCAB_DATA / "pref-alt-overlap.ttl", format="turtle")
        print_quality(gate.check(graph, VOCABULARY), None)
    said = capsys.readouterr().out
    assert ENGLISH in said and RULE["en"] in said and GERMAN not in said and FRENCH not in said


# The web: the taxonomist's forms in the reader's language ----------------------------------------


@pytest.fixture
def web(atrium: Atrium):  # noqa: ANN201
    assert import_file(atrium, VOCAB_DATA / "clean.ttl").stored
    return create_app(atrium).test_client()


def _label_errors(page: str) -> str:
    field = page[page.index('id="field-labels"') :]
    field = field[: field.index("</fieldset>")]
    return "".join(re.findall(r'<ul class="field-errors"[^>]*>(.*?)</ul>', field, re.S))


def _save_red_with_alt_label_red(client, query: str = "", headers: dict | None = None) -> str:  # noqa: ANN001
    html = client.get(f"/vocab/edit?iri={EX}red", headers=headers).get_data(as_text=True)
    data = {
        "iri": EX + "red",
        "version": re.search(r'name="version" value="(\w+)"', html).group(1),
        "csrf_token": csrf_token(client),
        "label_kind": ["prefLabel", "prefLabel", "altLabel"],
        "label_lang": ["en", "de", "en"],
        "label_text": ["Red", "Rot", "Red"],
        "broader": [EX + "colour"],
    }
    response = client.post(f"/vocab/edit{query}", data=data, headers=headers)
    assert response.status_code == 422
    return _label_errors(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("headers", "query", "language", "words"),
    [
        ({"Accept-Language": "de"}, "", "de", GERMAN),
        ({}, "?lang=de", "de", GERMAN),
        ({"Accept-Language": "fr"}, "", "fr", FRENCH),
        ({"Accept-Language": "en"}, "", "en", ENGLISH),
        ({}, "", "en", ENGLISH),
    ],
)
def test_a_refused_edit_gives_the_reason_in_the_readers_language(
    web,
    sign_in,
    headers: dict,
    query: str,
    language: str,
    words: str,  # noqa: ANN001
) -> None:
    sign_in(web, role="taxonomist")
    errors = _save_red_with_alt_label_red(web, query, headers)
    assert words in errors and f"[{RULE[language]}]" in errors, errors
    others = {ENGLISH, GERMAN, FRENCH} - {words}
    assert not [text for text in others if text in errors], errors
    assert "http://" not in errors  # the concept is named by its label, not its IRI
    named = "“Rot”" if language == "de" else "“Red”"
    assert named in errors, errors


def test_a_new_concept_refused_in_french(web, sign_in) -> None:  # noqa: ANN001
    sign_in(web, role="taxonomist")
    response = post_new_concept(web, "Red", {"Accept-Language": "fr"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "a le prefLabel Red, comme “Red” dans le même schéma" in _label_errors(page)
    assert "[prefLabels uniques dans un schéma]" in page
    assert "prefLabels unique within a scheme" not in page
