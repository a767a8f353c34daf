"""Upload and edit forms: contributors of the owning department only, required profile fields
marked, refusals explained next to their field, nothing saved when refused, no JavaScript."""

from __future__ import annotations

import io
from pathlib import Path

from conftest import csrf_token, make_atrium
from PIL import Image
from search_helpers import put_asset, subject

from app.domain.people.access import ADMIN, scope_for
from app.domain.search import SearchQuery
from app.service import Atrium
from app.web import create_app


def png(colour: str = "red") -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(data, format="PNG")
    data.seek(0)
    return data


def post_upload(client, data: dict, colour: str = "red"):  # noqa: ANN001, ANN201
    form = {"csrf_token": csrf_token(client), "file": (png(colour), "photo.png"), **data}
    return client.post("/upload", data=form, content_type="multipart/form-data")


def titles(atrium: Atrium, text: str = "") -> list[str]:
    scope = scope_for(ADMIN, atrium.iris, atrium.store)
    return [c.title for c in atrium.search.search(SearchQuery(text=text), scope).cards]


# Who may ---------------------------------------------------------------------------------------


def test_only_contributors_may_upload(client, sign_in) -> None:
    anonymous = client.get("/upload")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    sign_in(client, "viewer", ("marketing",))
    assert client.get("/upload").status_code == 403


def test_contributors_upload_for_their_own_departments_only(client, sign_in) -> None:
    sign_in(client, "contributor", ("marketing",))
    assert client.get("/upload?department=hr").status_code == 403
    refused = post_upload(client, {"department": "hr", "title": "Not mine"})
    assert refused.status_code == 403


# Upload ------------------------------------------------------------------------------------------


