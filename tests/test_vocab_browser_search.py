"""The vocabulary browser's search box, breadcrumbs and plain-words refusals (issue 13, part 7):
over real HTTP, in headless Chromium, and through the Flask client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import add_user, browser_sign_in, csrf_token, serving
from vocab_helpers import VOCAB_DATA, import_file

from app.service import Atrium
from app.web import create_app

EX = "http://example.test/colours/"
CODES = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix c: <http://example.test/codes/> .
c:scheme a skos:ConceptScheme ; skos:prefLabel "Codes"@en ; skos:hasTopConcept c:a .
c:a a skos:Concept ; skos:inScheme c:scheme ; skos:topConceptOf c:scheme ;
    skos:prefLabel "Archive"@en, "Archiv"@de ; skos:notation "QX-10" .
c:b a skos:Concept ; skos:inScheme c:scheme ; skos:broader c:a ;
    skos:prefLabel "Archive box"@en, "Archivkarton"@de ; skos:notation "QX-11" .
"""


@pytest.fixture
def vocabularies(atrium: Atrium, tmp_path: Path) -> Atrium:
    assert import_file(atrium, VOCAB_DATA / "clean.ttl").stored
    codes = tmp_path / "codes.ttl"
    codes.write_text(CODES)
    assert import_file(atrium, codes).stored
    return atrium


@pytest.fixture
def served(vocabularies: Atrium) -> Iterator[str]:
    with serving(vocabularies) as base:
        yield base


def found(page: str) -> list[str]:
    """The labels of the concepts a search page lists, in order."""
    listed = re.search(r'<ul class="found-concepts">(.*?)</ul>', page, re.S)
    return re.findall(r'<li><a href="[^"]+">([^<]+)</a>', listed.group(1)) if listed else []


def breadcrumbs(page: str) -> list[str]:
    nav = re.search(r'<nav class="breadcrumbs"[^>]*>(.*?)</nav>', page, re.S).group(1)
    return [
        " ".join(re.sub(r"<[^>]+>", "", item).split())
        for item in re.findall(r"<li[^>]*>(.*?)</li>", nav, re.S)
    ]


# Search, over HTTP ---------------------------------------------------------------------------


def test_search_finds_concepts_by_any_label_in_the_readers_language(served: str) -> None:
    page = requests.get(f"{served}/vocab/search", params={"q": "crimson"}).text
    assert found(page) == ["Red"] and "(matched “Crimson”)" in page  # an altLabel
    german = requests.get(f"{served}/vocab/search", params={"q": "crimson", "lang": "de"}).text
    assert found(german) == ["Rot"]
    by_accept = requests.get(
        f"{served}/vocab/search", params={"q": "rot"}, headers={"Accept-Language": "de"}
    ).text
    assert found(by_accept)[0] == "Rot"  # an exact match first (then "Lager Rotterdam")
    assert found(requests.get(f"{served}/vocab/search", params={"q": "redd"}).text) == ["Red"]


def test_search_finds_concepts_by_notation(served: str) -> None:
    page = requests.get(f"{served}/vocab/search", params={"q": "qx-1"}).text
    assert found(page) == ["Archive", "Archive box"] and "(matched “QX-10”)" in page
    exact = requests.get(f"{served}/vocab/search", params={"q": "QX-11", "lang": "de"}).text
    assert found(exact) == ["Archivkarton"]


def test_search_across_vocabularies_or_within_one(served: str) -> None:
    everywhere = requests.get(f"{served}/vocab/search", params={"q": "arch"}).text
    assert "Archive" in found(everywhere) and "in Codes" in everywhere
    within = requests.get(f"{served}/vocab/search", params={"q": "arch", "scheme": "colours"})
    assert within.status_code == 200 and found(within.text) == []
    assert "Concepts matching “arch” in Colours" in within.text
    colour = requests.get(f"{served}/vocab/search", params={"q": "col", "scheme": "colours"})
    assert found(colour.text) == ["Colour"]
    unknown = requests.get(f"{served}/vocab/search", params={"q": "x", "scheme": "nothing"})
    assert unknown.status_code == 404


