"""Hardening of signing in and out (M7, L7, L10 and smaller findings), over real HTTP or the CLI.

- M7: signing out ended nothing server-side; a replayed cookie still answered ``signed_in``.
- L7: five wrong passwords for a name locked its owner out from everywhere (admin included).
- L10: a disabled user's public profile still showed their role and department memberships.
- The sign-in failure log grew without bound; ``atrium-cli`` (the CLI's audit agent) was a valid
  user name; a ``next`` with a line break answered 500, and ``/\\evil.example`` was let through.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from conftest import BASE_IRI, TEST_PASSWORD, add_user, http_sign_in
from http_helpers import client_from

from app.cli.main import main
from app.config import Config
from app.domain.people.users import UserError
from app.storage.graphstore import Scope
from app.web import auth

ORG_MEMBER_OF = "http://www.w3.org/ns/org#memberOf"
DAM_ROLE = "https://w3id.org/atrium/ns#role"


def form_token(client: requests.Session, base_url: str, path: str = "/login") -> str:
    page = client.get(f"{base_url}{path}").text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def try_sign_in(client: requests.Session, base_url: str, name: str, password: str) -> int:
    token = form_token(client, base_url)
    return client.post(
        f"{base_url}/login",
        data={"name": name, "password": password, "csrf_token": token},
        allow_redirects=False,
    ).status_code


def signed_in(base_url: str, cookies: dict[str, str]) -> bool:
    return requests.get(f"{base_url}/api/me", cookies=cookies).json()["signed_in"]


# M7 -------------------------------------------------------------------------------------------


def test_m7_a_replayed_cookie_is_signed_out_after_sign_out(site) -> None:
    atrium, base_url = site
    name = add_user(atrium, "admin")
    client = http_sign_in(base_url, name)
    stolen = client.cookies.get_dict()
    assert signed_in(base_url, stolen)
    token = form_token(client, base_url, "/")
    response = client.post(f"{base_url}/logout", data={"csrf_token": token}, allow_redirects=False)
    assert response.status_code == 302
    assert not signed_in(base_url, stolen)  # the copy of the cookie no longer signs anyone in
    assert not signed_in(base_url, client.cookies.get_dict())


def test_m7_one_sign_out_ends_only_that_session(site) -> None:
    atrium, base_url = site
    name = add_user(atrium, "viewer")
    laptop, phone = http_sign_in(base_url, name), http_sign_in(base_url, name)
    token = form_token(laptop, base_url, "/")
    laptop.post(f"{base_url}/logout", data={"csrf_token": token})
    assert not signed_in(base_url, laptop.cookies.get_dict())
    assert signed_in(base_url, phone.cookies.get_dict())


@pytest.mark.parametrize("change", ["password", "role", "disable"])
def test_m7_password_role_change_and_disable_end_sessions_at_once(site, change: str) -> None:
    atrium, base_url = site
    name = add_user(atrium, "contributor", ("hr",))
    cookies = http_sign_in(base_url, name).cookies.get_dict()
    assert signed_in(base_url, cookies)
    if change == "password":
        atrium.users.set_password(name, "another long password")
    elif change == "role":
        atrium.users.set_role(name, "viewer")
    else:
        atrium.users.disable(name)
    assert not signed_in(base_url, cookies)


def test_m7_a_disabled_user_cannot_start_a_session(site) -> None:
    atrium, _ = site
    name = add_user(atrium, "viewer")
    atrium.users.disable(name)
    with pytest.raises(UserError, match="disabled"):
        atrium.users.start_session(name)


def test_m7_sessions_expire(site, monkeypatch: pytest.MonkeyPatch) -> None:
    atrium, base_url = site
    name = add_user(atrium, "viewer")
    monkeypatch.setattr(atrium.users, "session_seconds", -1)
    assert not signed_in(base_url, http_sign_in(base_url, name).cookies.get_dict())


# L7 -------------------------------------------------------------------------------------------


def test_l7_wrong_passwords_from_elsewhere_do_not_lock_the_owner_out(site) -> None:
    atrium, base_url = site
    name = add_user(atrium, "admin")
    attacker = client_from("127.0.0.2")
    codes = [try_sign_in(attacker, base_url, name, "x" * 12) for _ in range(6)]
    assert codes == [401] * 5 + [429]
    assert try_sign_in(attacker, base_url, name, TEST_PASSWORD) == 429  # this pair is blocked
    owner = client_from("127.0.0.1")
    assert try_sign_in(owner, base_url, name, TEST_PASSWORD) == 302  # from their own address


def test_l7_one_address_guessing_many_names_is_limited(site) -> None:
    _, base_url = site
    attacker = client_from("127.0.0.3")
    codes = [try_sign_in(attacker, base_url, f"name-{n}", "x" * 12) for n in range(21)]
    assert codes[:20] == [401] * 20 and codes[20] == 429


def test_l7_the_backoff_doubles_and_success_forgets_the_pair() -> None:
    now = [1000.0]
    limits = auth.SignInLimits.of(Config.from_env({}))  # the defaults
    log = auth.FailureLog(limits, clock=lambda: now[0])
    pair = "pair:10.0.0.1 anna"
    for _ in range(limits.per_pair):
        assert not log.blocked(pair)
        log.add(pair)
    assert log.blocked(pair)
    now[0] += limits.first_lockout_seconds + 1
    assert not log.blocked(pair)  # the first backoff is over: one more try
    log.add(pair)
    now[0] += limits.first_lockout_seconds + 1
    assert log.blocked(pair)  # a further failure doubled the wait
    now[0] += limits.first_lockout_seconds
    assert not log.blocked(pair)
    log.forget(pair)
    log.add(pair)
    assert not log.blocked(pair)  # a success started the count afresh


# The failure log is bounded ---------------------------------------------------------------


def test_failure_log_prunes_old_entries_and_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    limits = auth.SignInLimits.of(Config.from_env({}))  # the defaults
    log = auth.FailureLog(limits, clock=lambda: now[0])
    for n in range(500):
        log.add(f"addr:10.0.{n // 256}.{n % 256}", f"pair:10.0.0.1 random-{n}")
    assert len(log) == 1000
    now[0] += limits.forget_after_seconds + 1
    log.add("pair:10.0.0.9 anna")
    assert len(log) == 1  # entries quiet past the backoff are forgotten
    monkeypatch.setattr(auth, "MAX_TRACKED", 50)
    for n in range(500):
        log.add(f"pair:10.0.0.1 random-{n}")
    assert len(log) == 50
    assert log.blocked("pair:10.0.0.1 random-499") is False


def test_failure_log_is_bounded_over_http(site, monkeypatch: pytest.MonkeyPatch) -> None:
    _, base_url = site
    monkeypatch.setattr(auth, "MAX_TRACKED", 10)
    logs: list[auth.FailureLog] = []
    original = auth.FailureLog.add

    def spy(self: auth.FailureLog, *keys: str) -> None:
        original(self, *keys)
        logs.append(self)

    monkeypatch.setattr(auth.FailureLog, "add", spy)
    client = client_from("127.0.0.4")
    for n in range(15):
        assert try_sign_in(client, base_url, f"random-{n}", "x" * 12) == 401
    assert logs and len(logs[-1]) <= 10


# L10 ------------------------------------------------------------------------------------------


def test_l10_a_disabled_users_profile_shows_no_membership(site) -> None:
    atrium, base_url = site
    name = add_user(atrium, "contributor", ("hr",))
    reader = http_sign_in(base_url, add_user(atrium, "viewer"))
    url = f"{base_url}/users/{name}"
    before = reader.get(url, headers={"Accept": "application/n-triples"}).text
    assert ORG_MEMBER_OF in before and DAM_ROLE in before
    atrium.users.disable(name)
    after = reader.get(url, headers={"Accept": "application/n-triples"})
    assert after.status_code == 200
    assert ORG_MEMBER_OF not in after.text and DAM_ROLE not in after.text
    assert "http://xmlns.com/foaf/0.1/Person" in after.text  # still a person, for the audit
    query = f"ASK {{ GRAPH ?g {{ <{BASE_IRI}users/{name}> <{ORG_MEMBER_OF}> ?d }} }}"
    assert atrium.store.ask(query, scope=Scope.everything()) is False  # nor to analysts


# atrium-cli is reserved -------------------------------------------------------------------


def test_the_cli_audit_agent_name_is_reserved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ATRIUM_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ATRIUM_BASE_IRI", BASE_IRI)
    monkeypatch.delenv("ATRIUM_STORE", raising=False)
    status = main(["user", "add", "atrium-cli", "--role", "admin"])
    assert status == 2
    assert "reserved" in capsys.readouterr().err
    assert main(["user", "list"]) == 0
    assert "atrium-cli" not in capsys.readouterr().out


# The login's next parameter ---------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/\r\nSet-Cookie: evil=1",
        "/assets\n",
        "/\\evil.example",
        "/\\/evil.example",
        "//evil.example",
        "/\t/evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
    ],
)
def test_login_next_unsafe_targets_go_home_never_500(site, target: str) -> None:
    atrium, base_url = site
    name = add_user(atrium, "viewer")
    client = requests.Session()
    shown = client.get(f"{base_url}/login", params={"next": target})
    assert shown.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', shown.text).group(1)
    response = client.post(
        f"{base_url}/login",
        data={"name": name, "password": TEST_PASSWORD, "csrf_token": token, "next": target},
        allow_redirects=False,
    )
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", f"{base_url}/")
    assert "evil" not in response.headers.get("Set-Cookie", "")


def test_login_next_a_safe_path_is_kept(site) -> None:
    atrium, base_url = site
    name = add_user(atrium, "viewer")
    client = requests.Session()
    token = form_token(client, base_url)
    response = client.post(
        f"{base_url}/login",
        data={"name": name, "password": TEST_PASSWORD, "csrf_token": token, "next": "/search?q=a"},
        allow_redirects=False,
    )
    assert response.headers["Location"].endswith("/search?q=a")
