"""The audit trail: written by the repository in the same update as the change, naming the real
actor (a user, an anonymous reader, the CLI, a service) and what changed; the admins' view of it.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest
import requests
from conftest import add_user, http_sign_in, make_atrium, serving
from PIL import Image
from pyoxigraph import Literal, NamedNode, Quad, Triple
from search_helpers import put_asset

from app.domain.assets.records import access_allowed
from app.domain.media.ingest import Ingester, IngestOptions
from app.domain.people.audit import Actor
from app.namespaces import DAM, DCT
from app.service import Atrium
from app.storage.graphstore import GraphStore, Scope, StoreError
from app.storage.query_jobs import Dataset


class WatchedStore(GraphStore):
    """A store that counts its writes and, when told to, fails them (as a service that is
    down would): nothing of a failed write lands."""

    def __init__(self, inner: GraphStore) -> None:
        self.inner = inner
        self.writes: list[str] = []
        self.failing = False

    def _write(self, kind: str) -> None:
        self.writes.append(kind)
        if self.failing:
            raise StoreError("the store is down")

    def query(self, sparql: str, *, scope: Scope, bindings: Mapping | None = None):  # noqa: ANN201
        return self.inner.query(sparql, scope=scope, bindings=bindings)

    def update(self, sparql: str, *, bindings: Mapping | None = None, graphs=None) -> None:  # noqa: ANN001
        self._write("update")
        self.inner.update(sparql, bindings=bindings, graphs=graphs)

    def insert(self, quads: Iterable[Quad]) -> None:
        self._write("insert")
        self.inner.insert(list(quads))

    def replace_graph(self, graph: NamedNode, triples: Iterable[Triple]) -> None:
        self._write("replace_graph")
        self.inner.replace_graph(graph, triples)

    def load_dump(self, path: Path) -> None:
        self.inner.load_dump(path)

    def dump(self, output) -> None:  # noqa: ANN001
        self.inner.dump(output)

    def graphs(self) -> list[NamedNode]:
        return self.inner.graphs()

    def clear(self) -> None:
        self.inner.clear()


@pytest.fixture
def watched(graph_store: GraphStore, tmp_path: Path) -> Iterable[tuple[Atrium, WatchedStore]]:
    store = WatchedStore(graph_store)
    atrium = make_atrium(tmp_path / "data", store=store)
    try:
        yield atrium, store
    finally:
        atrium.close()  # the graph_store fixture closes the store itself


def retitled(atrium: Atrium, asset_id: str, title: str):  # noqa: ANN201 - an AssetDraft
    draft = atrium.assets.stored_draft(asset_id)
    draft.triples = [t for t in draft.triples if t.predicate != DCT.title]
    draft.triples.append(Triple(draft.iri, DCT.title, Literal(title)))
    return draft


def title_of(atrium: Atrium, asset_id: str) -> str:
    record = atrium.assets.record(asset_id, Scope.everything())
    return next(t.object.value for t in record if t.predicate == DCT.title)


# The same update ------------------------------------------------------------------------------


def test_a_change_and_its_event_are_one_write(watched) -> None:
    atrium, store = watched
    asset_id = put_asset(atrium, "Harbour at dawn")
    store.writes.clear()
    atrium.assets.save(retitled(atrium, asset_id, "Harbour at dusk"), actor=Actor.user("anna"))
    assert store.writes == ["update"]  # the record and the event, in one request
    events = atrium.audit.history(atrium.iris.asset(asset_id))
    assert [(e.action, e.actor) for e in events] == [("changed", Actor.user("anna"))]
    assert events[0].changed == (DCT.title.value,)


def test_a_failed_write_leaves_neither_the_change_nor_the_event(watched) -> None:
    atrium, store = watched
    asset_id = put_asset(atrium, "Harbour at dawn")
    draft = retitled(atrium, asset_id, "Harbour at dusk")
    store.failing = True
    with pytest.raises(StoreError):
        atrium.assets.save(draft, actor=Actor.user("anna"))
    with pytest.raises(StoreError):
        atrium.assets.delete(asset_id, actor=Actor.user("anna"))
    store.failing = False
    assert title_of(atrium, asset_id) == "Harbour at dawn"
    assert atrium.audit.history(atrium.iris.asset(asset_id)) == []


def test_a_new_asset_and_a_deletion_are_audited_with_their_write(watched) -> None:
    atrium, store = watched
    asset_id = put_asset(atrium, "Harbour at dawn")  # no actor: no event
    iri = atrium.iris.asset(asset_id)
    assert atrium.audit.history(iri) == []
    draft = atrium.assets.stored_draft(asset_id)
    assert atrium.assets.delete(asset_id)
    draft.version = None
    store.writes.clear()
    atrium.assets.save(draft, actor=Actor.cli())
    assert store.writes == ["insert"]
    store.writes.clear()
    assert atrium.assets.delete(asset_id, actor=Actor.user("anna"))
    assert store.writes == ["update"]
    events = atrium.audit.history(iri)
    assert [(e.action, e.agent) for e in events] == [("deleted", "anna"), ("created", "atrium-cli")]
    assert not atrium.assets.exists(asset_id)


# Who and what ---------------------------------------------------------------------------------


def test_actors_are_told_apart(atrium: Atrium) -> None:
    asset_id = put_asset(atrium, "Harbour at dawn")
    iri = atrium.iris.asset(asset_id)
    atrium.audit.record("downloaded", iri, Actor.anonymous())
    atrium.audit.record("downloaded", iri, None)  # older callers: None is the CLI
    atrium.audit.record("downloaded", iri, "anna")  # and a name is a user
    atrium.audit.record("downloaded", iri, Actor.service("rights-check"))
    actors = {e.actor for e in atrium.audit.history(iri)}
    assert actors == {
        Actor.anonymous(),
        Actor.cli(),
        Actor.user("anna"),
        Actor.service("rights-check"),
    }
    anonymous = Actor.anonymous().iri(atrium.iris)
    assert anonymous != atrium.iris.user("anonymous")  # no user name can stand for it
    assert anonymous != Actor.cli().iri(atrium.iris)


def test_an_access_change_says_what_changed(atrium: Atrium) -> None:
    asset_id = put_asset(atrium, "Harbour at dawn")
    atrium.assets.set_access(asset_id, "internal", actor=Actor.user("anna"))
    [event] = atrium.audit.history(atrium.iris.asset(asset_id))
    assert event.changed == (DAM.accessLevel.value,)


def test_an_incomplete_asset_is_kept_restricted_by_one_rule() -> None:
    assert access_allowed("public", complete=False) == "restricted"
    assert access_allowed("public", complete=True) == "public"
    assert access_allowed("internal", complete=False) == "internal"


# Over real HTTP -------------------------------------------------------------------------------


@pytest.fixture
def audited_site(tmp_path: Path):  # noqa: ANN201
    atrium = make_atrium(tmp_path / "data")
    try:
        with serving(atrium) as base_url:
            yield atrium, base_url
    finally:
        atrium.close()


def ingest_png(atrium: Atrium, folder: Path) -> str:
    path = folder / "harbour.png"
    Image.new("RGB", (64, 48), "teal").save(path)
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("marketing", "public", settings=["title=Harbour"]))
    outcome = ingester.run([path], options).outcomes[0]
    assert outcome.status == "ingested", outcome.reason
    return outcome.asset_id


def test_an_anonymous_download_and_an_access_change_over_http(audited_site, tmp_path: Path) -> None:
    atrium, base_url = audited_site
    asset_id = ingest_png(atrium, tmp_path)
    iri = atrium.iris.asset(asset_id)
    assert requests.get(f"{base_url}/assets/{asset_id}/file", timeout=10).status_code == 200
    editor = add_user(atrium, "contributor", ("marketing",))
    session = http_sign_in(base_url, editor)
    page = session.get(f"{base_url}/assets/{asset_id}").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = session.post(
        f"{base_url}/assets/{asset_id}/access",
        data={"access": "internal", "csrf_token": token},
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text
    events = atrium.audit.history(iri)
    assert [e.actor for e in events if e.action == "created"] == [Actor.cli()]
    changed = [e for e in events if e.action == "changed"]
    assert [(e.actor, e.changed) for e in changed] == [
        (Actor.user(editor), (DAM.accessLevel.value,))
    ]
    downloads = [e.actor for e in events if e.action == "downloaded"]
    assert downloads == [Actor.anonymous()]  # never "atrium-cli" for an anonymous reader


def test_the_audit_view_for_admins(audited_site) -> None:
    atrium, base_url = audited_site
    asset_id = put_asset(atrium, "Harbour at <dawn>")
    iri = atrium.iris.asset(asset_id)
    atrium.assets.set_access(asset_id, "internal", actor=Actor.user("anna"))
    for _ in range(55):
        atrium.audit.record("downloaded", iri, Actor.anonymous())
    admin = http_sign_in(base_url, add_user(atrium, "admin"))
    first = admin.get(f"{base_url}/admin/audit")
    assert first.status_code == 200
    assert "Harbour at &lt;dawn&gt;" in first.text and f"/assets/{asset_id}" in first.text
    assert first.text.count('class="event"') == 50 and 'rel="next"' in first.text
    assert "anonymous reader" in first.text
    second = admin.get(f"{base_url}/admin/audit", params={"page": 2})
    assert second.text.count('class="event"') == 6 and 'rel="next"' not in second.text
    changed = admin.get(f"{base_url}/admin/audit", params={"action": "changed"})
    assert changed.text.count('class="event"') == 1
    assert "anna" in changed.text and "access level" in changed.text.lower()
    by_anna = admin.get(f"{base_url}/admin/audit", params={"actor": "anna"})
    assert by_anna.text.count('class="event"') == 1
    mine = admin.get(f"{base_url}/admin/audit", params={"asset": asset_id, "actor": "anonymous"})
    assert mine.text.count('class="event"') == 50
    for bad in ({"action": "stolen"}, {"page": "0"}, {"asset": "not an iri"}, {"actor": "x:y"}):
        refused = admin.get(f"{base_url}/admin/audit", params=bad)
        assert refused.status_code == 400, bad
    assert 'href="/admin/audit"' in admin.get(f"{base_url}/").text


def test_the_audit_view_is_for_admins_only(audited_site) -> None:
    atrium, base_url = audited_site
    viewer = http_sign_in(base_url, add_user(atrium, "contributor", ("marketing",)))
    assert viewer.get(f"{base_url}/admin/audit").status_code == 403
    assert 'href="/admin/audit"' not in viewer.get(f"{base_url}/").text
    anonymous = requests.get(f"{base_url}/admin/audit", allow_redirects=False, timeout=10)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


# The query workers read through the GraphStore interface ------------------------------------


def test_a_worker_reads_any_store_through_the_reader_it_gives(graph_store: GraphStore) -> None:
    graph = NamedNode("http://atrium.test/graphs/a")
    hidden = NamedNode("http://atrium.test/graphs/b")
    thing = NamedNode("http://atrium.test/thing")
    seen, unseen = Literal("seen"), Literal("unseen")
    title = DCT.title
    graph_store.insert([Quad(thing, title, seen, graph), Quad(thing, title, unseen, hidden)])
    generation = graph_store.publish_for_readers()
    reader = pickle.loads(pickle.dumps(graph_store.worker_reader(http_timeout=10)))
    rows = reader.query(
        "SELECT ?t WHERE { <thing> <http://purl.org/dc/terms/title> ?t }",
        Dataset(default_graphs=(graph.value,), named_graphs=(graph.value,)),
        base_iri="http://atrium.test/",
        functions={},
        generation=generation,
    )
    assert [row["t"].value for row in rows] == ["seen"]
