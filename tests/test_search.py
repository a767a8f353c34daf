"""Semantic search and faceted browsing: text, concepts, access, language, the page and the API.

One small catalogue (metadata-only assets saved through AssetRepository.save, the real write
path) is shared by the read-only tests; tests that change data make their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import make_atrium
from pyoxigraph import NamedNode, Triple
from search_helpers import inline_scripts, put_asset, search_query, subject

from app.domain.people.access import ANONYMOUS, Reader, scope_for
from app.domain.search import SearchEngine, SearchQuery
from app.service import Atrium
from app.web import create_app

CATALOGUE = {
    "bike": ("Red bike at the harbour", dict(subjects=["bicycle"], keywords=["harbour"],
             creators=["Ana Souza"], created="2019-05-01T10:00:00",
             submitted="2026-01-08T00:00:00")),
    "fleet": ("Company fleet", dict(subjects=["car", "bicycle"], created="2020-06-01T10:00:00",
              submitted="2026-01-07T00:00:00")),
    "velo": ("Vélo de service", dict(department="training", subjects=["team"],
             created="2021-01-01T00:00:00", submitted="2026-01-06T00:00:00")),
    "board": ("Board meeting", dict(department="training", access="internal",
              subjects=["management"], submitted="2026-01-05T00:00:00")),
    "secret": ("Secret prototype car", dict(access="restricted", subjects=["prototype", "car"],
               submitted="2026-01-04T00:00:00")),
    "portrait": ("Staff portrait of Jane", dict(department="hr", access="restricted",
                 subjects=["staff-portrait"], submitted="2026-01-03T00:00:00")),
    "report": ("Annual report on bicycle sales", dict(mime="application/pdf",
               subjects=["annual-report"], description="Cycling in figures",
               submitted="2026-01-02T00:00:00")),
    "truck": ("Delivery truck", dict(subjects=["truck"], keywords=["delivery", "harbour"],
              creators=["Jonas Weber"], created="2019-08-01T00:00:00",
              submitted="2026-01-01T00:00:00")),
}  # fmt: skip
PUBLIC = {"bike", "fleet", "velo", "report", "truck"}


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Atrium, dict]]:
    atrium = make_atrium(tmp_path_factory.mktemp("search") / "data")
    ids = {}
    for key, (title, options) in CATALOGUE.items():
        options = dict(options, subjects=[subject(atrium, s) for s in options["subjects"]])
        ids[key] = put_asset(atrium, title, **options)
    yield atrium, ids
    atrium.close()


def run(atrium: Atrium, params=(), reader: Reader = ANONYMOUS, language: str = "en"):  # noqa: ANN001, ANN201
    query = search_query(atrium, params)
    scope = scope_for(reader, atrium.iris, atrium.store)
    return atrium.search.search(query, scope, language)


def found(result, ids: dict) -> set[str]:  # noqa: ANN001
    names = {v: k for k, v in ids.items()}
    return {names[card.asset_id] for card in result.cards}


def facet(result, name: str):  # noqa: ANN001, ANN201
    return next(f for f in result.facets if f.name == name)


def counts(result, name: str) -> dict[str, int]:  # noqa: ANN001
    return {v.label: v.count for v in facet(result, name).values}


# Access -------------------------------------------------------------------------------------


def test_anonymous_readers_see_and_count_public_assets_only(catalogue) -> None:
    atrium, ids = catalogue
    result = run(atrium)
    assert found(result, ids) == PUBLIC and result.total == len(PUBLIC)
    assert counts(result, "department") == {"Marketing": 4, "Training": 1}
    assert counts(result, "subject")["Transport"] == 3  # not the restricted prototype car


def test_signed_in_readers_see_what_their_departments_allow(catalogue) -> None:
    atrium, ids = catalogue
    member = Reader.signed_in_as("m", ["marketing"], False)
    result = run(atrium, reader=member)
    assert found(result, ids) == PUBLIC | {"board", "secret"}
    assert "Human resources" not in counts(result, "department")
    everything = run(atrium, reader=Reader.signed_in_as("a", [], True))
    assert found(everything, ids) == set(CATALOGUE)


# Text -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vehicle", {"bike", "fleet", "truck"}),  # labels of broader concepts
        ("Fahrrad", {"bike", "fleet"}),  # German prefLabel
        ("bicyclette", {"bike", "fleet"}),  # French altLabel
        ("Bycicle", {"bike", "fleet"}),  # hiddenLabel (a misspelling)
        ("lorry", {"truck"}),  # English altLabel
        ("harbour", {"bike", "truck"}),  # title and keyword
        ("cycling", {"report"}),  # description
        ("VELO", {"velo", "bike", "fleet"}),  # title without accent; Vélo is bicycle in French
        ("délivéry", {"truck"}),  # accents and case ignored both ways
        ("red harbour", {"bike"}),  # every word must match
        ("deliv", {"truck"}),  # a word matches the words it starts
        ("zeppelin", set()),
    ],
)
def test_text_matches_titles_descriptions_keywords_and_concept_labels(
    catalogue, text: str, expected: set[str]
) -> None:
    atrium, ids = catalogue
    assert found(run(atrium, {"q": text}), ids) == expected


def test_title_matches_rank_first(catalogue) -> None:
    atrium, ids = catalogue
    result = run(atrium, {"q": "bicycle"})
    names = {v: k for k, v in ids.items()}
    order = [names[card.asset_id] for card in result.cards]
    assert order == ["report", "bike", "fleet"]  # then newest first among the others


def test_text_and_facets_combine(catalogue) -> None:
    atrium, ids = catalogue
    result = run(atrium, [("q", "harbour"), ("subject", subject(atrium, "truck"))])
    assert found(result, ids) == {"truck"}
    assert counts(result, "keywords") == {"harbour": 1, "delivery": 1}


# Facets -------------------------------------------------------------------------------------


def test_values_of_one_facet_combine_with_or_and_facets_with_and(catalogue) -> None:
    atrium, ids = catalogue
    truck, bicycle = subject(atrium, "truck"), subject(atrium, "bicycle")
    either = run(atrium, [("subject", truck), ("subject", bicycle)])
    assert found(either, ids) == {"bike", "fleet", "truck"}
    training = atrium.iris.concept("departments/training").value
    both = run(atrium, [("subject", bicycle), ("department", training)])
    assert found(both, ids) == set()
    # A facet's own choice does not narrow its counts: the other values stay reachable.
    chosen = run(atrium, [("department", training)])
    assert found(chosen, ids) == {"velo"}
    assert counts(chosen, "department") == {"Marketing": 4, "Training": 1}
    assert [v.selected for v in facet(chosen, "department").values] == [False, True]


def test_a_concept_counts_assets_below_it_once_each(catalogue) -> None:
    atrium, ids = catalogue
    result = run(atrium, [("subject", subject(atrium, "vehicle"))])
    top = {v.label: v for v in facet(result, "subject").values}
    assert top["Transport"].count == 3  # the fleet holds a car and a bicycle: counted once
    vehicle = {v.label: v for v in top["Transport"].children}["Vehicle"]
    assert vehicle.count == 3 and vehicle.selected and vehicle.expanded
    assert {v.label: v.count for v in vehicle.children} == {"Bicycle": 2, "Car": 1, "Truck": 1}
    assert found(result, ids) == {"bike", "fleet", "truck"}  # tagged with anything below it


def test_the_subject_tree_opens_level_by_level(catalogue) -> None:
    atrium, _ = catalogue
    closed = {v.label: v for v in facet(run(atrium), "subject").values}
    assert closed["Transport"].expandable and not closed["Transport"].children
    opened = run(atrium, [("expand", subject(atrium, "transport"))])
    transport = {v.label: v for v in facet(opened, "subject").values}["Transport"]
    assert [v.label for v in transport.children] == ["Vehicle"]
    assert not transport.children[0].children and transport.children[0].expandable


def test_years_and_a_year_range(catalogue) -> None:
    atrium, ids = catalogue
    years = facet(run(atrium), "created")
    assert [(v.value, v.count) for v in years.values] == [("2021", 1), ("2020", 1), ("2019", 2)]
    assert found(run(atrium, {"from": "2020"}), ids) == {"fleet", "velo"}
    assert found(run(atrium, {"to": "2019"}), ids) == {"bike", "truck"}
    assert found(run(atrium, {"from": "2019", "to": "2020", "created": "2020"}), ids) == {"fleet"}
    within = facet(run(atrium, {"from": "2020"}), "created")
    assert [(v.value, v.count) for v in within.values] == [("2021", 1), ("2020", 1)]


def test_facets_show_their_top_values_and_say_when_there_are_more(catalogue) -> None:
    atrium, _ = catalogue
    limits = replace(atrium.search.limits, facet_values=1)
    engine = SearchEngine(atrium.store, atrium.iris, atrium.search_index, limits)
    scope = scope_for(ANONYMOUS, atrium.iris, atrium.store)
    result = engine.search(SearchQuery(), scope)
    keywords = next(f for f in result.facets if f.name == "keywords")
    assert keywords.truncated and [v.label for v in keywords.values] == ["harbour"]
    more = engine.search(SearchQuery(more=("keywords",)), scope)
    keywords = next(f for f in more.facets if f.name == "keywords")
    assert not keywords.truncated and len(keywords.values) == 2


def test_labels_follow_the_readers_language(catalogue) -> None:
    atrium, _ = catalogue
    assert "Menschen" in counts(run(atrium, language="de"), "subject")
    assert "Personnes" in counts(run(atrium, language="fr"), "subject")
    client = create_app(atrium).test_client()
    assert "Menschen" in client.get("/", headers={"Accept-Language": "de"}).get_data(True)
    assert "Personnes" in client.get("/?lang=fr").get_data(True)
    facets = client.get("/api/search?lang=de").get_json()["facets"]
    assert "Menschen" in [v["label"] for v in facets[0]["values"]]


# Sorting and pages --------------------------------------------------------------------------


def test_sorts_and_pages(catalogue) -> None:
    atrium, ids = catalogue
    names = {v: k for k, v in ids.items()}

    def order(params) -> list[str]:  # noqa: ANN001
        return [names[c.asset_id] for c in run(atrium, params).cards]

    assert order({}) == ["bike", "fleet", "velo", "report", "truck"]  # newest first
    assert order({"sort": "oldest"}) == ["truck", "report", "velo", "fleet", "bike"]
    assert order({"sort": "title"}) == ["report", "fleet", "truck", "bike", "velo"]
    assert order({"sort": "title", "per_page": "2", "page": "2"}) == ["truck", "bike"]
    assert run(atrium, {"per_page": "2"}).pages == 3
    assert order({"page": "9"}) == []


# Budgets ------------------------------------------------------------------------------------


class SteppingClock:
    """A clock that moves on by ``step`` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_a_facet_out_of_time_is_marked_and_the_rest_render(catalogue) -> None:
    atrium, ids = catalogue
    # Flat facets read the clock three times; concept trees read it once per concept.
    limits = replace(atrium.search.limits, facet_seconds=0.45, facets_seconds=1000)
    engine = SearchEngine(
        atrium.store, atrium.iris, atrium.search_index, limits, SteppingClock(0.1)
    )
    scope = scope_for(ANONYMOUS, atrium.iris, atrium.store)
    result = engine.search(SearchQuery(), scope)
    by_name = {f.name: f for f in result.facets}
    assert by_name["subject"].timed_out and not by_name["subject"].values
    assert not by_name["format"].timed_out and by_name["format"].values
    assert found(result, ids) == PUBLIC


