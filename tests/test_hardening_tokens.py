"""Hardening (issue 15): API tokens may expire, and show when they were last used.

Tokens never expired, and nothing said whether one was still in use. Now a token may be issued
with an expiry (``atrium user token NAME --expires 90d`` or ``--expires 2027-03-31``, or the
form at ``/account/tokens``); past it, the token answers 401 saying that it expired (never a
silent fall back to anonymous). Its last use is recorded, at most once a minute, and listed by
``atrium user token NAME --list`` and on ``/account/tokens``. An ``auth.sqlite`` made before
these columns existed gains them on start, its tokens still working.

Time is moved by replacing the tokens' clock (``app.domain.people.api_tokens.utcnow``); the calls go
through the real CLI (``app.cli.main``) and over real HTTP.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
from pathlib import Path

import pytest
import requests
from conftest import BASE_IRI, TEST_PASSWORD, add_user, http_sign_in, make_atrium, serving
from werkzeug.security import generate_password_hash

from app.cli.main import main
from app.domain.people import api_tokens
from app.domain.people.users import UserError

REAL_NOW = api_tokens.utcnow


class Clock:
    """The tokens' clock, moved by hand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = REAL_NOW()
        monkeypatch.setattr(api_tokens, "utcnow", lambda: self.now)

    def move(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # noqa: ANN201
    """``cli(*args)`` runs ``atrium ARGS…`` on a fresh data folder: (exit status, out, err)."""
    monkeypatch.setenv("ATRIUM_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ATRIUM_BASE_IRI", BASE_IRI)
    monkeypatch.delenv("ATRIUM_STORE", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        status = main(list(args))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def me(base_url: str, secret: str) -> requests.Response:
    return requests.get(f"{base_url}/api/me", headers={"Authorization": f"Bearer {secret}"})


def form_token(client: requests.Session, base_url: str, path: str) -> str:
    page = client.get(f"{base_url}{path}").text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def issue_on_the_web(
    client: requests.Session, base_url: str, label: str, expires: str
) -> requests.Response:
    return client.post(
        f"{base_url}/account/tokens",
        data={
            "label": label,
            "expires": expires,
            "csrf_token": form_token(client, base_url, "/account/tokens"),
        },
    )


def listed_row(page: str, token_id: str) -> str:
    """The table row of one token on /account/tokens, as text."""
    row = re.search(rf"<tr class=\"token-\w+\">\s*<td><code>{token_id}</code>.*?</tr>", page, re.S)
    assert row, page
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(0))).strip()


