"""Every main page fits a 390 px phone (no sideways scroll), shows the results before the
filters, folds its header, and keeps touch targets at least 44 px tall; in real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import add_user, browser_sign_in, make_atrium, serving
from search_helpers import put_asset, subject

from app.domain.people.access import Reader
from app.service import Atrium

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
TOUCH_TARGET_PX = 44


@dataclass(frozen=True)
class Site:
    """A served Atrium with an asset of each kind of page to look at."""

    atrium: Atrium
    base_url: str
    contributor: str
    paths: tuple[str, ...]


def main_pages(atrium: Atrium, owner: str) -> tuple[str, ...]:
    """Assets, a collection and a concept, and the paths of every main page that shows them."""
    asset_id = ""
    for number in range(1, 5):
        asset_id = put_asset(
            atrium,
            f"Bicycle rally on the harbour front, a rather long title to wrap {number}",
            subjects=("vehicle",),
            keywords=("bicycle", "harbour", "rally"),
            creators=("Ana Photographer",),
            description="A long description " * 20,
            created=f"202{number}-05-01T10:00:00",
        )
    reader = Reader.signed_in_as(owner, ["marketing"], False)
    collection_id = atrium.collections.create(reader, "Harbour album", "Some photos", "public")
    concept = subject(atrium, "vehicle")
    return (
        "/",
        "/search?q=bicycle",
        f"/assets/{asset_id}",
        "/collections",
        f"/collections/{collection_id}",
        "/vocab/",
        f"/vocab/concept?iri={concept}",
        "/sparql",
        "/upload",
        "/login",
        "/performance",
        "/assets/0000000000000000",  # an error page (404), in the site's layout
    )


@pytest.fixture
def phone_site(tmp_path: Path) -> Iterator[Site]:
    atrium = make_atrium(tmp_path / "data")
    contributor = add_user(atrium, "contributor", ("marketing",))
    paths = main_pages(atrium, contributor)
    try:
        with serving(atrium) as base_url:
            yield Site(atrium, base_url, contributor, paths)
    finally:
        atrium.close()


def page_width(page) -> int:  # noqa: ANN001 - a Playwright page
    return page.evaluate("document.documentElement.scrollWidth")


def test_no_main_page_scrolls_sideways_on_a_phone(browser, phone_site: Site) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    browser_sign_in(page, phone_site.base_url, phone_site.contributor)
    too_wide = {}
    for path in phone_site.paths:
        page.goto(phone_site.base_url + path)
        if page_width(page) > PHONE["width"]:
            too_wide[path] = page_width(page)
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        if page_width(page) > PHONE["width"]:  # the header's menu and the filters, unfolded
            too_wide[path + " (unfolded)"] = page_width(page)
    assert too_wide == {}
    context.close()


# Links and buttons a thumb must hit on a phone: the header's, the filters', the pager's.
TOUCH_TARGETS = (
    "header a, header button, header summary, .drawer > summary, .facets a, "
    ".pages a, .pages strong, .chips a, .toolbar a"
)
SIZES = f"""() => [...document.querySelectorAll("{TOUCH_TARGETS}")]
    .filter(e => e.getClientRects().length)
    .map(e => [e.textContent.trim(), Math.round(e.getBoundingClientRect().width),
               Math.round(e.getBoundingClientRect().height)])"""


def test_touch_targets_are_at_least_44_px_on_a_phone(browser, phone_site: Site) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    browser_sign_in(page, phone_site.base_url, phone_site.contributor)
    # a chosen filter (a chip) and more than one page (a pager)
    page.goto(phone_site.base_url + "/search?q=bicycle&per_page=1&creator=Ana+Photographer")
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    sizes = page.evaluate(SIZES)
    assert len(sizes) > 15 and any(text == "2" for text, _, _ in sizes)  # the pager is there
    small = [(text, w, h) for text, w, h in sizes if h < TOUCH_TARGET_PX or w < TOUCH_TARGET_PX]
    assert small == [], small
    context.close()


def test_on_a_phone_the_results_come_first_and_the_header_folds(browser, phone_site: Site) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    browser_sign_in(page, phone_site.base_url, phone_site.contributor)
    page.goto(phone_site.base_url + "/search?q=bicycle")
    assert page.locator(".main-nav").is_hidden() and page.locator(".facets").is_hidden()
    assert page.locator(".card").first.bounding_box()["y"] < PHONE["height"]  # on screen
    page.locator("header summary", has_text="Menu").click()  # the header unfolds…
    page.locator(".main-nav a", has_text="Vocabularies").click()  # …and leads on
    page.wait_for_url("**/vocab/")
    page.go_back()
    page.locator(".drawer > summary").click()  # the filters, in their drawer
    assert page.locator(".facets .value").first.is_visible()
    context.close()


def test_wide_screens_show_the_menu_and_the_filters_beside_the_results(
    browser, phone_site: Site
) -> None:
    page = browser.new_page(viewport=DESKTOP)
    page.goto(phone_site.base_url + "/search?q=bicycle")
    assert page.locator("header summary").is_hidden()  # no Menu button: the links show
    assert page.locator(".main-nav a", has_text="Vocabularies").is_visible()
    facets, results = (
        page.locator(".facets").bounding_box(),
        page.locator("#results").bounding_box(),
    )
    assert facets["x"] + facets["width"] <= results["x"]  # side by side
    assert page_width(page) <= DESKTOP["width"]
    page.close()


def test_without_javascript_a_phone_still_gets_everything(browser, phone_site: Site) -> None:
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(phone_site.base_url + "/search?q=bicycle")
    assert page.locator(".main-nav a", has_text="Vocabularies").is_visible()  # left open
    page.locator(".facets .value[data-facet=creator]").first.click()
    page.wait_for_url("**creator=*")
    assert page.locator(".count").inner_text() == "4 assets"
    assert page_width(page) <= PHONE["width"]
    context.close()
