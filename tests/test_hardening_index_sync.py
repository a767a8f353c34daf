"""Hardening (issue 15): a failed search-index sync no longer leaves the old entry answering.

When the sync after a write failed, it was logged and swallowed: for up to 30 s (until a
search healed the pending mark) totals and facet counts still held the asset as it was before
the write. An asset just made restricted was still counted for anonymous readers, and one just
deleted still counted. Now the index fails closed: an asset whose latest write it has not taken
in is neither counted nor listed until a sync succeeds, and an index that cannot be read at
all answers 503 with a message instead of a count it cannot vouch for (and ``atrium reindex``
sets such a file aside and rebuilds the index).

The faults are real failures of the sync's graph read (an ``OSError``, as from a lost disk or a
remote store going away) or a search index file that is no longer a database; the writes and
the searches go over real HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from conftest import BASE_IRI, add_user, http_sign_in, make_atrium, serving
from search_helpers import put_asset

from app.cli.main import main
from app.domain.search import index as index_module
from app.service import Atrium

SECRET_WORD = "zanzibarite"  # only the asset that becomes restricted holds it


class GraphReadFault:
    """Makes every sync of the search index fail while ``on`` (its read of the graph)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.on = False
        self.failures = 0
        real = index_module.read_entries

        def read_entries(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            if self.on:
                self.failures += 1
                raise OSError("I/O error reading the graph")
            return real(*args, **kwargs)

        monkeypatch.setattr(index_module, "read_entries", read_entries)


def anonymous_search(base_url: str, **params: str) -> dict:
    response = requests.get(f"{base_url}/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def facet_values(answer: dict, name: str) -> dict[str, int]:
    facet = next(f for f in answer["facets"] if f["name"] == name)
    return {value["value"]: value["count"] for value in facet["values"]}


def page_count(base_url: str, **params: str) -> tuple[int, str]:
    """The count the search page shows an anonymous reader, and the page."""
    page = requests.get(f"{base_url}/", params=params)
    assert page.status_code == 200
    shown = re.search(r'<p class="count" role="status">([\d,]+) asset', page.text).group(1)
    return int(shown.replace(",", "")), page.text


def change_access(base_url: str, client: requests.Session, asset_id: str, level: str) -> None:
    page = client.get(f"{base_url}/assets/{asset_id}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        f"{base_url}/assets/{asset_id}/access",
        data={"access": level, "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status_code in (302, 303), response.text


def assert_never_counted_anonymously(base_url: str, asset_id: str, title: str) -> None:
    everything = anonymous_search(base_url)
    assert everything["total"] == 1
    assert asset_id not in {r["id"] for r in everything["results"]}
    assert SECRET_WORD not in facet_values(everything, "keywords")
    assert sum(facet_values(everything, "department").values()) == 1
    assert anonymous_search(base_url, q=SECRET_WORD)["total"] == 0
    assert anonymous_search(base_url, keywords=SECRET_WORD)["total"] == 0
    count, page = page_count(base_url)
    assert count == 1 and title not in page and SECRET_WORD not in page
    assert page_count(base_url, q=SECRET_WORD)[0] == 0


@pytest.fixture
def poster(site) -> str:
    """A public asset holding the secret word, beside one other public asset."""
    atrium, base_url = site
    poster = put_asset(atrium, "Launch poster", keywords=[SECRET_WORD])
    put_asset(atrium, "Harbour view")
    assert anonymous_search(base_url)["total"] == 2
    assert anonymous_search(base_url, q=SECRET_WORD)["total"] == 1
    return poster


def restrict_over_http(atrium: Atrium, admin: requests.Session, base_url: str, asset: str) -> None:
    change_access(base_url, admin, asset, "restricted")
    assert atrium.assets.access_of(asset)[0] == "restricted"  # the graph write stood


def delete(atrium: Atrium, admin: requests.Session, base_url: str, asset: str) -> None:
    assert atrium.assets.delete(asset)


@pytest.mark.parametrize("write", [restrict_over_http, delete], ids=["restrict", "delete"])
def test_index_sync_failure_after_a_write_never_counts_the_asset(
    site, poster: str, monkeypatch: pytest.MonkeyPatch, write: Callable[..., None]
) -> None:
    atrium, base_url = site
    admin = http_sign_in(base_url, add_user(atrium, "admin"))
    fault = GraphReadFault(monkeypatch)
    fault.on = True  # a passing fault: it fails the sync of this one write, then clears
    write(atrium, admin, base_url, poster)
    fault.on = False
    assert fault.failures == 1

    # The index still files the poster as it was, and no retry is due yet (RETRY_SECONDS,
    # HEAL_AFTER_SECONDS): it is left out rather than counted as it was.
    assert_never_counted_anonymously(base_url, poster, "Launch poster")

    monkeypatch.setattr(index_module, "RETRY_SECONDS", 0.0, raising=False)
    assert_never_counted_anonymously(base_url, poster, "Launch poster")  # the retry syncs it
    assert atrium.search_index.differences() == []
    kept = atrium.assets.exists(poster)  # restricted: still there for its department
    member = http_sign_in(base_url, add_user(atrium, "viewer", ("marketing",)))
    found = member.get(f"{base_url}/api/search", params={"q": SECRET_WORD}).json()
    assert [r["id"] for r in found["results"]] == ([poster] if kept else [])
    assert member.get(f"{base_url}/api/search").json()["total"] == (2 if kept else 1)


def test_index_sync_failure_that_persists_keeps_the_asset_out_and_search_up(
    site, poster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    atrium, base_url = site
    fault = GraphReadFault(monkeypatch)
    fault.on = True
    monkeypatch.setattr(index_module, "RETRY_SECONDS", 0.0, raising=False)  # every search
    monkeypatch.setattr(index_module, "HEAL_AFTER_SECONDS", 0.0)  # retries, and fails again
    admin = http_sign_in(base_url, add_user(atrium, "admin"))
    restrict_over_http(atrium, admin, base_url, poster)
    failures = fault.failures
    assert_never_counted_anonymously(base_url, poster, "Launch poster")
    assert fault.failures > failures  # the searches did try to sync it
    assert "a write is pending" in "\n".join(atrium.search_index.differences())


def test_index_sync_an_unreadable_index_answers_503_and_reindex_recovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    atrium = make_atrium(tmp_path / "data")
    poster = put_asset(atrium, "Launch poster")
    index_file = atrium.config.data_dir / "search.sqlite"
    with serving(atrium) as base_url:
        assert anonymous_search(base_url)["total"] == 1
        atrium.search_index.close()
        for suffix in ("-wal", "-shm"):
            Path(f"{index_file}{suffix}").unlink(missing_ok=True)
        # A new file in its place (as a bad restore would leave): a connection still closing
        # in a finished request's thread writes to the old one, never into this.
        broken = index_file.with_name("broken.sqlite")
        broken.write_bytes(b"this is not a database " * 512)
        broken.replace(index_file)

        answer = requests.get(f"{base_url}/api/search")
        assert answer.status_code == 503
        assert "search index cannot be read" in answer.json()["error"]
        assert "atrium reindex" in answer.json()["error"]
        page = requests.get(f"{base_url}/")
        assert page.status_code == 503 and "search index cannot be read" in page.text
        asset_page = requests.get(f"{base_url}/assets/{poster}")
        assert asset_page.status_code == 200 and "Launch poster" in asset_page.text
    atrium.close()

    monkeypatch.setenv("ATRIUM_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ATRIUM_BASE_IRI", BASE_IRI)
    monkeypatch.delenv("ATRIUM_STORE", raising=False)
    assert main(["reindex"]) == 0  # the unreadable file is set aside, and the index rebuilt
    assert index_file.with_name("search.sqlite.unreadable").read_bytes().startswith(b"this is")
    reopened = make_atrium(tmp_path / "data")
    with serving(reopened) as base_url:
        assert [r["id"] for r in anonymous_search(base_url)["results"]] == [poster]
    reopened.close()
