"""Collections end to end: the domain, the JSON API, the pages and forms, the CLI."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from conftest import add_user, csrf_token
from PIL import Image

from app.cli.main import main as cli
from app.domain.collections import (
    Changes,
    CollectionConflict,
    CollectionCycle,
    CollectionError,
    CollectionForbidden,
)
from app.domain.collections.writing import COLLECTION_SHAPE
from app.domain.media.ingest import Ingester, IngestOptions
from app.domain.people.access import Reader, scope_for
from app.domain.search import SearchQuery
from app.service import Atrium
from app.storage.graphstore import Scope
from app.web import create_app


def _ingest(atrium: Atrium, folder: Path, title: str, access: str = "public") -> str:
    path = folder / f"{title}.png"
    Image.new("RGB", (40, 30), (sum(map(ord, title)) % 255, len(title) * 20, 120)).save(path)
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("marketing", access, settings=[f"title={title}"]))
    outcome = ingester.run([path], options).outcomes[0]
    assert outcome.status == "ingested", outcome.reason
    return outcome.asset_id


def _reader(atrium: Atrium, name: str, departments=("marketing",)) -> tuple[Reader, Scope]:
    reader = Reader.signed_in_as(name, departments, False)
    return reader, scope_for(reader, atrium.iris, atrium.store)


@pytest.fixture
def filled(atrium: Atrium, tmp_path: Path):
    ids = [_ingest(atrium, tmp_path, title) for title in ("alpha", "beta", "gamma")]
    name = add_user(atrium, "viewer", ("marketing",))
    return atrium, ids, name


# Domain ----------------------------------------------------------------------------------


def test_a_collection_is_ordered_and_stored_with_standard_terms(filled) -> None:
    atrium, ids, name = filled
    reader, scope = _reader(atrium, name)
    made = atrium.collections.create(reader, "Summer", "Beach shots", "public")
    _, scope = _reader(atrium, name)
    assets = [atrium.iris.asset(i) for i in ids]
    assert atrium.collections.add(made, reader, scope, assets) == 3
    assert atrium.collections.add(made, reader, scope, assets[:1]) == 0  # already in it
    collection = atrium.collections.get(made, reader, scope)
    assert [m.id for m in collection.members] == ids
    assert [m.rank for m in collection.members] == [1, 2, 3]
    atrium.collections.reorder(made, reader, scope, list(reversed(assets)))
    assert [m.id for m in atrium.collections.get(made, reader, scope).members] == ids[::-1]
    atrium.collections.move(made, reader, scope, assets[0], -1)
    order = [m.id for m in atrium.collections.get(made, reader, scope).members]
    assert order == [ids[2], ids[0], ids[1]]
    # Standard terms that SPARQL can use, and no blank node anywhere.
    rows = atrium.store.select(
        """PREFIX schema: <https://schema.org/> PREFIX dct: <http://purl.org/dc/terms/>
        PREFIX dcmitype: <http://purl.org/dc/dcmitype/>
        SELECT ?title ?m ?pos WHERE { ?c a dcmitype:Collection, schema:ItemList ;
          dct:title ?title ; dct:hasPart ?m ; schema:itemListElement ?i .
          ?i a schema:ListItem ; schema:item ?m ; schema:position ?pos } ORDER BY ?pos""",
        scope=Scope.everything(),
    )
    assert [r["m"].value for r in rows] == [atrium.iris.asset(i).value for i in order]
    assert {r["title"].value for r in rows} == {"Summer"}
    blanks = atrium.store.ask(
        "ASK { GRAPH ?g { ?s ?p ?o } FILTER(isBlank(?s) || isBlank(?o)) }",
        scope=Scope.everything(),
    )
    assert not blanks
    assert atrium.collections.remove(made, reader, scope, assets[1:2]) == 1
    assert len(atrium.collections.get(made, reader, scope).members) == 2


def test_nested_collections_refuse_cycles(filled) -> None:
    atrium, ids, name = filled
    reader, _ = _reader(atrium, name)
    outer = atrium.collections.create(reader, "Outer", visibility="public")
    inner = atrium.collections.create(reader, "Inner", visibility="public")
    _, scope = _reader(atrium, name)
    atrium.collections.add(inner, reader, scope, [atrium.iris.asset(ids[0])])
    atrium.collections.add(outer, reader, scope, [atrium.iris.collection(inner)])
    got = atrium.collections.get(outer, reader, scope)
    assert [m.kind for m in got.members] == ["collection"]
    with pytest.raises(CollectionCycle, match="cannot hold"):
        atrium.collections.add(inner, reader, scope, [atrium.iris.collection(outer)])
    with pytest.raises(CollectionCycle, match="itself"):
        atrium.collections.add(outer, reader, scope, [atrium.iris.collection(outer)])
    # The facet counts an asset of a nested collection in the outer one too.
    result = atrium.search.search(SearchQuery(), scope)
    facet = next(f for f in result.facets if f.name == "collection")
    assert {v.label: v.count for v in facet.values} == {"Outer": 1, "Inner": 1}


def test_the_list_counts_assets_and_collections_held_directly(filled) -> None:
    atrium, ids, name = filled
    reader, _ = _reader(atrium, name)
    outer = atrium.collections.create(reader, "Outer", visibility="public")
    inner = atrium.collections.create(reader, "Inner", visibility="public")
    empty = atrium.collections.create(reader, "Empty", visibility="public")
    _, scope = _reader(atrium, name)
    atrium.collections.add(inner, reader, scope, [atrium.iris.asset(i) for i in ids])
    members = [atrium.iris.asset(ids[0]), atrium.iris.collection(inner)]
    atrium.collections.add(outer, reader, scope, members)
    listed = {c.id: (c.title, c.assets, c.collections) for c in atrium.collections.list(scope)}
    assert listed == {
        outer: ("Outer", 1, 1),
        inner: ("Inner", 3, 0),
        empty: ("Empty", 0, 0),
    }


def test_a_kept_list_follows_every_write(filled) -> None:
    """The list is kept per scope until the next write (the search page asks for it on every
    page): each write shows at once, and one owner's list is never another's."""
    atrium, ids, name = filled
    reader, scope = _reader(atrium, name)
    made = atrium.collections.create(reader, "Kept", visibility="personal")
    assert [(c.title, c.assets) for c in atrium.collections.list(scope)] == [("Kept", 0)]
    atrium.collections.add(made, reader, scope, [atrium.iris.asset(ids[0])])
    assert [(c.title, c.assets) for c in atrium.collections.list(scope)] == [("Kept", 1)]
    other = add_user(atrium, "viewer", ("marketing",))
    assert atrium.collections.list(scope, owner=other) == []
    assert [c.title for c in atrium.collections.list(scope, owner=name)] == ["Kept"]
    atrium.collections.delete(made, reader, scope)
    assert atrium.collections.list(scope) == []


def test_only_the_owner_changes_a_collection_and_versions_catch_stale_writes(filled) -> None:
    atrium, ids, name = filled
    owner, _ = _reader(atrium, name)
    made = atrium.collections.create(
        owner, "Shared", visibility="department", department="marketing"
    )
    _, scope = _reader(atrium, name)
    other, other_scope = _reader(atrium, add_user(atrium, "viewer", ("marketing",)))
    assert atrium.collections.get(made, other, other_scope).title == "Shared"
    with pytest.raises(CollectionForbidden):
        atrium.collections.add(made, other, other_scope, [atrium.iris.asset(ids[0])])
    seen = atrium.collections.get(made, owner, scope).version
    atrium.collections.update(made, owner, scope, Changes(title="Renamed"), expected_version=seen)
    with pytest.raises(CollectionConflict):
        atrium.collections.update(made, owner, scope, Changes(title="Stale"), expected_version=seen)
    assert atrium.collections.get(made, owner, scope).title == "Renamed"
    with pytest.raises(CollectionForbidden, match="own departments"):
        atrium.collections.update(
            made, owner, scope, Changes(visibility="department", department="hr")
        )
    with pytest.raises(CollectionError, match="title"):
        atrium.collections.create(owner, "   ")
    with pytest.raises(CollectionError, match="visibility"):
        atrium.collections.create(owner, "x", visibility="secret")


def test_concurrent_adds_lose_nothing(filled) -> None:
    atrium, ids, name = filled
    reader, _ = _reader(atrium, name)
    made = atrium.collections.create(reader, "Busy", visibility="personal")
    _, scope = _reader(atrium, name)
    errors: list[BaseException] = []

    def add(asset_id: str) -> None:
        try:
            atrium.collections.add(made, reader, scope, [atrium.iris.asset(asset_id)])
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=add, args=(i,)) for i in ids * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    _, scope = _reader(atrium, name)
    assert sorted(m.id for m in atrium.collections.get(made, reader, scope).members) == sorted(ids)


def test_the_shape_refuses_a_collection_without_a_title(atrium: Atrium) -> None:
    from pyoxigraph import Triple

    from app.namespaces import DCT

    assert COLLECTION_SHAPE.exists()
    reader = Reader.signed_in_as("someone", (), False)
    stored = atrium.collections.stored(atrium.collections.create(reader, "Fine"))
    whole = [Triple(q.subject, q.predicate, q.object) for q in stored.description]
    atrium.collections._check(whole)  # the stored description passes
    without = [t for t in whole if t.predicate != DCT.title]
    with pytest.raises(CollectionError, match="title"):
        atrium.collections._check(without)


# JSON API and pages ------------------------------------------------------------------------


@pytest.fixture
def client(filled, sign_in):
    atrium, ids, _ = filled
    client = create_app(atrium).test_client()
    name = sign_in(client, "viewer", ("marketing",))
    return client, atrium, ids, name


def _api(client, method: str, url: str, **kwargs):  # noqa: ANN001, ANN202
    headers = {"X-CSRF-Token": csrf_token(client)}
    return client.open(url, method=method, headers=headers, **kwargs)


def test_the_api_makes_fills_reorders_and_deletes(client) -> None:
    client, atrium, ids, _ = client
    made = _api(client, "POST", "/api/collections", json={"title": "API", "visibility": "public"})
    assert made.status_code == 201, made.get_json()
    cid = made.get_json()["id"]
    added = _api(client, "POST", f"/api/collections/{cid}/members", json={"members": ids})
    assert added.status_code == 200
    body = added.get_json()
    assert [m["id"] for m in body["members"]] == ids and body["counts"]["assets"] == 3
    order = [m["iri"] for m in body["members"]][::-1]
    moved = _api(client, "PUT", f"/api/collections/{cid}/members", json={"members": order})
    assert [m["iri"] for m in moved.get_json()["members"]] == order
    stale = _api(
        client, "PATCH", f"/api/collections/{cid}", json={"title": "x", "version": body["version"]}
    )
    assert stale.status_code == 409 and "changed" in stale.get_json()["error"]
    renamed = _api(client, "PATCH", f"/api/collections/{cid}", json={"title": "Renamed"})
    assert renamed.get_json()["title"] == "Renamed"
    listed = client.get("/api/collections").get_json()["collections"]
    assert [c["title"] for c in listed] == ["Renamed"]
    out = _api(client, "DELETE", f"/api/collections/{cid}/members", json={"members": ids[:1]})
    assert out.get_json()["counts"]["assets"] == 2
    assert _api(client, "DELETE", f"/api/collections/{cid}").status_code == 204
    assert client.get(f"/api/collections/{cid}").status_code == 404


def test_the_api_answers_bad_input_with_clear_4xx(client) -> None:
    client, atrium, ids, _ = client
    assert _api(client, "POST", "/api/collections", json={"title": ""}).status_code == 400
    assert _api(client, "POST", "/api/collections", data="nope").status_code == 400
    assert client.post("/api/collections", json={"title": "no csrf"}).status_code == 400
    anonymous = create_app(atrium).test_client()
    assert anonymous.post("/api/collections", json={"title": "x"}).status_code == 401
    cid = _api(client, "POST", "/api/collections", json={"title": "T"}).get_json()["id"]
    bad = _api(client, "POST", f"/api/collections/{cid}/members", json={"members": ["nope"]})
    assert bad.status_code == 400 and "nope" in bad.get_json()["error"]
    missing = _api(client, "POST", f"/api/collections/{cid}/members", json={"members": ["0" * 16]})
    assert missing.status_code == 400
    wrong = _api(client, "PUT", f"/api/collections/{cid}/members", json={"members": ids})
    assert wrong.status_code == 400 and "every member" in wrong.get_json()["error"]
    assert client.get("/api/collections/not-an-id").status_code == 404


def test_pages_show_the_collection_and_the_asset_page_offers_to_add(client) -> None:
    client, atrium, ids, name = client
    token = csrf_token(client)
    made = client.post(
        "/collections",
        data={"title": "Page <b>one</b>", "visibility": "personal", "csrf_token": token},
    )
    assert made.status_code == 302
    url = made.headers["Location"]
    cid = url.rstrip("/").rsplit("/", 1)[-1]
    asset_page = client.get(f"/assets/{ids[0]}").get_data(as_text=True)
    assert 'class="asset-collections"' in asset_page and f'value="{cid}"' in asset_page
    added = client.post(
        "/collections/add",
        data={
            "collection": cid,
            "member": atrium.iris.asset(ids[0]).value,
            "next": f"/assets/{ids[0]}",
            "csrf_token": token,
        },
    )
    assert added.status_code == 302 and added.headers["Location"].endswith(f"/assets/{ids[0]}")
    page = client.get(f"/collections/{cid}").get_data(as_text=True)
    assert "Page &lt;b&gt;one&lt;/b&gt;" in page and "<b>one</b>" not in page
    assert "1 asset," in page and 'class="owner-forms"' in page
    assert f"/collections/{cid}" in client.get(f"/assets/{ids[0]}").get_data(as_text=True)
    listing = client.get("/collections").get_data(as_text=True)
    assert "Page &lt;b&gt;one&lt;/b&gt;" in listing
    turtle = client.get(f"/collections/{cid}", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and b"hasPart" in turtle.data
    forged = client.post(f"/collections/{cid}/delete", data={"confirm": "yes"})
    assert forged.status_code == 400
    gone = client.post(f"/collections/{cid}/delete", data={"confirm": "yes", "csrf_token": token})
    assert gone.status_code == 302
    assert client.get(f"/collections/{cid}").status_code == 404


def test_the_search_page_has_a_collection_facet(client) -> None:
    client, atrium, ids, _ = client
    cid = _api(client, "POST", "/api/collections", json={"title": "Faceted"}).get_json()["id"]
    _api(client, "POST", f"/api/collections/{cid}/members", json={"members": ids[:2]})
    iri = atrium.iris.collection(cid).value
    found = client.get("/api/search").get_json()
    facet = next(f for f in found["facets"] if f["name"] == "collection")
    assert facet["values"] == [{**facet["values"][0], "value": iri, "label": "Faceted", "count": 2}]
    narrowed = client.get("/api/search", query_string={"collection": iri}).get_json()
    assert sorted(r["id"] for r in narrowed["results"]) == sorted(ids[:2])
    page = client.get("/search", query_string={"collection": iri}).get_data(as_text=True)
    assert 'id="facet-collection"' in page and "Collection: Faceted" in page


# CLI --------------------------------------------------------------------------------------


def test_the_cli_lists_creates_adds_and_removes(tmp_path: Path, monkeypatch, capsys) -> None:
    from conftest import make_atrium

    atrium = make_atrium(tmp_path / "data")
    ids = [_ingest(atrium, tmp_path, title) for title in ("one", "two")]
    name = add_user(atrium, "viewer", ("marketing",))
    monkeypatch.setenv("ATRIUM_DATA", str(atrium.config.data_dir))
    monkeypatch.setenv("ATRIUM_BASE_IRI", atrium.iris.base)
    atrium.close()  # the CLI opens the store itself
    assert (
        cli(["collections", "create", "From CLI", "--owner", name, "--visibility", "public"]) == 0
    )
    cid = capsys.readouterr().out.strip()
    assert cli(["collections", "add", cid, *ids]) == 0
    assert "Added 2 of 2" in capsys.readouterr().out
    assert cli(["collections", "remove", cid, ids[0]]) == 0
    assert "Removed 1 of 1" in capsys.readouterr().out
    assert cli(["collections", "list"]) == 0
    line = next(row for row in capsys.readouterr().out.splitlines() if cid in row)
    assert "From CLI" in line and line.split()[3] == "1"  # one asset left
    assert cli(["collections", "create", "x", "--owner", "nobody-here"]) == 2
    assert cli(["collections", "add", cid, "not-a-thing"]) == 2


def test_deleting_an_asset_or_a_collection_drops_its_memberships(filled) -> None:
    atrium, ids, name = filled
    reader, _ = _reader(atrium, name)
    outer = atrium.collections.create(reader, "Outer", visibility="public")
    inner = atrium.collections.create(
        reader, "Inner", visibility="department", department="marketing"
    )
    _, scope = _reader(atrium, name)
    atrium.collections.add(
        outer, reader, scope, [atrium.iris.asset(ids[0]), atrium.iris.collection(inner)]
    )
    assert atrium.assets.delete(ids[0])
    atrium.collections.delete(inner, reader, scope)
    assert atrium.collections.get(outer, reader, scope).members == []
    left = atrium.store.ask(
        "PREFIX dct: <http://purl.org/dc/terms/> PREFIX schema: <https://schema.org/> "
        "ASK { { ?c dct:hasPart ?m } UNION { ?i schema:item ?m } }",
        scope=Scope.everything(),
    )
    assert not left
