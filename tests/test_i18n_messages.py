"""The taxonomist's, analyst's and administrator's pages in German, and the refusals the views
raise in Python (issue 13): no English left, over real HTTP.

The check is ``english_left`` of :mod:`test_i18n` (the catalogue's own English strings), so
a string added to these pages or views without a German translation fails here. API clients
keep reading English, whatever language their request asks for."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from urllib.parse import quote

import pytest
import requests
from babel.messages.pofile import read_po
from conftest import http_sign_in, make_atrium, serving
from flask import Flask
from markupsafe import escape
from PIL import Image
from test_i18n import english_left, english_ui_strings, html_lang, public_team_asset_with_results
from werkzeug import exceptions

from app.domain.sparql.saved_queries import SavedQuery
from app.domain.terms import NamedNode
from app.domain.vocab.history import Actor
from app.web.i18n import TRANSLATIONS, lazy_text

PASSWORD = "a-long-enough-password"
VOCAB = "http://atrium.test/vocab/subjects/"
PEOPLE, TEAM, BICYCLE = VOCAB + "people", VOCAB + "team", VOCAB + "bicycle"
TITLES = """PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?assetTitle WHERE { ?asset dct:title ?assetTitle } ORDER BY ?assetTitle"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """A served Atrium: a public asset tagged Team (below People) with results, a changed
    concept, a saved query, a revoked share link; an admin, a taxonomist and a viewer."""
    folder = tmp_path_factory.mktemp("i18n-messages")
    atrium = make_atrium(folder / "data")
    asset_id = public_team_asset_with_results(atrium, folder)
    for name, role in (("admin1", "admin"), ("taxo1", "taxonomist"), ("viewer1", "viewer")):
        atrium.users.add(name, role, [], PASSWORD)
    _add_label(atrium, TEAM, "Squad", atrium.vocab.editor.version(NamedNode(TEAM)))
    atrium.saved_queries.save(SavedQuery("titles", "Asset titles", TITLES, "Every title."))
    admin = atrium.users.get("admin1")
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
    share, token = atrium.shares.create(admin, "asset", asset_id, tomorrow)
    atrium.shares.revoke(admin, share.id)
    try:
        with serving(atrium) as base_url:
            yield atrium, base_url, token, asset_id
    finally:
        atrium.close()


def german(base_url: str, name: str) -> requests.Session:
    """A German reader's browser, signed in as ``name``."""
    browser = http_sign_in(base_url, name, PASSWORD)
    browser.headers.update({"Accept-Language": "de", "Accept": "text/html"})
    return browser


PAGES = {
    "vocabularies": "/vocab/",
    "a vocabulary": "/vocab/subjects",
    "a concept with narrower ones": f"/vocab/concept?iri={PEOPLE}",
    "a changed concept": f"/vocab/concept?iri={TEAM}",
    "concept search": "/vocab/search?q=bi",
    "concept search in a vocabulary": "/vocab/search?q=team&scheme=subjects",
    "concept editor": f"/vocab/edit?iri={TEAM}",
    "new concept": "/vocab/new?vocabulary=subjects",
    "merge": f"/vocab/merge?iri={BICYCLE}",
    "delete": f"/vocab/delete?iri={PEOPLE}",
    "scheme editor": "/vocab/edit-scheme?iri=subjects",
    "new vocabulary": "/vocab/new-scheme",
    "delete a vocabulary": "/vocab/delete-scheme?iri=subjects",
    "SPARQL": "/sparql",
    # Two rows of fixed values: the store's first two triples are data, and once held a
    # literal that is also an English word of the interface ("vocabulary").
    "SPARQL results": "/sparql?query="
    + quote('SELECT * WHERE { VALUES (?s ?o) { (<urn:example:a> "eins") (<urn:example:b> 2) } }'),
    "SPARQL yes or no": "/sparql?query=ASK%20%7B%20?s%20?p%20?o%20%7D",
    "a failed query": "/sparql?query=SELEKT",
    "saved queries": "/queries",
    "a saved query": "/queries/titles",
    "save a query": "/queries/new",
    "change a saved query": "/queries/titles/edit",
    "delete a saved query": "/queries/titles/delete",
    "users": "/admin/users",
    "a user": "/admin/users/viewer1",
    "yourself": "/admin/users/admin1",
    "audit trail": "/admin/audit",
    "audit trail of the CLI": "/admin/audit?actor=cli",
    "API tokens": "/account/tokens",
    "share links": "/shares",
}


def test_the_german_vocabulary_sparql_and_admin_pages_have_no_english_left(site) -> None:
    _, base_url, *_ = site
    admin, strings = german(base_url, "admin1"), english_ui_strings()
    for name, path in PAGES.items():
        response = admin.get(f"{base_url}{path}")
        assert response.status_code in (200, 400), (name, response.status_code)
        assert html_lang(response.text) == "de", name
        assert english_left(response.text, strings) == [], name


