"""The query page in headless Chromium: YASGUI when it is installed, a plain form without JS."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from conftest import serving
from sparql_helpers import add_sample_assets

from app.service import Atrium
from app.web.yasgui import yasgui_available

pytestmark = pytest.mark.browser


@pytest.fixture
def served(atrium: Atrium) -> Iterator[str]:
    add_sample_assets(atrium)
    with serving(atrium) as base:
        yield base


def test_without_javascript_the_page_is_a_form_that_works(browser, served: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{served}/sparql")
    assert page.locator("#query-form").is_visible()
    page.fill(
        "#query",
        "PREFIX dct: <http://purl.org/dc/terms/> SELECT ?title WHERE { ?a dct:title ?title }",
    )
    page.click("#query-form button[type=submit]")
    page.wait_for_selector(".results table")
    assert page.locator(".results td").all_inner_texts() == ["Public poster"]
    context.close()


def test_yasgui_runs_an_example_query(browser, served: str) -> None:
    if not yasgui_available():
        if os.environ.get("ATRIUM_REQUIRE_BROWSER"):
            pytest.fail("YASGUI is required here: make installs it with npm")
        pytest.skip("YASGUI is not installed (make installs it with npm)")
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and errors.append(message.text),
    )
    page.goto(f"{served}/sparql")
    page.wait_for_selector("#yasgui .yasqe")
    assert not page.locator("#query-form").is_visible()
    assert "PREFIX dam:" in page.evaluate("() => window.atriumYasgui.getTab().getQuery()")
    page.click("a[data-example]:has-text('Assets per department')")
    page.click("#yasgui .yasqe_queryButton")
    page.wait_for_selector("#yasgui .yasr table td:has-text('Marketing')")
    table = page.locator("#yasgui .yasr table").inner_text()
    assert "Marketing" in table and "Human resources" not in table  # anonymous: public only
    assert errors == []
