"""Access control on the version paths (issue 11, part 5), for every access level and kind of
reader, over real HTTP, with tests/test_access.py's site and readers: whoever may see an asset
sees its versions and downloads each file, anyone else gets 404 as for the asset; only
contributors of the owning department and admins upload a new file or revert (403 for the
other signed-in readers, 401 or a sign-in for anonymous callers), and nothing changes when
they are refused."""

from __future__ import annotations

import io
import itertools
import re

import pytest
import requests
from access_matrix import (
    LEVELS,
    READERS,
    bearer_headers,
    for_every_reader_and_level,
    matrix_site,  # noqa: F401 - the fixture site
)
from conftest import add_user, http_sign_in
from PIL import Image

WRITERS = {"contributor-hr", "admin"}  # the owning department's contributor, and admins
READS = ("/versions", "/versions/1/file")
_colours = itertools.count(1)


def fresh_png() -> bytes:
    """Bytes no asset has had yet: each write is a real new version."""
    value = next(_colours)
    data = io.BytesIO()
    Image.new("RGB", (40, 30), (value % 256, (value * 7) % 256, 200)).save(data, format="PNG")
    return data.getvalue()


def csrf_of(client: requests.Session, base_url: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(f"{base_url}/").text)
    return found.group(1) if found else ""


def record_version(atrium, asset_id: str) -> str:  # noqa: ANN001
    """Changes with every write of the asset's record, a new file included."""
    return atrium.assets.version(asset_id)


@for_every_reader_and_level
def test_version_reads_follow_the_access_level(site, reader: str, level: str) -> None:
    _, base_url, assets, clients = site
    visible = level in READERS[reader]
    url = f"{base_url}/assets/{assets[level]}"
    for path in READS:
        response = clients[reader].get(url + path)
        assert response.status_code == (200 if visible else 404), (reader, level, path)
        if path.endswith("/file") and visible:
            assert response.headers["Content-Disposition"].startswith("attachment; ")
            assert response.headers["Cache-Control"].startswith("private")
        if not visible:
            assert "attachment" not in response.headers.get("Content-Disposition", "")
    api = clients[reader].get(f"{base_url}/api/assets/{assets[level]}/versions")
    assert api.status_code == (200 if visible else 404), (reader, level)
    if visible:
        uploaders = {v["uploader"] for v in api.json()["versions"]}
        assert (uploaders == {None}) == (reader == "anonymous")  # names for signed-in readers
    else:
        assert api.json() == {"error": "Not found.", "status": 404}
    missing = clients[reader].get(f"{url}/versions/99/file")
    assert missing.status_code == 404


@for_every_reader_and_level
def test_version_forms_follow_the_department_and_the_access_level(
    site,
    reader: str,
    level: str,
) -> None:
    atrium, base_url, assets, clients = site
    client, asset_id = clients[reader], assets[level]
    visible, writer = level in READERS[reader], reader in WRITERS
    url = f"{base_url}/assets/{asset_id}"
    page = client.get(url)
    assert ("Upload a new version" in page.text) == (visible and writer)
    listing = client.get(f"{url}/versions")
    assert ('enctype="multipart/form-data"' in listing.text) == (visible and writer)
    assert "Revert to version" not in listing.text or (visible and writer)
    token = csrf_of(client, base_url)
    before = record_version(atrium, asset_id)

    upload = client.post(
        f"{url}/versions",
        data={"csrf_token": token},
        files={"file": ("new.png", fresh_png(), "image/png")},
        allow_redirects=False,
    )
    revert = client.post(
        f"{url}/versions/1/revert", data={"csrf_token": token}, allow_redirects=False
    )

    if reader == "anonymous":
        for answer in (upload, revert):
            assert answer.status_code in (302, 400, 401), (level, answer.status_code)
            assert "/login" in answer.headers.get("Location", "/login")
    elif writer:
        assert upload.status_code == 302 and revert.status_code == 302, (reader, level)
        assert upload.headers["Location"].endswith(f"/assets/{asset_id}/versions")
    else:
        assert upload.status_code == 403 and revert.status_code == 403, (reader, level)
    if not writer:
        assert record_version(atrium, asset_id) == before, (reader, level)
        assert asset_id not in upload.text.replace(f"/assets/{asset_id}/versions", "")


@for_every_reader_and_level
def test_the_version_api_follows_the_department_and_the_access_level(
    site,
    reader: str,
    level: str,
) -> None:
    atrium, base_url, assets, _ = site
    asset_id = assets[level]
    headers = bearer_headers(atrium, reader, "versions")
    before = record_version(atrium, asset_id)

    upload = requests.post(
        f"{base_url}/api/assets/{asset_id}/versions",
        files={"file": ("new.png", fresh_png(), "image/png")},
        headers=headers,
    )
    revert = requests.post(f"{base_url}/api/assets/{asset_id}/versions/1/revert", headers=headers)

    for answer in (upload, revert):
        if reader == "anonymous":
            assert answer.status_code == 401
        elif reader in WRITERS:
            assert answer.status_code == 201, (reader, level, answer.text)
        else:
            assert answer.status_code == 403, (reader, level)
        assert answer.headers["Content-Type"].startswith("application/json")
    if reader not in WRITERS:
        assert record_version(atrium, asset_id) == before


@pytest.mark.parametrize("level", LEVELS)
def test_another_departments_contributor_may_not_change_what_it_may_see(
    site,
    level: str,
) -> None:
    atrium, base_url, assets, _ = site
    client = http_sign_in(base_url, add_user(atrium, "contributor", ("marketing",)))
    asset_id = assets[level]
    visible = level in READERS["viewer-marketing"]
    before = record_version(atrium, asset_id)
    response = client.post(
        f"{base_url}/assets/{asset_id}/versions",
        data={"csrf_token": csrf_of(client, base_url)},
        files={"file": ("new.png", fresh_png(), "image/png")},
        allow_redirects=False,
    )
    assert response.status_code == (403 if visible else 404), level
    assert record_version(atrium, asset_id) == before