def test_the_check_finds_english_in_these_pages_in_english(site) -> None:
    """The check can fail: the same pages in English show the catalogue's strings."""
    _, base_url, *_ = site
    admin, strings = german(base_url, "admin1"), english_ui_strings()
    admin.headers["Accept-Language"] = "en"
    expected = {
        "/vocab/subjects": {"Hierarchy", "Edit the scheme", "%(num)s top-level concepts"},
        f"/vocab/concept?iri={TEAM}": {"History", "Relations", "Merge into another"},
        "/sparql": {"Run the query", "Examples", "Save this query"},
        "/queries/titles": {"The query", "Open it on the query page"},
        "/admin/users": {"Add a user", "Initial password", "%(num)s users"},
        "/admin/audit": {"Who created, changed, downloaded or deleted which asset, newest first."},
        "/account/tokens": {"Your API tokens", "Issue a token"},
    }
    for path, shown in expected.items():
        page = admin.get(f"{base_url}{path}").text
        assert html_lang(page) == "en", path
        assert shown <= set(english_left(page, strings)), path


def test_a_concept_page_counts_and_names_in_german(site) -> None:
    _, base_url, *_ = site
    page = german(base_url, "taxo1").get(f"{base_url}/vocab/concept?iri={PEOPLE}").text
    usage = " ".join(
        re.sub(r"<[^>]+>", "", re.search(r'<p class="usage">(.*?)</p>', page, re.S)[1]).split()
    )
    assert usage == (
        "1 Medium ist mit diesem Begriff oder seinen Unterbegriffen verschlagwortet "
        "(0 direkt mit diesem Begriff)."
    )
    assert "<h2>Beziehungen</h2>" in page and ">Unterbegriff hinzufügen</a>" in page
    french = requests.get(f"{base_url}/vocab/subjects?lang=fr").text
    assert "10 concepts de premier niveau" in french  # French's third plural form: n > 1


def test_error_pages_in_german_say_why_in_german(site) -> None:
    atrium, base_url, token, _ = site
    strings = english_ui_strings()
    viewer = german(base_url, "viewer1")
    refused = viewer.get(f"{base_url}/admin/users")
    assert refused.status_code == 403
    assert "Dafür brauchen Sie die Rolle Administrator" in refused.text
    not_found = viewer.get(f"{base_url}/vocab/concept?iri=http://nowhere.test/x")
    assert not_found.status_code == 404 and "Nicht gefunden." in not_found.text
    stale = viewer.post(f"{base_url}/collections", data={"title": "x", "csrf_token": "old"})
    assert stale.status_code == 400 and "Das Formular ist abgelaufen" in stale.text
    gone = requests.get(f"{base_url}/s/{token}", headers={"Accept-Language": "de"})
    assert gone.status_code == 410 and html_lang(gone.text) == "de"
    assert "Dieser Freigabelink wurde widerrufen. Bitten Sie die Person" in gone.text
    conflict = _stale_concept_save(german(base_url, "taxo1"), base_url, atrium)
    assert conflict.status_code == 409
    assert "Nicht gespeichert: Jemand anderes hat diesen Begriff geändert" in conflict.text
    assert "Die letzte Änderung: " in conflict.text and ", von anna, " in conflict.text
    for page in (refused, not_found, stale, gone, conflict):
        assert english_left(page.text, strings) == [], page.url
    english = http_sign_in(base_url, "viewer1", PASSWORD).get(f"{base_url}/admin/users")
    assert "this needs the admin role" in english.text  # the English page says it in English
    assert set(english_left(english.text, strings)) >= {"this needs the %(roles)s role"}