def test_the_page_and_the_api_mark_a_facet_out_of_time(catalogue, monkeypatch) -> None:
    atrium, _ = catalogue
    monkeypatch.setattr(atrium.search, "limits", replace(atrium.search.limits, facet_seconds=-1))
    client = create_app(atrium).test_client()
    page = client.get("/search").get_data(as_text=True)
    assert "Counting these took too long" in page and "5 assets" in page
    body = client.get("/api/search").get_json()
    assert all(f["timed_out"] for f in body["facets"]) and body["total"] == 5


# The page -----------------------------------------------------------------------------------


def test_every_state_is_in_the_url(catalogue) -> None:
    atrium, _ = catalogue
    client = create_app(atrium).test_client()
    bicycle = subject(atrium, "bicycle")
    page = client.get("/search", query_string=[("q", "harbour"), ("subject", bicycle)])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "1 asset" in html
    # The chip removes the filter; the text form keeps it; facet values are plain links.
    assert 'href="/search?q=harbour"' in html
    assert f'name="subject" value="{bicycle}"' in html
    assert 'href="/search?q=harbour&amp;subject=' in html
    assert inline_scripts(html) == []


def test_the_page_escapes_what_it_shows(tmp_path: Path) -> None:
    atrium = make_atrium(tmp_path / "data")
    put_asset(atrium, '"quoted" <b>bold</b> title', keywords=["<i>x</i>"])
    client = create_app(atrium).test_client()
    html = client.get("/search?q=bold").get_data(as_text=True)
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold" not in html
    assert "&lt;i&gt;x&lt;/i&gt;" in html
    # An attribute too: the checkbox's label, whose words are translated once per page.
    assert 'aria-label="Select &#34;quoted&#34; &lt;b&gt;bold&lt;/b&gt; title"' in html
    atrium.close()


