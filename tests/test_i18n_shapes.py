"""The shapes' words in the reader's language (issue 13): field labels and help (``sh:name``,
``sh:description``), what is wrong (``sh:message``) on the edit and upload forms and the asset
page, and the SPARQL page's examples. API clients keep reading English.

The shapes are the one source of these words: each ``sh:message``, ``sh:name`` and
``sh:description`` of a shipped shape has an English, a German and a French literal (checked
below, so that a shipped profile without translations fails here). A profile added later
(``atrium profile import``) may have English only: the reader then gets English, by the
fallback order every surface uses, and a shape without any ``sh:message`` gets one of Atrium's
own sentences rather than pySHACL's technical one."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import rdflib
from conftest import csrf_token
from PIL import Image
from pyoxigraph import Literal, NamedNode
from rdflib.namespace import RDFS, SH
from search_helpers import put_asset
from werkzeug.exceptions import Conflict

from app.domain.assets.records import AssetRefused
from app.domain.assets.validation import Validator
from app.domain.concepts import SHAPES_DIR
from app.namespaces import XSD
from app.web.i18n import in_english
from app.web.i18n import lazy_text as _l
from app.web.refusals import refused_because

GERMAN = {"Accept-Language": "de"}
FRENCH = {"Accept-Language": "fr"}
BASE = "http://atrium.test/"
DAM = rdflib.Namespace("https://w3id.org/atrium/ns#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
LANGUAGES = {"en", "de", "fr"}
# The shapes of things people describe and read on the main pages: assets (core and the
# department profiles), collections and results. The taxonomist's quality rules
# (shapes/skos-quality.ttl) are checked in test_i18n_quality.py.
SHIPPED = sorted(
    [SHAPES_DIR / "core.ttl", SHAPES_DIR / "collections.ttl", SHAPES_DIR / "results.ttl"]
    + list((SHAPES_DIR / "profiles").glob("*.ttl"))
)


def _png() -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(data, format="PNG")
    data.seek(0)
    return data


def _field_html(page: str, name: str) -> str:
    return page.split(f'id="field-{name}"')[1].split("</div>")[0]


# The shipped shapes ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_every_shipped_message_name_and_help_is_in_english_german_and_french(path: Path) -> None:
    shapes = rdflib.Graph().parse(path, format="turtle", publicID=BASE + "vocab/")
    untranslated = []
    for predicate in (SH.message, SH.name, SH.description, RDFS.label):
        for shape in set(shapes.subjects(predicate, None)):
            found = [o.language for o in shapes.objects(shape, predicate)]
            if set(found) != LANGUAGES or len(found) != len(LANGUAGES):
                untranslated.append((str(shape), predicate.n3(shapes.namespace_manager), found))
    assert untranslated == []


# The domain: a problem in each language ---------------------------------------------------------


def _asset(graph: rdflib.Graph) -> rdflib.URIRef:
    asset = rdflib.URIRef(BASE + "assets/0123456789abcdef")
    graph.add((asset, rdflib.RDF.type, DAM.Asset))
    return asset


def test_a_problem_has_the_field_and_message_in_each_language_english_as_text() -> None:
    data = rdflib.Graph()
    _asset(data)
    report = Validator.from_files(SHAPES_DIR, BASE).check(data, None)
    (title,) = [p for p in report.refusals if p.path == str(DCT.title)]
    assert (title.field, title.message) == ("title", "is missing (every asset needs a title)")
    assert title.field_in("de") == "Titel"
    assert title.message_in("de") == "fehlt (jedes Medium braucht einen Titel)"
    assert title.message_in("fr") == "manque (chaque média a besoin d'un titre)"
    assert title.message_in("it") == title.message  # no Italian: English
    assert str(title).endswith(": title: is missing (every asset needs a title)")


def test_a_sparql_constraints_message_keeps_its_language() -> None:
    """pySHACL writes a SHACL-SPARQL constraint's messages, and its shape's after them, all
    untagged once it fills in their variables: each is matched back to its sh:message."""
    data = rdflib.Graph()
    asset = _asset(data)
    data.add((asset, DAM.consentExpires, rdflib.Literal("2001-01-01", datatype=rdflib.XSD.date)))
    report = Validator.from_files(SHAPES_DIR, BASE).check(data, "hr")
    (expired,) = [p for p in report.missing if p.path == str(DAM.consentExpires)]
    assert expired.message.startswith("has passed: the consent")
    assert expired.message_in("de").startswith("ist abgelaufen: die Einwilligung")
    assert expired.message_in("fr").startswith("est dépassée : le consentement")


PROFILE_IN_ENGLISH = """
@prefix dam: <https://w3id.org/atrium/ns#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<shapes/profiles/archive#Asset> a sh:NodeShape ; sh:targetClass dam:Asset ;
    sh:property <shapes/profiles/archive#shelf-mark>, <shapes/profiles/archive#box> .
