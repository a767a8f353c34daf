"""Access control of share links over real HTTP, for every access level × every kind of reader
who makes the link (tests/access_matrix.py).

Only those who may change an asset (contributors of its department, admins) make links to it;
the others are refused exactly as the asset page would treat them (401, 403, or 404 for an
asset they may not see). Through a link, an outsider sees exactly what its creator may see, and
whoever opens it (anonymous or an admin) gets no more than that.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import requests
from access_matrix import LEVELS, READERS, for_every_reader_and_level
from access_matrix import matrix_site as site  # noqa: F401 - the module's fixture

from app.domain.people.access import Reader, scope_for

MAY_SHARE_ASSETS = {"contributor-hr", "admin"}  # User.may_change("hr")


def _expiry() -> str:
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=10)).isoformat()


def _csrf(client: requests.Session, base_url: str) -> dict[str, str]:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(f"{base_url}/").text)
    return {"X-CSRF-Token": found.group(1)} if found else {}


def _make(client: requests.Session, base_url: str, kind: str, target: str) -> requests.Response:
    body = {"kind": kind, "target": target, "expires": _expiry(), "allows": "original"}
    return client.post(f"{base_url}/api/shares", json=body, headers=_csrf(client, base_url))


def _outsiders(clients: dict) -> list[requests.Session]:
    """Who opens a link: a fresh anonymous browser, and a signed-in admin (who gets no more)."""
    return [requests.Session(), clients["admin"]]


@for_every_reader_and_level
def test_an_asset_link_shows_what_its_creator_may_see(site, reader: str, level: str) -> None:  # noqa: F811
    atrium, base_url, assets, clients = site
    asset_id = assets[level]
    made = _make(clients[reader], base_url, "asset", asset_id)
    if reader == "anonymous":
        assert made.status_code == 401
        return
    if reader not in MAY_SHARE_ASSETS:
        sees = level in READERS[reader]
        assert made.status_code == (403 if sees else 404), (reader, level, made.text)
        assert f"{level} photo" not in made.text
        return
    assert made.status_code == 201, made.text
    link = made.json()["url"]
    for outsider in _outsiders(clients):
        page = outsider.get(link)
        assert page.status_code == 200 and f"{level} photo" in page.text
        for kind in ("thumbnail", "preview", "original"):
            assert outsider.get(f"{link}/{kind}").status_code == 200, (reader, level, kind)
    # the link opens this asset only: never another one through it
    for other in (a for lvl, a in assets.items() if lvl != level):
        assert requests.get(f"{link}/{other}/preview").status_code == 404


@for_every_reader_and_level
def test_a_collection_link_lists_only_what_its_creator_sees(site, reader: str, level: str) -> None:  # noqa: F811
    """The reader's own collection holds every level's asset (an admin put them there); a link
    to it shows the members its owner may see, however who opens it."""
    atrium, base_url, assets, clients = site
    if reader == "anonymous":
        assert _make(clients[reader], base_url, "collection", "0" * 16).status_code == 401
        return
    name = clients[reader].get(f"{base_url}/api/me").json()["name"]
    user = atrium.users.get(name)
    owner = Reader.signed_in_as(name, user.departments, user.is_admin)
    album = atrium.collections.create(owner, f"{reader} {level} album", "", "personal")
    admin = Reader(signed_in=True, admin=True, name="admin-helper")
    everything = scope_for(admin, atrium.iris, atrium.store)
    atrium.collections.add(
        album, admin, everything, [atrium.iris.asset(a) for a in assets.values()]
    )
    made = _make(clients[reader], base_url, "collection", album)
    assert made.status_code == 201, made.text
    link = made.json()["url"]
    sees = level in READERS[reader]
    for outsider in _outsiders(clients):
        page = outsider.get(link)
        assert page.status_code == 200
        shown = {lvl for lvl in LEVELS if f"{lvl} photo" in page.text}
        assert shown == READERS[reader], (reader, shown)
        for kind in ("thumbnail", "preview", "original"):
            fetched = outsider.get(f"{link}/{assets[level]}/{kind}")
            assert fetched.status_code == (200 if sees else 404), (reader, level, kind)


@pytest.mark.parametrize("level", LEVELS)
def test_anonymous_gets_no_more_than_before_through_the_site(site, level: str) -> None:  # noqa: F811
    """Links exist for every level now; the site itself still shows anonymous the public only."""
    atrium, base_url, assets, clients = site
    visible = level in READERS["anonymous"]
    response = requests.get(f"{base_url}/assets/{assets[level]}/preview")
    assert response.status_code == (200 if visible else 404)
    assert requests.get(f"{base_url}/api/shares").status_code == 401
    assert requests.get(f"{base_url}/shares", allow_redirects=False).status_code == 302
