"""The header's language switch in real Chromium, on a wide screen and on a phone, and the
German interface (longer words) still fits a 390 px phone (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import add_user, browser_sign_in, make_atrium, serving
from search_helpers import put_asset

from app.domain.people.access import Reader

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def german_site(tmp_path: Path) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """(base URL, a contributor, the main pages' paths)."""
    atrium = make_atrium(tmp_path / "data")
    contributor = add_user(atrium, "contributor", ("marketing",))
    asset_id = ""
    for number in range(1, 4):
        asset_id = put_asset(
            atrium,
            f"Fahrradrallye an der Hafenpromenade, ein recht langer Titel {number}",
            subjects=("vehicle",),
            keywords=("bicycle", "harbour"),
            description="Eine lange Beschreibung " * 20,
            created=f"202{number}-05-01T10:00:00",
        )
    reader = Reader.signed_in_as(contributor, ["marketing"], False)
    collection_id = atrium.collections.create(reader, "Hafenalbum", "Einige Fotos", "public")
    paths = (
        "/",
        "/search?q=bicycle&view=list",
        "/search?q=zzzqqq",
        f"/assets/{asset_id}",
        f"/assets/{asset_id}/edit",
        "/collections",
        f"/collections/{collection_id}",
        "/upload",
        "/login",
        "/assets/0000000000000000",  # the error page
    )
    try:
        with serving(atrium) as base_url:
            yield base_url, contributor, paths
    finally:
        atrium.close()


def page_width(page) -> int:  # noqa: ANN001 - a Playwright page
    return page.evaluate("document.documentElement.scrollWidth")


def test_the_header_switches_to_german_and_keeps_the_page(browser, german_site) -> None:
    base_url, _, _ = german_site
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{base_url}/search?q=bicycle&view=list")
    assert page.locator("html").get_attribute("lang") == "en"
    switch = page.locator("header nav.languages a", has_text="Deutsch")
    switch.focus()  # by keyboard: a link like any other
    page.keyboard.press("Enter")
    page.wait_for_url("**lang=de")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator(".searchbox input[name=q]").input_value() == "bicycle"  # the same search
    assert page.locator(".view strong[aria-current]").inner_text() == "Liste"  # the same view
    assert page.locator(".searchbox button").inner_text() == "Suchen"
    assert page.locator(".count").inner_text() == "3 Medien"
    assert page.locator("header nav.languages strong").inner_text() == "Deutsch"
    assert page.locator(".main-nav a", has_text="Vokabulare").is_visible()
    page.goto(f"{base_url}/collections")  # it sticks
    assert page.locator("main h1").inner_text() == "Sammlungen"
    page.locator("header nav.languages a", has_text="Français").click()
    page.wait_for_url("**lang=fr")
    assert page.locator("main h1").inner_text() == "Collections"
    assert page.locator(".skip-link").first.text_content() == "Aller au contenu"
    page.close()


def test_on_a_phone_the_folded_menu_holds_the_language_switch(browser, german_site) -> None:
    base_url, _, _ = german_site
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{base_url}/")
    assert page.locator("header nav.languages").is_hidden()  # folded in the menu
    page.locator("header summary", has_text="Menu").click()
    page.locator("header nav.languages a", has_text="Deutsch").click()
    page.wait_for_url("**lang=de")
    assert page.locator("header summary").inner_text() == "Menü"
    assert page.locator(".drawer > summary").inner_text().startswith("Filter")
    assert page_width(page) <= PHONE["width"]
    context.close()


def test_the_german_main_pages_fit_a_phone(browser, german_site) -> None:
    base_url, contributor, paths = german_site
    context = browser.new_context(viewport=PHONE, locale="de-DE")  # Accept-Language: de-DE
    page = context.new_page()
    browser_sign_in(page, base_url, contributor)
    too_wide = {}
    for path in paths:
        page.goto(base_url + path)
        assert page.locator("html").get_attribute("lang") == "de", path
        if page_width(page) > PHONE["width"]:
            too_wide[path] = page_width(page)
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        if page_width(page) > PHONE["width"]:  # the header's menu and the filters, unfolded
            too_wide[path + " (unfolded)"] = page_width(page)
    assert too_wide == {}
    context.close()