def test_search_boxes_are_on_the_vocabulary_pages(served: str) -> None:
    index = requests.get(f"{served}/vocab/").text
    assert 'class="vocab-search"' in index and 'name="scheme"' not in index
    scheme = requests.get(f"{served}/vocab/scheme", params={"iri": "colours"}).text
    assert 'class="vocab-search"' in scheme and 'name="scheme" value="colours"' in scheme
    concept = requests.get(f"{served}/vocab/concept", params={"iri": EX + "red"}).text
    assert 'name="scheme" value="colours"' in concept


def test_what_is_typed_is_escaped_and_an_empty_search_finds_nothing(served: str) -> None:
    page = requests.get(f"{served}/vocab/search", params={"q": "<script>x</script>"}).text
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
    empty = requests.get(f"{served}/vocab/search")
    assert empty.status_code == 200 and "Find a concept" in empty.text
    assert found(empty.text) == []


# Breadcrumbs and labels -----------------------------------------------------------------------


def test_a_concept_page_has_breadcrumbs_by_label(served: str) -> None:
    page = requests.get(f"{served}/vocab/subjects/e-bike").text
    trail = ["Vocabularies", "Subjects", "Transport", "Vehicle", "Bicycle", "E-bike"]
    assert breadcrumbs(page) == trail
    german = requests.get(f"{served}/vocab/subjects/e-bike", params={"lang": "de"}).text
    assert breadcrumbs(german)[1:] == [
        "Themen", "Verkehr und Transport", "Fahrzeug", "Fahrrad", "E-Bike"
    ]  # fmt: skip
    nav = re.search(r'<nav class="breadcrumbs".*?</nav>', page, re.S).group(0)
    assert "http://" not in re.sub(r'href="[^"]*"', "", nav)  # links, never raw IRIs
    assert breadcrumbs(requests.get(f"{served}/vocab/subjects/transport").text) == [
        "Vocabularies", "Subjects", "Transport"
    ]  # fmt: skip


def test_relations_show_labels(served: str) -> None:
    page = requests.get(f"{served}/vocab/concept", params={"iri": EX + "red", "lang": "de"}).text
    broader = re.search(r'<dd class="broader">(.*?)</dd>', page, re.S).group(1)
    related = re.search(r'<dd class="related">(.*?)</dd>', page, re.S).group(1)
    assert ">Farbe</a>" in broader and ">Blau</a>" in related
    assert EX not in re.sub(r'href="[^"]*"', "", broader + related)


# Refusals in plain words (the editor) ----------------------------------------------------------


