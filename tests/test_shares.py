"""Share links end to end: the domain (app/domain/people/shares.py), the pages and the JSON API over
real HTTP (app/web/shares.py), and what an outsider gets through ``/s/<token>``."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

import pytest
import requests
from conftest import BASE_IRI, add_user, http_sign_in, make_atrium, serving
from PIL import Image

from app.cli.main import main as cli
from app.domain.media.ingest import Ingester, IngestOptions
from app.domain.people import api_tokens
from app.domain.people.access import Reader, scope_for
from app.domain.people.shares import ShareError, ShareForbidden, ShareGone, ShareNotFound
from app.service import Atrium


def _day(days: int) -> str:
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)).isoformat()


def _ingest(atrium: Atrium, folder: Path, title: str, department: str, access: str) -> str:
    path = folder / f"{title}.png"
    Image.new("RGB", (60, 40), (200, len(title) * 10, 90)).save(path)
    ingester = Ingester(atrium)
    settings = [f"title={title}", "description=Shot at dawn"]
    outcome = ingester.run(
        [path], ingester.resolve(IngestOptions(department, access, settings=settings))
    )
    assert outcome.outcomes[0].status == "ingested", outcome.outcomes[0].reason
    return outcome.outcomes[0].asset_id


@pytest.fixture
def shop(tmp_path: Path):  # noqa: ANN201
    """An Atrium with a public and a restricted marketing photo, and a few users."""
    atrium = make_atrium(tmp_path / "data")
    photos = {
        "public": _ingest(atrium, tmp_path, "harbour", "marketing", "public"),
        "restricted": _ingest(atrium, tmp_path, "launch", "marketing", "restricted"),
    }
    users = {
        "contributor": add_user(atrium, "contributor", ("marketing",)),
        "viewer": add_user(atrium, "viewer", ("marketing",)),
        "outsider-contributor": add_user(atrium, "contributor", ("hr",)),
        "admin": add_user(atrium, "admin"),
    }
    yield atrium, photos, users
    atrium.close()


def _user(atrium: Atrium, name: str):  # noqa: ANN202
    return atrium.users.get(name)


# Domain --------------------------------------------------------------------------------------


def test_a_link_needs_a_future_expiry_within_a_year(shop) -> None:
    atrium, photos, users = shop
    user = _user(atrium, users["contributor"])
    for bad in ("", None, "tomorrow", "2020-01-01", _day(400), "2027-02-30"):
        with pytest.raises(ShareError):
            atrium.shares.create(user, "asset", photos["public"], bad)
    with pytest.raises(ShareError, match="preview or original"):
        atrium.shares.create(user, "asset", photos["public"], _day(5), allows="everything")
    share, token = atrium.shares.create(user, "asset", photos["public"], _day(5))
    assert share.state == "active" and share.allows == "preview" and not share.has_password
    assert len(token) >= 43


def test_only_those_who_may_change_an_asset_may_share_it(shop) -> None:
    atrium, photos, users = shop
    with pytest.raises(ShareForbidden):
        atrium.shares.create(_user(atrium, users["viewer"]), "asset", photos["public"], _day(5))
    # a contributor of another department: the public asset is not theirs to share, and the
    # restricted one does not exist for them
    other = _user(atrium, users["outsider-contributor"])
    with pytest.raises(ShareForbidden):
        atrium.shares.create(other, "asset", photos["public"], _day(5))
    with pytest.raises(ShareNotFound):
        atrium.shares.create(other, "asset", photos["restricted"], _day(5))
    admin = _user(atrium, users["admin"])
    assert (
        atrium.shares.create(admin, "asset", photos["restricted"], _day(5))[0].creator
        == (users["admin"])
    )


def test_only_hashes_of_the_token_and_password_are_kept(shop) -> None:
    atrium, photos, users = shop
    user = _user(atrium, users["contributor"])
    share, token = atrium.shares.create(
        user, "asset", photos["public"], _day(5), password="sesame-open-now"
    )
    dump = "\n".join(sqlite3.connect(atrium.users.path).iterdump())
    assert token not in dump and "sesame-open-now" not in dump
    assert atrium.shares.find(token).id == share.id
    assert atrium.shares.password_matches(share, "sesame-open-now")
    assert not atrium.shares.password_matches(share, "sesame")


def test_a_link_never_shows_more_than_its_creator_may_see_now(shop) -> None:
    atrium, photos, users = shop
    creator = users["contributor"]
    _, public_token = atrium.shares.create(
        _user(atrium, creator), "asset", photos["public"], _day(9)
    )
    _, secret_token = atrium.shares.create(
        _user(atrium, creator), "asset", photos["restricted"], _day(9)
    )
    assert atrium.shares.open(secret_token).asset_triples
    atrium.users.set_role(creator, "contributor", ["hr"])  # moved out of marketing
    with pytest.raises(ShareNotFound):
        atrium.shares.open(secret_token)
    assert atrium.shares.open(public_token).asset_triples  # a public asset they still see
    atrium.users.disable(creator)
    with pytest.raises(ShareGone):
        atrium.shares.open(public_token)


def test_revoked_and_expired_links_are_gone(shop, monkeypatch: pytest.MonkeyPatch) -> None:
    atrium, photos, users = shop
    user = _user(atrium, users["contributor"])
    share, token = atrium.shares.create(user, "asset", photos["public"], _day(1))
    with pytest.raises(ShareNotFound):
        atrium.shares.revoke(_user(atrium, users["viewer"]), share.id)  # not theirs
    assert atrium.shares.revoke(_user(atrium, users["admin"]), share.id).state == "revoked"
    with pytest.raises(ShareGone):
        atrium.shares.open(token)
    _, token = atrium.shares.create(user, "asset", photos["public"], _day(1))
    later = api_tokens.utcnow() + dt.timedelta(days=3)
    monkeypatch.setattr(api_tokens, "utcnow", lambda: later)
    with pytest.raises(ShareGone, match="expired"):
        atrium.shares.open(token)
    assert {s.state for s in atrium.shares.of(user)} == {"revoked", "expired"}
    with pytest.raises(ShareNotFound):
        atrium.shares.open("no-such-token-at-all-anywhere")


def test_a_collection_link_lists_only_what_its_creator_sees(shop) -> None:
    atrium, photos, users = shop
    owner = users["viewer"]
    reader = Reader.signed_in_as(owner, ["marketing"], False)
    scope = scope_for(reader, atrium.iris, atrium.store)
    album = atrium.collections.create(reader, "Album", "Both photos", "public")
    atrium.collections.add(album, reader, scope, [atrium.iris.asset(i) for i in photos.values()])
    with pytest.raises(ShareForbidden):  # not theirs: only the owner (or an admin) shares it
        atrium.shares.create(_user(atrium, users["contributor"]), "collection", album, _day(3))
    _, token = atrium.shares.create(_user(atrium, owner), "collection", album, _day(3))
    assert set(atrium.shares.open(token).asset_ids()) == set(photos.values())
    atrium.users.set_role(owner, "viewer", ["hr"])
    assert atrium.shares.open(token).asset_ids() == [photos["public"]]


def test_a_backup_holds_the_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    atrium = make_atrium(tmp_path / "origin")
    asset_id = _ingest(atrium, tmp_path, "harbour", "marketing", "public")
    name = add_user(atrium, "contributor", ("marketing",))
    _, token = atrium.shares.create(atrium.users.get(name), "asset", asset_id, _day(5))
    atrium.close()
    monkeypatch.setenv("ATRIUM_DATA", str(tmp_path / "origin"))
    monkeypatch.setenv("ATRIUM_BASE_IRI", BASE_IRI)
    monkeypatch.delenv("ATRIUM_STORE", raising=False)
    assert cli(["export", str(tmp_path / "backup")]) == 0
    monkeypatch.setenv("ATRIUM_DATA", str(tmp_path / "restored"))
    assert cli(["import", str(tmp_path / "backup")]) == 0
    restored = make_atrium(tmp_path / "restored")
    try:
        assert restored.shares.open(token).asset_triples
    finally:
        restored.close()


# Over HTTP -----------------------------------------------------------------------------------


@pytest.fixture
def served(shop):  # noqa: ANN201
    atrium, photos, users = shop
    with serving(atrium) as base_url:
        yield atrium, base_url, photos, users


def _csrf(client: requests.Session, url: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text).group(1)


def _make_link(client: requests.Session, base_url: str, asset_id: str, **fields: str) -> str:
    """Make a link through the asset page's form; returns its URL."""
    page = f"{base_url}/assets/{asset_id}"
    data = {"kind": "asset", "target": asset_id, "expires": _day(7), "allows": "preview"}
    response = client.post(
        f"{base_url}/shares", data={**data, **fields, "csrf_token": _csrf(client, page)}
    )
    assert response.status_code == 201, response.text
    return re.search(r'class="secret share-url">([^<]+)<', response.text).group(1)


