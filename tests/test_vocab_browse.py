"""The vocabulary browser: lists, trees, concept pages, languages, dereferencing, autocomplete."""

from __future__ import annotations

import json
import re

import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, parse
from vocab_helpers import VOCAB_DATA, import_file

from app.domain.media.ingest import Ingester, IngestOptions
from app.domain.vocab.browse import ROOTS_PER_PAGE
from app.domain.vocab.importer import ImportReport
from app.domain.vocab.languages import LanguagePreference
from app.service import Atrium
from app.web import create_app
from app.web.i18n import LANGUAGE_COOKIE

EX = "http://example.test/colours/"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


@pytest.fixture
def client(atrium: Atrium, client):  # noqa: ANN001, ANN201
    """The shared client, with the clean test vocabulary imported."""
    import_file(atrium, VOCAB_DATA / "clean.ttl")
    return client


# --- languages -----------------------------------------------------------------------------------


def test_the_readers_language_wins_then_english_then_untagged_then_alphabetical() -> None:
    labels = [
        Literal("Rot", language="de"),
        Literal("Red", language="en"),
        Literal("Rouge", language="fr"),
        Literal("red"),
        Literal("Rosso", language="it"),
    ]
    assert LanguagePreference.of(["fr"]).best(labels).value == "Rouge"
    assert LanguagePreference.of(["ja"]).best(labels).value == "Red"
    assert LanguagePreference.of([]).best(labels[2:]).value == "red"  # no English: untagged
    assert LanguagePreference.of(["ja"]).best([labels[0], labels[4]]).value == "Rot"  # de < it


def test_language_tags_match_by_their_primary_subtag() -> None:
    british = Literal("Colour", language="en-GB")
    assert LanguagePreference.of(["en"]).best([Literal("Farbe", language="de"), british]) == british
    american = Literal("Color", language="en-us")
    assert LanguagePreference.of(["en-GB"]).best([american, british]) == british


# --- pages ---------------------------------------------------------------------------------------


def test_the_list_shows_each_scheme_with_counts_and_languages(client) -> None:  # noqa: ANN001
    html = client.get("/vocab/").get_data(as_text=True)
    assert "Colours" in html and "colours" in html
    row = re.search(r"Colours</a>.*?</tr>", html, re.S).group(0)
    assert ">3<" in row and ">de<" in row and ">en<" in row
    assert "Subjects" in html and ">82<" in html


def test_a_scheme_page_shows_the_top_of_its_tree_and_loads_children_on_demand(client) -> None:  # noqa: ANN001
    html = client.get("/vocab/scheme?iri=colours").get_data(as_text=True)
    assert "Colour</a>" in html and 'data-children="/vocab/children?' in html
    assert "Red</a>" not in html  # one level only
    children = client.get(f"/vocab/children?vocabulary=colours&iri={EX}colour").get_data(
        as_text=True
    )
    assert "Blue</a>" in children and "Red</a>" in children
    assert children.index("Blue") < children.index("Red")  # by label


