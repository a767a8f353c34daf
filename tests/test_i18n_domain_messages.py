"""The sentences the domain writes (bulk reports, the performance page's refusals, the versions
page's notices, the vocabulary history, a saved query's refusal) in the reader's language, and
the numbers of the performance page in the locale's way (issue 13).

The domain knows nothing of Flask-Babel: it says a :class:`app.messages.Message` (an
English message id and its values), which the web translates where it shows it. API clients
read the same messages in English. ``english_left`` (:mod:`test_i18n`) is the check; each test
also shows that the English page has the strings, so the check fails without a translation."""

from __future__ import annotations

import ast
import html
import io
import re
from pathlib import Path

import pytest
import requests
from conftest import http_sign_in, make_atrium, serving
from PIL import Image
from sparql_helpers import WAIT, with_test_functions
from test_i18n import english_left, english_ui_strings, html_lang, public_team_asset_with_results

from app.domain.terms import NamedNode
from app.domain.vocab.history import (
    A_CONCEPT,
    IMPORTED,
    QUOTED,
    SUMMARIES,
    WITHOUT_A_NAME,
    Actor,
)
from app.messages import M_, Message, parsed
from app.storage.graphstore import Scope

PASSWORD = "a-long-enough-password"
TEAM = "http://atrium.test/vocab/subjects/team"


def _png(colour: str) -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (320, 200), colour).save(picture, format="PNG")
    return picture.getvalue()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """A served Atrium: a public asset with results, a concept edited and reverted; an admin
    (with an API token) and a taxonomist."""
    folder = tmp_path_factory.mktemp("i18n-domain")
    atrium = make_atrium(folder / "data")
    asset_id = public_team_asset_with_results(atrium, folder)
    atrium.users.add("admin1", "admin", [], PASSWORD)
    atrium.users.add("taxo1", "taxonomist", [], PASSWORD)
    token = atrium.users.issue_token("admin1", "test")[1]
    editor, team = atrium.vocab.editor, NamedNode(TEAM)
    draft = editor.draft(team)
    draft.labels.append(("altLabel", "en", "Squad"))
    anna = Actor("anna", atrium.iris.user("anna"))
    editor.save(team, draft, editor.version(team), anna)
    editor.revert(NamedNode(atrium.vocab.history.of(team)[0].iri), anna)
    try:
        with serving(atrium) as base_url:
            yield atrium, base_url, asset_id, token
    finally:
        atrium.close()


def _browser(base_url: str, name: str = "admin1", language: str = "de") -> requests.Session:
    browser = http_sign_in(base_url, name, PASSWORD)
    browser.headers.update({"Accept-Language": language, "Accept": "text/html"})
    return browser


def _csrf(browser: requests.Session, base_url: str, asset_id: str) -> tuple[str, str]:
    """The CSRF token and the record's version, from the versions page's form."""
    page = browser.get(f"{base_url}/assets/{asset_id}/versions").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    return token, re.search(r'name="version" value="(\w+)"', page)[1]