def test_the_asset_page_offers_the_share_form_only_to_those_who_may_share(served) -> None:
    atrium, base_url, photos, users = served
    contributor = http_sign_in(base_url, users["contributor"])
    viewer = http_sign_in(base_url, users["viewer"])
    url = f"{base_url}/assets/{photos['public']}"
    assert 'class="share-form"' in contributor.get(url).text
    assert 'class="share-form"' not in viewer.get(url).text
    assert 'class="share-form"' not in requests.get(url).text


def test_an_outsider_sees_a_clean_page_with_previews_only(served) -> None:
    atrium, base_url, photos, users = served
    contributor = http_sign_in(base_url, users["contributor"])
    link = _make_link(contributor, base_url, photos["public"])
    outsider = requests.Session()
    page = outsider.get(link)
    assert page.status_code == 200
    assert "harbour" in page.text and "Shot at dawn" in page.text
    hrefs = re.findall(r'(?:href|src|action)="([^"]+)"', page.text)
    assert hrefs and all(h.startswith("/s/") or h.startswith("/static/") for h in hrefs), hrefs
    assert "search" not in page.text.lower() and "Sign in" not in page.text
    preview = outsider.get(f"{link}/preview")
    assert preview.status_code == 200 and preview.headers["Content-Type"] == "image/jpeg"
    download = outsider.get(f"{link}/preview", params={"download": "1"})
    assert 'attachment; filename="harbour-preview.jpg"' in download.headers["Content-Disposition"]
    assert outsider.get(f"{link}/original").status_code == 403
    events = {
        (e.action, e.agent) for e in atrium.audit.history(atrium.iris.asset(photos["public"]))
    }
    assert ("shared", users["contributor"]) in events and ("share-used", "anonymous") in events