def test_bad_parameters_say_what_to_change(catalogue) -> None:
    atrium, _ = catalogue
    client = create_app(atrium).test_client()
    page = client.get("/search?sort=sideways")
    assert page.status_code == 400 and "relevance, newest, oldest, title" in page.get_data(True)
    api = client.get("/api/search?page=0")
    assert api.status_code == 400 and "page" in api.get_json()["error"]


# The API ------------------------------------------------------------------------------------


def test_the_api_answers_in_its_documented_shape(catalogue) -> None:
    atrium, ids = catalogue
    client = create_app(atrium).test_client()
    marketing = atrium.iris.concept("departments/marketing").value
    vehicle = subject(atrium, "vehicle")
    body = client.get(
        "/api/search", query_string=[("subject", vehicle), ("department", marketing)]
    ).get_json()
    assert set(body) == {"total", "page", "per_page", "results", "facets"}
    assert (body["total"], body["page"], body["per_page"]) == (3, 1, 48)
    first = body["results"][0]
    assert set(first) >= {"id", "iri", "title", "thumbnail"}
    assert first["id"] == ids["bike"] and first["iri"] == atrium.iris.asset(ids["bike"]).value
    assert first["thumbnail"] is None  # metadata-only asset
    assert first["url"] == f"http://localhost/assets/{ids['bike']}"
    names = [f["name"] for f in body["facets"]]
    # The registry's facets: the subject tree first, then in the order of the fields.
    assert names == list(atrium.search.facets().names) and names[0] == "subject"
    assert names[1:8] == ["creator", "keywords", "rights", "type", "format", "created",
                          "department"]  # fmt: skip
    assert {"channel", "audience", "site", "project", "confidentiality"} <= set(names[8:])
    for f in body["facets"]:
        assert set(f) == {"name", "label", "truncated", "timed_out", "values"}
    transport = body["facets"][0]["values"][0]
    assert set(transport) == {"value", "label", "count", "selected", "expandable", "children"}
    assert transport["children"][0]["value"] == vehicle and transport["children"][0]["selected"]


