"""Access control on every collection path, over real HTTP: pages, the API, facet counts and
SPARQL, for every asset access level × every collection visibility × every kind of reader.

A collection shows to those its visibility admits (personal: the owner; department: its
members; public: anyone; admins: all). A member shows, and counts, only to a reader who may see
both the collection and the asset: "a collection never shows or counts an asset the reader may
not see". Follows tests/test_access.py (its readers and levels).
"""

from __future__ import annotations

import pytest
import requests
from access_matrix import (
    LEVELS,
    READERS,
    add_readers,
    ingest_one_per_level,
    matrix_atrium,
    served_to,
    write_photo,
)

from app.domain.people.access import Reader, scope_for

VISIBILITIES = ("personal", "department", "public")
ALL_READERS = {**READERS, "owner": {"public", "internal", "restricted"}}  # owner: viewer in HR
SEES_COLLECTION = {
    "personal": {"owner", "admin"},
    "department": {"viewer-hr", "contributor-hr", "owner", "admin"},
    "public": set(ALL_READERS),
}
MEMBERS = "PREFIX dct: <http://purl.org/dc/terms/> SELECT ?c ?m WHERE { ?c dct:hasPart ?m }"
TITLES = (
    "PREFIX dcmitype: <http://purl.org/dc/dcmitype/> PREFIX dct: <http://purl.org/dc/terms/> "
    "SELECT ?title WHERE { ?c a dcmitype:Collection ; dct:title ?title }"
)
POSITIONS = (
    "PREFIX schema: <https://schema.org/> "
    "SELECT ?m WHERE { ?c schema:itemListElement ?i . ?i schema:item ?m ; schema:position ?p }"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    folder = tmp_path_factory.mktemp("access-collections")
    with matrix_atrium(folder) as atrium:
        assets = ingest_one_per_level(atrium, lambda level: write_photo(folder, level), True)
        names = add_readers(atrium, ALL_READERS, {"owner": ("viewer", ("hr",))}, suffix="c")
        owner = Reader.signed_in_as(names["owner"], ["hr"], False)
        collections = {}
        for visibility in VISIBILITIES:
            department = "hr" if visibility == "department" else None
            made = atrium.collections.create(
                owner, f"{visibility} album", "", visibility, department
            )
            scope = scope_for(owner, atrium.iris, atrium.store)
            members = [atrium.iris.asset(assets[level]) for level in LEVELS]
            atrium.collections.add(made, owner, scope, members)
            collections[visibility] = made
        with served_to(atrium, names) as (base_url, clients):
            yield atrium, base_url, assets, collections, clients


def _expected(reader: str, visibility: str) -> set[str]:
    """The levels of the members ``reader`` sees in the collection (None: not the collection)."""
    if reader not in SEES_COLLECTION[visibility]:
        return set()
    return set(ALL_READERS[reader])


def _sparql(client: requests.Session, base_url: str, query: str) -> list[dict]:
    response = client.get(
        f"{base_url}/sparql",
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]


@pytest.mark.parametrize("reader", ALL_READERS)
@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_collection_page_and_api_show_only_what_the_reader_may_see(
    site, reader: str, visibility: str
) -> None:
    atrium, base_url, assets, collections, clients = site
    client, cid = clients[reader], collections[visibility]
    sees = reader in SEES_COLLECTION[visibility]
    page = client.get(f"{base_url}/collections/{cid}")
    api = client.get(f"{base_url}/api/collections/{cid}")
    turtle = client.get(f"{base_url}/collections/{cid}", headers={"Accept": "text/turtle"})
    for response in (page, api, turtle):
        assert response.status_code == (200 if sees else 404), (reader, visibility)
    if not sees:
        assert f"{visibility} album" not in page.text + api.text + turtle.text
        return
    expected = {assets[level] for level in _expected(reader, visibility)}
    body = api.json()
    assert {m["id"] for m in body["members"]} == expected
    assert body["counts"]["assets"] == len(expected)
    assert [m["position"] for m in body["members"]] == list(range(1, len(expected) + 1))
    for level in LEVELS:
        shown = assets[level] in page.text
        assert shown == (assets[level] in expected), (reader, visibility, level)
        assert (assets[level] in turtle.text) == (assets[level] in expected)
    count = len(expected)
    assert f"{count} asset{'' if count == 1 else 's'}," in page.text


@pytest.mark.parametrize("reader", ALL_READERS)
def test_lists_and_facet_counts_respect_access(site, reader: str) -> None:
    atrium, base_url, assets, collections, clients = site
    client = clients[reader]
    listed = {
        c["title"]: c for c in client.get(f"{base_url}/api/collections").json()["collections"]
    }
    listing_page = client.get(f"{base_url}/collections").text
    facet = next(
        f
        for f in client.get(f"{base_url}/api/search").json()["facets"]
        if f["name"] == "collection"
    )
    counts = {v["label"]: v["count"] for v in facet["values"]}
    for visibility in VISIBILITIES:
        title = f"{visibility} album"
        expected = len(_expected(reader, visibility))
        sees = reader in SEES_COLLECTION[visibility]
        assert (title in listed) == sees, (reader, visibility)
        assert (title in listing_page) == sees
        if sees:
            assert listed[title]["counts"]["assets"] == expected
        assert counts.get(title) == (expected or None), (reader, visibility, counts)
    # Choosing a collection the reader may not see finds nothing and names nothing.
    hidden = atrium.iris.collection(collections["personal"]).value
    narrowed = client.get(f"{base_url}/api/search", params={"collection": hidden}).json()
    assert narrowed["total"] == (len(ALL_READERS[reader]) if reader in {"owner", "admin"} else 0)


@pytest.mark.parametrize("reader", ALL_READERS)
@pytest.mark.parametrize("level", LEVELS)
def test_sparql_sees_a_membership_only_with_both_sides(site, reader: str, level: str) -> None:
    atrium, base_url, assets, collections, clients = site
    client = clients[reader]
    asset = atrium.iris.asset(assets[level]).value
    memberships = {
        (row["c"]["value"], row["m"]["value"]) for row in _sparql(client, base_url, MEMBERS)
    }
    placed = {row["m"]["value"] for row in _sparql(client, base_url, POSITIONS)}
    titles = {row["title"]["value"] for row in _sparql(client, base_url, TITLES)}
    for visibility in VISIBILITIES:
        iri = atrium.iris.collection(collections[visibility]).value
        both = level in _expected(reader, visibility)
        assert ((iri, asset) in memberships) == both, (reader, visibility, level)
        sees = reader in SEES_COLLECTION[visibility]
        assert (f"{visibility} album" in titles) == sees
    in_any = any(level in _expected(reader, v) for v in VISIBILITIES)
    assert (asset in placed) == in_any


@pytest.mark.parametrize("reader", ALL_READERS)
@pytest.mark.parametrize("level", LEVELS)
def test_the_asset_page_lists_only_visible_collections(site, reader: str, level: str) -> None:
    atrium, base_url, assets, collections, clients = site
    response = clients[reader].get(f"{base_url}/assets/{assets[level]}")
    if level not in ALL_READERS[reader]:
        assert response.status_code == 404
        return
    for visibility in VISIBILITIES:
        shown = f"/collections/{collections[visibility]}" in response.text
        assert shown == (reader in SEES_COLLECTION[visibility]), (reader, visibility)


@pytest.mark.parametrize("reader", [r for r in ALL_READERS if r not in {"owner", "admin"}])
def test_only_the_owner_and_admins_change_a_collection(site, reader: str) -> None:
    atrium, base_url, assets, collections, clients = site
    client = clients[reader]
    cid = collections["public"]
    token = _csrf(client, base_url)
    response = client.patch(
        f"{base_url}/api/collections/{cid}",
        json={"title": "taken over"},
        headers={"X-CSRF-Token": token} if token else {},
    )
    assert response.status_code == (401 if reader == "anonymous" else 403)
    hidden = collections["personal"]
    response = client.delete(
        f"{base_url}/api/collections/{hidden}", headers={"X-CSRF-Token": token} if token else {}
    )
    assert response.status_code == (401 if reader == "anonymous" else 404)
    assert atrium.collections.stored(hidden) is not None


def test_memberships_follow_an_access_change(site) -> None:
    atrium, base_url, assets, collections, clients = site
    extra = atrium.collections.create(
        Reader.signed_in_as("owner-c", ["hr"], False), "moving album", "", "public"
    )
    owner = Reader.signed_in_as("owner-c", ["hr"], False)
    atrium.collections.add(
        extra,
        owner,
        scope_for(owner, atrium.iris, atrium.store),
        [atrium.iris.asset(assets["public"])],
    )
    anonymous = clients["anonymous"]
    url = f"{base_url}/api/collections/{extra}"
    assert anonymous.get(url).json()["counts"]["assets"] == 1
    atrium.assets.set_access(assets["public"], "restricted")
    try:
        assert anonymous.get(url).json()["counts"]["assets"] == 0
        iri = atrium.iris.asset(assets["public"]).value
        assert iri not in {row["m"]["value"] for row in _sparql(anonymous, base_url, MEMBERS)}
        assert clients["viewer-hr"].get(url).json()["counts"]["assets"] == 1
    finally:
        atrium.assets.set_access(assets["public"], "public")
    assert anonymous.get(url).json()["counts"]["assets"] == 1


def _csrf(client: requests.Session, base_url: str) -> str | None:
    text = client.get(f"{base_url}/collections").text
    marker = 'name="csrf_token" value="'
    return text.split(marker)[1].split('"')[0] if marker in text else None
