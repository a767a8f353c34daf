"""Access control on every path, for every access level and role, over real HTTP.

public: anyone; internal: any signed-in user; restricted: members of the owning department
and admins. A forbidden asset answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from access_matrix import (
    LEVELS,
    READERS,
    bearer_headers,
    for_every_reader_and_level,
    matrix_site,  # noqa: F401 - the fixture site
)
from conftest import TEST_PASSWORD, add_user, http_sign_in

from app.storage.graphstore import Scope

PATHS = ("", "/file", "/thumbnail", "/preview")


@for_every_reader_and_level
def test_asset_paths_follow_the_access_level(site, reader: str, level: str) -> None:
    _, base_url, assets, clients = site
    visible = level in READERS[reader]
    for path in PATHS:
        response = clients[reader].get(f"{base_url}/assets/{assets[level]}{path}")
        assert response.status_code == (200 if visible else 404), (reader, level, path)
    turtle = clients[reader].get(
        f"{base_url}/assets/{assets[level]}", headers={"Accept": "text/turtle"}
    )
    assert turtle.status_code == (200 if visible else 404)
    listing = clients[reader].get(f"{base_url}/").text
    assert (assets[level] in listing) == visible


def test_bearer_tokens_read_as_their_user(site, api_token) -> None:
    atrium, base_url, assets, _ = site
    token = api_token(atrium, "viewer", ("hr",))
    headers = {"Authorization": f"Bearer {token}"}
    response = requests.get(f"{base_url}/assets/{assets['restricted']}/file", headers=headers)
    assert response.status_code == 200
    me = requests.get(f"{base_url}/api/me", headers=headers).json()
    assert me["signed_in"] and me["role"] == "viewer"
    wrong = requests.get(f"{base_url}/api/me", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "token" in wrong.json()["error"]


def test_a_revoked_token_or_disabled_user_loses_access_at_once(site) -> None:
    atrium, base_url, assets, _ = site
    name = add_user(atrium, "viewer", ("hr",))
    token_id, secret = atrium.users.issue_token(name)
    client = http_sign_in(base_url, name)
    url = f"{base_url}/assets/{assets['restricted']}"
    assert client.get(url).status_code == 200
    atrium.users.revoke_token(token_id)
    assert requests.get(url, headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    atrium.users.disable(name)
    assert client.get(url).status_code == 404  # the session ended: anonymous again


def test_sign_in_failures_do_not_say_whether_the_user_exists(site) -> None:
    atrium, base_url, _, _ = site
    name = add_user(atrium, "viewer")
    messages = []
    for user in (name, "nobody-at-all"):
        client = requests.Session()
        token = client.get(f"{base_url}/login").text.split('name="csrf_token" value="')[1][:43]
        response = client.post(
            f"{base_url}/login",
            data={"name": user, "password": "wrong password!", "csrf_token": token},
        )
        assert response.status_code == 401
        messages.append(response.text.split('class="error"')[1][:120])
    assert messages[0] == messages[1]


def test_sign_in_is_rate_limited(site) -> None:
    atrium, base_url, _, _ = site
    name = add_user(atrium, "viewer")
    client = requests.Session()
    form = client.get(f"{base_url}/login").text
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    codes = [
        client.post(
            f"{base_url}/login", data={"name": name, "password": "x" * 12, "csrf_token": token}
        ).status_code
        for _ in range(6)
    ]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    right = client.post(
        f"{base_url}/login",
        data={"name": name, "password": TEST_PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert right.status_code == 429  # still blocked, even with the right password


def test_forms_without_the_csrf_token_are_refused(site) -> None:
    atrium, base_url, assets, _ = site
    name = add_user(atrium, "admin")
    client = http_sign_in(base_url, name)
    url = f"{base_url}/assets/{assets['internal']}/access"
    forged = client.post(url, data={"access": "public"})
    assert forged.status_code == 400
    assert atrium.assets.access_of(assets["internal"])[0] == "internal"


def test_login_redirects_only_to_this_site(site) -> None:
    atrium, base_url, _, _ = site
    name = add_user(atrium, "viewer")
    client = requests.Session()
    form = client.get(f"{base_url}/login?next=https://evil.example/").text
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        f"{base_url}/login",
        data={
            "name": name,
            "password": TEST_PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/",
        },
        allow_redirects=False,
    )
    assert response.headers["Location"] in ("/", f"{base_url}/")


def test_session_cookies_are_httponly_and_samesite(site) -> None:
    _, base_url, _, _ = site
    response = requests.get(f"{base_url}/login")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_access_changes_need_a_contributor_of_the_owning_department(site) -> None:
    atrium, base_url, assets, clients = site

    def change(client: requests.Session, level: str) -> int:
        page = client.get(f"{base_url}/assets/{assets['internal']}").text
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        return client.post(
            f"{base_url}/assets/{assets['internal']}/access",
            data={"access": level, "csrf_token": token},
            allow_redirects=False,
        ).status_code

    assert change(clients["viewer-hr"], "public") == 403
    marketing = http_sign_in(base_url, add_user(atrium, "contributor", ("marketing",)))
    assert change(marketing, "public") == 403
    assert change(clients["contributor-hr"], "restricted") == 302
    assert atrium.assets.access_of(assets["internal"]) == ("restricted", "hr")
    assert change(clients["contributor-hr"], "internal") == 302


def test_audit_trail_records_downloads_for_admins_only(site) -> None:
    atrium, base_url, assets, clients = site
    clients["viewer-hr"].get(f"{base_url}/assets/{assets['restricted']}/file")
    events = atrium.audit.history(atrium.iris.asset(assets["restricted"]))
    actions = {(e.action, e.agent) for e in events}
    assert ("created", "atrium-cli") in actions
    assert any(
        action == "downloaded" and agent.startswith("viewer-hr") for action, agent in actions
    )
    admin_page = clients["admin"].get(f"{base_url}/assets/{assets['restricted']}").text
    assert "Audit trail" in admin_page
    viewer_page = clients["viewer-hr"].get(f"{base_url}/assets/{assets['restricted']}").text
    assert "Audit trail" not in viewer_page


def test_no_password_hash_is_readable_by_sparql(site) -> None:
    atrium, _, _, _ = site
    rows = atrium.store.select(
        "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isLiteral(?o)) }",
        scope=Scope.everything(),
    )
    values = " ".join(row["o"].value for row in rows)
    assert "scrypt:" not in values and "pbkdf2:" not in values and TEST_PASSWORD not in values
    users = atrium.store.select(
        "SELECT ?u WHERE { ?u a <http://xmlns.com/foaf/0.1/Person> }", scope=Scope.everything()
    )
    assert len(users) >= 4


def test_user_profiles_are_for_signed_in_readers_only(site, tmp_path: Path) -> None:
    from app.domain.people.access import ANONYMOUS, Reader, scope_for

    atrium, _, _, _ = site
    query = "ASK { ?u a <http://xmlns.com/foaf/0.1/Person> }"
    anonymous = scope_for(ANONYMOUS, atrium.iris, atrium.store)
    member = scope_for(Reader.signed_in_as("x", ["hr"], False), atrium.iris, atrium.store)
    assert not atrium.store.ask(query, scope=anonymous)
    assert atrium.store.ask(query, scope=member)


def test_results_paths_are_for_signed_in_readers_who_may_see_the_asset(site) -> None:
    """/api/performance, /performance and an asset's Results: never anonymous, and a
    restricted asset's results only for members of its department."""
    import datetime as dt

    from app.domain.results.observations import Observation

    atrium, base_url, assets, clients = site
    segment = atrium.iris.concept("audiences/customers")
    atrium.observations.write(
        [
            Observation(
                asset=atrium.iris.asset(assets[level]),
                segment=atrium.iris.concept("audiences/consumers"),
                channel=atrium.iris.concept("channels/web"),
                campaign=atrium.iris.concept("campaigns/spring-launch"),
                start=dt.date(2026, 3, 1),
                end=dt.date(2026, 3, 31),
                impressions=9000 + n,
                clicks=10,
                conversions=5,
            )
            for n, level in enumerate(LEVELS)
        ]
    )
    api = f"{base_url}/api/performance"
    anonymous = clients["anonymous"]
    assert anonymous.get(api, params={"segment": segment.value}).status_code == 401
    page = anonymous.get(f"{base_url}/performance", allow_redirects=False)
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    public_page = anonymous.get(f"{base_url}/assets/{assets['public']}").text
    assert 'id="results"' not in public_page and "9,000" not in public_page
    for reader, levels in READERS.items():
        if reader == "anonymous":
            continue
        found = clients[reader].get(api, params={"segment": segment.value}).json()
        ids = {row["id"] for row in found["results"]}
        assert ids == {assets[level] for level in levels}, reader
        html = clients[reader].get(f"{base_url}/performance", params={"segment": segment.value})
        assert html.status_code == 200
        assert ("restricted photo" in html.text) == ("restricted" in levels), reader
    outsider = clients["viewer-marketing"]
    assert outsider.get(f"{base_url}/assets/{assets['restricted']}").status_code == 404
    internal = outsider.get(f"{base_url}/assets/{assets['internal']}").text
    assert 'id="results"' in internal and "9,001" in internal


