"""Access control on user administration (/admin/users, issue 13), for every kind of reader
of the access matrix and for API tokens, over real HTTP: only a signed-in admin's browser
session gets in; anonymous readers are sent to sign in, other users get the site's 403 page,
and no refused request changes anything."""

from __future__ import annotations

import re

import pytest
import requests
from access_matrix import READERS, add_readers, matrix_atrium, served_to

TARGET = "target-user"
GETS = ("/admin/users", f"/admin/users/{TARGET}", "/admin/users?page=2")
POSTS = {
    "/admin/users": {"name": "intruder", "role": "admin"},
    f"/admin/users/{TARGET}/role": {"role": "admin"},
    f"/admin/users/{TARGET}/disable": {},
    f"/admin/users/{TARGET}/enable": {},
    f"/admin/users/{TARGET}/password": {},
    f"/admin/users/{TARGET}/tokens": {"label": "stolen"},
    f"/admin/users/{TARGET}/tokens/{{token}}/revoke": {},
}
NOT_ADMINS = [reader for reader in READERS if reader not in ("anonymous", "admin")]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """(atrium, base URL, session by reader, the target's token id, bearer sessions)."""
    folder = tmp_path_factory.mktemp("access-admin")
    with matrix_atrium(folder) as atrium:
        atrium.users.add(TARGET, "viewer", ["hr"], "a long enough password")
        token_id = atrium.users.issue_token(TARGET, "theirs")[0]
        names = add_readers(atrium, READERS)
        with served_to(atrium, names) as (base_url, clients):
            bearers = {}
            for reader in ("viewer-hr", "admin"):
                session = requests.Session()
                secret = atrium.users.issue_token(names[reader], "script")[1]
                session.headers["Authorization"] = f"Bearer {secret}"
                bearers[reader] = session
            yield atrium, base_url, clients, token_id, bearers


def _csrf(client: requests.Session, base_url: str) -> str:
    """The session's CSRF token, from a page every reader may open."""
    page = client.get(f"{base_url}/login").text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _unchanged(atrium) -> None:  # noqa: ANN001
    target = atrium.users.get(TARGET)
    assert (target.role, target.disabled) == ("viewer", False)
    assert atrium.users.get("intruder") is None
    assert [t.state for t in atrium.users.tokens(TARGET)] == ["active"]


@pytest.mark.parametrize("reader", NOT_ADMINS)
@pytest.mark.parametrize("path", GETS)
def test_other_users_get_the_sites_403_page(site, reader: str, path: str) -> None:
    _, base_url, clients, _, _ = site
    answer = clients[reader].get(f"{base_url}{path}", allow_redirects=False)
    assert answer.status_code == 403
    assert "the admin role" in answer.text and 'class="brand"' in answer.text
    assert TARGET not in answer.text


@pytest.mark.parametrize("reader", NOT_ADMINS)
@pytest.mark.parametrize("path", POSTS)
def test_other_users_change_nothing(site, reader: str, path: str) -> None:
    atrium, base_url, clients, token_id, _ = site
    client = clients[reader]
    form = {**POSTS[path], "csrf_token": _csrf(client, base_url)}
    url = f"{base_url}{path.format(token=token_id)}"
    assert client.post(url, data=form, allow_redirects=False).status_code == 403
    _unchanged(atrium)


@pytest.mark.parametrize("path", [*GETS, *POSTS])
def test_anonymous_readers_are_sent_to_sign_in(site, path: str) -> None:
    atrium, base_url, clients, token_id, _ = site
    client, url = clients["anonymous"], f"{base_url}{path.format(token=token_id)}"
    if path in POSTS:
        form = {**POSTS[path], "csrf_token": _csrf(client, base_url)}
        answer = client.post(url, data=form, allow_redirects=False)
    else:
        answer = client.get(url, allow_redirects=False)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login?next=")
    _unchanged(atrium)


@pytest.mark.parametrize("reader", ["viewer-hr", "admin"])
@pytest.mark.parametrize("path", [*GETS, *POSTS])
def test_api_tokens_cannot_administer_users(site, reader: str, path: str) -> None:
    """Even an admin's token: a token that could mint tokens would never really expire."""
    atrium, base_url, _, token_id, bearers = site
    url = f"{base_url}{path.format(token=token_id)}"
    if path in POSTS:
        answer = bearers[reader].post(url, data=POSTS[path], allow_redirects=False)
    else:
        answer = bearers[reader].get(url, allow_redirects=False)
    assert answer.status_code == 403
    _unchanged(atrium)


@pytest.mark.parametrize("path", GETS)
def test_the_admin_gets_in(site, path: str) -> None:
    _, base_url, clients, _, _ = site
    answer = clients["admin"].get(f"{base_url}{path}", allow_redirects=False)
    assert answer.status_code == 200
    assert TARGET in answer.text
