"""The SPARQL page remembers the query, opens share links, saves queries, and asks before a
saved query is deleted (issue 13, part 6): over real HTTP and in headless Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests
from conftest import add_user, browser_sign_in, http_sign_in, serving
from sparql_helpers import add_sample_assets

from app.domain.sparql.saved_queries import SavedQuery
from app.service import Atrium
from app.web.yasgui import yasgui_available

MINE = "PREFIX dct: <http://purl.org/dc/terms/>\nSELECT ?title WHERE { ?a dct:title ?title }"
SHARED = "SELECT (COUNT(*) AS ?shared) WHERE { ?s ?p ?o }"
TITLES = "PREFIX dct: <http://purl.org/dc/terms/>\nSELECT ?t WHERE { ?a dct:title ?t }"


@pytest.fixture
def served(atrium: Atrium) -> Iterator[tuple[Atrium, str]]:
    add_sample_assets(atrium)
    with serving(atrium) as base:
        yield atrium, base


def need_yasgui() -> None:
    if not yasgui_available():
        if os.environ.get("ATRIUM_REQUIRE_BROWSER"):
            pytest.fail("YASGUI is required here: make installs it with npm")
        pytest.skip("YASGUI is not installed (make installs it with npm)")


def yasgui_query(page) -> str:  # noqa: ANN001 - a Playwright page
    page.wait_for_function("() => window.atriumYasgui && window.atriumYasgui.getTab().getYasqe()")
    return page.evaluate("() => window.atriumYasgui.getTab().getQuery()")


def type_in_yasgui(page, text: str) -> None:  # noqa: ANN001
    yasgui_query(page)
    page.click("#yasgui .tabPanel.active .CodeMirror")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)
    page.keyboard.press("End")  # a key press, as a person would end typing


def block_yasgui(page) -> None:  # noqa: ANN001
    """The page as it is where YASGUI is not installed: the plain form, with JavaScript."""
    page.route("**/sparql/yasgui/**", lambda route: route.abort())


# YASGUI ---------------------------------------------------------------------------------------


def test_yasgui_keeps_the_query_over_a_reload_and_a_visit_elsewhere(browser, served) -> None:
    need_yasgui()
    _, base = served
    page = browser.new_page()
    page.goto(f"{base}/sparql")
    assert "PREFIX dam:" in yasgui_query(page)  # first visit: the default query
    type_in_yasgui(page, MINE)
    page.reload()
    assert yasgui_query(page) == MINE
    type_in_yasgui(page, MINE + " LIMIT 3")
    page.goto(f"{base}/")
    page.goto(f"{base}/sparql")
    assert yasgui_query(page) == MINE + " LIMIT 3"


def test_a_share_link_opens_the_shared_query_over_a_remembered_one(browser, served) -> None:
    need_yasgui()
    _, base = served
    page = browser.new_page()
    page.goto(f"{base}/sparql")
    type_in_yasgui(page, MINE)
    page.reload()
    assert yasgui_query(page) == MINE  # localStorage holds MINE
    page.goto(f"{base}/sparql?query={quote(SHARED)}")
    assert yasgui_query(page) == SHARED
    tabs = page.evaluate("() => window.atriumYasgui.persistentConfig.getTabs().length")
    page.reload()  # the share link is not opened a second time, and the edit is kept
    assert yasgui_query(page) == SHARED
    assert page.evaluate("() => window.atriumYasgui.persistentConfig.getTabs().length") == tabs
    queries = page.evaluate(
        "() => window.atriumYasgui.persistentConfig.getTabs()"
        ".map(id => window.atriumYasgui.persistentConfig.getTab(id).yasqe.value)"
    )
    assert MINE in queries  # the remembered query stays, in its own tab


def test_yasgui_saves_the_query_in_the_editor(browser, served) -> None:
    need_yasgui()
    atrium, base = served
    name = add_user(atrium, "viewer")
    page = browser.new_page()
    browser_sign_in(page, base, name)
    page.goto(f"{base}/sparql")
    type_in_yasgui(page, TITLES)
    page.fill("#save-query-form input[name=name]", "all-titles")
    page.fill("#save-query-form input[name=title]", "All titles")
    page.click("#save-query-form button[type=submit]")
    page.wait_for_url(f"{base}/queries/all-titles")
    assert page.locator("h1").inner_text() == "All titles"
    saved = atrium.saved_queries.get("all-titles").sparql
    assert saved.split() == TITLES.split()  # the editor may tidy spaces at the end of a line


# The plain form (no YASGUI, and no JavaScript) ------------------------------------------------


def test_the_plain_form_keeps_the_query_and_lets_a_share_link_win(browser, served) -> None:
    _, base = served
    page = browser.new_page()
    block_yasgui(page)
    page.goto(f"{base}/sparql")
    assert page.locator("#query-form").is_visible()
    page.fill("#query", MINE)
    page.reload()
    assert page.input_value("#query") == MINE
    page.goto(f"{base}/")
    page.goto(f"{base}/sparql")
    assert page.input_value("#query") == MINE
    page.goto(f"{base}/sparql?query={quote(SHARED)}")
    assert page.input_value("#query") == SHARED
    page.fill("#query", SHARED + " LIMIT 1")
    page.reload()  # an edit made on the shared page survives its reload
    assert page.input_value("#query") == SHARED + " LIMIT 1"


def test_the_plain_form_saves_the_edited_query(browser, served) -> None:
    atrium, base = served
    name = add_user(atrium, "viewer")
    page = browser.new_page()
    block_yasgui(page)
    browser_sign_in(page, base, name)
    page.goto(f"{base}/sparql")
    page.fill("#query", TITLES)
    page.fill("#save-query-form input[name=name]", "titles-plain")
    page.fill("#save-query-form input[name=title]", "Titles")
    page.click("#save-query-form button[type=submit]")
    page.wait_for_url(f"{base}/queries/titles-plain")
    assert atrium.saved_queries.get("titles-plain").sparql == TITLES


def test_without_javascript_a_share_link_and_saving_work(browser, served) -> None:
    atrium, base = served
    name = add_user(atrium, "viewer")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    browser_sign_in(page, base, name)
    page.goto(f"{base}/sparql?query={quote(TITLES)}")
    assert page.input_value("#query") == TITLES
    page.fill("#save-query-form input[name=name]", "no-script")
    page.fill("#save-query-form input[name=title]", "No script")
    page.click("#save-query-form button[type=submit]")
    page.wait_for_url(f"{base}/queries/no-script")
    assert atrium.saved_queries.get("no-script").sparql == TITLES
    context.close()


# Over HTTP -----------------------------------------------------------------------------------


def test_only_signed_in_users_are_offered_saving(served) -> None:
    atrium, base = served
    anonymous = requests.get(f"{base}/sparql", headers={"Accept": "text/html"}).text
    assert 'id="save-query-form"' not in anonymous and "to save this query" in anonymous
    session = http_sign_in(base, add_user(atrium, "viewer"))
    page = session.get(f"{base}/sparql", headers={"Accept": "text/html"}).text
    assert 'id="save-query-form"' in page and 'name="csrf_token"' in page
    refused = requests.post(
        f"{base}/queries", data={"name": "x", "title": "x", "sparql": TITLES}, allow_redirects=False
    )
    assert refused.status_code in (302, 400, 403) and atrium.saved_queries.get("x") is None


def test_a_saved_query_is_deleted_only_after_a_confirmation(served) -> None:
    atrium, base = served
    name = add_user(atrium, "contributor")
    session = http_sign_in(base, name)
    token = session.get(f"{base}/queries/new").text.split('name="csrf_token" value="')[1]
    token = token.split('"')[0]
    made = session.post(
        f"{base}/queries",
        data={"csrf_token": token, "name": "gone", "title": "Going away", "sparql": TITLES},
        allow_redirects=False,
    )
    assert made.status_code == 302
    shown = session.get(f"{base}/queries/gone", headers={"Accept": "text/html"}).text
    assert 'action="/queries/gone/delete"' not in shown  # no one-click delete
    assert 'href="/queries/gone/delete"' in shown
    question = session.get(f"{base}/queries/gone/delete")
    assert question.status_code == 200 and "Delete the saved query “Going away”?" in question.text
    assert "/queries/gone.csv" in question.text and 'name="csrf_token"' in question.text
    assert atrium.saved_queries.get("gone") is not None  # asking deletes nothing
    without_token = session.post(f"{base}/queries/gone/delete", allow_redirects=False)
    assert without_token.status_code in (400, 403) and atrium.saved_queries.get("gone")
    done = session.post(
        f"{base}/queries/gone/delete", data={"csrf_token": token}, allow_redirects=False
    )
    assert done.status_code == 302 and atrium.saved_queries.get("gone") is None


def test_the_confirmation_is_for_the_author_only(served) -> None:
    atrium, base = served
    atrium.saved_queries.save(SavedQuery("theirs", "Theirs", TITLES))
    session = http_sign_in(base, add_user(atrium, "viewer"))
    assert session.get(f"{base}/queries/theirs/delete").status_code == 403


def test_deleting_in_the_browser_goes_through_the_question(browser, served) -> None:
    atrium, base = served
    name = add_user(atrium, "admin")
    atrium.saved_queries.save(SavedQuery("old", "Old query", TITLES))
    page = browser.new_page()
    browser_sign_in(page, base, name)
    page.goto(f"{base}/queries/old")
    page.click("text=Delete it…")
    page.wait_for_url(f"{base}/queries/old/delete")
    page.click("text=No, keep it")
    page.wait_for_url(f"{base}/queries/old")
    assert atrium.saved_queries.get("old") is not None
    page.goto(f"{base}/queries/old/delete")
    page.click("button:has-text('Yes, delete')")
    page.wait_for_url(f"{base}/queries")
    assert atrium.saved_queries.get("old") is None
