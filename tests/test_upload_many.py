"""Uploads of several files over real HTTP: every file is stored first and described later, a
bad file never stops the others, a duplicate is named (or, when hidden, only said to exist),
and the limits answer 413 in words."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import requests
from conftest import add_user, http_sign_in, make_atrium, serving
from PIL import Image

from app.domain.assets.validation import Problem
from app.domain.media.ingest import Ingester, IngestOptions
from app.domain.people.access import Scope
from app.service import Atrium


def png_bytes(colour: str) -> bytes:
    data = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(data, format="PNG")
    return data.getvalue()


def asset_id_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def post_files(
    base_url: str,
    client: requests.Session,
    files: list[tuple[str, bytes]],
    department: str = "marketing",
    access: str = "internal",
    **form: str,
) -> requests.Response:
    """Post the upload form with several ``files``, as the browser sends them."""
    page = client.get(f"{base_url}/upload", params={"department": department}).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(
        f"{base_url}/upload",
        data={
            "csrf_token": token,
            "department": department,
            "access": access,
            "store_first": "1",
            **form,
        },
        files=[("file", (name, data, "image/png")) for name, data in files],
        allow_redirects=False,
    )


def asset_ids(atrium: Atrium) -> set[str]:
    rows = atrium.store.select(
        "SELECT ?a WHERE { ?a a <https://w3id.org/atrium/ns#Asset> }", scope=Scope.everything()
    )
    return {atrium.iris.asset_id(row["a"].value) for row in rows}


def test_the_upload_form_takes_several_files(site: tuple[Atrium, str]) -> None:
    atrium, base_url = site
    client = http_sign_in(base_url, add_user(atrium, "contributor", ("marketing",)))
    page = client.get(f"{base_url}/upload").text
    assert re.search(r'<input type="file"[^>]* name="file" multiple', page)
    assert '<input type="hidden" name="store_first" value="1">' in page
    assert "upload.js" in page and "data-drop-zone" in page


def test_several_files_go_in_and_a_corrupt_one_is_reported(site: tuple[Atrium, str]) -> None:
    atrium, base_url = site
    name = add_user(atrium, "contributor", ("hr",))
    client = http_sign_in(base_url, name)
    red, blue = png_bytes("red"), png_bytes("blue")
    broken = red[: len(red) // 2]  # a truncated PNG
    answer = post_files(
        base_url, client, [("red.png", red), ("broken.png", broken), ("blue.png", blue)],
        department="hr", access="public",
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert asset_ids(atrium) == {asset_id_of(red), asset_id_of(blue)}
    for data in (red, blue):
        asset_id = asset_id_of(data)
        assert f'href="/assets/{asset_id}/edit"' in answer.text
        # hr requires consent: the assets are kept restricted and flagged incomplete
        assert atrium.assets.access_of(asset_id) == ("restricted", "hr")
        events = atrium.audit.history(atrium.iris.asset(asset_id))
        assert [(e.action, e.agent) for e in events] == [("created", name)]
    assert "2 new assets" in answer.text and "incomplete: " in answer.text
    assert re.search(r"broken\.png</span>: \S", answer.text)  # named, with its reason
    assert "Not stored" in answer.text


def test_an_unreadable_shared_description_loses_no_file(site: tuple[Atrium, str]) -> None:
    atrium, base_url = site
    client = http_sign_in(base_url, add_user(atrium, "contributor", ("operations",)))
    data = png_bytes("green")
    answer = post_files(
        base_url, client, [("site.png", data)], department="operations", eventDate="31/12/2024"
    )
    assert answer.status_code == 200, answer.text
    assert "Your description was not applied" in answer.text
    assert "is not a date like 2027-03-31" in answer.text
    assert asset_ids(atrium) == {asset_id_of(data)}
    assert client.get(f"{base_url}/assets/{asset_id_of(data)}/edit").status_code == 200


def test_a_refused_shared_description_loses_no_file(site: tuple[Atrium, str], monkeypatch) -> None:  # noqa: ANN001
    """Shapes that refuse the typed title (as a core shape refuses a bad value): the files are
    stored without the description, and the refusal is said beside each."""
    atrium, base_url = site
    checks = atrium.assets.validate_many

    def refusing(drafts):  # noqa: ANN001, ANN202
        reports = checks(drafts)
        for draft in drafts:
            if any(t.object.value == "Forbidden words" for t in draft.triples):
                problem = Problem(draft.iri.value, None, "title", "must not say that")
                reports[draft.asset_id].refusals.append(problem)
        return reports

    monkeypatch.setattr(atrium.assets, "validate_many", refusing)
    client = http_sign_in(base_url, add_user(atrium, "contributor", ("marketing",)))
    files = [("a.png", png_bytes("silver")), ("b.png", png_bytes("gold"))]
    answer = post_files(base_url, client, files, title="Forbidden words")
    assert answer.status_code == 200, answer.text
    assert asset_ids(atrium) == {asset_id_of(data) for _, data in files}
    assert answer.text.count("your description was not applied") == 2
    assert "must not say that" in answer.text and "Forbidden words" not in answer.text


def test_a_shared_description_goes_to_every_file(site: tuple[Atrium, str]) -> None:
    atrium, base_url = site
    client = http_sign_in(base_url, add_user(atrium, "contributor", ("marketing",)))
    files = [("a.png", png_bytes("navy")), ("b.png", png_bytes("olive"))]
    answer = post_files(base_url, client, files, title="Spring launch")
    assert answer.status_code == 200, answer.text
    assert answer.text.count("Describe “Spring launch”") == 2


def test_a_duplicate_is_named_and_the_rest_go_in(site: tuple[Atrium, str]) -> None:
    atrium, base_url = site
    client = http_sign_in(base_url, add_user(atrium, "contributor", ("marketing",)))
    first, second = png_bytes("teal"), png_bytes("purple")
    stored = post_files(base_url, client, [("teal.png", first)], title="The teal one")
    assert stored.status_code == 302  # one file, stored as described: straight to its page
    assert stored.headers["Location"].endswith(f"/assets/{asset_id_of(first)}")
    again = post_files(
        base_url, client, [("copy.png", first), ("new.png", second)], title="Second try"
    )
    assert again.status_code == 200, again.text
    assert asset_ids(atrium) == {asset_id_of(first), asset_id_of(second)}
    notice = re.search(r'<li class="arrival duplicate">(.*?)</li>', again.text, re.S).group(1)
    assert "copy.png" in notice and "already stored as" in notice
    assert f'<a href="/assets/{asset_id_of(first)}">The teal one</a>' in notice
    assert f"/assets/{asset_id_of(first)}/edit" in notice  # the uploader may describe it
    titles = {t.object.value for t in atrium.assets.record(asset_id_of(first), Scope.everything())
              if t.predicate.value == "http://purl.org/dc/terms/title"}  # fmt: skip
    assert titles == {"The teal one"}  # the duplicate changed nothing
    only_duplicates = post_files(base_url, client, [("teal.png", first)])
    assert only_duplicates.status_code == 409 and "Nothing new was stored" in only_duplicates.text


def test_a_hidden_duplicate_is_said_to_exist_without_leaking(
    atrium: Atrium, tmp_path: Path
) -> None:
    secret = png_bytes("maroon")
    photo = tmp_path / "staff.png"
    photo.write_bytes(secret)
    ingester = Ingester(atrium)
    settings = ["consentGiven=true", "consentExpires=2030-01-01", "title=Staff photo"]
    options = ingester.resolve(IngestOptions("hr", "restricted", settings=settings))
    assert ingester.run([photo], options).outcomes[0].status == "ingested"
    hidden_id, other = asset_id_of(secret), png_bytes("lime")
    marketing = add_user(atrium, "contributor", ("marketing",))
    with serving(atrium) as base_url:
        client = http_sign_in(base_url, marketing)
        answer = post_files(base_url, client, [("mine.png", secret), ("other.png", other)])
    assert answer.status_code == 200, answer.text
    assert "a file with the same content already exists and you may not see it" in answer.text
    assert hidden_id not in answer.text and "Staff photo" not in answer.text
    assert "departments/hr" not in answer.text and "staff.png" not in answer.text
    assert asset_ids(atrium) == {hidden_id, asset_id_of(other)}
    assert atrium.assets.access_of(hidden_id) == ("restricted", "hr")  # untouched


def test_too_many_files_or_too_many_bytes_get_a_clear_413(tmp_path: Path) -> None:
    atrium = make_atrium(tmp_path / "data", max_upload_bytes=4096, max_files_per_upload=2)
    try:
        with serving(atrium) as base_url:
            client = http_sign_in(base_url, add_user(atrium, "contributor", ("marketing",)))
            colours = [png_bytes(c) for c in ("red", "blue", "green")]
            many = post_files(base_url, client, [(f"{i}.png", d) for i, d in enumerate(colours)])
            large = [("a.bin", b"a" * 3000), ("b.bin", b"b" * 3000)]  # 6000 bytes, one body
            heavy = post_files(base_url, client, large)
        assert many.status_code == 413 and "2 files at most" in many.text
        assert heavy.status_code == 413 and "ATRIUM_MAX_UPLOAD_MB" in heavy.text
        assert asset_ids(atrium) == set()
        assert not any((atrium.config.data_dir / "work").rglob("*.png"))
    finally:
        atrium.close()


def test_the_uploads_notes_are_in_the_readers_language(site: tuple[Atrium, str]) -> None:
    atrium, base_url = site
    client = http_sign_in(base_url, add_user(atrium, "contributor", ("hr",)))
    client.headers["Accept-Language"] = "de"
    files = [("teal.png", png_bytes("teal")), ("olive.png", png_bytes("olive"))]
    answer = post_files(base_url, client, files, department="hr", access="public")
    assert answer.status_code == 200, answer.text
    assert answer.text.count("bleibt eingeschränkt, bis die Pflichtfelder") == 2
    assert answer.text.count("unvollständig: Einwilligung endet, Einwilligung erteilt") == 2
    assert "incomplete" not in answer.text and "kept restricted" not in answer.text
