"""The vocabulary pages in a real browser (headless Chromium): the tree, the editor, a refusal."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import add_user, browser_sign_in
from vocab_helpers import VOCAB_DATA, import_file

from app.service import Atrium

EX = "http://example.test/colours/"

pytestmark = pytest.mark.browser


@pytest.fixture
def site(atrium: Atrium, site: tuple[Atrium, str]) -> str:
    """The shared site's base URL, with the clean test vocabulary imported."""
    import_file(atrium, VOCAB_DATA / "clean.ttl")
    return site[1]


def test_a_reader_opens_a_scheme_tree_level_by_level(browser, site: str) -> None:  # noqa: ANN001
    page = browser.new_page()
    page.goto(f"{site}/vocab/")
    page.click("text=Subjects")
    page.wait_for_url("**/vocab/scheme?iri=subjects*")
    people = page.locator("details:has(> summary > a:text-is('People'))")
    assert page.locator("a:text-is('Staff portrait')").count() == 0  # not loaded yet
    people.locator("> summary").click(position={"x": 2, "y": 8})  # the disclosure triangle
    page.locator("a:text-is('Staff portrait')").wait_for()
    assert people.get_attribute("data-loaded") == "1"
    page.click("a:text-is('Staff portrait')")
    page.wait_for_url("**/vocab/subjects/staff-portrait*")
    assert page.locator("h1").inner_text() == "Staff portrait"
    assert page.locator("td:text-is('Mitarbeiterporträt')").count() == 1


def test_a_taxonomist_edits_a_concept(browser, site: str, atrium: Atrium) -> None:  # noqa: ANN001
    page = browser.new_page()
    browser_sign_in(page, site, add_user(atrium, "taxonomist"))
    page.goto(f"{site}/vocab/concept?iri={EX}red")
    page.click("text=Edit")
    page.wait_for_url("**/vocab/edit?**")
    row = page.locator("#field-labels tr:has(input[aria-label='new label'])").first
    row.locator("select").select_option("prefLabel")
    row.locator("input[aria-label=language]").fill("fr")
    row.locator("input[aria-label='new label']").fill("Rouge")
    page.click("button:text-is('Save')")
    page.wait_for_url(lambda url: url.endswith("saved=1"))
    assert page.locator(".saved").inner_text() == "Saved."
    assert page.locator("td:text-is('Rouge')").count() == 1
    assert "Edited “Red”" in page.locator(".history").inner_text()


def test_a_refused_change_shows_its_reason_next_to_the_field(
    browser,
    site: str,
    atrium: Atrium,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    page = browser.new_page()
    browser_sign_in(page, site, add_user(atrium, "taxonomist"))
    page.goto(f"{site}/vocab/edit?iri={EX}colour")
    page.locator("#field-broader input[name=broader]").first.fill(EX + "red")
    page.click("button:text-is('Save')")
    page.locator("text=Move this concept?").wait_for()  # its impact first
    assert "2</strong> narrower concepts" in page.content()
    page.click("button:text-is('Yes, move it')")
    error = page.locator("#field-broader .field-errors")
    error.wait_for()
    assert "no cycle in broader" in error.inner_text()
    assert page.locator("#field-broader input[name=broader]").first.input_value() == EX + "red"
    page.screenshot(path=str(tmp_path / "refused.png"), full_page=True)