def test_an_upload_is_described_and_found_at_once(client, sign_in, atrium: Atrium) -> None:
    name = sign_in(client, "contributor", ("marketing",))
    page = client.get("/upload").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="subject"' in page
    assert "campaign" in page  # the marketing profile's fields
    response = post_upload(
        client,
        {"title": "Spring launch", "subject": ["Fahrrad", ""], "keywords": "launch\nspring",
         "access": "public", "channel": atrium.iris.concept("channels/web").value},
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    asset_id = response.headers["Location"].rsplit("/", 1)[-1]
    record = {(t.predicate.value, t.object.value) for t in atrium.assets.record(asset_id, scope_for(
        ADMIN, atrium.iris, atrium.store))}  # fmt: skip
    assert ("http://purl.org/dc/terms/subject", subject(atrium, "bicycle")) in record
    assert ("https://schema.org/keywords", "spring") in record
    assert titles(atrium, "vehicle") == ["Spring launch"]  # indexed by the same write
    events = atrium.audit.history(atrium.iris.asset(asset_id))
    assert [(e.action, e.agent) for e in events] == [("created", name)]
    assert client.get(f"/assets/{asset_id}/thumbnail").status_code == 200


def test_an_unreadable_value_is_explained_next_to_its_field(client, sign_in, atrium) -> None:
    sign_in(client, "contributor", ("operations",))
    response = post_upload(
        client,
        {"department": "operations", "eventDate": "31/12/2024", "subject": ["Unicorn"]},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Nothing was saved" in html
    assert "is not a date like 2027-03-31" in html and "no subject named &#39;Unicorn&#39;" in html
    assert 'value="31/12/2024"' in html and 'value="Unicorn"' in html  # what was typed stays
    assert titles(atrium) == [] and not any(atrium.media.root.rglob("*.png"))


def test_required_profile_fields_are_marked(client, sign_in) -> None:
    sign_in(client, "contributor", ("hr",))
    html = client.get("/upload").get_data(as_text=True)
    assert html.count("required by the hr profile") == 2  # consent given, consent expires


def test_an_upload_over_the_limit_gets_a_clear_answer(tmp_path: Path, sign_in) -> None:
    atrium = make_atrium(tmp_path / "small", max_upload_bytes=100)  # the file has 136 bytes
    client = create_app(atrium).test_client()
    sign_in(client, "contributor", ("marketing",))
    response = post_upload(client, {"title": "Too big"})
    assert response.status_code == 413
    assert "ATRIUM_MAX_UPLOAD_MB" in response.get_data(as_text=True)
    atrium.close()


def test_the_same_file_twice_leads_to_the_first(client, sign_in) -> None:
    sign_in(client, "contributor", ("marketing",))
    first = post_upload(client, {"title": "Once"})
    second = post_upload(client, {"title": "Twice"})
    assert second.status_code == 302
    assert second.headers["Location"].startswith(first.headers["Location"])


# Edit --------------------------------------------------------------------------------------------


def test_an_edit_is_saved_audited_and_searchable(client, sign_in, atrium: Atrium) -> None:
    asset = put_asset(atrium, "Old title", subjects=[subject(atrium, "car")])
    name = sign_in(client, "contributor", ("marketing",))
    form = client.get(f"/assets/{asset}/edit").get_data(as_text=True)
    assert 'value="Old title"' in form and 'value="Car"' in form
    response = client.post(
        f"/assets/{asset}/edit",
        data={"csrf_token": csrf_token(client), "title": "New title", "subject": ["Car", "Lkw"],
              "keywords": "fleet"},
    )  # fmt: skip
    assert response.status_code == 302
    assert titles(atrium, "truck") == ["New title"] and titles(atrium, "old") == []
    events = atrium.audit.history(atrium.iris.asset(asset))
    assert ("changed", name) in [(e.action, e.agent) for e in events]
    page = client.get(f"/assets/{asset}").get_data(as_text=True)
    assert "Edit the description" in page and "/search?subject=" in page


def test_a_refused_edit_saves_nothing_and_says_why_by_the_field(client, sign_in, atrium) -> None:
    asset = put_asset(atrium, "Keep me")
    sign_in(client, "contributor", ("marketing",))
    response = client.post(
        f"/assets/{asset}/edit", data={"csrf_token": csrf_token(client), "title": ""}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = html.split('id="field-title"')[1].split("</div>")[0]
    assert "every asset needs a title" in error
    assert titles(atrium) == ["Keep me"]


def test_a_public_asset_cannot_lose_what_its_profile_requires(client, sign_in, atrium) -> None:
    consent = [("https://w3id.org/atrium/ns#consentGiven", "true"),
               ("https://w3id.org/atrium/ns#consentExpires", "2030-01-01")]  # fmt: skip
    from pyoxigraph import Literal, NamedNode

    from app.namespaces import XSD

    extra = [
        (NamedNode(p), Literal(v, datatype=XSD.boolean if v == "true" else XSD.date))
        for p, v in consent
    ]
    asset = put_asset(atrium, "Portrait", department="hr", extra=extra)
    sign_in(client, "contributor", ("hr",))
    form = client.get(f"/assets/{asset}/edit").get_data(as_text=True)
    assert form.count("required by the hr profile") == 2
    response = client.post(
        f"/assets/{asset}/edit",
        data={"csrf_token": csrf_token(client), "title": "Portrait", "consentGiven": "true"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Nothing was saved" in html
    assert atrium.assets.missing_fields(asset) == []  # consent expiry still there


def test_only_the_owning_departments_contributors_may_edit(client, sign_in, atrium) -> None:
    asset = put_asset(atrium, "Marketing's")
    sign_in(client, "contributor", ("training",))
    assert client.get(f"/assets/{asset}/edit").status_code == 403
    refused = client.post(
        f"/assets/{asset}/edit", data={"csrf_token": csrf_token(client), "title": "Mine now"}
    )
    assert refused.status_code == 403 and titles(atrium) == ["Marketing's"]


def test_a_form_without_its_csrf_token_is_refused(client, sign_in, atrium) -> None:
    asset = put_asset(atrium, "Safe")
    sign_in(client, "contributor", ("marketing",))
    assert client.post(f"/assets/{asset}/edit", data={"title": "Forged"}).status_code == 400
    assert titles(atrium) == ["Safe"]