def test_a_link_with_originals_and_a_password(served) -> None:
    atrium, base_url, photos, users = served
    contributor = http_sign_in(base_url, users["contributor"])
    link = _make_link(
        contributor, base_url, photos["restricted"], allows="original", password="open sesame!"
    )
    outsider = requests.Session()
    prompt = outsider.get(link)
    assert (
        prompt.status_code == 200
        and 'type="password"' in prompt.text
        and "launch" not in prompt.text
    )
    assert outsider.get(f"{link}/original").status_code == 403
    token = re.search(r'name="csrf_token" value="([^"]+)"', prompt.text).group(1)
    wrong = outsider.post(f"{link}/unlock", data={"password": "guess", "csrf_token": token})
    assert wrong.status_code == 403 and "not the link" in wrong.text
    no_csrf = outsider.post(f"{link}/unlock", data={"password": "open sesame!"})
    assert no_csrf.status_code == 400
    right = outsider.post(f"{link}/unlock", data={"password": "open sesame!", "csrf_token": token})
    assert right.status_code == 200 and "launch" in right.text  # redirected to the page
    original = outsider.get(f"{link}/original")
    assert original.status_code == 200 and original.content[:4] == b"\x89PNG"
    assert original.headers["Content-Disposition"].startswith('attachment; filename="launch.png"')
    assert requests.get(f"{link}/original").status_code == 403  # another browser: no password


def test_revoked_expired_and_unknown_links(served, monkeypatch: pytest.MonkeyPatch) -> None:
    atrium, base_url, photos, users = served
    contributor = http_sign_in(base_url, users["contributor"])
    link = _make_link(contributor, base_url, photos["public"])
    listing = contributor.get(f"{base_url}/shares")
    share_id = re.search(r'data-share="([0-9a-f]+)"', listing.text).group(1)
    assert "active" in listing.text
    form = {"csrf_token": _csrf(contributor, f"{base_url}/shares")}
    assert contributor.post(f"{base_url}/shares/{share_id}/revoke", data=form).status_code == 200
    gone = requests.get(link)
    assert (
        gone.status_code == 410
        and "no longer works" in gone.text
        and "Vocabularies" not in gone.text
    )
    assert requests.get(f"{link}/preview").status_code == 410
    assert "revoked" in contributor.get(f"{base_url}/shares").text
    link = _make_link(contributor, base_url, photos["public"], expires=_day(0))
    later = api_tokens.utcnow() + dt.timedelta(days=2)
    monkeypatch.setattr(api_tokens, "utcnow", lambda: later)
    assert requests.get(link).status_code == 410
    assert requests.get(f"{base_url}/s/{'x' * 43}").status_code == 404
    history = {e.action for e in atrium.audit.history(atrium.iris.asset(photos["public"]))}
    assert "share-revoked" in history


def test_bad_form_input_is_a_clear_400_that_keeps_the_choice(served) -> None:
    atrium, base_url, photos, users = served
    contributor = http_sign_in(base_url, users["contributor"])
    page = f"{base_url}/assets/{photos['public']}"
    data = {"kind": "asset", "target": photos["public"], "expires": _day(500), "allows": "original"}
    refused = contributor.post(
        f"{base_url}/shares", data={**data, "csrf_token": _csrf(contributor, page)}
    )
    assert refused.status_code == 400 and "at most a year" in refused.text
    assert f'value="{_day(500)}"' in refused.text
    data["expires"] = ""
    refused = contributor.post(
        f"{base_url}/shares", data={**data, "csrf_token": _csrf(contributor, page)}
    )
    assert refused.status_code == 400 and "expiry date is required" in refused.text
    assert contributor.post(f"{base_url}/shares", data=data).status_code == 400  # no CSRF
    assert requests.post(f"{base_url}/shares", data=data).status_code == 401


