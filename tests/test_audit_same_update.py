"""Collections and SPARQL Update write their audit event in the same update as the change."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import add_user
from PIL import Image
from test_audit import WatchedStore, title_of
from test_web import ingest_one

from app.domain.collections.model import Changes
from app.domain.people.access import Reader, scope_for
from app.domain.people.audit import Actor
from app.storage.graphstore import StoreError
from app.web import create_app


@pytest.fixture
def watched(graph_store, tmp_path: Path):  # noqa: ANN201
    from conftest import make_atrium

    store = WatchedStore(graph_store)
    atrium = make_atrium(tmp_path / "data", store=store)
    try:
        yield atrium, store
    finally:
        atrium.close()


def _owner(atrium) -> Reader:  # noqa: ANN001
    name = add_user(atrium, "contributor", ("marketing",))
    return Reader.signed_in_as(name, ("marketing",), False)


def test_a_collection_and_its_events_are_one_write_each(watched) -> None:
    atrium, store = watched
    reader = _owner(atrium)
    scope = scope_for(reader, atrium.iris, atrium.store)
    store.writes.clear()
    collection_id = atrium.collections.create(reader, "Harbour pictures")
    assert store.writes == ["insert"]  # the collection and its "created" event
    iri = atrium.iris.collection(collection_id)
    store.writes.clear()
    atrium.collections.update(collection_id, reader, scope, Changes(title="Harbour at dusk"))
    assert store.writes == ["update"]
    store.writes.clear()
    atrium.collections.delete(collection_id, reader, scope)
    assert store.writes[0] == "update"  # then only the memberships' homes, if any
    events = atrium.audit.history(iri)
    actor = Actor.user(reader.name)
    assert [(e.action, e.actor) for e in events] == [
        ("deleted", actor),
        ("changed", actor),
        ("created", actor),
    ]


def test_a_failed_collection_write_leaves_no_event(watched) -> None:
    atrium, store = watched
    reader = _owner(atrium)
    scope = scope_for(reader, atrium.iris, atrium.store)
    collection_id = atrium.collections.create(reader, "Harbour pictures")
    iri = atrium.iris.collection(collection_id)
    store.failing = True
    with pytest.raises(StoreError):
        atrium.collections.update(collection_id, reader, scope, Changes(title="Other"))
    with pytest.raises(StoreError):
        atrium.collections.delete(collection_id, reader, scope)
    store.failing = False
    assert [e.action for e in atrium.audit.history(iri)] == ["created"]


def _retitle(asset_iri: str, title: str) -> str:
    return (
        "PREFIX dct: <http://purl.org/dc/terms/>\n"
        f"DELETE {{ <{asset_iri}> dct:title ?old }} "
        f'INSERT {{ <{asset_iri}> dct:title "{title}" }} '
        f"WHERE {{ <{asset_iri}> dct:title ?old }}"
    )


def test_a_sparql_update_and_its_events_are_one_write(watched, tmp_path: Path) -> None:
    atrium, store = watched
    path = tmp_path / "poster.png"
    Image.new("RGB", (64, 48), "red").save(path)
    asset_id = ingest_one(atrium, path, "public", "title=Poster")
    name = add_user(atrium, "admin", ())
    token = atrium.users.issue_token(name, "test")[1]
    client = create_app(atrium).test_client()
    iri = atrium.iris.asset(asset_id)
    store.writes.clear()
    response = client.post(
        "/sparql/update",
        data=_retitle(iri.value, "New poster"),
        headers={"Authorization": f"Bearer {token}"},
        content_type="application/sparql-update",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert store.writes == ["update"]  # the record and the "changed" event together
    assert title_of(atrium, asset_id) == "New poster"
    events = atrium.audit.history(iri)
    assert [(e.action, e.actor) for e in events][0] == ("changed", Actor.user(name))


def test_a_failed_sparql_update_leaves_no_event(watched, tmp_path: Path) -> None:
    atrium, store = watched
    path = tmp_path / "poster.png"
    Image.new("RGB", (64, 48), "blue").save(path)
    asset_id = ingest_one(atrium, path, "public", "title=Poster")
    name = add_user(atrium, "admin", ())
    token = atrium.users.issue_token(name, "test")[1]
    client = create_app(atrium).test_client()
    iri = atrium.iris.asset(asset_id)
    before = atrium.audit.history(iri)
    store.failing = True
    response = client.post(
        "/sparql/update",
        data=_retitle(iri.value, "New poster"),
        headers={"Authorization": f"Bearer {token}"},
        content_type="application/sparql-update",
    )
    assert response.status_code >= 500  # the store is down: nothing written
    store.failing = False
    assert title_of(atrium, asset_id) == "Poster"
    assert atrium.audit.history(iri) == before
