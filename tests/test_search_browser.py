"""The search page in a real browser, with and without JavaScript: facets, chips, text, back and
forward, all through links and GET forms."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import add_user, browser_sign_in, make_atrium, serving
from PIL import Image
from search_helpers import put_asset, query_params, subject

from app.service import Atrium

pytestmark = pytest.mark.browser


@pytest.fixture
def site(site: tuple[Atrium, str]) -> str:
    """conftest's served Atrium, with these assets; its base URL."""
    atrium, base_url = site
    put_asset(atrium, "Red bicycle", subjects=[subject(atrium, "bicycle")])
    put_asset(atrium, "Delivery truck", subjects=[subject(atrium, "truck")])
    put_asset(atrium, "Training day", department="training", subjects=[subject(atrium, "team")])
    return base_url


@pytest.mark.parametrize("javascript", [True, False])
def test_facets_chips_text_and_history(browser, site: str, javascript: bool) -> None:
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(site + "/")
    assert page.locator(".count").inner_text() == "3 assets"

    page.locator("#facet-department a.value", has_text="Training").click()
    page.wait_for_url("**/search?department=*")
    assert page.locator(".count").inner_text() == "1 asset"
    assert page.locator(".chip").first.inner_text().startswith("Owning department: Training")

    page.locator("#facet-subject a.expand").first.click()  # open a level of the tree
    page.wait_for_url("**expand=*")

    page.go_back()
    page.wait_for_url("**/search?department=*")
    page.locator(".chip", has_text="Training").click()  # remove the filter
    page.wait_for_url(lambda url: "department" not in query_params(url))
    assert page.locator(".count").inner_text() == "3 assets"

    page.fill("input[name=q]", "vehicle")
    page.locator(".searchbox button").click()
    page.wait_for_url("**q=vehicle*")
    assert page.locator(".count").inner_text() == "2 assets"
    assert {t.strip() for t in page.locator(".card .title").all_inner_texts()} == {
        "Red bicycle",
        "Delivery truck",
    }
    page.go_back()
    assert page.locator(".count").inner_text() == "3 assets"
    page.go_forward()
    assert page.locator(".count").inner_text() == "2 assets"
    context.close()


def test_subject_boxes_suggest_concepts_as_you_type(browser, tmp_path: Path) -> None:
    atrium = make_atrium(tmp_path / "data")
    name = add_user(atrium, "contributor", ("marketing",))
    with serving(atrium) as base_url:
        context = browser.new_context()
        page = context.new_page()
        browser_sign_in(page, base_url, name)
        page.goto(base_url + "/upload")
        page.locator("input[name=subject]").first.press_sequentially("Fahrr")
        suggestions = page.locator("#suggest-subject option")
        suggestions.first.wait_for(state="attached")
        assert "Bicycle" in [o.get_attribute("value") for o in suggestions.all()]
        context.close()
    atrium.close()


def test_an_upload_works_without_javascript(browser, tmp_path: Path) -> None:
    atrium = make_atrium(tmp_path / "data")
    name = add_user(atrium, "contributor", ("marketing",))
    photo = tmp_path / "bike.png"
    Image.new("RGB", (120, 80), "teal").save(photo)
    with serving(atrium) as base_url:
        context = browser.new_context(java_script_enabled=False)
        page = context.new_page()
        browser_sign_in(page, base_url, name)
        page.goto(base_url + "/upload")
        page.set_input_files("input[name=file]", str(photo))
        page.fill("input[name=title]", "Teal bike")
        page.locator("input[name=subject]").first.fill("Fahrrad")
        page.locator("form.describe button[type=submit]").click()
        page.wait_for_url("**/assets/*")
        assert page.locator("h1").inner_text() == "Teal bike"
        page.goto(base_url + "/search?q=vehicle")
        assert page.locator(".card .title").all_inner_texts() == ["Teal bike"]
        context.close()
    atrium.close()