# Who may record results: contributors of the owning department (HR) and admins, on every
# level; everyone else is refused without learning whether a hidden asset exists.
RECORDERS = {"contributor-hr", "admin"}


@for_every_reader_and_level
def test_recording_results_follows_the_department_and_the_access_level(
    site, reader: str, level: str
) -> None:
    atrium, base_url, assets, clients = site
    client, asset_id = clients[reader], assets[level]
    row = {
        "segment": atrium.iris.concept("audiences/families").value,
        "channel": atrium.iris.concept("channels/print").value,
        "campaign": "Spring collection 2024",
        "start": "2026-05-01",
        "end": "2026-05-31",
        "impressions": "100",
        "clicks": "10",
        "conversions": "1",
    }
    page = client.get(f"{base_url}/assets/{asset_id}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    form = {**row, "csrf_token": token.group(1) if token else ""}
    posted = client.post(f"{base_url}/assets/{asset_id}/results", data=form, allow_redirects=False)
    if reader == "anonymous":
        assert (
            posted.status_code in (302, 400, 401)
            and "/assets/"
            not in posted.headers.get("Location", "/login").removeprefix(base_url)[:8]
        )
    elif reader in RECORDERS:
        assert posted.status_code == 302, (reader, level, posted.text[:300])
    else:
        assert posted.status_code in (403, 404), (reader, level)
    bad = client.post(
        f"{base_url}/assets/{asset_id}/results",
        data={**form, "impressions": "many"},
        allow_redirects=False,
    )
    assert bad.status_code < 500 and (reader not in RECORDERS or bad.status_code == 400)

    headers = bearer_headers(atrium, reader, "matrix")
    api = requests.post(
        f"{base_url}/api/results", json=[{**row, "asset": asset_id}], headers=headers
    )
    if reader == "anonymous":
        assert api.status_code == 401
    elif not reader.startswith(("contributor", "admin")):
        assert api.status_code == 403
    else:
        summary = api.json()
        assert api.status_code == 200
        assert (summary["refused"] == []) == (reader in RECORDERS), (reader, level, summary)
        if reader not in RECORDERS:
            assert "you may not record results for this asset" in summary["refused"][0]["reason"]
    garbage = requests.post(
        f"{base_url}/api/results",
        data="{not json",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert garbage.status_code in ((401,) if not headers else (400, 403))


# API tokens: each signed-in reader lists, issues and revokes their own on /account/tokens, and
# never sees or revokes another person's; anonymous readers are sent to sign in.
@pytest.mark.parametrize("reader", READERS)
def test_api_token_pages_show_and_revoke_only_the_readers_own(site, reader: str) -> None:
    atrium, base_url, _, clients = site
    client, tokens = clients[reader], f"{base_url}/account/tokens"
    someone = add_user(atrium, "viewer", ("hr",))
    theirs = atrium.users.issue_token(someone, "someone else's")[0]
    listed = client.get(tokens, allow_redirects=False)
    form = listed.text if reader != "anonymous" else client.get(f"{base_url}/login").text
    csrf = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)}
    issued = client.post(tokens, data={"label": "matrix", **csrf}, allow_redirects=False)
    revoke_theirs = client.post(f"{tokens}/{theirs}/revoke", data=csrf, allow_redirects=False)
    revoke_unknown = client.post(f"{tokens}/no-such-token/revoke", data=csrf, allow_redirects=False)
    assert [t.state for t in atrium.users.tokens(someone)] == ["active"]
    if reader == "anonymous":
        for response in (listed, issued, revoke_theirs, revoke_unknown):
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        return
    name = client.get(f"{base_url}/api/me").json()["name"]
    assert listed.status_code == 200 and listed.headers["Cache-Control"] == "no-store"
    assert issued.status_code == 201 and f"<code>{theirs}</code>" not in listed.text + issued.text
    mine = re.search(r"Token <strong>([0-9a-f]+)</strong> is ready", issued.text).group(1)
    assert f"<code>{mine}</code>" in issued.text  # listed with the reader's own
    secret = re.search(r'<code class="secret">([^<]+)</code>', issued.text).group(1)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert requests.get(f"{base_url}/api/me", headers=bearer).json()["name"] == name
    assert revoke_theirs.status_code == 404 and revoke_unknown.status_code == 404
    revoked = client.post(f"{tokens}/{mine}/revoke", data=csrf, allow_redirects=False)
    assert revoked.status_code == 302 and revoked.headers["Location"].endswith("/account/tokens")
    assert {t.id: t.state for t in atrium.users.tokens(name)}[mine] == "revoked"
    assert requests.get(f"{base_url}/api/me", headers=bearer).status_code == 401
