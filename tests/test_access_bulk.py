"""Access control on the selection's paths, over real HTTP, for every kind of reader × access
level (tests/access_matrix.py): a zip holds exactly the assets the reader may see; a bulk
edit changes exactly those the reader may change, and never names one they may not see."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import requests
from access_matrix import (
    READERS,
    for_every_reader_and_level,
    http_sign_in,
    matrix_site,  # noqa: F401 - the fixture site
)
from conftest import add_user

from app.storage.graphstore import Scope

MAY_CHANGE = {"contributor-hr", "admin"}


def _token(client: requests.Session, base_url: str) -> str:
    page = client.get(f"{base_url}/search").text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@for_every_reader_and_level
def test_a_zip_holds_exactly_what_the_reader_may_see(site, reader: str, level: str) -> None:
    atrium, base_url, assets, clients = site
    client = clients[reader]
    response = client.post(
        f"{base_url}/bulk/zip",
        data={"asset": list(assets.values()), "csrf_token": _token(client, base_url)},
    )
    assert response.status_code == 200, response.text
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    rows = list(csv.DictReader(io.StringIO(archive.read("metadata.csv").decode())))
    in_zip = {row["id"] for row in rows}
    assert (assets[level] in in_zip) == (level in READERS[reader])
    assert (f"{level}-photo.png" in archive.namelist()) == (level in READERS[reader])
    assert len(archive.namelist()) == 1 + len(READERS[reader])


@for_every_reader_and_level
def test_a_bulk_edit_changes_exactly_what_the_reader_may_change(
    site, reader: str, level: str
) -> None:
    atrium, base_url, assets, clients = site
    client = clients[reader]
    word = f"by-{reader}-{level}"
    response = client.post(
        f"{base_url}/bulk/edit",
        data={
            "asset": [assets[level]],
            "field": "keywords",
            "operation": "add",
            "value": word,
            "csrf_token": _token(client, base_url),
        },
        allow_redirects=False,
    )
    expected = {"anonymous": 302}.get(reader, 200 if reader in MAY_CHANGE else 403)
    assert response.status_code == expected
    keywords = atrium.fields.field("keywords").path
    record = atrium.assets.record(assets[level], Scope.everything())
    stored = {t.object.value for t in record if t.predicate == keywords}
    assert (word in stored) == (reader in MAY_CHANGE)


def test_a_contributor_of_another_department_changes_nothing_and_learns_nothing(site) -> None:
    atrium, base_url, assets, _ = site
    client = http_sign_in(base_url, add_user(atrium, "contributor", ("marketing",)))
    token = _token(client, base_url)
    ids = list(assets.values())
    review = client.post(
        f"{base_url}/bulk/review", data={"asset": ids, "action": "delete", "csrf_token": token}
    )
    assert review.status_code == 200
    assert "restricted photo" not in review.text and assets["restricted"] not in review.text
    assert "0 of 2 may be changed by you" in review.text
    done = client.post(
        f"{base_url}/bulk/delete", data={"asset": ids, "confirmed": "yes", "csrf_token": token}
    )
    assert done.status_code == 200
    assert "restricted photo" not in done.text
    assert done.text.count("not allowed") == 2 + 1  # two rows, and the summary
    assert all(atrium.assets.exists(i) for i in ids)
