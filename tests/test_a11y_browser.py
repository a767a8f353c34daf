"""Accessibility in real Chromium: axe-core finds no violation in Atrium's own markup on any
main page, wide and on a phone, signed in or not; and the keyboard gets around quickly (a skip
link first, results in a few Tab presses, focus kept on the facet that was used)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import browser_sign_in
from test_responsive_browser import DESKTOP, PHONE, Site, phone_site  # noqa: F401 - a fixture

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent.parent / "app/web/vendor/node_modules/axe-core/axe.min.js"
# YASGUI (on /sparql) is third-party markup, installed from npm: it is not ours to fix, so the
# scan leaves its container out. Everything else on every page is scanned.
THIRD_PARTY = ["#yasgui"]


@pytest.fixture
def axe_source() -> str:
    """axe-core's script, installed by ``make test`` (Makefile, AXE) with npm."""
    if not AXE.exists():
        reason = f"axe-core is not installed at {AXE}: `make test` installs it with npm"
        if os.environ.get("ATRIUM_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason if shutil.which("npm") else f"no npm here; {reason}")
    return AXE.read_text(encoding="utf-8")


def violations(page, axe_source: str) -> list[str]:  # noqa: ANN001 - a Playwright page
    """axe-core's violations on the page as it is, one line each (rule, what, where)."""
    page.evaluate(axe_source)  # through DevTools: the page's CSP forbids inline scripts
    found = page.evaluate(
        """async (exclude) => {
            const result = await axe.run({exclude: exclude.map(s => [s])},
                                         {resultTypes: ["violations"]});
            return result.violations.map(v => `${v.id}: ${v.help} at ` +
                v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
        }""",
        THIRD_PARTY,
    )
    return list(found)


@pytest.mark.slow  # every main page, twice over, with axe: some 45 s
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "contributor"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_axe_finds_no_violation_on_any_main_page(
    browser,
    phone_site: Site,  # noqa: F811 - the fixture imported above
    axe_source: str,
    viewport: dict,
    signed_in: bool,
) -> None:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    if signed_in:
        browser_sign_in(page, phone_site.base_url, phone_site.contributor)
    found = {}
    for path in phone_site.paths:
        page.goto(phone_site.base_url + path)
        page.wait_for_load_state("networkidle")
        if problems := violations(page, axe_source):
            found[path] = problems
    assert found == {}
    context.close()


def test_the_skip_link_comes_first_and_leads_to_the_content(browser, phone_site: Site) -> None:  # noqa: F811
    page = browser.new_page(viewport=DESKTOP)
    for path in ("/", "/vocab/", "/login"):
        page.goto(phone_site.base_url + path)
        page.keyboard.press("Tab")
        focused = page.evaluate("[document.activeElement.textContent, document.activeElement.hash]")
        assert focused == ["Skip to content", "#main"], path
        assert page.locator(".skip-link").first.is_visible()  # seen when focused
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
    page.close()


def presses_to_the_results(page) -> tuple[int, int]:  # noqa: ANN001 - a Playwright page
    """Key presses from the top of the page to the results (the "Skip to the results" link
    taken), and on to the first result; taking the skip links as a keyboard user would."""
    presses, to_results = 0, 0
    for _ in range(60):
        page.keyboard.press("Tab")
        presses += 1
        if page.evaluate("document.activeElement.closest('.card') !== null"):
            return to_results, presses
        if page.evaluate("document.activeElement.matches('.skip-link')"):
            page.keyboard.press("Enter")
            presses += 1
            to_results = presses
    return to_results, presses


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_results_are_a_few_tab_presses_away(browser, phone_site: Site, viewport: dict) -> None:  # noqa: F811
    page = browser.new_page(viewport=viewport)
    page.goto(phone_site.base_url + "/search?q=bicycle")
    to_results, to_first_result = presses_to_the_results(page)
    assert to_results <= 6  # skip to content, the search box and its button, skip to results
    assert page.evaluate("document.activeElement.closest('#results') !== null")
    assert to_first_result <= 25  # on past the sort, view and selection controls (it was 89)
    page.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_focus_stays_on_the_facet_that_was_used(browser, phone_site: Site, viewport: dict) -> None:  # noqa: F811
    page = browser.new_page(viewport=viewport)
    page.goto(phone_site.base_url + "/search?q=bicycle")
    if viewport == PHONE:  # the filters are folded on a phone: open them, by keyboard
        page.locator(".drawer > summary").focus()
        page.keyboard.press("Enter")
    choice = page.locator("a.value[data-facet=creator]").first
    value = choice.get_attribute("data-value")
    choice.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**creator=*")
    focused = page.evaluate(
        "[document.activeElement.dataset.value,"
        " document.activeElement.getAttribute('aria-current')]"
    )
    assert focused == [value, "true"]  # the same control, now chosen
    page.keyboard.press("Enter")  # and again: chosen no more, still focused
    page.wait_for_url(lambda url: "creator=" not in url)
    assert page.evaluate("document.activeElement.dataset.value") == value
    page.close()


def test_facets_are_links_that_say_which_are_chosen(browser, phone_site: Site) -> None:  # noqa: F811
    page = browser.new_page(viewport=DESKTOP)
    page.goto(phone_site.base_url + "/search?q=bicycle")
    page.locator("a.value[data-facet=creator]").first.click()
    chosen = page.locator("a.value[aria-current=true]")
    assert chosen.count() == 1
    assert "chosen" in chosen.inner_text()  # said to screen readers, not only shown
    assert (
        page.locator(".facets input[type=checkbox], .facets .box").count() == 0
    )  # no fake checkboxes
    page.close()
