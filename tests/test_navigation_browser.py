"""From a search to an asset, on to the next result and back to the search, in a real browser,
with and without JavaScript, by mouse and by keyboard."""

from __future__ import annotations

import pytest
from search_helpers import put_asset, query_params

from app.service import Atrium

pytestmark = pytest.mark.browser

TITLES = ("Harbour crane", "Harbour at dawn", "Harbour workers", "Harbour gulls", "Harbour fog")


@pytest.fixture
def site(site: tuple[Atrium, str]) -> str:
    """conftest's served Atrium, with these assets; its base URL."""
    atrium, base_url = site
    for day, title in enumerate(TITLES, start=1):
        put_asset(atrium, title, submitted=f"2026-01-{day:02d}T00:00:00")
    put_asset(atrium, "Secret harbour plan", access="restricted", submitted="2026-01-09T00:00:00")
    return base_url


@pytest.mark.parametrize("javascript", [True, False])
def test_search_open_a_result_press_next_and_go_back(browser, site: str, javascript: bool) -> None:
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(site + "/search?q=harbour&sort=oldest&per_page=2")
    assert page.locator(".count").inner_text() == "5 assets"  # not the restricted plan
    page.locator(".card a", has_text="Harbour at dawn").click()  # the last of page 1
    page.wait_for_url("**/assets/*")
    assert page.locator("h1").inner_text() == "Harbour at dawn"
    assert page.locator(".search-navigation .position").inner_text() == "2 of 5"

    page.locator(".search-navigation a[rel=next]").click()  # on to page 2
    page.locator("h1", has_text="Harbour workers").wait_for()
    assert page.locator(".search-navigation .position").inner_text() == "3 of 5"

    page.locator(".search-navigation a[rel=next]").focus()  # a keyboard user
    page.keyboard.press("Enter")
    page.locator("h1", has_text="Harbour gulls").wait_for()
    page.locator(".search-navigation a[rel=prev]").focus()
    page.keyboard.press("Enter")
    page.locator("h1", has_text="Harbour workers").wait_for()

    page.locator(".search-navigation a.back").click()
    page.wait_for_url("**/search?*")
    assert query_params(page.url) == {
        "q": ["harbour"],
        "sort": ["oldest"],
        "per_page": ["2"],
        "page": ["2"],
    }
    assert page.locator(".card .title").all_inner_texts() == ["Harbour workers", "Harbour gulls"]
    page.go_back()  # the browser's own history still holds the asset pages
    page.locator("h1", has_text="Harbour workers").wait_for()
    context.close()


def test_the_last_result_has_no_next_and_the_first_no_previous(browser, site: str) -> None:
    page = browser.new_page()
    page.goto(site + "/search?q=harbour")
    page.locator(".card a").last.click()
    page.wait_for_url("**/assets/*")
    assert page.locator(".search-navigation .position").inner_text() == "5 of 5"
    assert page.locator(".search-navigation a[rel=next]").count() == 0
    page.locator(".search-navigation a.back").click()
    page.locator(".card a").first.click()
    page.wait_for_url("**/assets/*")
    assert page.locator(".search-navigation .position").inner_text() == "1 of 5"
    assert page.locator(".search-navigation a[rel=prev]").count() == 0
    page.close()