def test_the_tree_opens_without_javascript(client) -> None:  # noqa: ANN001
    html = client.get("/vocab/scheme?iri=colours").get_data(as_text=True)
    link = re.search(r'<a class="load" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    opened = client.get(link).get_data(as_text=True)
    assert "Red</a>" in opened and "<details" in opened and " open " in opened


def test_a_big_scheme_opens_one_page_of_its_top_level(atrium: Atrium) -> None:
    """10,000 concepts, 500 at the top: the page holds one page of the top level, no more."""
    skos = "http://www.w3.org/2004/02/skos/core#"
    scheme = NamedNode("http://big.test/scheme")
    triples = [Triple(scheme, RDF_TYPE, NamedNode(skos + "ConceptScheme"))]
    for n in range(10_000):
        concept = NamedNode(f"http://big.test/c{n}")
        triples += [
            Triple(concept, RDF_TYPE, NamedNode(skos + "Concept")),
            Triple(
                concept, NamedNode(skos + "prefLabel"), Literal(f"Concept {n:05d}", language="en")
            ),
        ]
        if n >= 500:
            triples.append(
                Triple(
                    concept, NamedNode(skos + "broader"), NamedNode(f"http://big.test/c{n // 10}")
                )
            )
    atrium.store.replace_graph(atrium.iris.vocab_graph("big"), triples)
    html = create_app(atrium).test_client().get("/vocab/scheme?iri=big").get_data(as_text=True)
    assert html.count("<li id=") == ROOTS_PER_PAGE
    assert "page 1 of 3" in html and "Concept 00000" in html and "Concept 00499" not in html
    assert "Concept 00500" not in html  # below the top level: loaded when opened


def test_a_concept_page_shows_every_label_note_and_relation(client) -> None:  # noqa: ANN001
    html = client.get(f"/vocab/concept?iri={EX}red").get_data(as_text=True)
    for text in ("Red", "Rot", "Crimson", "Redd", "The colour of blood.", "Colour</a>", "Blue</a>"):
        assert text in html, text
    assert "altLabel" in html and "hiddenLabel" in html and "definition" in html
    blue = client.get(f"/vocab/concept?iri={EX}blue").get_data(as_text=True)
    assert "exactMatch" in blue and "http://www.wikidata.org/entity/Q1088" in blue


def test_labels_follow_the_readers_language(client) -> None:  # noqa: ANN001
    german = client.get(f"/vocab/concept?iri={EX}red&lang=de").get_data(as_text=True)
    assert "<h1>Rot</h1>" in german and "Farbe</a>" in german
    accept = {"Accept-Language": "de-CH, de;q=0.9, en;q=0.5"}
    assert "<h1>Rot</h1>" in client.get(f"/vocab/concept?iri={EX}red", headers=accept).get_data(
        as_text=True
    )
    japanese = client.get(f"/vocab/concept?iri={EX}red&lang=ja").get_data(as_text=True)
    assert "<h1>Rot</h1>" in japanese  # no Japanese label: the interface's German, which sticks
    client.delete_cookie(LANGUAGE_COOKIE)
    japanese = client.get(f"/vocab/concept?iri={EX}red&lang=ja").get_data(as_text=True)
    assert "<h1>Red</h1>" in japanese and "then English" in japanese


def test_the_page_counts_the_assets_the_reader_may_see(atrium: Atrium, tmp_path) -> None:  # noqa: ANN001
    from PIL import Image

    ingester = Ingester(atrium)
    for access in ("public", "restricted"):
        path = tmp_path / f"{access}.png"
        Image.new("RGB", (40, 30), "red" if access == "public" else "blue").save(path)
        options = ingester.resolve(IngestOptions("marketing", access, subjects=["Team"]))
        assert ingester.run([path], options).outcomes[0].status == "ingested"
    html = create_app(atrium).test_client().get("/vocab/subjects/team").get_data(as_text=True)
    assert "1 asset</a> uses this concept" in html and "/search?" in html


def test_unknown_concepts_and_schemes_are_404(client) -> None:  # noqa: ANN001
    assert client.get("/vocab/concept?iri=http://nowhere.test/x").status_code == 404
    assert client.get("/vocab/concept").status_code == 404
    assert client.get("/vocab/scheme?iri=nothing").status_code == 404
    assert client.get("/vocab/subjects/no-such-concept").status_code == 404


# --- dereferencing -------------------------------------------------------------------------------


def test_minted_concept_iris_dereference_to_html_or_rdf(atrium: Atrium) -> None:
    client = create_app(atrium).test_client()
    page = client.get("/vocab/subjects/people")
    assert (
        page.status_code == 200
        and page.mimetype == "text/html"
        and "People" in page.get_data(as_text=True)
    )
    turtle = client.get("/vocab/subjects/people", headers={"Accept": "text/turtle"})
    assert turtle.mimetype == "text/turtle" and "Accept" in turtle.headers["Vary"]
    triples = [q.triple for q in parse(turtle.data, format=RdfFormat.TURTLE)]
    people = atrium.iris.concept("subjects/people")
    assert any(
        t.subject == people and t.object == Literal("Menschen", language="de") for t in triples
    )
    jsonld = client.get("/vocab/subjects/people", headers={"Accept": "application/ld+json"})
    assert jsonld.mimetype == "application/ld+json" and json.loads(jsonld.data)
    scheme = client.get("/vocab/subjects", headers={"Accept": "text/turtle"})
    assert b"ConceptScheme" in scheme.data


def test_foreign_concepts_have_pages_and_rdf_by_query(client) -> None:  # noqa: ANN001
    rdf = client.get(f"/vocab/concept?iri={EX}red&format=ttl")
    triples = [q.triple for q in parse(rdf.data, format=RdfFormat.TURTLE)]
    assert any(t.subject == NamedNode(EX + "red") for t in triples)


# --- downloads -----------------------------------------------------------------------------------


def test_the_scheme_page_offers_every_download(client) -> None:  # noqa: ANN001
    html = client.get("/vocab/scheme?iri=colours").get_data(as_text=True)
    for fmt in ("ttl", "rdf", "jsonld", "nt", "csv"):
        assert f"/vocab/export?vocabulary=colours&amp;format={fmt}" in html
        response = client.get(f"/vocab/export?vocabulary=colours&format={fmt}")
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith('attachment; filename="colours.')
    assert client.get("/vocab/export?vocabulary=colours&format=exe").status_code == 400


# --- autocomplete --------------------------------------------------------------------------------


def test_autocomplete_matches_any_label_kind_in_any_language(client) -> None:  # noqa: ANN001
    def labels(query: str) -> list[tuple[str, str]]:
        body = client.get(f"/api/concepts?{query}").get_json()
        return [(c["label"], c["matched"]) for c in body["concepts"]]

    assert ("Red", "Red") in labels("q=re&scheme=colours")
    assert labels("q=crim&scheme=colours") == [("Red", "Crimson")]  # altLabel
    assert labels("q=redd&scheme=colours") == [("Red", "Redd")]  # hiddenLabel
    assert labels("q=bla&scheme=colours&lang=de") == [("Blau", "Blau")]
    assert labels("q=re&scheme=colours")[0] == ("Rot", "Red")  # the German chosen sticks
    everywhere = labels("q=ROT&lang=en")  # any language, any case, every vocabulary
    assert (
        everywhere[0] == ("Red", "Rot")
        and ("Warehouse Rotterdam", "Rotterdam distribution centre") in everywhere
    )
    assert labels("q=") == [] and labels("q=zzzz") == []


def test_autocomplete_puts_exact_and_prefix_matches_first(client) -> None:  # noqa: ANN001
    body = client.get("/api/concepts?q=team").get_json()["concepts"]
    assert body[0]["label"] == "Team" and body[0]["matchedKind"] == "prefLabel"
    limited = client.get("/api/concepts?q=s&limit=3").get_json()["concepts"]
    assert len(limited) == 3


@pytest.mark.slow
def test_autocomplete_on_gemet_finds_german_and_french_labels(
    corpus_vocabularies: tuple[Atrium, dict[str, ImportReport]],
) -> None:
    atrium, _ = corpus_vocabularies
    suggest = atrium.vocab.autocomplete.suggest
    german = suggest(
        "wasser", LanguagePreference.of(["de"]), graph=atrium.iris.vocab_graph("gemet")
    )
    assert german and all("wasser" in s.matched.casefold() for s in german)
    french = suggest("eau", LanguagePreference.of(["fr"]))
    assert any(s.vocabulary == "gemet" and s.matched.casefold().startswith("eau") for s in french)


@pytest.mark.slow
def test_the_gemet_tree_starts_at_its_themes(
    corpus_vocabularies: tuple[Atrium, dict[str, ImportReport]],
) -> None:
    atrium, _ = corpus_vocabularies
    gemet = atrium.vocab.get("gemet")
    view = atrium.vocab.browser.scheme(gemet, LanguagePreference.of(["fr"]))
    themes = [node for node in view.roots if node.label == "GEMET themes"]
    assert view.total_roots < 10 and themes and themes[0].children == 40
    first_theme = atrium.vocab.browser.children(
        gemet.graph, themes[0].iri, LanguagePreference.of(["fr"])
    )
    assert "administration" in {node.label for node in first_theme}
