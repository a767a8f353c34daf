"""Zips of many assets (app/domain/assets/zips.py, POST /bulk/zip): streamed, never built in memory,
the originals under readable names plus a metadata.csv whose columns are the shapes' fields,
and only what the reader may see, re-checked while the zip is written."""

from __future__ import annotations

import csv
import io
import re
import types
import zipfile
from dataclasses import replace

import pytest
from access_matrix import LEVELS, ingest_one_per_level, write_photo
from conftest import add_user, csrf_token, http_sign_in, make_atrium, serving

from app.domain.assets.zips import METADATA_NAME, metadata_columns, stream_zip
from app.domain.people.access import ANONYMOUS, Reader, scope_for
from app.domain.people.audit import Actor
from app.storage.graphstore import Scope
from app.web import create_app


@pytest.fixture(scope="module")
def stocked(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    folder = tmp_path_factory.mktemp("zips")
    atrium = make_atrium(folder / "data")
    assets = ingest_one_per_level(atrium, lambda level: write_photo(folder, level), True)
    try:
        yield atrium, assets
    finally:
        atrium.close()


def _zip(data: bytes) -> tuple[zipfile.ZipFile, list[dict[str, str]]]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    rows = list(csv.DictReader(io.StringIO(archive.read(METADATA_NAME).decode("utf-8"))))
    return archive, rows


def test_the_zip_is_a_generator_of_chunks_with_files_and_csv(stocked) -> None:
    atrium, assets = stocked
    ids = [assets[level] for level in LEVELS]
    chunks = stream_zip(atrium, ids, Scope.everything(), Actor.cli())
    assert isinstance(chunks, types.GeneratorType)
    parts = list(chunks)
    assert len(parts) > 3 and all(isinstance(p, bytes) for p in parts)
    archive, rows = _zip(b"".join(parts))
    assert archive.testzip() is None
    names = archive.namelist()
    assert names[0] == METADATA_NAME
    assert sorted(names[1:]) == sorted(f"{level}-photo.png" for level in LEVELS)
    assert archive.read("public-photo.png") == atrium.media.path(
        next(t.object.value for t in atrium.assets.record(assets["public"], Scope.everything())
             if t.predicate.value.endswith("sha256") and t.subject.value.endswith("/file"))
    ).read_bytes()  # fmt: skip
    assert [r["id"] for r in rows] == ids
    assert {r["access"] for r in rows} == set(LEVELS)
    assert rows[0]["title"] == "public photo" and rows[0]["file"] == "public-photo.png"
    assert rows[0]["consentGiven"] == "true" and rows[0]["department"] == "hr"


def test_the_csv_columns_come_from_the_shapes(stocked) -> None:
    atrium, _ = stocked
    columns = metadata_columns(atrium)
    for name in {f.name for f in atrium.fields.all_fields}:
        assert name in columns
    assert columns[:5] == ["id", "iri", "file", "department", "access"]


def test_restricted_assets_never_go_in_for_readers_who_may_not_see_them(stocked) -> None:
    atrium, assets = stocked
    ids = [assets[level] for level in LEVELS]
    anonymous = scope_for(ANONYMOUS, atrium.iris, atrium.store)
    archive, rows = _zip(b"".join(stream_zip(atrium, ids, anonymous, Actor.anonymous())))
    assert [r["id"] for r in rows] == [assets["public"]]
    assert archive.namelist() == [METADATA_NAME, "public-photo.png"]
    marketing = scope_for(Reader.signed_in_as("m", ["marketing"], False), atrium.iris, atrium.store)
    archive, rows = _zip(b"".join(stream_zip(atrium, ids, marketing, Actor.user("m"))))
    assert {r["id"] for r in rows} == {assets["public"], assets["internal"]}
    assert "restricted-photo.png" not in archive.namelist()
    assert assets["restricted"] not in archive.read(METADATA_NAME).decode()


def test_the_same_title_twice_gets_two_names(stocked, tmp_path) -> None:
    atrium, assets = stocked
    from PIL import Image

    from app.domain.media.ingest import Ingester, IngestOptions

    path = tmp_path / "other.png"
    Image.new("RGB", (30, 30), "purple").save(path)
    ingester = Ingester(atrium)
    options = ingester.resolve(
        IngestOptions("operations", "public", settings=["title=public photo"])
    )
    twin = ingester.run([path], options).outcomes[0].asset_id
    archive, _ = _zip(
        b"".join(stream_zip(atrium, [assets["public"], twin], Scope.everything(), Actor.cli()))
    )
    assert archive.namelist()[1:] == ["public-photo.png", "public-photo-2.png"]
    atrium.assets.delete(twin)


def test_http_zip_is_streamed_audited_and_checked(stocked, monkeypatch) -> None:
    atrium, assets = stocked
    client = create_app(atrium).test_client()
    token = csrf_token(client)
    ids = [assets[level] for level in LEVELS]
    response = client.post("/bulk/zip", data={"asset": ids, "csrf_token": token})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.is_streamed
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    archive, rows = _zip(response.get_data())
    assert [r["id"] for r in rows] == [assets["public"]]  # anonymous: the public one only
    history = atrium.audit.history(atrium.iris.asset(assets["public"]))
    assert history[0].action == "downloaded"
    assert client.post("/bulk/zip", data={"asset": ids}).status_code == 400  # no CSRF token
    bad = client.post("/bulk/zip", data={"asset": ["../etc"], "csrf_token": token})
    assert bad.status_code == 400 and "not an asset id" in bad.get_data(as_text=True)
    assert client.post("/bulk/zip", data={"csrf_token": token}).status_code == 400
    monkeypatch.setattr(atrium, "config", replace(atrium.config, max_zip_assets=2))
    capped = client.post("/bulk/zip", data={"asset": ids, "csrf_token": token})
    assert capped.status_code == 413 and "at most 2 assets" in capped.get_data(as_text=True)
    monkeypatch.setattr(atrium, "config", replace(atrium.config, max_zip_assets=0))  # 1 result
    every = client.post("/bulk/zip", data={"which": "all", "query": "", "csrf_token": token})
    assert every.status_code == 413


def test_all_results_of_a_search_over_real_http_arrive_chunked(stocked) -> None:
    atrium, assets = stocked
    name = add_user(atrium, "admin")
    with serving(atrium) as base_url:
        session = http_sign_in(base_url, name)
        page = session.get(f"{base_url}/search", params={"q": "photo"}).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert 'form="selection"' in page
        query = re.search(r'name="query" value="([^"]*)"', page).group(1)
        response = session.post(
            f"{base_url}/bulk/zip",
            data={"which": "all", "query": query.replace("&amp;", "&"), "csrf_token": token},
            stream=True,
        )
        assert response.status_code == 200
        assert response.headers.get("Transfer-Encoding") == "chunked"
        assert "Content-Length" not in response.headers
        data = b"".join(response.iter_content(8192))
    _, rows = _zip(data)
    assert {r["id"] for r in rows} == set(assets.values())