def test_an_error_without_words_of_its_own_has_werkzeugs_in_german(site) -> None:
    """A GET of a POST-only address: werkzeug's description of a 405, translated."""
    _, base_url, *_ = site
    page = german(base_url, "viewer1").get(f"{base_url}/logout")
    assert page.status_code == 405
    assert "Die Methode ist für die angeforderte URL nicht erlaubt." in page.text
    assert english_left(page.text, english_ui_strings()) == []
    with (TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        catalogue = read_po(po_file)
    for error in (
        exceptions.BadRequest,
        exceptions.Unauthorized,
        exceptions.Forbidden,
        exceptions.MethodNotAllowed,
        exceptions.Conflict,
        exceptions.Gone,
        exceptions.RequestEntityTooLarge,
        exceptions.UnprocessableEntity,
        exceptions.TooManyRequests,
        exceptions.InternalServerError,
        exceptions.ServiceUnavailable,
    ):
        message = catalogue.get(error.description)  # the same words as werkzeug's
        assert message is not None and message.string, error.__name__


def test_a_lazy_message_is_escaped_in_html_and_works_without_babel() -> None:
    with Flask(__name__).app_context():  # no Flask-Babel: the English message, formatted
        message = lazy_text("unknown format %(format)s", format="<script>")
        assert str(message) == "unknown format <script>"
        assert str(escape(message)) == "unknown format &lt;script&gt;"


def test_api_clients_read_refusals_in_english_whatever_their_language(site) -> None:
    _, base_url, *_ = site
    viewer = german(base_url, "viewer1")
    answer = viewer.get(f"{base_url}/admin/audit", headers={"Accept": "application/json"})
    assert answer.status_code == 403
    assert answer.json() == {"error": "this needs the admin role", "status": 403}
    french = requests.get(f"{base_url}/vocab/export?vocabulary=subjects&format=docx&lang=fr")
    assert french.status_code == 400 and "format inconnu 'docx'" in html.unescape(french.text)
    api = requests.get(
        f"{base_url}/vocab/export?vocabulary=subjects&format=docx",
        headers={"Accept": "application/json", "Accept-Language": "fr"},
    )
    assert api.json()["error"].startswith("unknown format 'docx'; use one of ttl")


def _stale_concept_save(browser: requests.Session, base_url: str, atrium) -> requests.Response:  # noqa: ANN001
    """Save Bicycle from a form whose version someone else's change has made stale."""
    form = browser.get(f"{base_url}/vocab/edit?iri={BICYCLE}").text
    version = re.search(r'name="version" value="(\w+)"', form)[1]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
    _add_label(atrium, BICYCLE, "Boneshaker", version)  # someone else's change
    data = {
        "iri": BICYCLE,
        "version": version,
        "csrf_token": csrf,
        "label_kind": ["prefLabel"],
        "label_lang": ["en"],
        "label_text": ["Push bike"],
        "broader": [VOCAB + "vehicle"],
    }
    return browser.post(f"{base_url}/vocab/edit", data=data)


def _add_label(atrium, iri: str, label: str, version: str) -> None:  # noqa: ANN001
    """Anna adds an English altLabel to the concept (a change in its history)."""
    editor, concept = atrium.vocab.editor, NamedNode(iri)
    draft = editor.draft(concept)
    draft.labels.append(("altLabel", "en", label))
    editor.save(concept, draft, version, Actor("anna", atrium.iris.user("anna")))


def _results_profile_versions_upload_and_bulk(site, browser: requests.Session) -> dict:  # noqa: ANN001
    """The performance (with and without a ranking), profile, versions, upload-done (of a
    duplicate: nothing new is stored), bulk confirmation and bulk report pages."""
    atrium, base_url, _, asset_id = site
    segment = atrium.iris.concept("audiences/customers").value
    paths = ("/performance", f"/performance?segment={segment}", "/users/admin1")
    pages = {path: browser.get(f"{base_url}{path}") for path in paths}
    pages["versions"] = browser.get(f"{base_url}/assets/{asset_id}/versions")
    token = re.search(r'name="csrf_token" value="([^"]+)"', pages["versions"].text)[1]
    again = io.BytesIO()
    Image.new("RGB", (320, 200), "olive").save(again, format="PNG")  # the stored picture
    upload = {"csrf_token": token, "department": "marketing", "store_first": "1"}
    files = [("file", ("again.png", again.getvalue(), "image/png"))]
    pages["upload done"] = browser.post(f"{base_url}/upload", data=upload, files=files)
    for action in ("edit", "access", "delete"):
        review = {"asset": asset_id, "action": action, "csrf_token": token}
        pages[action] = browser.post(f"{base_url}/bulk/review", data=review)
    unchanged = {"asset": asset_id, "access": "public", "csrf_token": token}  # public already
    pages["bulk report"] = browser.post(f"{base_url}/bulk/access", data=unchanged)
    return pages


def test_the_results_profile_versions_upload_and_bulk_pages_in_german(site) -> None:
    browser, strings = german(site[1], "admin1"), english_ui_strings()
    for name, response in _results_profile_versions_upload_and_bulk(site, browser).items():
        assert response.status_code in (200, 409), (name, response.status_code)
        assert html_lang(response.text) == "de", name
        assert english_left(response.text, strings) == [], name
    english = http_sign_in(site[1], "admin1", PASSWORD)
    english.headers.update({"Accept-Language": "en", "Accept": "text/html"})
    pages = _results_profile_versions_upload_and_bulk(site, english)
    expected = {
        "/performance": {"Segments", "Choose a segment to rank the assets by their results in it."},
        f"/performance?segment={site[0].iris.concept('audiences/customers').value}": {
            "Click rate",
            "Scores of the top assets",
            "Impressions",
        },
        "/users/admin1": {"departments", "Your API tokens"},
        "versions": {
            "Versions of the file of %(title)s",
            "Upload a new version",
            "Download version %(number)s",
        },
        "upload done": {"Nothing new was stored", "Already stored"},
        "edit": {"Edit a field of %(num)s asset", "The change", "Apply the change"},
        "access": {"New access level", "Change the access"},
        "delete": {"You may change it", "Delete them"},
        "bulk report": {"Outcome", "Back to the assets", "unchanged"},
    }
    for name, shown in expected.items():
        assert html_lang(pages[name].text) == "en", name
        assert shown <= set(english_left(pages[name].text, strings)), name
