"""Search that understands words (issue 13, part 3): stems per language, "did you mean", and
empty results that keep their facets; in the domain, in /api/search and on the search page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from conftest import make_atrium, serving
from pyoxigraph import Literal
from search_helpers import put_asset, search_query, subject

from app.domain.people.access import ANONYMOUS, scope_for
from app.domain.search.stems import query_words, stem_text
from app.domain.search.suggestions import distance
from app.namespaces import DCT
from app.service import Atrium

GERMAN = Literal("Ein Fahrrad am Kai", language="de")
CATALOGUE = {
    "bicycle": ("Red bicycle at the harbour", {}),
    "fahrrad": ("Hafen", dict(extra=[(DCT.description, GERMAN)])),
    "velo": ("Le vélo du port", dict(extra=[(DCT.title, Literal("Un vélo", language="fr"))])),
    "truck": ("Delivery truck", dict(subjects=["truck"], keywords=["delivery"])),
    "secret": ("Zeppelinhangar prototype", dict(access="restricted")),
}  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Atrium, dict, str]]:
    atrium = make_atrium(tmp_path_factory.mktemp("words") / "data")
    ids = {}
    for key, (title, options) in CATALOGUE.items():
        if "subjects" in options:
            options = dict(options, subjects=[subject(atrium, s) for s in options["subjects"]])
        ids[key] = put_asset(atrium, title, **options)
    with serving(atrium) as base_url:
        yield atrium, ids, base_url
    atrium.close()


def run(atrium: Atrium, params):  # noqa: ANN001, ANN201
    scope = scope_for(ANONYMOUS, atrium.iris, atrium.store)
    return atrium.search.search(search_query(atrium, params), scope)


def names(ids: dict, asset_ids) -> set[str]:  # noqa: ANN001
    by_id = {v: k for k, v in ids.items()}
    return {by_id[i] for i in asset_ids}


INFLECTIONS = [("bicycles", "bicycle"), ("Fahrräder", "fahrrad"), ("vélos", "velo")]


@pytest.mark.parametrize(("text", "expected"), INFLECTIONS)
def test_an_inflected_word_finds_its_stem_in_the_domain(site, text: str, expected: str) -> None:
    atrium, ids, _ = site
    assert names(ids, [card.asset_id for card in run(atrium, {"q": text}).cards]) == {expected}


@pytest.mark.parametrize(("text", "expected"), INFLECTIONS)
def test_an_inflected_word_finds_its_stem_over_http(site, text: str, expected: str) -> None:
    atrium, ids, base_url = site
    body = requests.get(f"{base_url}/api/search", params={"q": text}, timeout=30).json()
    assert names(ids, [r["id"] for r in body["results"]]) == {expected}
    page = requests.get(f"{base_url}/search", params={"q": text}, timeout=30).text
    assert "1 asset<" in page
    assert "No assets match" not in page


def test_stems_keep_case_and_accent_folding() -> None:
    assert stem_text([("Fahrräder", "de")]) == "fahrrad"
    assert stem_text([("Vélo", "fr")]) == ""  # the word is its own stem: stored once
    assert "velo" in dict(query_words("VÉLOS"))["velos"]
    assert "bicycl" in stem_text([("Bicycles", None)]).split()  # untagged: every language


def test_a_typo_offers_did_you_mean_in_the_domain(site) -> None:
    atrium, _, _ = site
    result = run(atrium, {"q": "Fahrad"})
    assert result.total == 0
    assert result.suggestions == ["fahrrad"]
    assert run(atrium, {"q": "fahrrad"}).total == 1  # what it suggests finds something


def test_a_typo_offers_did_you_mean_over_http(site) -> None:
    _, _, base_url = site
    body = requests.get(f"{base_url}/api/search", params={"q": "Fahrad"}, timeout=30).json()
    assert (body["total"], body["suggestions"]) == (0, ["fahrrad"])
    page = requests.get(f"{base_url}/search", params={"q": "Fahrad"}, timeout=30).text
    assert 'Did you mean <a href="/search?q=fahrrad"' in page


def test_concept_labels_are_suggested(site) -> None:
    atrium, ids, _ = site
    result = run(atrium, {"q": "lorrry"})  # "lorry": an altLabel of the truck concept
    assert "lorry" in result.suggestions


def test_a_search_that_finds_enough_offers_nothing(site) -> None:
    atrium, _, _ = site
    assert run(atrium, {"q": "zzzz"}).suggestions == []  # nothing near it
    assert run(atrium, {"q": "bicycle"}).suggestions == []  # no typo: nothing finds more


def test_restricted_words_are_not_suggested_to_who_may_not_see_them(site) -> None:
    atrium, ids, base_url = site
    result = run(atrium, {"q": "Zepelinhangar"})
    assert result.suggestions == []
    body = requests.get(f"{base_url}/api/search", params={"q": "Zepelinhangar"}, timeout=30)
    assert "suggestions" not in body.json()  # the key is there only when there are some
    assert "zeppelin" not in body.text.casefold()


def test_an_empty_result_keeps_the_facets_at_zero(site) -> None:
    atrium, ids, base_url = site
    truck = subject(atrium, "truck")
    result = run(atrium, [("q", "Fahrad"), ("subject", truck)])
    assert result.total == 0
    by_name = {f.name: f for f in result.facets}
    assert by_name["department"].values and all(v.count == 0 for v in by_name["department"].values)
    assert truck in selected(by_name["subject"].values)  # still there to remove
    assert [chip.value for chip in result.chips] == [truck]
    body = requests.get(
        f"{base_url}/api/search", params=[("q", "Fahrad"), ("subject", truck)], timeout=30
    ).json()
    departments = next(f for f in body["facets"] if f["name"] == "department")
    assert departments["values"] and {v["count"] for v in departments["values"]} == {0}
    page = requests.get(f"{base_url}/search", params=[("q", "Fahrad"), ("subject", truck)]).text
    assert 'id="facet-department"' in page
    assert "No assets match" in page


def selected(values) -> set[str]:  # noqa: ANN001
    return {v.value for v in values if v.selected} | {
        chosen for v in values for chosen in selected(v.children)
    }


def test_edit_distance_counts_swaps_and_stops_early() -> None:
    assert distance("fahrad", "fahrrad") == 1
    assert distance("lorry", "lroyr") == 2
    assert distance("bicycle", "tricycles") == 3  # above the limit: limit + 1
    assert distance("a", "abcdef") == 3