def test_the_api_reads_as_the_tokens_user(catalogue, api_token) -> None:
    atrium, ids = catalogue
    client = create_app(atrium).test_client()
    token = api_token(atrium, "viewer", ("hr",))
    body = client.get("/api/search", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert {r["id"] for r in body["results"]} == {ids[k] for k in PUBLIC | {"board", "portrait"}}


# Vocabulary edits need no reindex -------------------------------------------------------------


def test_a_new_label_is_searchable_at_once(tmp_path: Path) -> None:
    atrium = make_atrium(tmp_path / "data")
    bike = put_asset(atrium, "Commuting", subjects=[subject(atrium, "bicycle")])
    assert run(atrium, {"q": "drahtesel"}).total == 0
    label = 'PREFIX skos: <http://www.w3.org/2004/02/skos/core#> INSERT DATA { GRAPH ?g { ?c skos:altLabel "Drahtesel"@de } }'  # noqa: E501
    concept = atrium.iris.concept("subjects/bicycle")
    atrium.store.update(label, bindings={"g": atrium.iris.vocab_graph("subjects"), "c": concept})
    assert [c.asset_id for c in run(atrium, {"q": "drahtesel"}).cards] == [bike]
    assert atrium.search_index.differences() == []
    atrium.close()


def test_the_concepts_are_read_again_after_a_vocabulary_edit_not_after_an_asset(
    tmp_path: Path,
) -> None:
    atrium = make_atrium(tmp_path / "data")
    bicycle = subject(atrium, "bicycle")
    before = atrium.search.concept_lookup(scope_for(ANONYMOUS, atrium.iris, atrium.store))
    put_asset(atrium, "Commuting", subjects=[bicycle])  # a new public graph: a new scope
    scope = scope_for(ANONYMOUS, atrium.iris, atrium.store)
    assert atrium.search.concept_lookup(scope) is before
    label = 'PREFIX skos: <http://www.w3.org/2004/02/skos/core#> INSERT DATA { GRAPH ?g { ?c skos:altLabel "Velo"@de } }'  # noqa: E501
    graph = atrium.iris.vocab_graph("subjects")
    atrium.store.update(label, bindings={"g": graph, "c": NamedNode(bicycle)})
    after = atrium.search.concept_lookup(scope)
    assert after is not before and "Velo" in after.concepts[bicycle].labels
    atrium.close()


MERGE = """
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX dct: <http://purl.org/dc/terms/>
INSERT DATA { GRAPH ?g { ?old owl:deprecated true ; dct:isReplacedBy ?new } }
"""


def test_a_merged_concepts_labels_still_find_its_assets(tmp_path: Path) -> None:
    atrium = make_atrium(tmp_path / "data")
    forklift, truck = subject(atrium, "forklift"), subject(atrium, "truck")
    retagged = put_asset(atrium, "Yard work", subjects=[forklift])
    stale = put_asset(atrium, "Loading bay", subjects=[forklift])
    assert run(atrium, {"q": "gabelstapler"}).total == 2
    # The taxonomist merges forklift into truck and re-tags one of the assets.
    atrium.store.update(
        MERGE,
        bindings={"g": atrium.iris.vocab_graph("subjects"), "old": atrium.iris.concept(
            "subjects/forklift"), "new": atrium.iris.concept("subjects/truck")},
    )  # fmt: skip
    draft = atrium.assets.stored_draft(retagged)
    new = atrium.iris.concept("subjects/truck")
    draft.triples = [Triple(t.subject, t.predicate, new) if t.object.value == forklift else t
                     for t in draft.triples]  # fmt: skip
    draft.context += atrium.concepts().context_triples([new])
    atrium.assets.save(draft)
    assert {c.asset_id for c in run(atrium, {"q": "gabelstapler"}).cards} == {retagged, stale}
    result = run(atrium, [("subject", truck)])
    assert {c.asset_id for c in result.cards} == {retagged, stale}
    transport = facet(result, "subject").values[0]
    vehicle = transport.children[0]
    assert vehicle.count == 2 and [v.label for v in vehicle.children] == ["Truck"]
    atrium.close()


# The remote store -----------------------------------------------------------------------------


@pytest.mark.remote
def test_search_on_the_remote_store_keeps_to_the_readers_scope(remote_atrium: Atrium) -> None:
    atrium = remote_atrium
    ids = {
        level: put_asset(atrium, f"{level} bicycle", access=level,
                         subjects=[subject(atrium, "bicycle")])
        for level in ("public", "internal", "restricted")
    }  # fmt: skip
    anonymous = run(atrium, {"q": "vehicle"})
    assert [c.asset_id for c in anonymous.cards] == [ids["public"]]
    assert counts(anonymous, "subject") == {"Transport": 1}
    member = run(atrium, {"q": "vehicle"}, Reader.signed_in_as("m", ["marketing"], False))
    assert {c.asset_id for c in member.cards} == set(ids.values())
    outsider = run(atrium, {"q": "vehicle"}, Reader.signed_in_as("h", ["hr"], False))
    assert outsider.total == 2 and counts(outsider, "department") == {"Marketing": 2}
    assert atrium.search_index.differences() == []


# The asset page -------------------------------------------------------------------------------


def test_the_asset_page_links_concepts_and_shows_more_like_this(catalogue) -> None:
    atrium, ids = catalogue
    client = create_app(atrium).test_client()
    html = client.get(f"/assets/{ids['bike']}").get_data(as_text=True)
    bicycle = subject(atrium, "bicycle")
    assert f'href="/search?subject={bicycle.replace(":", "%3A").replace("/", "%2F")}"' in html
    assert 'href="/vocab/concept?iri=' in html
    similar = html.split("More like this")[1]
    assert ids["fleet"] in similar  # shares "bicycle"
    assert ids["secret"] not in similar and ids["truck"] not in similar  # hidden; shares nothing
    marketing = atrium.iris.concept("departments/marketing").value
    assert "/search?department=" + marketing.replace(":", "%3A").replace("/", "%2F") in html
