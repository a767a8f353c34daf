"""Search follows the shapes: a profile that exists only here (tests/profile-data/) brings its
facets, its searched fields and its schemes, with no change to Python and no reindex."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import rdflib
from conftest import make_atrium
from pyoxigraph import Literal, NamedNode, RdfFormat, parse
from search_helpers import put_asset, search_query, subject

from app.domain.people.access import ANONYMOUS, Reader, scope_for
from app.domain.search import ConceptLookup, SearchIndex
from app.domain.shapes.catalogue import ShapeCatalogue
from app.namespaces import DAM, DCT
from app.service import Atrium
from app.web import create_app
from app.web.browse import concept_search_url

DATA = Path(__file__).resolve().parent / "profile-data"
ADMIN = Reader.signed_in_as("a", [], True)
DEPARTMENT = "heritage"  # the test profile stands in for the heritage department's own


def store_vocabulary(atrium: Atrium) -> None:
    with (DATA / "search-schemes.ttl").open("rb") as turtle:
        triples = list(parse(turtle, RdfFormat.TURTLE, base_iri=atrium.iris.vocab_base))
    atrium.store.replace_graph(atrium.iris.vocab_graph("gear"), triples)


def store_profile(atrium: Atrium) -> None:
    graph = rdflib.Graph().parse(
        DATA / "search-profile.ttl", format="turtle", publicID=atrium.iris.vocab_base
    )
    atrium.shapes.store_shapes(DEPARTMENT, graph, DEPARTMENT)


def gear(atrium: Atrium, name: str) -> NamedNode:
    return atrium.iris.concept(f"gear/{name}")


def put_item(atrium: Atrium, title: str, *values: tuple[NamedNode, object], **options) -> str:  # noqa: ANN003
    return put_asset(atrium, title, department=DEPARTMENT, extra=values, **options)


def run(atrium: Atrium, params=(), reader: Reader = ANONYMOUS, language: str = "en"):  # noqa: ANN001, ANN201
    scope = scope_for(reader, atrium.iris, atrium.store)
    return atrium.search.search(search_query(atrium, params), scope, language)


def facet(result, name: str):  # noqa: ANN001, ANN201
    return next((f for f in result.facets if f.name == name), None)


def tree(values) -> dict[str, tuple[int, dict]]:  # noqa: ANN001
    return {v.label: (v.count, tree(v.children)) for v in values}


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Atrium, dict]]:
    """The test profile and its schemes, and four assets that use them."""
    atrium = make_atrium(tmp_path_factory.mktemp("profiles") / "data")
    store_vocabulary(atrium)
    store_profile(atrium)
    bronze = atrium.iris.concept("materials/bronze")
    ids = {
        "macro": put_item(atrium, "Beetle close-up", (DAM.gear, gear(atrium, "macro-lens")),
                          (DAM.condition, DAM.Good), (DAM.inventoryNote, Literal("zanzibar"))),
        "lens": put_item(atrium, "Coin on the bench", (DAM.gear, gear(atrium, "lens")),
                         (DAM.gear, gear(atrium, "tripod")), (DAM.condition, DAM.Fair),
                         (DAM.material, bronze), (DAM.findSpot, Literal("Quarry trench"))),
        "vault": put_item(atrium, "Vault inventory", (DAM.gear, gear(atrium, "optics")),
                          (DAM.condition, DAM.Good), access="restricted"),
        "plain": put_asset(atrium, "Plain marketing photo"),
    }  # fmt: skip
    yield atrium, ids
    atrium.close()


def test_a_profiles_concept_field_is_a_tree_facet_counted_in_the_readers_scope(
    collection,
) -> None:
    atrium, ids = collection
    anonymous = facet(run(atrium), "gear")
    assert anonymous.label == "Gear" and anonymous.hierarchical
    assert tree(anonymous.values) == {"Optics": (2, {}), "Tripod": (1, {})}  # not the vault
    admin = facet(run(atrium, reader=ADMIN), "gear")
    assert tree(admin.values) == {"Optics": (3, {}), "Tripod": (1, {})}
    lens = gear(atrium, "lens").value
    chosen = run(atrium, [("gear", lens)])
    assert {c.asset_id for c in chosen.cards} == {ids["macro"], ids["lens"]}  # and below it
    optics = {v.label: v for v in facet(chosen, "gear").values}["Optics"]
    assert tree(optics.children) == {"Lens": (2, {"Macro lens": (1, {})})}
    assert [(c.facet_label, c.label) for c in chosen.chips] == [("Gear", "Lens")]
    assert facet(run(atrium, language="de"), "gear").label == "Ausrüstung"


def test_a_profiles_choice_field_is_a_flat_facet(collection) -> None:
    atrium, ids = collection
    condition = facet(run(atrium), "condition")
    assert not condition.hierarchical
    assert {v.label: v.count for v in condition.values} == {"Good": 1, "Fair": 1}
    everything = facet(run(atrium, reader=ADMIN), "condition")
    assert {v.label: v.count for v in everything.values} == {"Good": 2, "Fair": 1}
    good = run(atrium, [("condition", DAM.Good.value)], reader=ADMIN)
    assert {c.asset_id for c in good.cards} == {ids["macro"], ids["vault"]}


def test_facet_false_hides_the_facet_but_its_concepts_labels_still_find_assets(
    collection,
) -> None:
    atrium, ids = collection
    result = run(atrium, {"q": "tin bronze"})
    assert facet(result, "material") is None
    assert {c.asset_id for c in result.cards} == {ids["lens"]}


def test_searchable_false_keeps_a_fields_words_out_of_the_text_search(collection) -> None:
    atrium, ids = collection
    assert run(atrium, {"q": "zanzibar"}, ADMIN).total == 0  # an inventory note
    assert {c.asset_id for c in run(atrium, {"q": "trench"}).cards} == {ids["lens"]}


def test_the_index_holds_the_profiles_fields_as_the_graph_says(collection) -> None:
    atrium, _ = collection
    assert atrium.search_index.differences() == []
    facets = atrium.search.facets()
    assert {"gear", "condition"} <= set(facets.names) and "material" not in facets.names
    assert "material" in facets.columns  # indexed for text search, not shown


def test_a_profile_that_changes_the_facets_rebuilds_the_index_by_itself(tmp_path: Path) -> None:
    atrium = make_atrium(tmp_path / "data")
    store_vocabulary(atrium)
    accession = (DAM.accessionNumber, Literal("1999.1"))  # heritage's own profile wants one
    tripod = put_item(atrium, "Tripod in the field", (DAM.gear, gear(atrium, "tripod")), accession)
    assert facet(run(atrium), "gear") is None  # no field says what dam:gear is, yet
    stale = ShapeCatalogue(atrium.store, atrium.iris, poll_seconds=3600)
    stale.registry  # noqa: B018 - a process that read the shapes before the import
    epoch = atrium.search_index._meta()["epoch"]

    store_profile(atrium)  # no reindex
    gear_facet = facet(run(atrium), "gear")
    assert tree(gear_facet.values) == {"Tripod": (1, {})}
    assert atrium.search_index._meta()["epoch"] == str(int(epoch) + 1)
    assert atrium.search_index.differences() == []

    # That other process writes: it reads the shapes afresh rather than rebuild them back.
    other = SearchIndex(atrium.search_index.path, atrium.store, atrium.iris, stale, None)
    other.sync([tripod])
    assert atrium.search_index._meta() == other._meta()
    assert other._meta()["fields"] == atrium.search.facets().signature
    assert other._meta()["epoch"] == str(int(epoch) + 1)
    other.close()
    atrium.close()


def test_a_profiles_scheme_leaves_the_subject_tree(tmp_path: Path) -> None:
    atrium = make_atrium(tmp_path / "data")
    store_vocabulary(atrium)
    tripod = gear(atrium, "tripod")
    put_asset(atrium, "Tagged the old way", extra=[(DCT.subject, tripod)])
    put_asset(atrium, "Bike", subjects=[subject(atrium, "bicycle")])
    assert "Tripod" in tree(facet(run(atrium), "subject").values)  # gear is nobody's: subjects
    store_profile(atrium)
    subjects = tree(facet(run(atrium), "subject").values)
    assert "Tripod" not in subjects and "Transport" in subjects
    scope = scope_for(ANONYMOUS, atrium.iris, atrium.store)
    vocabulary = ConceptLookup.load(atrium.store, scope, atrium.iris)
    roots = vocabulary.roots(atrium.fields.field("gear", DEPARTMENT).scheme)
    assert roots == [gear(atrium, "optics").value, tripod.value]
    assert tripod.value not in vocabulary.roots(None, atrium.fields.claimed_schemes)
    atrium.close()


def test_a_profiles_concepts_link_to_a_search_in_their_facet(collection) -> None:
    atrium, ids = collection
    client = create_app(atrium).test_client()
    page = client.get(f"/assets/{ids['lens']}").get_data(as_text=True)
    lens = quote(gear(atrium, "lens").value, safe="")
    assert f'href="/search?gear={lens}"' in page
    bronze = atrium.iris.concept("materials/bronze").value  # no facet: a text search instead
    with create_app(atrium).test_request_context("/"):
        assert concept_search_url(bronze) == "/search?q=Bronze"
        assert concept_search_url(subject(atrium, "bicycle")).startswith("/search?subject=")
