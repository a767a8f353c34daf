"""Titles and descriptions per language (issue 13): a box for each interface language in the
edit form, saved as language-tagged text, shown in the reader's language, found in any."""

from __future__ import annotations

import html
import re

from conftest import csrf_token
from pyoxigraph import Literal, Triple
from search_helpers import put_asset

from app.domain.people.access import ADMIN, scope_for
from app.namespaces import DCT
from app.service import Atrium


def _titles(atrium: Atrium, asset_id: str) -> set[tuple[str, str]]:
    record = atrium.assets.record(asset_id, scope_for(ADMIN, atrium.iris, atrium.store))
    iri = atrium.iris.asset(asset_id)
    return {
        (t.object.value, t.object.language or "")
        for t in record
        if t.subject == iri and t.predicate == DCT.title
    }


def test_the_form_has_a_box_per_language_and_saves_tagged_titles(
    client, sign_in, atrium: Atrium
) -> None:  # noqa: ANN001, E501
    asset_id = put_asset(atrium, "Harbour at dawn")
    sign_in(client, "contributor", ("marketing",))
    form = client.get(f"/assets/{asset_id}/edit?lang=en").get_data(as_text=True)
    for name in ("title", "title@en", "title@de", "title@fr", "description@de"):
        assert f'name="{name}"' in form, name
    assert 'name="title" value="Harbour at dawn"' in form
    saved = client.post(
        f"/assets/{asset_id}/edit",
        data={"csrf_token": csrf_token(client), "title": "Harbour at dawn",
              "title@de": "Hafen im Morgengrauen", "title@fr": "Port à l'aube", "title@en": ""},
    )  # fmt: skip
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert _titles(atrium, asset_id) == {
        ("Harbour at dawn", ""),
        ("Hafen im Morgengrauen", "de"),
        ("Port à l'aube", "fr"),
    }
    again = client.get(f"/assets/{asset_id}/edit").get_data(as_text=True)
    assert 'name="title@de" value="Hafen im Morgengrauen"' in again


def test_readers_see_the_title_in_their_language_and_find_it_in_any(client, atrium: Atrium) -> None:  # noqa: ANN001, E501
    asset_id = put_asset(
        atrium, "Harbour at dawn",
        extra=[(DCT.title, Literal("Hafen im Morgengrauen", language="de"))],
    )  # fmt: skip
    german = client.get(f"/assets/{asset_id}?lang=de").get_data(as_text=True)
    assert "<h1>Hafen im Morgengrauen</h1>" in german
    english = client.get(f"/assets/{asset_id}?lang=en").get_data(as_text=True)
    assert "<h1>Harbour at dawn</h1>" in english
    found = client.get("/api/search?q=morgengrauen&lang=de").get_json()
    assert [r["title"] for r in found["results"]] == ["Hafen im Morgengrauen"]
    found = client.get("/api/search?q=morgengrauen&lang=fr").get_json()
    assert [r["title"] for r in found["results"]] == ["Harbour at dawn"]  # no French one


def test_a_language_the_form_does_not_offer_keeps_its_box(client, sign_in, atrium: Atrium) -> None:  # noqa: ANN001, E501
    asset_id = put_asset(
        atrium, "Harbour at dawn", extra=[(DCT.title, Literal("Porto all'alba", language="it"))]
    )
    sign_in(client, "contributor", ("marketing",))
    form = client.get(f"/assets/{asset_id}/edit").get_data(as_text=True)
    assert 'name="title@it" value="Porto all&#39;alba"' in form
    fields = dict(re.findall(r'name="(title(?:@\w+)?)" value="([^"]*)"', form))
    saved = client.post(
        f"/assets/{asset_id}/edit",
        data={"csrf_token": csrf_token(client), **{k: html.unescape(v) for k, v in fields.items()}},
    )  # fmt: skip
    assert saved.status_code == 302
    assert ("Porto all'alba", "it") in _titles(atrium, asset_id)


def test_a_second_title_in_one_language_is_refused_by_the_shape(atrium: Atrium) -> None:
    asset_id = put_asset(atrium, "Harbour at dawn")
    draft = atrium.assets.stored_draft(asset_id)
    iri = atrium.iris.asset(asset_id)
    draft.triples += [
        Triple(iri, DCT.title, Literal("Hafen", language="de")),
        Triple(iri, DCT.title, Literal("Der Hafen", language="de")),
    ]
    report = atrium.assets.validate(draft)
    assert any("title" in str(p).casefold() for p in report.refusals), report
