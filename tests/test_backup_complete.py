"""Backups hold everything that is not derived: the graph, the media, and the users database
(passwords, tokens); a restored user signs in with their password and their token."""

from __future__ import annotations

import io
import json
import re
import sqlite3
from pathlib import Path

import pytest
import requests
from conftest import BASE_IRI, http_sign_in, serving
from PIL import Image

from app.cli.main import main
from app.config import Config, recorded_base_iri
from app.service import Atrium
from app.storage.embedded import EmbeddedStore

PASSWORD = "a long restored password"


def run(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str = "") -> tuple[int, str, str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", io.StringIO(stdin))
        status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def use_folder(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """``use_folder(path, base)``: point the CLI at a data folder."""

    def use(folder: Path, base: str = BASE_IRI) -> Path:
        monkeypatch.setenv("ATRIUM_DATA", str(folder))
        monkeypatch.setenv("ATRIUM_BASE_IRI", base)
        monkeypatch.delenv("ATRIUM_STORE", raising=False)
        return folder

    return use


@pytest.fixture
def backup(tmp_path: Path, use_folder, capsys) -> tuple[Path, str]:  # noqa: ANN001
    """An export of a folder with a user (password and token), a saved query and an asset;
    returns (the backup folder, the token's secret)."""
    use_folder(tmp_path / "origin")
    status, _, err = run(
        capsys, "user", "add", "alice", "--role", "contributor", "--department", "marketing",
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert status == 0, err
    status, out, err = run(capsys, "user", "token", "alice", "--label", "laptop")
    assert status == 0, err
    secret = out.strip().splitlines()[-1]
    query = tmp_path / "assets.rq"
    query.write_text("SELECT ?asset WHERE { ?asset a <https://w3id.org/atrium/ns#Asset> }")
    assert run(capsys, "query", "save", "every-asset", "-f", str(query), "--title", "All")[0] == 0
    photo = tmp_path / "harbour.jpg"
    Image.new("RGB", (64, 48), (30, 90, 160)).save(photo, "JPEG")
    assert run(capsys, "ingest", str(photo), "--department", "marketing", "--quiet")[0] == 0
    status, out, err = run(capsys, "export", str(tmp_path / "backup"))
    assert status == 0, err
    assert "auth.sqlite" in out
    return tmp_path / "backup", secret


def graph_names(data_dir: Path) -> list[str]:
    if not (data_dir / "store").exists():
        return []
    store = EmbeddedStore(data_dir / "store")
    try:
        return [graph.value for graph in store.graphs()]
    finally:
        store.close()


def test_the_manifest_covers_the_users_database_and_the_base(backup) -> None:
    folder, _ = backup
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["files"]) == {"auth.sqlite"}
    assert manifest["base_iri"] == BASE_IRI
    with sqlite3.connect(folder / "auth.sqlite") as db:
        names = {row[0] for row in db.execute("SELECT name FROM users")}
        tokens = db.execute("SELECT COUNT(*) FROM tokens WHERE user = 'alice'").fetchone()[0]
    assert names == {"alice"} and tokens == 1
    assert not (folder / "search.sqlite").exists()  # derived: rebuilt, not copied


def test_a_restored_user_signs_in_with_password_and_token(
    backup, tmp_path, use_folder, capsys
) -> None:
    folder, secret = backup
    restored = use_folder(tmp_path / "restored")
    status, out, err = run(capsys, "import", str(folder))
    assert status == 0, err
    assert recorded_base_iri(restored) == BASE_IRI
    status, out, _ = run(capsys, "query", "list")
    assert status == 0 and "every-asset" in out

    with Atrium(Config.from_env()) as atrium, serving(atrium) as base_url:
        session = http_sign_in(base_url, "alice", PASSWORD)
        me = session.get(f"{base_url}/api/me", timeout=10).json()
        assert me["signed_in"] and me["name"] == "alice" and me["role"] == "contributor"
        by_token = requests.get(
            f"{base_url}/api/me", headers={"Authorization": f"Bearer {secret}"}, timeout=10
        ).json()
        assert by_token["signed_in"] and by_token["name"] == "alice"
        stranger = requests.Session()
        form = stranger.get(f"{base_url}/login", timeout=10).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        wrong = {"name": "alice", "password": "not the password", "csrf_token": csrf}
        refused = stranger.post(f"{base_url}/login", data=wrong, allow_redirects=False, timeout=10)
        assert refused.status_code != 302  # the restored hash checks the password
        assert atrium.search_index.differences() == []


def test_a_damaged_users_database_is_refused_before_anything_is_written(
    backup, tmp_path, use_folder, capsys
) -> None:
    folder, _ = backup
    damaged = bytearray((folder / "auth.sqlite").read_bytes())
    damaged[200] ^= 0xFF
    (folder / "auth.sqlite").write_bytes(bytes(damaged))
    restored = use_folder(tmp_path / "restored")
    status, _, err = run(capsys, "import", str(folder))
    assert status == 2
    assert "auth.sqlite does not match its SHA-256" in err and "nothing was written" in err
    assert graph_names(restored) == []


def test_a_file_the_manifest_does_not_list_is_refused(backup, tmp_path, use_folder, capsys) -> None:
    folder, _ = backup
    (folder / "extra.sqlite").write_bytes((folder / "auth.sqlite").read_bytes())
    restored = use_folder(tmp_path / "restored")
    status, _, err = run(capsys, "import", str(folder))
    assert status == 2
    assert "extra.sqlite is in the backup but not in its manifest" in err
    assert graph_names(restored) == []


def test_a_backup_of_another_base_is_refused(backup, tmp_path, use_folder, capsys) -> None:
    folder, _ = backup
    restored = use_folder(tmp_path / "restored", "https://elsewhere.example/")
    status, _, err = run(capsys, "import", str(folder))
    assert status == 2
    assert f"ATRIUM_BASE_IRI={BASE_IRI}" in err and "atrium rebase" in err
    assert graph_names(restored) == []