<shapes/profiles/archive#shelf-mark> a sh:PropertyShape ; sh:path dam:shelfMark ;
    sh:name "shelf mark"@en ; sh:minCount 1 ; sh:message "is missing (every item has one)"@en .
<shapes/profiles/archive#box> a sh:PropertyShape ; sh:path dam:box ;
    sh:name "box"@en ; sh:minCount 1 .
"""


def test_a_profile_in_english_only_falls_back_to_english_and_atriums_own_words() -> None:
    """A department's profile added bottom-up may come without translations: German readers
    then read its English; a shape without sh:message says Atrium's "is missing", a message
    id the web translates, not pySHACL's "Less than 1 values on …"."""
    profile = rdflib.Graph().parse(
        data=PROFILE_IN_ENGLISH, format="turtle", publicID=BASE + "vocab/"
    )
    validator = Validator.from_files(SHAPES_DIR, BASE).with_profile("archive", profile)
    data = rdflib.Graph()
    _asset(data)
    missing = {p.field: p for p in validator.check(data, "archive").missing}
    assert missing["shelf mark"].field_in("de") == "shelf mark"
    assert missing["shelf mark"].message_in("de") == "is missing (every item has one)"
    assert missing["box"].message == "is missing" and missing["box"].message_texts == ()


# The web: forms and pages in German and French ---------------------------------------------------


def test_the_german_edit_form_says_in_german_what_is_wrong_and_names_fields_in_german(
    client, sign_in, atrium
) -> None:
    asset = put_asset(atrium, "Frühjahr")
    sign_in(client, "contributor", ("marketing",))
    form = client.get(f"/assets/{asset}/edit", headers=GERMAN).get_data(as_text=True)
    campaign = _field_html(form, "campaign")
    assert ">Kampagne<" in campaign and "campaign</label>" not in campaign
    assert "Die Kampagne, für die das Medium gemacht wurde" in campaign
    assert "Wer das Medium sehen darf" not in form  # not an editable field: not on the form
    error = _title_refusal(client, asset, GERMAN)
    assert "fehlt (jedes Medium braucht einen Titel)" in error
    assert "every asset needs a title" not in error


def test_the_french_edit_form_says_in_french_what_is_wrong(client, sign_in, atrium) -> None:
    asset = put_asset(atrium, "Printemps")
    sign_in(client, "contributor", ("marketing",))
    error = _title_refusal(client, asset, FRENCH)
    assert "manque (chaque média a besoin d&#39;un titre)" in error


def _title_refusal(client, asset: str, headers: dict[str, str]) -> str:
    """The title field's markup after an edit that empties the title was refused."""
    response = client.post(
        f"/assets/{asset}/edit",
        data={"csrf_token": csrf_token(client), "title": ""},
        headers=headers,
    )
    assert response.status_code == 422
    return _field_html(response.get_data(as_text=True), "title")