def test_a_refused_move_names_concepts_by_label_next_to_the_field(vocabularies: Atrium, sign_in):  # noqa: ANN201
    web = create_app(vocabularies).test_client()
    sign_in(web, role="taxonomist")
    form = web.get(f"/vocab/edit?iri={EX}colour").get_data(as_text=True)
    response = web.post(
        "/vocab/edit",
        data={
            "iri": EX + "colour",
            "version": re.search(r'name="version" value="(\w+)"', form).group(1),
            "csrf_token": csrf_token(web),
            "label_kind": ["prefLabel"],
            "label_lang": ["en"],
            "label_text": ["Colour"],
            "broader": [EX + "red"],
            "confirm_move": "1",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    field = page[page.index('id="field-broader"') :]
    field = field[: field.index("</fieldset>")]
    errors = re.search(r'<ul class="field-errors".*?</ul>', field, re.S).group(0)
    assert "no cycle in broader" in errors and "“Colour”" in errors
    assert "<http" not in errors and "&lt;http" not in errors and EX not in errors
    assert '<span class="link-label">Red</span>' in field  # the IRI in the box has its label


def test_the_move_confirmation_names_what_moves_where(vocabularies: Atrium, sign_in, tmp_path):  # noqa: ANN001, ANN201
    from PIL import Image

    from app.domain.media.ingest import Ingester, IngestOptions

    ingester = Ingester(vocabularies)
    image = tmp_path / "bike.png"
    Image.new("RGB", (20, 20), "green").save(image)
    options = ingester.resolve(IngestOptions("marketing", "public", subjects=["Bicycle"]))
    assert ingester.run([image], options).outcomes[0].status == "ingested"
    web = create_app(vocabularies).test_client()
    sign_in(web, role="taxonomist")
    bicycle = vocabularies.iris.concept("subjects/bicycle").value
    form = web.get(f"/vocab/edit?iri={bicycle}").get_data(as_text=True)
    response = web.post(
        "/vocab/edit",
        data={
            "iri": bicycle,
            "version": re.search(r'name="version" value="(\w+)"', form).group(1),
            "csrf_token": csrf_token(web),
            "label_kind": ["prefLabel"],
            "label_lang": ["en"],
            "label_text": ["Bicycle"],
            "broader": [vocabularies.iris.concept("subjects/logistics").value],
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Move this concept?" in page
    assert "“Bicycle” moves under “Logistics”." in page


# In Chromium -----------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_reader_finds_a_concept_and_climbs_its_breadcrumbs(browser, served: str) -> None:
    page = browser.new_page(locale="de-DE", extra_http_headers={"Accept-Language": "de"})
    page.goto(f"{served}/vocab/")
    page.fill(".vocab-search input[name=q]", "lastenrad")
    page.click(".vocab-search button[type=submit]")
    page.wait_for_selector(".found-concepts a")
    assert page.locator(".found-concepts a").all_inner_texts() == ["Lastenrad"]
    page.click(".found-concepts a:text-is('Lastenrad')")
    page.wait_for_selector("h1:text-is('Lastenrad')")
    crumbs = page.locator(".breadcrumbs li").all_inner_texts()
    # The first crumb is the site's word for "Vocabularies" (the interface may be translated).
    trail = ["Themen", "Verkehr und Transport", "Fahrzeug", "Fahrrad", "Lastenrad"]
    assert crumbs[1:] == trail
    page.click(".breadcrumbs a:text-is('Fahrzeug')")
    page.wait_for_selector("h1:text-is('Fahrzeug')")
    page.fill(".vocab-search input[name=q]", "auto")  # within the scheme now
    page.click(".vocab-search button[type=submit]")
    page.wait_for_selector(".found-concepts a")
    assert "Auto" in page.locator(".found-concepts a").all_inner_texts()
    assert "scheme=subjects" in page.url


@pytest.mark.browser
def test_a_taxonomist_sees_a_refusal_on_the_field_in_words(browser, vocabularies: Atrium) -> None:
    name = add_user(vocabularies, "taxonomist")
    with serving(vocabularies) as base:
        page = browser.new_page()
        browser_sign_in(page, base, name)
        page.goto(f"{base}/vocab/edit?iri={EX}colour")
        page.locator("#field-broader input[name=broader]").first.fill(EX + "red")
        page.click("form.concept-form button[type=submit]")
        page.wait_for_selector("text=Move this concept?")
        page.click("button:text-is('Yes, move it')")
        page.wait_for_selector("#field-broader .field-errors")
        message = page.locator("#field-broader .field-errors").inner_text()
        assert "“Colour”" in message and "http" not in message


def test_breadcrumbs_and_search_work_on_a_remote_store(remote_atrium: Atrium, tmp_path) -> None:  # noqa: ANN001
    codes = tmp_path / "codes.ttl"
    codes.write_text(CODES)
    assert import_file(remote_atrium, codes).stored
    web = create_app(remote_atrium).test_client()
    page = web.get("/vocab/concept?iri=http://example.test/codes/b").get_data(as_text=True)
    assert breadcrumbs(page)[1:] == ["Codes", "Archive", "Archive box"]
    assert found(web.get("/vocab/search?q=qx-11").get_data(as_text=True)) == ["Archive box"]
    team = web.get("/vocab/subjects/people").get_data(as_text=True)
    assert "No asset you may see is tagged with this concept or its narrower concepts." in team
