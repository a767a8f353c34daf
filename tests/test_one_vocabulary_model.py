"""One SKOS model, one language-fallback rule: the rule on its own, and the asset page, the
search facets and the vocabulary browser showing the same label for one concept over real HTTP.

The rule (README, "Vocabularies"): ``?lang=``, else Accept-Language, then English, then labels
without a language, then other languages alphabetically; ``en`` also matches ``en-GB``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests
from conftest import make_atrium, serving
from pyoxigraph import Literal, NamedNode, Quad
from search_helpers import put_asset

from app.domain.vocab.languages import LanguagePreference, as_preference
from app.domain.vocab.model import Concept, label_of
from app.namespaces import RDF, SKOS
from app.service import Atrium
from app.storage.graphstore import Scope

# --- the rule on its own -------------------------------------------------------------------


def pick(asked: list[str], labels: dict[str, str]) -> str | None:
    return LanguagePreference.of(asked).best_text(labels)


def test_the_readers_first_language_wins() -> None:
    labels = {"en": "Red", "de": "Rot", "fr": "Rouge"}
    assert pick(["de"], labels) == "Rot"  # ?lang=de
    assert pick(["fr", "de"], labels) == "Rouge"  # Accept-Language: fr, de


def test_the_readers_later_languages_come_before_english() -> None:
    assert pick(["ja", "fr"], {"en": "Red", "fr": "Rouge"}) == "Rouge"


def test_then_english() -> None:
    assert pick(["ja"], {"en": "Red", "de": "Rot", "": "red"}) == "Red"
    assert pick([], {"de": "Rot", "en": "Red"}) == "Red"  # neither ?lang= nor Accept-Language


def test_then_a_label_without_a_language() -> None:
    assert pick(["ja"], {"de": "Rot", "": "red", "fr": "Rouge"}) == "red"


def test_then_other_languages_alphabetically_by_tag() -> None:
    assert pick(["ja"], {"it": "Rosso", "fr": "Rouge", "de": "Rot"}) == "Rot"
    assert pick([], {"it": "Rosso", "fr": "Rouge"}) == "Rouge"


def test_a_language_matches_its_regional_variants_both_ways() -> None:
    assert pick(["en"], {"de": "Farbe", "en-GB": "Colour"}) == "Colour"
    assert pick(["en-GB"], {"en-US": "Color", "en-GB": "Colour"}) == "Colour"
    assert pick(["en-GB"], {"de": "Farbe", "en": "Color"}) == "Color"
    assert pick(["de"], {"en": "Colour", "de-CH": "Farbe"}) == "Farbe"  # before English


def test_tags_compare_without_case() -> None:
    assert pick(["DE"], {"en": "Red", "de": "Rot"}) == "Rot"
    assert pick(["de"], {"en": "Red", "DE": "Rot"}) == "Rot"


def test_literals_follow_the_same_rule_and_ties_go_to_the_first_text() -> None:
    prefs = LanguagePreference.of(["fr"])
    labels = [Literal("Rot", language="de"), Literal("rouge", language="fr")]
    assert label_of(labels, "http://example.org/red", prefs) == "rouge"
    same = [Literal("b", language="fr"), Literal("a", language="fr")]
    assert label_of(same, "http://example.org/x", prefs) == "a"
    assert label_of([], "http://example.org/colours/red", prefs) == "red"  # no label: its name


def test_a_concept_without_prefLabel_shows_its_notation_else_its_name() -> None:
    assert Concept("http://example.org/c/7", notation="7.1").label("en") == "7.1"
    assert Concept("http://example.org/c/seven").label("en") == "seven"
    concept = Concept("http://example.org/c/red")
    for label in (Literal("Rouge", language="fr"), Literal("Rot", language="de")):
        concept.add_pref_label(label)
    assert concept.label("de") == concept.label(as_preference("de")) == "Rot"
    assert concept.label("ja") == "Rot"  # no English, no untagged: de before fr


# --- one label on every surface, over real HTTP --------------------------------------------

LABELS = {"de": "Laterne", "fr": "Lanterne", "en-GB": "Lantern", "fi": "Lyhty"}


@pytest.fixture(scope="module")
def lantern_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """A served Atrium with one subject concept labelled in four languages (English only as
    en-GB) and a public asset tagged with it: (base URL, concept IRI, asset id)."""
    atrium: Atrium = make_atrium(tmp_path_factory.mktemp("one-model") / "data")
    concept = atrium.iris.concept("subjects/lantern")
    graph = atrium.iris.vocab_graph("subjects")
    scheme = NamedNode(atrium.iris.vocab_base + "subjects")
    quads = [
        Quad(concept, RDF.type, SKOS.Concept, graph),
        Quad(concept, SKOS.inScheme, scheme, graph),
        *(Quad(concept, SKOS.prefLabel, Literal(t, language=k), graph) for k, t in LABELS.items()),
    ]
    atrium.store.insert(quads)
    asset_id = put_asset(atrium, "A lantern at dusk", subjects=[concept.value])
    try:
        with serving(atrium) as base_url:
            yield base_url, concept.value, asset_id
    finally:
        atrium.close()


def _asset_page_label(base: str, asset_id: str, concept: str, **request: dict) -> str:
    page = requests.get(f"{base}/assets/{asset_id}", timeout=30, **request)
    assert page.status_code == 200
    search_link = re.escape(html.escape("/vocab/concept?iri=" + quote(concept, safe="")))
    # The subject's value is the link text just before its "about the concept" link.
    found = re.search(r">([^<>]+)</a><a class=\"concept-page\" href=\"" + search_link, page.text)
    assert found, "the asset page shows the concept"
    return html.unescape(found[1])


def _facet_label(base: str, concept: str, **request: dict) -> str:
    answer = requests.get(f"{base}/api/search", timeout=30, **request)
    assert answer.status_code == 200

    def values(items: list[dict]) -> Iterator[dict]:
        for item in items:
            yield item
            yield from values(item.get("children") or [])

    found = [
        v["label"]
        for f in answer.json()["facets"]
        for v in values(f["values"])
        if v["value"] == concept
    ]
    assert found, "the subject facet counts the concept"
    return found[0]


def _browser_label(base: str, concept: str, **request: dict) -> str:
    page = requests.get(f"{base}/vocab/concept", timeout=30, **request)
    assert page.status_code == 200
    found = re.search(r"<h1>([^<]+)</h1>", page.text)
    assert found
    return html.unescape(found[1])


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        ({"params": {"lang": "de"}}, "Laterne"),
        ({"headers": {"Accept-Language": "fr"}}, "Lanterne"),
        ({}, "Lantern"),  # neither: English, which en-GB is
        ({"params": {"lang": "de"}, "headers": {"Accept-Language": "fr"}}, "Laterne"),
    ],
    ids=["lang-de", "accept-fr", "neither", "lang-over-accept"],
)
def test_asset_page_search_facets_and_browser_show_one_label(
    lantern_site: tuple[str, str, str], asked: dict, expected: str
) -> None:
    base, concept, asset_id = lantern_site
    browser_request = {**asked, "params": {**asked.get("params", {}), "iri": concept}}
    shown = {
        "asset page": _asset_page_label(base, asset_id, concept, **asked),
        "search facets": _facet_label(base, concept, **asked),
        "vocabulary browser": _browser_label(base, concept, **browser_request),
    }
    assert shown == dict.fromkeys(shown, expected)


# --- the search's lookup is kept until the store changes -----------------------------------


def test_the_concept_lookup_is_read_again_only_after_a_write(tmp_path) -> None:  # noqa: ANN001
    atrium = make_atrium(tmp_path / "data")
    try:
        scope = Scope.everything()
        first = atrium.search.concept_lookup(scope)
        assert atrium.search.concept_lookup(scope) is first
        concept = atrium.iris.concept("subjects/lantern")
        graph = atrium.iris.vocab_graph("subjects")
        atrium.store.insert(
            [
                Quad(concept, SKOS.inScheme, NamedNode(atrium.iris.vocab_base + "subjects"), graph),
                Quad(concept, SKOS.prefLabel, Literal("Laterne", language="de"), graph),
            ]
        )
        again = atrium.search.concept_lookup(scope)
        assert again is not first and again.label(concept.value, "de") == "Laterne"
    finally:
        atrium.close()
