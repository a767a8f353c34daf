"""Bulk actions on a selection (app/domain/assets/bulk.py, /bulk/… and /api/bulk/…): batch edit of
one field validated per asset, access changes, deletes after a confirmation, adding to a
collection; a per-asset report; who may change what; a concurrent edit spoils only its asset."""

from __future__ import annotations

import re

import pytest
from access_matrix import LEVELS, ingest_one_per_level, write_photo
from conftest import add_user, csrf_token, make_atrium
from PIL import Image

from app.domain.assets.bulk import CONFLICT, BadSelection, BulkActions, parse_asset_ids
from app.domain.media.ingest import Ingester, IngestOptions
from app.domain.people.access import Reader, scope_for
from app.storage.graphstore import Scope
from app.web import create_app


@pytest.fixture
def stocked(tmp_path):  # noqa: ANN201
    atrium = make_atrium(tmp_path / "data")
    assets = ingest_one_per_level(atrium, lambda level: write_photo(tmp_path, level), True)
    path = tmp_path / "ops.png"
    Image.new("RGB", (40, 40), "yellow").save(path)
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("operations", "internal", settings=["title=ops"]))
    assets["operations"] = ingester.run([path], options).outcomes[0].asset_id
    try:
        yield atrium, assets
    finally:
        atrium.close()


def _user(atrium, role: str, departments: tuple[str, ...] = ()):  # noqa: ANN001, ANN202
    return atrium.users.get(add_user(atrium, role, departments))


def _values(atrium, asset_id: str, name: str) -> list[str]:  # noqa: ANN001
    path = atrium.fields.field(name, "hr").path
    record = atrium.assets.record(asset_id, Scope.everything())
    return sorted(
        t.object.value for t in record if t.predicate == path and t.subject.value.endswith(asset_id)
    )


def test_selection_ids_are_checked() -> None:
    twice = ["0123456789abcdef", "0123456789abcdef"]
    assert parse_asset_ids(twice, limit=2) == ["0123456789abcdef"]
    for bad in (["nope"], ["0123456789ABCDEF"], ["0123456789abcdef/x"]):
        with pytest.raises(BadSelection):
            parse_asset_ids(bad, limit=2)
    with pytest.raises(BadSelection, match="at most 2"):
        parse_asset_ids([f"{n:016x}" for n in range(3)], limit=2)


def test_batch_edit_adds_sets_and_removes_and_reports_per_asset(stocked) -> None:
    atrium, assets = stocked
    hr = _user(atrium, "contributor", ("hr",))
    scope = scope_for(
        Reader.signed_in_as(hr.name, hr.departments, False), atrium.iris, atrium.store
    )
    ids = list(assets.values())
    report = BulkActions(atrium).edit_field(ids, hr, scope, "keywords", "add", "harbour")
    statuses = {o.asset_id: o.status for o in report.outcomes}
    assert [o.asset_id for o in report.outcomes] == ids
    assert statuses == {
        **{assets[level]: "changed" for level in LEVELS},
        assets["operations"]: "not allowed",
    }
    assert _values(atrium, assets["public"], "keywords") == ["harbour"]
    assert _values(atrium, assets["operations"], "keywords") == []
    history = atrium.audit.history(atrium.iris.asset(assets["public"]))
    assert history[0].action == "changed"
    again = BulkActions(atrium).edit_field(ids[:1], hr, scope, "keywords", "add", "harbour")
    assert again.outcomes[0].status == "unchanged"
    BulkActions(atrium).edit_field(ids[:1], hr, scope, "keywords", "add", "dawn")
    assert _values(atrium, assets["public"], "keywords") == ["dawn", "harbour"]
    BulkActions(atrium).edit_field(ids[:1], hr, scope, "keywords", "remove", "harbour")
    assert _values(atrium, assets["public"], "keywords") == ["dawn"]
    BulkActions(atrium).edit_field(ids[:1], hr, scope, "keywords", "set", "quay")
    assert _values(atrium, assets["public"], "keywords") == ["quay"]


def test_batch_edit_is_validated_per_asset(stocked) -> None:
    atrium, assets = stocked
    admin = _user(atrium, "admin")
    ids = list(assets.values())
    # consentGiven is the HR profile's: the operations asset has no such field
    report = BulkActions(atrium).edit_field(
        ids, admin, Scope.everything(), "consentGiven", "set", ""
    )
    by_id = {o.asset_id: o for o in report.outcomes}
    public = by_id[assets["public"]]
    assert public.status == "refused" and public.message  # public HR assets need consent
    assert by_id[assets["restricted"]].status == "changed"  # may stay incomplete, restricted
    assert by_id[assets["operations"]].status == "refused"
    assert "unknown field" in by_id[assets["operations"]].message
    assert _values(atrium, assets["public"], "consentGiven") == ["true"]  # nothing partial
    bad = BulkActions(atrium).edit_field(
        ids[:1], admin, Scope.everything(), "consentExpires", "set", "soon"
    )
    assert bad.outcomes[0].status == "refused" and "not a date" in bad.outcomes[0].message


def test_a_concurrent_edit_spoils_only_its_asset(stocked) -> None:
    atrium, assets = stocked
    admin = _user(atrium, "admin")
    ids = [assets[level] for level in LEVELS]
    versions = {i: atrium.assets.version(i) for i in ids}
    other = atrium.assets.stored_draft(assets["internal"])
    atrium.assets.set_access(assets["internal"], "restricted")  # someone else, meanwhile
    assert other is not None
    report = BulkActions(atrium).edit_field(
        ids, admin, Scope.everything(), "keywords", "add", "x", versions
    )
    by_id = {o.asset_id: o.status for o in report.outcomes}
    assert by_id == {
        assets["public"]: "changed",
        assets["internal"]: CONFLICT,
        assets["restricted"]: "changed",
    }


