"""User administration in the web (/admin/users, issue 13), over real HTTP: admins add users,
change their role and departments, disable and enable them, reset passwords, and issue and
revoke tokens; every change takes effect on the user's next request."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from access_matrix import CONSENT, write_photo
from conftest import TEST_PASSWORD, add_user, http_sign_in, make_atrium, serving

from app.domain.media.ingest import Ingester, IngestOptions
from app.domain.people.users import UserError
from app.service import Atrium

NEW_PASSWORD = "a long enough password"


@pytest.fixture
def admin_site(tmp_path) -> Iterator[tuple[Atrium, str, requests.Session, str]]:  # noqa: ANN001
    """(atrium, base URL, a signed-in admin's session, the id of a restricted HR photo)."""
    atrium = make_atrium(tmp_path / "data")
    try:
        options = Ingester(atrium).resolve(IngestOptions("hr", "restricted", settings=CONSENT))
        outcome = Ingester(atrium).run([write_photo(tmp_path, "restricted")], options).outcomes[0]
        assert outcome.status == "ingested", outcome.reason
        with serving(atrium) as base_url:
            admin = http_sign_in(base_url, add_user(atrium, "admin"))
            yield atrium, base_url, admin, outcome.asset_id
    finally:
        atrium.close()


def csrf(client: requests.Session, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.text[:300]
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def post(client: requests.Session, url: str, data: dict | list, page: str | None = None):  # noqa: ANN201
    """POST a form from ``page`` (default: ``url`` itself) with its CSRF token."""
    token = csrf(client, page or url)
    pairs = list(data.items()) if isinstance(data, dict) else list(data)
    return client.post(url, data=[*pairs, ("csrf_token", token)], allow_redirects=False)


def secret_shown(html: str) -> str:
    return re.search(r'<code class="secret">([^<]+)</code>', html).group(1)


def test_an_admin_adds_a_user_who_then_signs_in(admin_site) -> None:
    atrium, base_url, admin, _ = admin_site
    url = f"{base_url}/admin/users"
    form = [("name", "dana"), ("role", "contributor"), ("departments", "hr")]
    added = post(admin, url, [*form, ("departments", "legal")])
    assert added.status_code == 201, added.text[:300]
    password = secret_shown(added.text)
    assert added.headers["Cache-Control"] == "no-store"
    user = atrium.users.get("dana")
    assert (user.role, user.departments) == ("contributor", ("hr", "legal"))
    dana = http_sign_in(base_url, "dana", password)
    assert dana.get(f"{base_url}/api/me").json()["name"] == "dana"
    listing = admin.get(url).text
    assert "dana" in listing and "Human resources" in listing
    assert password not in listing  # shown once, never again

    chosen = post(admin, url, {"name": "erin", "role": "viewer", "password": NEW_PASSWORD})
    assert chosen.status_code == 201 and 'class="secret"' not in chosen.text
    http_sign_in(base_url, "erin", NEW_PASSWORD)


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"name": "", "role": "viewer"}, "name", "give the user a name"),
        ({"name": "with space", "role": "viewer"}, "name", "lower-case letters"),
        ({"name": "a/b", "role": "viewer"}, "name", "lower-case letters"),
        ({"name": "fred", "role": "overlord"}, "role", "unknown role"),
        (
            {"name": "fred", "role": "viewer", "departments": "moon"},
            "departments",
            "unknown department",
        ),
        ({"name": "fred", "role": "viewer", "password": "short"}, "password", "at least 10"),
    ],
)
def test_bad_input_gives_the_form_again_with_the_message_on_the_field(
    admin_site, form: dict, field: str, message: str
) -> None:
    atrium, base_url, admin, _ = admin_site
    before = len(atrium.users.all())
    answer = post(admin, f"{base_url}/admin/users", form)
    assert answer.status_code == 422
    assert re.search(rf'id="e-{field}">[^<]*{re.escape(message)}', answer.text), answer.text
    assert f'value="{form["name"]}"' in answer.text  # the name typed is kept
    assert len(atrium.users.all()) == before


def test_a_german_admin_reads_the_refusals_in_german(admin_site) -> None:
    atrium, base_url, admin, _ = admin_site
    admin.headers["Accept-Language"] = "de"
    url = f"{base_url}/admin/users"
    short = post(admin, url, {"name": "fred", "role": "viewer", "password": "short"})
    assert re.search(r'id="e-password">[^<]*Ein Passwort braucht mindestens 10 Zeichen', short.text)
    (only_admin,) = [user.name for user in atrium.users.all() if user.role == "admin"]
    last = post(admin, f"{url}/{only_admin}/disable", {}, page=url)
    assert "ist der letzte aktive Administrator" in last.text, last.text[:500]
    assert "last enabled admin" not in last.text and "at least 10" not in short.text


def test_a_duplicate_name_is_refused_on_the_name(admin_site) -> None:
    atrium, base_url, admin, _ = admin_site
    name = add_user(atrium, "viewer")
    answer = post(admin, f"{base_url}/admin/users", {"name": name, "role": "admin"})
    assert answer.status_code == 422
    assert re.search(r'id="e-name">[^<]*exists already', answer.text)
    assert atrium.users.get(name).role == "viewer"