def _text(response: requests.Response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def _api(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept-Language": "de"}


def _no_english_left(*responses: requests.Response) -> None:
    strings = english_ui_strings()
    for response in responses:
        assert html_lang(response.text) == "de", response.url
        assert english_left(response.text, strings) == [], response.url


def _shows(response: requests.Response, *msgids: str) -> None:
    """The English page shows these catalogue strings: without German, the check would fail."""
    assert html_lang(response.text) == "en", response.url
    assert set(msgids) <= set(english_left(response.text, english_ui_strings())), response.url


# Bulk reports ------------------------------------------------------------------------------------


def _bulk_pages(browser: requests.Session, base_url: str, asset_id: str) -> dict:
    token, _ = _csrf(browser, base_url, asset_id)
    post = lambda path, **data: browser.post(f"{base_url}{path}", data=data)  # noqa: E731
    stale = {f"version-{asset_id}": "0" * 16}
    return {
        "unchanged": post("/bulk/access", asset=asset_id, access="public", csrf_token=token),
        "conflict": post(
            "/bulk/access", asset=asset_id, access="internal", csrf_token=token, **stale
        ),
        "bad id": post("/bulk/access", asset="xyz", access="public", csrf_token=token),
        "bad operation": post(
            "/bulk/edit", asset=asset_id, operation="swap", field="title", csrf_token=token
        ),
    }


def test_a_bulk_report_says_what_and_why_in_german(site) -> None:
    _, base_url, asset_id, _ = site
    pages = _bulk_pages(_browser(base_url), base_url, asset_id)
    unchanged, conflict = _text(pages["unchanged"]), _text(pages["conflict"])
    assert "Bericht: Zugriffsstufe ändern: öffentlich" in unchanged
    assert "unverändert bereits öffentlich" in unchanged
    assert "Jemand anderes hat dieses Medium geändert" in conflict
    assert "since you opened it" not in conflict and "seit Sie" not in conflict
    assert pages["bad id"].status_code == 400
    assert "'xyz' ist keine Medien-ID (16 Hexadezimalziffern)" in _text(pages["bad id"])
    assert pages["bad operation"].status_code == 400
    assert "Unbekannte Operation 'swap'; möglich sind: set, add, remove" in _text(
        pages["bad operation"]
    )
    _no_english_left(*pages.values())
    english = _bulk_pages(_browser(base_url, language="en"), base_url, asset_id)
    _shows(english["unchanged"], "change access to %(access)s", "already %(access)s")
    _shows(english["bad id"], "%(text)s is not an asset id (16 hex digits)")
    _shows(
        english["conflict"],
        "someone else changed this asset (%(action)s by %(agent)s at %(time)s UTC)",
    )


def test_the_bulk_api_answers_in_english_whatever_the_language(site) -> None:
    _, base_url, asset_id, token = site
    answer = requests.post(
        f"{base_url}/api/bulk/access",
        json={"assets": [asset_id], "access": "public"},
        headers=_api(token),
    ).json()
    assert answer["action"] == "change access to public"
    assert answer["assets"][0]["message"] == "already public"
    refused = requests.post(
        f"{base_url}/api/bulk/access",
        json={"assets": ["xyz"], "access": "public"},
        headers=_api(token),
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "'xyz' is not an asset id (16 hex digits)"


# The performance page ----------------------------------------------------------------------------


def test_the_performance_page_refuses_bad_input_in_german(site) -> None:
    atrium, base_url, _, token = site
    browser, segment = _browser(base_url), atrium.iris.concept("audiences/consumers").value
    bad_date = browser.get(
        f"{base_url}/performance", params={"segment": segment, "from": "2026-13-01"}
    )
    unknown = browser.get(f"{base_url}/performance", params={"segment": "http://nowhere.test/x"})
    backwards = browser.get(
        f"{base_url}/performance",
        params={"segment": segment, "from": "2026-03-02", "to": "2026-03-01"},
    )
    assert bad_date.status_code == unknown.status_code == backwards.status_code == 400
    assert "from='2026-13-01' ist kein Datum wie 2026-03-31" in _text(bad_date)
    assert "http://nowhere.test/x ist kein Segment des Zielgruppen-Vokabulars" in _text(unknown)
    assert "Das Enddatum („Bis“) darf nicht vor dem Anfangsdatum („Von“) liegen" in _text(backwards)
    _no_english_left(bad_date, unknown, backwards)
    english = _browser(base_url, language="en")
    _shows(
        english.get(f"{base_url}/performance", params={"segment": "http://nowhere.test/x"}),
        "%(iri)s is not a segment of the audiences vocabulary",
    )
    _shows(
        english.get(f"{base_url}/performance", params={"segment": segment, "from": "x"}),
        "%(name)s=%(text)s is not a date like 2026-03-31",
    )
    api = requests.get(
        f"{base_url}/api/performance", params={"segment": segment, "from": "x"}, headers=_api(token)
    )
    assert (
        api.status_code == 400 and api.json()["error"] == "from='x' is not a date like 2026-03-31"
    )
    unknown_api = requests.get(
        f"{base_url}/api/performance",
        params={"segment": "http://nowhere.test/x"},
        headers=_api(token),
    )
    assert unknown_api.json()["error"] == (
        "http://nowhere.test/x is not a segment of the audiences vocabulary"
    )


def test_scores_and_rates_have_the_locales_decimal_sign(site) -> None:
    atrium, base_url, asset_id, _ = site
    segment = atrium.iris.concept("audiences/consumers").value
    pages = {
        language: _browser(base_url, language=language).get(
            f"{base_url}/performance", params={"segment": segment}
        )
        for language in ("en", "de", "fr")
    }
    for language, sign in (("en", "."), ("de", ","), ("fr", ",")):
        page = pages[language].text
        assert re.search(rf'<td class="num">0{re.escape(sign)}\d{{4}}</td>', page), language
        assert re.search(rf'class="bar-value">0{re.escape(sign)}\d{{3}}</text>', page), language
        assert re.search(r'<rect x="220" y="4" width="\d+\.\d"', page), language  # SVG: a dot
    asset_page = _browser(base_url).get(f"{base_url}/assets/{asset_id}").text
    assert '<td class="num">1,00 %</td>' in asset_page  # 12 conversions of 1,200 impressions


def test_any_agrees_with_the_noun_it_stands_for_in_french(site) -> None:
    _, base_url, *_ = site
    french = _browser(base_url, language="fr")
    results = french.get(f"{base_url}/performance").text
    channel = re.search(r'<select name="channel">\s*<option value="">([^<]+)<', results)[1]
    campaign = re.search(r'<select name="campaign">\s*<option value="">([^<]+)<', results)[1]
    audit = french.get(f"{base_url}/admin/audit").text
    action = re.search(r'<select name="action">\s*<option value="">([^<]+)<', audit)[1]
    assert (channel, campaign, action) == ("tous", "toutes", "toutes")  # le canal, la campagne…
    german = _browser(base_url).get(f"{base_url}/performance").text
    assert re.search(r'<select name="channel">\s*<option value="">alle<', german)


# The versions page -------------------------------------------------------------------------------


def _version_pages(browser: requests.Session, base_url: str, asset_id: str) -> dict:
    token, version = _csrf(browser, base_url, asset_id)
    url = f"{base_url}/assets/{asset_id}/versions"

    def upload(colour: str, seen: str) -> requests.Response:
        files = {"file": ("again.png", _png(colour), "image/png")}
        return browser.post(url, data={"csrf_token": token, "version": seen}, files=files)

    revert = browser.post(f"{url}/1/revert", data={"csrf_token": token, "version": version})
    return {
        "same file": upload("olive", version),
        "current version": revert,
        "stale form": upload("navy", "0" * 16),
    }


def test_the_versions_page_says_why_nothing_was_stored_in_german(site) -> None:
    _, base_url, asset_id, token = site
    pages = _version_pages(_browser(base_url), base_url, asset_id)
    assert pages["same file"].status_code == 200
    assert "Nichts geändert: Diese Datei ist bereits die aktuelle Datei des Mediums." in _text(
        pages["same file"]
    )
    assert "Nichts geändert: Version 1 ist bereits die aktuelle Datei." in _text(
        pages["current version"]
    )
    assert pages["stale form"].status_code == 409
    assert (
        "Nicht gespeichert: Jemand anderes hat dieses Medium geändert, seit Sie es geöffnet haben"
        in _text(pages["stale form"])
    )
    _no_english_left(*pages.values())
    english = _version_pages(_browser(base_url, language="en"), base_url, asset_id)
    _shows(english["same file"], "this file is the asset's current file already")
    _shows(
        english["stale form"],
        "someone else changed this asset since you opened it "
        "(%(action)s by %(agent)s at %(time)s UTC)",
    )
    api = requests.post(
        f"{base_url}/api/assets/{asset_id}/versions",
        files={"file": ("again.png", _png("olive"), "image/png")},
        headers=_api(token),
    )
    assert api.status_code == 200
    assert (
        api.json()["message"] == "Nothing changed: this file is the asset's current file already."
    )


# The vocabulary history --------------------------------------------------------------------------


def test_the_vocabulary_history_says_what_changed_in_german(site) -> None:
    atrium, base_url, *_ = site
    page = _browser(base_url, "taxo1").get(f"{base_url}/vocab/concept", params={"iri": TEAM})
    shown = _text(page)
    assert "Rückgängig gemacht: Begriff „Team“ bearbeitet" in shown
    assert "Begriff „Team“ bearbeitet" in shown
    _no_english_left(page)
    english = _browser(base_url, "taxo1", "en").get(
        f"{base_url}/vocab/concept", params={"iri": TEAM}
    )
    _shows(english, "Edited %(concept)s")
    french = _browser(base_url, "taxo1", "fr").get(
        f"{base_url}/vocab/concept", params={"iri": TEAM}
    )
    assert "Annulé : Concept « Team » modifié" in _text(french)
    stored = [change.summary for change in atrium.vocab.history.of(NamedNode(TEAM))]
    assert stored[:2] == ["Reverted: Edited “Team”", "Edited “Team”"]  # the graph keeps English


@pytest.mark.parametrize(
    "summary",
    [
        "Edited “Cars”",
        "Reverted: Merged “A” into “B (old)”",
        "Created a concept",
        "Edited the scheme without a name",
        "Deleted <http://atrium.test/vocab/x>",
        "Imported cars.ttl: 1,234 concepts (3 added, 0 removed, 1 relabelled, 0 moved)",
        "Re-imported one.ttl: 1 concept",
        "Edited “Created works”",
        "Something the history wrote long ago",
    ],
)
def test_a_stored_summary_reads_back_as_its_message(summary: str) -> None:
    said = parsed(summary, SUMMARIES, (A_CONCEPT, WITHOUT_A_NAME), (QUOTED,))
    assert str(said) == summary


def test_a_stored_summary_keeps_its_values_apart() -> None:
    said = parsed("Reverted: Edited “Created works”", SUMMARIES, (A_CONCEPT,), (QUOTED,))
    assert said.text == "Reverted: %(change)s"
    edited = said.params["change"]
    assert edited.text == "Edited %(concept)s"
    assert edited.params["concept"] == QUOTED(label="Created works")  # a label is not parsed
    counted = parsed("Imported a.ttl: 1,234 concepts", SUMMARIES)
    assert counted.params == {"file": "a.ttl", "count": 1234}


def test_a_message_is_english_as_text() -> None:
    message = M_("%(count)s of %(word)s", count=12345, word=Message("public"))
    assert str(message) == "12,345 of public"
    assert str(ValueError(message)) == "12,345 of public"


@pytest.mark.parametrize(
    ("language", "counts"),
    [
        ("en", {0: "0 concepts", 1: "1 concept", 2: "2 concepts", 1200: "1,200 concepts"}),
        ("de", {0: "0 Begriffe", 1: "1 Begriff", 2: "2 Begriffe", 1200: "1.200 Begriffe"}),
        ("fr", {0: "0 concept", 1: "1 concept", 2: "2 concepts", 1200: "1\u202f200 concepts"}),
    ],
)
def test_a_count_agrees_with_its_noun_in_each_language(site, language, counts) -> None:
    from app.web import create_app
    from app.web.i18n import localized

    atrium, *_ = site
    with create_app(atrium).test_request_context("/", headers={"Accept-Language": language}):
        for count, words in counts.items():
            said = localized(IMPORTED(file="one.ttl", count=count))
            assert str(said).endswith(f": {words}"), (count, str(said))
    english = {count: str(IMPORTED(file="x.ttl", count=count)) for count in (1, 2)}
    assert english == {1: "Imported x.ttl: 1 concept", 2: "Imported x.ttl: 2 concepts"}


def test_the_domain_does_not_import_the_web() -> None:
    domain = Path(__file__).resolve().parent.parent / "app" / "domain"
    for module in domain.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not name.startswith(("flask", "app.web")), (module, name)


# A saved query's refusal -------------------------------------------------------------------------


def test_a_saved_query_that_is_not_sparql_is_refused_in_german(site) -> None:
    _, base_url, *_ = site

    def save(browser: requests.Session, **fields: str) -> requests.Response:
        form = browser.get(f"{base_url}/queries/new").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
        data = {"name": "broken", "title": "Broken", "sparql": "SELEKT", **fields}
        return browser.post(f"{base_url}/queries", data={**data, "csrf_token": token})

    german = _browser(base_url)
    invalid, untitled = save(german), save(german, title=" ")
    assert invalid.status_code == untitled.status_code == 400
    assert "Die Abfrage ist kein gültiges SPARQL 1.1: " in _text(invalid)
    assert "Geben Sie der Abfrage einen Titel" in _text(untitled)
    _no_english_left(invalid, untitled)
    _shows(save(_browser(base_url, language="en")), "the query is not valid SPARQL 1.1: %(detail)s")


# Collections, search and zip refusals ------------------------------------------------------------


def _collection_refusals(browser: requests.Session, base_url: str) -> dict:
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(f"{base_url}/").text)[1]
    create = lambda **data: browser.post(f"{base_url}/collections", data=data)  # noqa: E731
    return {
        "untitled": create(title=" ", visibility="personal", csrf_token=token),
        "too long": create(title="x" * 201, visibility="personal", csrf_token=token),
        "bad page": browser.get(f"{base_url}/search", params={"page": "0"}),
        "too many for a zip": browser.post(
            f"{base_url}/bulk/zip", data={"asset": ["0" * 16] * 2001, "csrf_token": token}
        ),
    }


def test_collection_search_and_zip_refusals_are_in_german(site) -> None:
    atrium, base_url, *_ = site
    pages = _collection_refusals(_browser(base_url), base_url)
    assert [pages[k].status_code for k in pages] == [400, 400, 400, 413]
    assert "Eine Sammlung braucht einen Titel" in _text(pages["untitled"])
    assert "Titel: muss ein Titel mit 1 bis 200 Zeichen sein" in _text(pages["too long"])
    assert "page='0' ist nicht eine Seite von 1 bis 10.000" in _text(pages["bad page"])
    assert "Höchstens 2.000 Medien passen in ein Zip" in _text(pages["too many for a zip"])
    _no_english_left(*pages.values())
    english = _collection_refusals(_browser(base_url, language="en"), base_url)
    _shows(english["untitled"], "a collection needs a title")
    _shows(english["bad page"], "a page from 1 to %(last)s")
    assert "title: must be one title of 1 to 200 characters" in _text(english["too long"])
    assert atrium.collections.list(Scope.everything()) == []  # nothing stored


def test_a_stale_collection_edit_is_refused_in_german(site) -> None:
    atrium, base_url, *_ = site
    browser = _browser(base_url)
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(f"{base_url}/").text)[1]
    made = browser.post(f"{base_url}/collections", data={"title": "Frühling", "csrf_token": token})
    collection_id = made.url.rstrip("/").rsplit("/", 1)[-1]
    stale = browser.post(
        f"{base_url}/collections/{collection_id}/edit",
        data={"title": "Sommer", "version": "0" * 16, "csrf_token": token},
    )
    assert stale.status_code == 409, stale.text[:300]
    assert "Jemand anderes hat diese Sammlung geändert, seit Sie sie geöffnet haben" in _text(stale)
    _no_english_left(stale)


def test_the_collections_api_refuses_in_english_whatever_the_language(site) -> None:
    _, base_url, _, token = site
    answer = requests.post(
        f"{base_url}/api/collections", json={"title": "x" * 201}, headers=_api(token), timeout=30
    )
    assert answer.status_code == 400
    assert "title: must be one title of 1 to 200 characters" in answer.text
    assert "Titel" not in answer.text


# The SPARQL page's refusals ----------------------------------------------------------------------

GERMAN = {"Accept-Language": "de"}
SOLUTIONS = "application/sparql-results+json"
UPDATE = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
NESTED = "SELECT * WHERE { " + "{ " * 300 + "}" * 300 + " }"


def test_the_sparql_page_refuses_an_update_and_a_deep_query_in_german(site) -> None:
    _, base_url, *_ = site
    browser = _browser(base_url)
    update, nested = (
        browser.get(f"{base_url}/sparql", params={"query": q}) for q in (UPDATE, NESTED)
    )
    assert update.status_code == nested.status_code == 400
    assert "Das ist ein SPARQL Update; der Abfrage-Endpunkt ist nur lesend" in _text(update)
    assert "Abfrage: die Klammern { }, ( ) und [ ] sind 301 Ebenen tief" in _text(nested)
    _no_english_left(update, nested)
    tool = requests.get(
        f"{base_url}/sparql",
        params={"query": UPDATE},
        headers={"Accept-Language": "de", "Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert tool.status_code == 400 and tool.text.startswith("this is a SPARQL Update;")


def test_a_query_stopped_at_its_time_limit_says_so_in_german(tmp_path: Path) -> None:
    from app.web import create_app

    atrium = with_test_functions(make_atrium(tmp_path / "data", query_timeout=0.5))
    never = f'SELECT ?ok WHERE {{ BIND(<{WAIT}>("{tmp_path / "never"}") AS ?ok) }}'
    try:
        web = create_app(atrium).test_client()
        asked = {"query": never}
        page = web.get("/sparql", query_string=asked, headers={**GERMAN, "Accept": "text/html"})
        tool = web.get("/sparql", query_string=asked, headers={**GERMAN, "Accept": SOLUTIONS})
    finally:
        atrium.close()
    assert page.status_code == tool.status_code == 503
    assert "Die Abfrage lief über ihre Zeitgrenze von 0.5 s" in page.get_data(as_text=True)
    assert tool.get_data(as_text=True).startswith("the query ran past its time limit of 0.5 s")