def test_tokens_with_an_expiry_from_the_cli_are_refused_with_401_once_it_passes(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    assert cli("user", "add", "ana", "--role", "viewer")[0] == 0
    status, out, _ = cli("user", "token", "ana", "--label", "Power BI", "--expires", "90d")
    assert status == 0
    expires = (clock.now + dt.timedelta(days=90)).strftime("%Y-%m-%d %H:%M UTC")
    assert f"expires {expires}" in out
    secret = out.strip().splitlines()[-1]
    forever = cli("user", "token", "ana", "--label", "no expiry")[1].strip().splitlines()[-1]

    atrium = make_atrium(tmp_path / "data")
    with serving(atrium) as base_url:
        assert me(base_url, secret).json()["name"] == "ana"
        clock.move(days=90, seconds=-1)
        assert me(base_url, secret).status_code == 200  # the last second of its life
        clock.move(seconds=1)
        refused = me(base_url, secret)
        assert refused.status_code == 401
        assert "expired on" in refused.json()["error"] and expires in refused.json()["error"]
        search = requests.get(
            f"{base_url}/api/search", headers={"Authorization": f"Bearer {secret}"}
        )
        assert search.status_code == 401  # never answered as if anonymous
        assert me(base_url, forever).json()["name"] == "ana"  # a token without expiry lasts
    atrium.close()

    listing = cli("user", "token", "ana", "--list")[1].splitlines()
    assert len(listing) == 2
    expired = next(line for line in listing if "Power BI" in line)
    assert " expired " in expired and f"expires {expires}" in expired
    assert "last used never" not in expired  # it was used
    lasting = next(line for line in listing if "no expiry" in line)
    assert " active " in lasting and "expires never" in lasting


@pytest.mark.parametrize(
    ("expires", "says"),
    [
        ("90", "write a number of days (90d) or a day (2027-03-31)"),
        ("2020-01-01", "is not in the future"),
        ("2027-02-30", "no such date"),
        ("99999d", "at most 3,650 days"),
        ("0d", "is not in the future"),
    ],
)
def test_tokens_a_bad_expiry_is_refused_by_the_cli_and_nothing_is_issued(
    cli, expires: str, says: str
) -> None:
    assert cli("user", "add", "ana")[0] == 0
    status, out, err = cli("user", "token", "ana", "--expires", expires)
    assert status == 2
    assert says in err and "atr_" not in out
    assert cli("user", "token", "ana", "--list")[1].strip() == ""


def test_tokens_issued_on_the_web_with_a_last_day_list_expiry_and_last_use(
    site, monkeypatch: pytest.MonkeyPatch
) -> None:
    atrium, base_url = site
    clock = Clock(monkeypatch)
    name = add_user(atrium, "viewer")
    browser = http_sign_in(base_url, name)
    last_day = (clock.now + dt.timedelta(days=1)).date()
    issued = issue_on_the_web(browser, base_url, "nightly export", last_day.isoformat())
    assert issued.status_code == 201
    assert issued.headers["Cache-Control"] == "no-store"
    secret = re.search(r'<code class="secret">(atr_[^<]+)</code>', issued.text).group(1)
    token_id = secret.split("_")[1]
    expires = f"{last_day + dt.timedelta(days=1)} 00:00 UTC"  # it works through its last day

    page = browser.get(f"{base_url}/account/tokens").text
    assert secret not in page  # shown once
    row = listed_row(page, token_id)
    assert "nightly export active" in row and expires in row and row.endswith("never Revoke")

    assert me(base_url, secret).json()["name"] == name
    used = clock.now.strftime("%Y-%m-%d %H:%M UTC")
    assert used in listed_row(browser.get(f"{base_url}/account/tokens").text, token_id)

    clock.now = dt.datetime.combine(last_day, dt.time(23, 59, 59), dt.UTC)
    assert me(base_url, secret).status_code == 200
    clock.move(seconds=1)
    assert me(base_url, secret).status_code == 401
    row = listed_row(browser.get(f"{base_url}/account/tokens").text, token_id)
    assert " expired " in f" {row} " and "Revoke" not in row


def test_tokens_a_bad_expiry_on_the_web_answers_400_and_issues_nothing(site) -> None:
    atrium, base_url = site
    name = add_user(atrium, "viewer")
    browser = http_sign_in(base_url, name)
    refused = issue_on_the_web(browser, base_url, "kept label", "next tuesday")
    assert refused.status_code == 400
    assert "write a number of days (90d) or a day (2027-03-31)" in refused.text
    assert 'value="kept label"' in refused.text and 'value="next tuesday"' in refused.text
    assert atrium.users.tokens(name) == []


def test_tokens_an_overlong_label_is_refused_on_the_web_and_in_the_domain(site) -> None:
    atrium, base_url = site
    name = add_user(atrium, "viewer")
    browser = http_sign_in(base_url, name)
    refused = issue_on_the_web(browser, base_url, "x" * 100_000, "")
    assert refused.status_code == 400
    assert "at most 200 characters (100,000 given)" in refused.text
    with pytest.raises(UserError, match="at most 200 characters"):
        atrium.users.issue_token(name, "y" * 201)
    assert atrium.users.tokens(name) == []
    atrium.users.issue_token(name, "  " + "z" * 200 + "  ")
    assert atrium.users.tokens(name)[0].label == "z" * 200


def test_tokens_last_use_is_written_at_most_once_a_minute(
    site, monkeypatch: pytest.MonkeyPatch
) -> None:
    atrium, base_url = site
    clock = Clock(monkeypatch)
    name = add_user(atrium, "viewer")
    token_id, secret = atrium.users.issue_token(name, "busy script")
    assert atrium.users.tokens(name)[0].last_used is None

    def last_used() -> str | None:
        return atrium.users.tokens(name)[0].last_used

    first = clock.now
    assert me(base_url, secret).status_code == 200
    assert last_used() == first.isoformat()
    auth_file = atrium.config.data_dir / "auth.sqlite"
    writes = _data_version_changes(auth_file)
    for _ in range(5):
        clock.move(seconds=10)
        assert me(base_url, secret).status_code == 200
    assert last_used() == first.isoformat()  # 50 s later: not written again
    assert writes() == 0
    clock.move(seconds=10)
    assert me(base_url, secret).status_code == 200
    assert last_used() == clock.now.isoformat()
    assert writes() == 1


def _data_version_changes(path: Path):  # noqa: ANN202
    """A function saying how many times other connections changed the database since now."""
    watcher = sqlite3.connect(path)
    start = watcher.execute("PRAGMA data_version").fetchone()[0]
    seen = [start, 0]

    def changes() -> int:
        version = watcher.execute("PRAGMA data_version").fetchone()[0]
        if version != seen[0]:
            seen[0], seen[1] = version, seen[1] + 1
        return seen[1]

    return changes


def test_tokens_an_old_auth_database_gains_the_columns_and_keeps_its_tokens(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    secret = "atr_0badf00d_" + "x" * 43
    old = sqlite3.connect(data / "auth.sqlite")
    old.executescript(
        """
        CREATE TABLE users (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL,
            role TEXT NOT NULL, departments TEXT NOT NULL DEFAULT '',
            disabled INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL);
        CREATE TABLE tokens (id TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name),
            token_hash TEXT NOT NULL UNIQUE, label TEXT NOT NULL DEFAULT '',
            created TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
        """
    )
    old.execute(
        "INSERT INTO users VALUES ('olga', ?, 'viewer', '', 0, '2025-01-01T00:00:00+00:00')",
        (generate_password_hash(TEST_PASSWORD),),
    )
    old.execute(
        "INSERT INTO tokens (id, user, token_hash, label, created) "
        "VALUES ('0badf00d', 'olga', ?, 'legacy', '2025-01-01T00:00:00+00:00')",
        (hashlib.sha256(secret.encode()).hexdigest(),),
    )
    old.commit()
    old.close()

    atrium = make_atrium(data)
    with serving(atrium) as base_url:
        assert me(base_url, secret).json()["name"] == "olga"
        browser = http_sign_in(base_url, "olga")
        row = listed_row(browser.get(f"{base_url}/account/tokens").text, "0badf00d")
        assert "legacy active 2025-01-01 00:00 UTC never" in row  # no expiry; used just now
        assert "never Revoke" not in row
    (token,) = atrium.users.tokens("olga")
    assert token.expires is None and token.last_used is not None
    atrium.close()
    reopened = make_atrium(data)  # a second start finds the columns there: nothing to add
    assert reopened.users.tokens("olga")[0].label == "legacy"
    reopened.close()


def test_tokens_are_managed_from_a_session_never_with_a_token(site) -> None:
    atrium, base_url = site
    name = add_user(atrium, "admin")
    _, secret = atrium.users.issue_token(name, "script")
    bearer = {"Authorization": f"Bearer {secret}"}
    minted = requests.post(f"{base_url}/account/tokens", data={"expires": ""}, headers=bearer)
    assert minted.status_code == 403 and "browser session" in minted.json()["error"]
    assert len(atrium.users.tokens(name)) == 1
    assert requests.get(f"{base_url}/account/tokens", headers=bearer).status_code == 403
    anonymous = requests.get(f"{base_url}/account/tokens", allow_redirects=False)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_tokens_a_user_revokes_only_their_own_on_the_web(site) -> None:
    atrium, base_url = site
    ana, ben = add_user(atrium, "viewer"), add_user(atrium, "viewer")
    ana_id, ana_secret = atrium.users.issue_token(ana, "ana's")
    ben_id, ben_secret = atrium.users.issue_token(ben, "ben's")
    browser = http_sign_in(base_url, ana)
    csrf = form_token(browser, base_url, "/account/tokens")
    other = browser.post(f"{base_url}/account/tokens/{ben_id}/revoke", data={"csrf_token": csrf})
    assert other.status_code == 404
    assert me(base_url, ben_secret).status_code == 200
    own = browser.post(
        f"{base_url}/account/tokens/{ana_id}/revoke",
        data={"csrf_token": csrf},
        allow_redirects=False,
    )
    assert own.status_code == 302
    assert me(base_url, ana_secret).status_code == 401
    assert "revoked" in listed_row(browser.get(f"{base_url}/account/tokens").text, ana_id)