def test_a_department_change_shows_at_once_and_a_role_change_needs_a_new_sign_in(
    admin_site,
) -> None:
    atrium, base_url, admin, asset_id = admin_site
    name = add_user(atrium, "viewer", ("marketing",))
    reader = http_sign_in(base_url, name)
    asset = f"{base_url}/assets/{asset_id}"
    assert reader.get(asset).status_code == 404
    page = f"{base_url}/admin/users/{name}"
    changed = post(admin, f"{page}/role", {"role": "viewer", "departments": "hr"}, page)
    assert changed.status_code == 303
    assert reader.get(asset).status_code == 200  # the same session, now in HR

    assert reader.get(f"{base_url}/upload", allow_redirects=False).status_code == 403
    promoted = post(admin, f"{page}/role", {"role": "contributor", "departments": "hr"}, page)
    assert promoted.status_code == 303
    assert reader.get(f"{base_url}/api/me").json() == {"signed_in": False}
    again = http_sign_in(base_url, name)
    assert again.get(f"{base_url}/upload").status_code == 200

    wrong = post(admin, f"{page}/role", {"role": "boss", "departments": "hr"}, page)
    assert wrong.status_code == 422 and re.search(r'id="e-role"[^>]*>[^<]*unknown role', wrong.text)
    assert atrium.users.get(name).role == "contributor"


def test_disabling_stops_a_session_and_a_token_at_once(admin_site) -> None:
    atrium, base_url, admin, asset_id = admin_site
    name = add_user(atrium, "viewer", ("hr",))
    reader = http_sign_in(base_url, name)
    page = f"{base_url}/admin/users/{name}"
    issued = post(admin, f"{page}/tokens", {"label": "script", "expires": "30d"}, page)
    assert issued.status_code == 201
    bearer = {"Authorization": f"Bearer {secret_shown(issued.text)}"}
    asset = f"{base_url}/assets/{asset_id}"
    assert requests.get(asset, headers=bearer).status_code == 200
    assert reader.get(asset).status_code == 200

    assert post(admin, f"{page}/disable", {}, page).status_code == 303
    assert reader.get(asset).status_code == 404  # anonymous again
    assert requests.get(asset, headers=bearer).status_code == 401
    assert "disabled" in admin.get(page).text

    assert post(admin, f"{page}/enable", {}, page).status_code == 303
    assert not atrium.users.get(name).disabled
    assert requests.get(asset, headers=bearer).status_code == 401  # old tokens stay revoked
    http_sign_in(base_url, name)


def test_reset_password_and_revoke_a_token(admin_site) -> None:
    atrium, base_url, admin, _ = admin_site
    name = add_user(atrium, "viewer")
    reader = http_sign_in(base_url, name)
    page = f"{base_url}/admin/users/{name}"
    reset = post(admin, f"{page}/password", {}, page)
    assert reset.status_code == 200 and reset.headers["Cache-Control"] == "no-store"
    assert reader.get(f"{base_url}/api/me").json() == {"signed_in": False}
    http_sign_in(base_url, name, secret_shown(reset.text))

    bad = post(admin, f"{page}/tokens", {"label": "x", "expires": "yesterday"}, page)
    assert bad.status_code == 422 and re.search(r'id="e-expires"[^>]*>[^<]*expiry', bad.text)
    token_id, secret = atrium.users.issue_token(name, "report")
    assert post(admin, f"{page}/tokens/{token_id}/revoke", {}, page).status_code == 303
    bearer = {"Authorization": f"Bearer {secret}"}
    assert requests.get(f"{base_url}/api/me", headers=bearer).status_code == 401
    other = atrium.users.issue_token(add_user(atrium, "viewer"), "theirs")[0]
    assert post(admin, f"{page}/tokens/{other}/revoke", {}, page).status_code == 404


def test_the_last_enabled_admin_cannot_demote_or_disable_themselves(admin_site) -> None:
    atrium, base_url, admin, _ = admin_site
    me = admin.get(f"{base_url}/api/me").json()["name"]
    for user in atrium.users.all():  # make this admin the only enabled one
        if user.is_admin and user.name != me:
            atrium.users.disable(user.name)
    page = f"{base_url}/admin/users/{me}"
    demoted = post(admin, f"{page}/role", {"role": "viewer"}, page)
    assert demoted.status_code == 422 and "last enabled admin" in demoted.text
    disabled = post(admin, f"{page}/disable", {}, page)
    assert disabled.status_code == 422 and "last enabled admin" in disabled.text
    assert atrium.users.get(me).is_admin and not atrium.users.get(me).disabled
    with pytest.raises(UserError, match="last enabled admin"):
        atrium.users.set_role(me, "viewer")

    second = add_user(atrium, "admin")
    assert post(admin, f"{page}/role", {"role": "taxonomist"}, page).status_code == 303
    assert atrium.users.get(me).role == "taxonomist"
    assert atrium.users.get(second).is_admin


def test_a_post_without_its_csrf_token_is_refused(admin_site) -> None:
    atrium, base_url, admin, _ = admin_site
    name = add_user(atrium, "viewer")
    for path, form in (("", {"name": "mallory", "role": "admin"}), (f"/{name}/disable", {})):
        answer = admin.post(f"{base_url}/admin/users{path}", data=form, allow_redirects=False)
        assert answer.status_code == 400
    assert atrium.users.get("mallory") is None and not atrium.users.get(name).disabled


def test_the_header_links_users_for_admins_only(admin_site) -> None:
    atrium, base_url, admin, _ = admin_site
    assert 'href="/admin/users"' in admin.get(f"{base_url}/").text
    viewer = http_sign_in(base_url, add_user(atrium, "viewer"))
    assert 'href="/admin/users"' not in viewer.get(f"{base_url}/").text


def test_users_are_listed_in_pages(admin_site) -> None:
    atrium, base_url, admin, _ = admin_site
    for number in range(55):
        atrium.users.add(f"bulk{number:02d}", "viewer", [], TEST_PASSWORD)
    first = admin.get(f"{base_url}/admin/users").text
    second = admin.get(f"{base_url}/admin/users?page=2").text
    assert "bulk00" in first and "bulk54" not in first and 'rel="next"' in first
    assert "bulk54" in second and "bulk00" not in second
