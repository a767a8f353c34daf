"""Versions of an asset's file (issue 11, part 5), over HTTP (the Flask test client) and the
real CLI: a new file keeps the asset and what people wrote, the renditions are made again,
every earlier file stays downloadable and can be made current again, one hash is one asset,
a stale version is a conflict, and bad input leaves the asset as it was."""

from __future__ import annotations

import hashlib
import io
import re
import threading
from pathlib import Path

from conftest import csrf_token, make_atrium
from PIL import Image
from pyoxigraph import Literal, Triple

from app.cli.main import main
from app.config import Config
from app.domain.assets.store_check import validate_store
from app.domain.media.ingest import Ingester, IngestOptions
from app.domain.operations.cleanup import Sweeper
from app.namespaces import DAM, DCT, EXIF, SCHEMA
from app.service import Atrium
from app.storage.graphstore import Scope
from app.web import create_app

MARKETING = ("marketing",)


def image_bytes(colour: str, size: tuple[int, int] = (64, 48), kind: str = "PNG") -> bytes:
    data = io.BytesIO()
    Image.new("RGB", size, colour).save(data, format=kind)
    return data.getvalue()


def upload_asset(client, title: str = "Spring launch", colour: str = "red") -> str:  # noqa: ANN001
    form = {
        "csrf_token": csrf_token(client),
        "file": (io.BytesIO(image_bytes(colour)), "first.png"),
        "title": title,
        "keywords": "launch",
        "access": "internal",
    }
    response = client.post("/upload", data=form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[-1]


def record_version_of(client, asset_id: str) -> str:  # noqa: ANN001
    page = client.get(f"/assets/{asset_id}").get_data(as_text=True)
    return re.search(r'name="version" value="([0-9a-f]+)"', page).group(1)


def post_version(client, asset_id: str, data: bytes, name: str = "second.jpg", version=None):  # noqa: ANN001, ANN201
    form = {"csrf_token": csrf_token(client), "file": (io.BytesIO(data), name)}
    form["version"] = version if version is not None else record_version_of(client, asset_id)
    return client.post(
        f"/assets/{asset_id}/versions", data=form, content_type="multipart/form-data"
    )


def facts(atrium: Atrium, asset_id: str) -> dict[tuple[str, str], list[str]]:
    """(subject's last segment, predicate) → values, of the whole record."""
    found: dict[tuple[str, str], list[str]] = {}
    iri = atrium.iris.asset(asset_id).value
    for t in atrium.assets.record(asset_id, Scope.everything()):
        subject = "asset" if t.subject.value == iri else t.subject.value[len(iri) + 1 :]
        found.setdefault((subject, t.predicate.value), []).append(t.object.value)
    return found


def one(found: dict, subject: str, predicate) -> str:  # noqa: ANN001
    (value,) = found[(subject, predicate.value)]
    return value


# A new file for the same asset ------------------------------------------------------------------


def test_a_new_version_keeps_the_description_and_redoes_the_renditions(client, sign_in, atrium):
    sign_in(client, "contributor", MARKETING)
    asset_id = upload_asset(client)
    edited = client.post(
        f"/assets/{asset_id}/edit",
        data={"csrf_token": csrf_token(client), "title": "Edited by hand",
              "description": "A person wrote this.", "keywords": "launch"},
    )  # fmt: skip
    assert edited.status_code == 302
    before = facts(atrium, asset_id)
    thumbnail_before = client.get(f"/assets/{asset_id}/thumbnail").data
    page = client.get(f"/assets/{asset_id}").get_data(as_text=True)
    assert "Upload a new version" in page and 'enctype="multipart/form-data"' in page

    new_file = image_bytes("blue", (300, 120), "JPEG")
    response = post_version(client, asset_id, new_file)

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/assets/{asset_id}/versions")
    after = facts(atrium, asset_id)
    for kept in (DCT.title, DCT.description, SCHEMA.keywords, DCT.dateSubmitted, DAM.department):
        assert after[("asset", kept.value)] == before[("asset", kept.value)], kept
    assert one(after, "asset", DAM.accessLevel) == str(DAM.Internal.value)
    assert one(after, "asset", DCT.format) == "image/jpeg"  # the file's own facts follow it
    assert (one(after, "asset", EXIF.imageWidth), one(after, "asset", EXIF.imageLength)) == (
        "300",
        "120",
    )
    assert one(after, "file", DAM.sha256) == hashlib.sha256(new_file).hexdigest()
    assert one(after, "file", SCHEMA.name) == "second.jpg"
    assert one(after, "thumbnail", DAM.sha256) != one(before, "thumbnail", DAM.sha256)
    thumbnail = client.get(f"/assets/{asset_id}/thumbnail").data
    assert thumbnail != thumbnail_before
    with Image.open(io.BytesIO(thumbnail)) as shown:
        red, green, blue = shown.convert("RGB").getpixel((10, 10))
    assert blue > 200 and red < 60  # made from the new file
    original = client.get(f"/assets/{asset_id}/download")
    assert original.data == new_file
    assert "2 versions of the file" in client.get(f"/assets/{asset_id}").get_data(as_text=True)
    assert validate_store(atrium.store, atrium.assets).conforms  # the shapes allow versions


def test_the_history_lists_each_file_and_revert_makes_an_earlier_one_current(
    client, sign_in, atrium
):
    name = sign_in(client, "contributor", MARKETING)
    asset_id = upload_asset(client)
    first = image_bytes("red")
    assert post_version(client, asset_id, image_bytes("green", kind="JPEG")).status_code == 302

    listing = client.get(f"/assets/{asset_id}/versions")
    html = listing.get_data(as_text=True)
    assert listing.status_code == 200 and listing.headers["ETag"]
    assert "2 (current)" in html and "first.png" in html and "second.jpg" in html
    table = html.split('<table class="versions">')[1].split("</table>")[0]
    assert table.count(f"<td>{name}</td>") == 2  # who uploaded each, as they are signed in
    assert f"{len(first)} bytes" in html  # a size in human units (human_size)
    assert "Revert to version 1" in html and "Revert to version 2" not in html
    earlier = client.get(f"/assets/{asset_id}/versions/1/file")
    assert earlier.status_code == 200 and earlier.data == first
    assert earlier.headers["Content-Disposition"].startswith("attachment; ")
    assert "spring-launch-version-1.png" in earlier.headers["Content-Disposition"]

    version = re.search(r'name="version" value="([0-9a-f]+)"', html).group(1)
    reverted = client.post(
        f"/assets/{asset_id}/versions/1/revert",
        data={"csrf_token": csrf_token(client), "version": version},
    )

    assert reverted.status_code == 302
    assert client.get(f"/assets/{asset_id}/download").data == first
    api = client.get(f"/api/assets/{asset_id}/versions").get_json()
    assert [(v["number"], v["current"], v["restores"]) for v in api["versions"]] == [
        (3, True, 1),
        (2, False, None),
        (1, False, None),
    ]
    assert api["versions"][0]["sha256"] == api["versions"][2]["sha256"]
    assert {v["uploader"] for v in api["versions"]} == {name}
    events = atrium.audit.history(atrium.iris.asset(asset_id))
    assert {(e.action, e.agent) for e in events} >= {
        ("created", name), ("versioned", name), ("reverted", name), ("downloaded", name)
    }  # fmt: skip
    turtle = client.get(f"/assets/{asset_id}", headers={"Accept": "text/turtle"}).text
    for term in ("dct:hasVersion", "dct:isVersionOf", "prov:wasRevisionOf", "schema:version"):
        assert term.split(":")[1] in turtle, term


def test_reverting_to_the_current_file_changes_nothing(client, sign_in, atrium):
    sign_in(client, "contributor", MARKETING)
    asset_id = upload_asset(client)
    post_version(client, asset_id, image_bytes("green"))
    version = atrium.assets.version(asset_id)
    response = client.post(
        f"/assets/{asset_id}/versions/2/revert",
        data={"csrf_token": csrf_token(client), "version": version},
    )
    assert response.status_code == 200 and "Nothing changed" in response.get_data(as_text=True)
    assert atrium.assets.version(asset_id) == version
    missing = client.post(
        f"/assets/{asset_id}/versions/9/revert",
        data={"csrf_token": csrf_token(client), "version": version},
    )
    assert missing.status_code == 404


# Concurrency -------------------------------------------------------------------------------------


def test_a_stale_version_is_a_conflict_and_stores_nothing(client, sign_in, atrium):
    sign_in(client, "contributor", MARKETING)
    asset_id = upload_asset(client)
    assert post_version(client, asset_id, image_bytes("green")).status_code == 302
    seen = record_version_of(client, asset_id)
    client.post(
        f"/assets/{asset_id}/edit",
        data={"csrf_token": csrf_token(client), "title": "Someone else's title"},
    )
    file_before = one(facts(atrium, asset_id), "file", DAM.sha256)

    response = post_version(client, asset_id, image_bytes("blue"), version=seen)

    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "someone else changed this asset since you opened it" in html
    assert one(facts(atrium, asset_id), "file", DAM.sha256) == file_before
    assert one(facts(atrium, asset_id), "asset", DCT.title) == "Someone else's title"
    revert = client.post(
        f"/assets/{asset_id}/versions/1/revert",
        data={"csrf_token": csrf_token(client), "version": seen},
    )
    assert revert.status_code == 409 and "someone else changed" in revert.get_data(as_text=True)
    stale_script = client.post(
        f"/api/assets/{asset_id}/versions",
        data={"file": (io.BytesIO(image_bytes("blue")), "b.png")},
        headers={"If-Match": f'"{seen}"', "X-CSRF-Token": csrf_token(client)},
        content_type="multipart/form-data",
    )
    assert stale_script.status_code == 412
    assert one(facts(atrium, asset_id), "file", DAM.sha256) == file_before


def test_the_upload_waits_for_the_assets_lock_and_then_sees_the_edit(client, sign_in, atrium):
    """A version upload and an edit of the same asset never overlap: the upload waits for the
    asset's lock, and then finds the record changed (409) instead of overwriting the edit."""
    sign_in(client, "contributor", MARKETING)
    asset_id = upload_asset(client)
    seen = record_version_of(client, asset_id)
    waiting = threading.Event()
    atrium.assets.locks.on_contention = lambda key: waiting.set()
    answers = []
    with atrium.assets.editing(asset_id):
        upload = threading.Thread(
            target=lambda: answers.append(
                post_version(client, asset_id, image_bytes("blue"), version=seen)
            )
        )
        upload.start()
        assert waiting.wait(10)  # the upload is waiting for the lock this test holds
        draft = atrium.assets.stored_draft(asset_id)
        draft.triples = [t for t in draft.triples if t.predicate != DCT.description]
        draft.triples.append(Triple(draft.iri, DCT.description, Literal("edited meanwhile")))
        atrium.assets.save(draft)
    upload.join(10)
    assert answers[0].status_code == 409
    found = facts(atrium, asset_id)
    assert one(found, "asset", DCT.description) == "edited meanwhile"
    assert one(found, "file", DAM.sha256) == hashlib.sha256(image_bytes("red")).hexdigest()


# One hash, one asset -----------------------------------------------------------------------------


def test_the_current_file_again_changes_nothing(client, sign_in, atrium):
    sign_in(client, "contributor", MARKETING)
    asset_id = upload_asset(client)
    version = atrium.assets.version(asset_id)
    response = post_version(client, asset_id, image_bytes("red"), name="same.png")
    assert response.status_code == 200
    assert "Nothing changed" in response.get_data(as_text=True)
    assert atrium.assets.version(asset_id) == version


def test_another_assets_file_is_refused_without_saying_where_a_hidden_one_lives(
    client, sign_in, atrium, tmp_path
):
    sign_in(client, "contributor", MARKETING)
    mine = upload_asset(client, "Mine", "red")
    visible = upload_asset(client, "Visible", "green")
    hidden_file = tmp_path / "hidden.png"
    hidden_file.write_bytes(image_bytes("purple"))
    ingester = Ingester(atrium)
    hidden = ingester.run([hidden_file], ingester.resolve(IngestOptions("hr", "restricted")))
    hidden_id = hidden.outcomes[0].asset_id
    version = atrium.assets.version(mine)

    seen = post_version(client, mine, image_bytes("green"))
    unseen = post_version(client, mine, image_bytes("purple"))

    assert seen.status_code == 409 and visible in seen.get_data(as_text=True)
    html = unseen.get_data(as_text=True)
    assert unseen.status_code == 409
    assert "already stored as an asset you cannot see" in html
    alert = html.split('role="alert">')[1].split("</section>")[0]
    assert hidden_id not in html and "href" not in alert and "hr" not in alert.split()
    api = client.post(
        f"/api/assets/{mine}/versions",
        data={"file": (io.BytesIO(image_bytes("purple")), "p.png")},
        headers={"X-CSRF-Token": csrf_token(client)},
        content_type="multipart/form-data",
    )
    assert api.status_code == 409 and "holder" not in api.get_json()
    assert atrium.assets.version(mine) == version


def test_an_earlier_versions_bytes_stay_that_assets_for_new_uploads(client, sign_in, atrium):
    sign_in(client, "contributor", MARKETING)
    asset_id = upload_asset(client)
    newer = image_bytes("orange")
    assert post_version(client, asset_id, newer).status_code == 302
    for data in (newer, image_bytes("red")):  # its current file, and its first
        form = {"csrf_token": csrf_token(client), "file": (io.BytesIO(data), "again.png")}
        again = client.post("/upload", data=form, content_type="multipart/form-data")
        assert again.status_code == 302
        assert again.headers["Location"].endswith(f"/assets/{asset_id}?duplicate=1")
    assert len(atrium.store.select(
        "SELECT ?a WHERE { ?a a <https://w3id.org/atrium/ns#Asset> }", scope=Scope.everything()
    )) == 1  # fmt: skip


# Media cleanup ------------------------------------------------------------------------------------


def test_the_cleanup_keeps_every_file_an_earlier_version_names(client, sign_in, atrium):
    sign_in(client, "contributor", MARKETING)
    asset_id = upload_asset(client)
    first = facts(atrium, asset_id)
    old_thumbnail = one(first, "thumbnail", DAM.sha256)
    assert post_version(client, asset_id, image_bytes("navy")).status_code == 302

    report = Sweeper(atrium, grace_seconds=0).sweep()

    assert atrium.media.exists(one(first, "file", DAM.sha256))  # version 1's file stays
    assert not atrium.media.exists(old_thumbnail)  # the old renditions were no one's
    assert any(item.what == "unused media file" for item in report.removed)
    assert client.get(f"/assets/{asset_id}/versions/1/file").data == image_bytes("red")


# Bad input ----------------------------------------------------------------------------------------


def test_bad_input_leaves_the_asset_unchanged_and_says_why(client, sign_in, atrium):
    sign_in(client, "contributor", MARKETING)
    asset_id = upload_asset(client)
    version = atrium.assets.version(asset_id)
    media_before = set(atrium.media.iter_hashes())

    no_file = client.post(
        f"/assets/{asset_id}/versions",
        data={"csrf_token": csrf_token(client), "version": version},
        content_type="multipart/form-data",
    )
    corrupt = post_version(client, asset_id, image_bytes("blue")[:60], name="broken.png")
    empty = post_version(client, asset_id, b"", name="empty.png")

    assert no_file.status_code == 422 and "Choose a file" in no_file.get_data(as_text=True)
    html = corrupt.get_data(as_text=True)
    assert corrupt.status_code == 422 and "broken.png" in html and "The asset is unchanged" in html
    assert empty.status_code == 422 and "file is empty" in empty.get_data(as_text=True)
    assert atrium.assets.version(asset_id) == version
    assert set(atrium.media.iter_hashes()) == media_before
    api = client.post(
        f"/api/assets/{asset_id}/versions",
        data={},
        headers={"X-CSRF-Token": csrf_token(client)},
        content_type="multipart/form-data",
    )
    assert api.status_code == 400 and "'file'" in api.get_json()["error"]


def test_a_version_over_the_upload_limit_gets_a_clear_answer(tmp_path: Path, sign_in):
    atrium = make_atrium(tmp_path / "small", max_upload_bytes=1000)
    try:
        client = create_app(atrium).test_client()
        sign_in(client, "contributor", MARKETING)
        asset_id = upload_asset(client)
        noise = Image.effect_noise((200, 200), 64).convert("RGB")
        data = io.BytesIO()
        noise.save(data, format="PNG")
        response = post_version(client, asset_id, data.getvalue(), name="big.png")
        assert response.status_code == 413
        assert "ATRIUM_MAX_UPLOAD_MB" in response.get_data(as_text=True)
    finally:
        atrium.close()


def test_a_form_without_its_csrf_token_is_refused(client, sign_in, atrium):
    sign_in(client, "contributor", MARKETING)
    asset_id = upload_asset(client)
    version = atrium.assets.version(asset_id)
    forged = client.post(
        f"/assets/{asset_id}/versions",
        data={"file": (io.BytesIO(image_bytes("blue")), "x.png"), "version": version},
        content_type="multipart/form-data",
    )
    assert forged.status_code == 400 and atrium.assets.version(asset_id) == version


# The JSON API with a token ---------------------------------------------------------------------


def test_the_api_takes_a_new_version_from_a_token(client, api_token, atrium, tmp_path):
    path = tmp_path / "first.png"
    path.write_bytes(image_bytes("red"))
    ingester = Ingester(atrium)
    asset_id = ingester.run([path], ingester.resolve(IngestOptions("marketing", "public")))
    asset_id = asset_id.outcomes[0].asset_id
    token = api_token(atrium, "contributor", MARKETING)
    listed = client.get(f"/api/assets/{asset_id}/versions")
    assert listed.status_code == 200 and listed.headers["ETag"]
    assert [v["uploader"] for v in listed.get_json()["versions"]] == [None]  # anonymous

    response = client.post(
        f"/api/assets/{asset_id}/versions",
        data={"file": (io.BytesIO(image_bytes("teal")), "teal.png")},
        headers={"Authorization": f"Bearer {token}", "If-Match": listed.headers["ETag"]},
        content_type="multipart/form-data",
    )

    body = response.get_json()
    assert response.status_code == 201, body
    assert body["changed"] is True and body["versions"][0]["name"] == "teal.png"
    assert body["versions"][0]["size"].endswith("bytes") and body["record_version"]
    assert response.headers["ETag"] == f'"{body["record_version"]}"'
    revert = client.post(
        f"/api/assets/{asset_id}/versions/1/revert",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert revert.status_code == 201 and revert.get_json()["versions"][0]["restores"] == 1


# The CLI ------------------------------------------------------------------------------------------


def test_the_cli_gives_an_asset_a_new_file_lists_and_reverts(data_dir, tmp_path, capsys):
    first, second, broken = tmp_path / "first.png", tmp_path / "second.png", tmp_path / "bad.png"
    first.write_bytes(image_bytes("red"))
    second.write_bytes(image_bytes("yellow"))
    broken.write_bytes(image_bytes("blue")[:50])
    assert main(["ingest", str(first), "--department", "marketing", "--quiet"]) == 0
    asset_id = hashlib.sha256(first.read_bytes()).hexdigest()[:16]
    capsys.readouterr()

    assert main(["version", asset_id, str(second)]) == 0
    assert f"Stored version 2 of asset {asset_id}" in capsys.readouterr().out
    assert main(["version", asset_id, str(second)]) == 0
    assert "Nothing changed" in capsys.readouterr().out
    assert main(["version", asset_id, str(broken)]) == 1
    assert "bad.png" in capsys.readouterr().err
    assert main(["version", asset_id, "--revert", "1"]) == 0
    capsys.readouterr()
    assert main(["version", asset_id, "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["3", "(current)"] and "reverts to 1" in lines[0]
    assert [line.split()[0] for line in lines] == ["3", "2", "1"]
    assert all("atrium-cli" in line for line in lines)
    assert main(["version", "0123456789abcdef", str(second)]) == 2
    assert main(["version", asset_id, "--revert", "7"]) == 2
    assert main(["validate"]) == 0
    service = Atrium(Config.from_env())  # each command closed the store; open it to look
    try:
        events = service.audit.history(service.iris.asset(asset_id))
        assert {e.action for e in events} >= {"created", "versioned", "reverted"}
    finally:
        service.close()