def test_the_german_upload_form_explains_a_malformed_value_in_the_shapes_german(
    client, sign_in, atrium
) -> None:
    sign_in(client, "contributor", ("legal",))
    form = {
        "csrf_token": csrf_token(client),
        "file": (_png(), "contract.png"),
        "department": "legal",
        "contractReference": "contract 42",
    }
    response = client.post("/upload", data=form, content_type="multipart/form-data", headers=GERMAN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = _field_html(page, "contractReference")
    assert "muss eine Registernummer sein: CTR oder MAT" in error
    assert "must be a register number" not in error
    assert ">Aufbewahren bis" in _field_html(page, "retentionUntil")


def test_the_asset_page_names_missing_profile_fields_in_german(client, sign_in, atrium) -> None:
    asset = put_asset(atrium, "Porträt", department="hr", access="internal")
    sign_in(client, "contributor", ("hr",))
    page = client.get(f"/assets/{asset}", headers=GERMAN).get_data(as_text=True)
    missing = page.split('class="missing"')[1].split("</section>")[0]
    assert "<strong>Einwilligung erteilt</strong>" in missing
    assert "consent given" not in missing and "is missing" not in missing


def test_the_api_reads_a_refusal_in_english_a_german_page_in_german(atrium) -> None:
    from app.web import create_app

    data = rdflib.Graph()
    _asset(data)
    refusal = AssetRefused(Validator.from_files(SHAPES_DIR, BASE).check(data, None))
    app = create_app(atrium)
    reason = _l("not changed: %(reason)s", reason=refused_because(refusal))
    with app.test_request_context("/", headers={**GERMAN, "Accept": "text/html"}):
        assert "Titel: fehlt (jedes Medium braucht einen Titel)" in str(reason)
        assert "title: is missing (every asset needs a title)" in in_english(reason)
    with app.test_request_context("/", headers={**GERMAN, "Accept": "application/json"}):
        answer = app.handle_user_exception(Conflict(description=reason))
        error = answer[0].get_json()["error"]
        assert "title: is missing (every asset needs a title)" in error
        assert "fehlt" not in error


# The SPARQL page's examples ----------------------------------------------------------------------


def test_the_german_sparql_page_lists_the_examples_in_german(client, atrium) -> None:
    page = client.get("/sparql", headers={**GERMAN, "Accept": "text/html"}).get_data(as_text=True)
    examples = page.split('class="examples"')[1].split("</section>")[0]
    assert "Medien je Abteilung" in examples and "Assets per department" not in examples
    assert "Was das Profil marketing erfasst" in examples
    assert "campaign (Kampagne)" in examples  # the profile's fields by their German sh:name
    english = client.get("/sparql", headers={"Accept-Language": "en", "Accept": "text/html"})
    assert "Assets per department" in english.get_data(as_text=True)


def test_a_profiles_field_labels_and_missing_fields_in_german_and_french(atrium) -> None:
    """The registry's labels and a stored asset's missing fields, read from the shapes in
    the graph, as the forms, facets and asset page read them."""
    extra = [(NamedNode(str(DAM.consentGiven)), Literal("true", datatype=XSD.boolean))]
    asset = put_asset(atrium, "Team", department="hr", access="internal", extra=extra)
    fields = {f.name: f for f in atrium.fields.editable("hr")}
    assert fields["consentGiven"].label("de") == "Einwilligung erteilt"
    assert fields["consentGiven"].label("fr") == "consentement donné"
    assert atrium.assets.missing_fields(asset)[0].field_in("de") == "Einwilligung endet"


def test_the_results_form_says_in_german_which_segment_the_shape_refuses(
    client, sign_in, atrium
) -> None:
    asset = put_asset(atrium, "Plakat")
    sign_in(client, "contributor", ("marketing",))
    concept = atrium.iris.concept
    form = {
        "segment": concept("channels/web").value,  # a channel where a segment belongs
        "channel": concept("channels/email").value,
        "campaign": concept("campaigns/spring-launch").value,
        "start": "2026-04-01",
        "end": "2026-04-30",
        "impressions": "800",
        "clicks": "80",
        "conversions": "8",
        "csrf_token": csrf_token(client),
    }
    response = client.post(f"/assets/{asset}/results", data=form, headers=GERMAN)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Segment: muss genau ein Segment aus dem Zielgruppenvokabular sein" in page
    assert "from the audiences vocabulary" not in page