def test_a_refused_link_is_explained_in_the_readers_language(served) -> None:
    atrium, base_url, photos, users = served
    contributor = http_sign_in(base_url, users["contributor"])
    contributor.headers["Accept-Language"] = "de"
    page = f"{base_url}/assets/{photos['public']}"
    data = {"kind": "asset", "target": photos["public"], "allows": "preview"}
    for expires, german in [
        (_day(500), "Ein Freigabelink gilt höchstens ein Jahr"),
        ("31.12.2027", "Schreiben Sie einen Tag als JJJJ-MM-TT"),
    ]:
        data["expires"] = expires
        refused = contributor.post(
            f"{base_url}/shares", data={**data, "csrf_token": _csrf(contributor, page)}
        )
        assert refused.status_code == 400 and german in refused.text
        assert "at most a year" not in refused.text and "write a day" not in refused.text
    token = atrium.users.issue_token(users["contributor"], "test")[1]
    api = requests.post(
        f"{base_url}/api/shares",
        json={**data, "expires": _day(500)},
        headers={"Accept-Language": "de", "Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert api.status_code == 400 and "a share link lasts at most a year" in api.text


def test_the_json_api(served) -> None:
    atrium, base_url, photos, users = served
    token = atrium.users.issue_token(users["contributor"], "test")[1]
    bearer = {"Authorization": f"Bearer {token}"}
    body = {"kind": "asset", "target": photos["public"], "expires": _day(30), "allows": "original"}
    made = requests.post(f"{base_url}/api/shares", json=body, headers=bearer)
    assert made.status_code == 201, made.text
    share, url = made.json()["share"], made.json()["url"]
    assert share["state"] == "active" and url.startswith(f"{base_url}/s/")
    assert requests.get(f"{url}/original").status_code == 200
    listed = requests.get(f"{base_url}/api/shares", headers=bearer).json()["shares"]
    assert [s["id"] for s in listed] == [share["id"]]
    assert "token" not in listed[0]
    too_far = requests.post(
        f"{base_url}/api/shares", json={**body, "expires": _day(800)}, headers=bearer
    )
    assert too_far.status_code == 400 and "at most a year" in too_far.json()["error"]
    assert requests.post(f"{base_url}/api/shares", json=body).status_code == 401
    session = http_sign_in(base_url, users["contributor"])
    assert session.post(f"{base_url}/api/shares", json=body).status_code == 400  # no CSRF header
    viewer = {"Authorization": f"Bearer {atrium.users.issue_token(users['viewer'], 't')[1]}"}
    assert requests.post(f"{base_url}/api/shares", json=body, headers=viewer).status_code == 403
    other = requests.delete(f"{base_url}/api/shares/{share['id']}", headers=viewer)
    assert other.status_code == 404
    assert (
        requests.delete(f"{base_url}/api/shares/{share['id']}", headers=bearer).status_code == 204
    )
    assert requests.get(url).status_code == 410


def test_a_collection_link_over_http(served) -> None:
    atrium, base_url, photos, users = served
    owner = users["viewer"]
    reader = Reader.signed_in_as(owner, ["marketing"], False)
    scope = scope_for(reader, atrium.iris, atrium.store)
    album = atrium.collections.create(reader, "Spring album", "For the agency", "personal")
    atrium.collections.add(album, reader, scope, [atrium.iris.asset(i) for i in photos.values()])
    client = http_sign_in(base_url, owner)
    page = client.get(f"{base_url}/collections/{album}")
    assert 'class="share-form"' in page.text
    data = {"kind": "collection", "target": album, "expires": _day(3), "allows": "preview"}
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    made = client.post(f"{base_url}/shares", data={**data, "csrf_token": token})
    link = re.search(r'class="secret share-url">([^<]+)<', made.text).group(1)
    shown = requests.get(link)
    assert "Spring album" in shown.text and "harbour" in shown.text and "launch" in shown.text
    assert requests.get(f"{link}/{photos['restricted']}/thumbnail").status_code == 200
    assert requests.get(f"{link}/{photos['restricted']}/original").status_code == 403
    atrium.users.set_role(owner, "viewer", ["hr"])  # the owner no longer sees the restricted one
    shown = requests.get(link)
    assert "harbour" in shown.text and "launch" not in shown.text
    assert requests.get(f"{link}/{photos['restricted']}/preview").status_code == 404