def test_access_change_and_delete(stocked) -> None:
    atrium, assets = stocked
    hr = _user(atrium, "contributor", ("hr",))
    scope = scope_for(
        Reader.signed_in_as(hr.name, hr.departments, False), atrium.iris, atrium.store
    )
    ids = list(assets.values())
    report = BulkActions(atrium).change_access(ids, hr, scope, "internal")
    by_id = {o.asset_id: o.status for o in report.outcomes}
    assert by_id[assets["public"]] == "changed" and by_id[assets["internal"]] == "unchanged"
    assert by_id[assets["operations"]] == "not allowed"
    assert atrium.assets.access_of(assets["public"])[0] == "internal"
    file_hash = next(
        t.object.value
        for t in atrium.assets.record(assets["public"], Scope.everything())
        if t.predicate.value.endswith("sha256")
    )
    assert atrium.media.exists(file_hash)
    report = BulkActions(atrium).delete([assets["public"], assets["operations"]], hr, scope)
    assert [o.status for o in report.outcomes] == ["deleted", "not allowed"]
    assert not atrium.assets.exists(assets["public"]) and atrium.assets.exists(assets["operations"])
    assert not atrium.media.exists(file_hash)  # no other asset used it
    assert atrium.audit.history(atrium.iris.asset(assets["public"]))[0].action == "deleted"


def _form(page: str) -> dict[str, list[str]]:
    """The hidden fields of the confirmation page's form."""
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page):
        fields.setdefault(name, []).append(value)
    return fields


def test_http_review_then_edit_access_delete_and_collection(stocked) -> None:
    atrium, assets = stocked
    name = add_user(atrium, "contributor", ("hr",))
    client = create_app(atrium).test_client()
    token = csrf_token(client)
    client.post(
        "/login", data={"name": name, "password": "correct horse battery", "csrf_token": token}
    )
    token = csrf_token(client)  # a sign-in starts a new session
    ids = list(assets.values())
    review = client.post("/bulk/review", data={"asset": ids, "action": "edit", "csrf_token": token})
    assert review.status_code == 200
    page = review.get_data(as_text=True)
    assert "3 of 4 may be changed by you" in page and 'name="field"' in page
    form = _form(page)
    assert form["asset"] == ids and len([k for k in form if k.startswith("version-")]) == 4
    form.update(field=["keywords"], operation=["add"], value=["pier"])
    done = client.post("/bulk/edit", data=form)
    assert done.status_code == 200
    text = done.get_data(as_text=True)
    assert "3 changed" in text and "1 not allowed" in text
    assert _values(atrium, assets["restricted"], "keywords") == ["pier"]
    # the confirmed delete needs the confirmation
    assert (
        client.post("/bulk/delete", data={"asset": ids[:1], "csrf_token": token}).status_code == 400
    )
    assert client.post("/bulk/edit", data={"asset": ["x"], "csrf_token": token}).status_code == 400
    assert (
        client.post(
            "/bulk/review", data={"asset": ids, "action": "melt", "csrf_token": token}
        ).status_code
        == 400
    )
    # JSON twin of the access change, with the session's CSRF header
    answer = client.post(
        "/api/bulk/access",
        json={"assets": ids, "access": "restricted"},
        headers={"X-CSRF-Token": token},
    )
    assert answer.status_code == 200
    assert answer.get_json()["counts"] == {"changed": 2, "unchanged": 1, "not allowed": 1}
    # add to a collection
    reader = Reader.signed_in_as(name, ["hr"], False)
    album = atrium.collections.create(reader, "album", "", "personal", None)
    added = client.post(
        "/bulk/collection", data={"asset": ids, "collection": album, "csrf_token": token}
    )
    assert added.status_code == 200 and "4 added" in added.get_data(as_text=True)
    again = client.post(
        "/api/bulk/collection",
        json={"assets": ids, "collection": album},
        headers={"X-CSRF-Token": token},
    )
    assert again.get_json() == {"collection": album, "added": 0, "already": 4}
    gone = client.post(
        "/bulk/delete", data={"asset": ids[:1], "confirmed": "yes", "csrf_token": token}
    )
    assert "1 deleted" in gone.get_data(as_text=True)


def test_anonymous_and_viewers_cannot_change(stocked) -> None:
    atrium, assets = stocked
    client = create_app(atrium).test_client()
    token = csrf_token(client)
    ids = list(assets.values())
    anonymous = client.post(
        "/bulk/edit",
        data={
            "asset": ids,
            "field": "keywords",
            "operation": "add",
            "value": "x",
            "csrf_token": token,
        },
    )
    assert anonymous.status_code == 302  # to the sign-in page
    assert (
        client.post(
            "/api/bulk/delete", json={"assets": ids}, headers={"X-CSRF-Token": token}
        ).status_code
        == 401
    )
    name = add_user(atrium, "viewer", ("hr",))
    client.post(
        "/login", data={"name": name, "password": "correct horse battery", "csrf_token": token}
    )
    token = csrf_token(client)  # a sign-in starts a new session
    viewer = client.post(
        "/bulk/delete", data={"asset": ids, "confirmed": "yes", "csrf_token": token}
    )
    assert viewer.status_code == 403
    assert all(atrium.assets.exists(i) for i in ids)
