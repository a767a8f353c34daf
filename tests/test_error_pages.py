"""Every error renders in the site's layout with its status, its message and a way back, over
real HTTP; API clients still get JSON. The access menu offers only what can be applied."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import add_user, browser_sign_in, http_sign_in, make_atrium, serving
from flask import abort
from search_helpers import put_asset

from app.service import Atrium
from app.web import create_app

STATUSES = (400, 403, 404, 405, 409, 410, 412, 413, 422, 429, 500)
MESSAGE = "the thing you asked for <cannot> be done"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Atrium, str]]:
    """Atrium's app on loopback, plus a route answering any error status, and one that fails."""
    atrium = make_atrium(tmp_path / "data")
    app = create_app(atrium)

    def refuse(code: int) -> str:
        abort(code, description=MESSAGE)

    def fail() -> str:
        raise RuntimeError("a secret detail that must not leak")

    app.add_url_rule("/testing/refuse/<int:code>", view_func=refuse)
    app.add_url_rule("/api/testing/refuse/<int:code>", "api_refuse", view_func=refuse)
    app.add_url_rule("/testing/fail", view_func=fail)
    try:
        with serving(atrium, app=app) as base_url:
            yield atrium, base_url
    finally:
        atrium.close()


def links(html: str) -> dict[str, str]:
    """The error page's ways back: their text, each with its href."""
    found = re.findall(r'<ul class="ways-back">(.*?)</ul>', html, re.S)
    assert found, html
    return {
        text.strip(): href
        for href, text in re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', found[0])
    }


@pytest.mark.parametrize("status", STATUSES)
def test_every_error_is_a_page_of_the_site_with_a_way_back(served, status: int) -> None:
    _, base_url = served
    path = "/testing/fail" if status == 500 else f"/testing/refuse/{status}"
    response = requests.get(base_url + path, headers={"Accept": "text/html"})
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("text/html")
    html = response.text
    assert '<a class="skip-link" href="#main">' in html and '<header class="top">' in html
    assert re.search(rf'<h1 id="error-title"><span class="status">{status}</span> \w', html)
    if status == 500:
        assert "secret detail" not in html
    elif status == 404:  # one message for every 404: it tells nothing of what might exist
        assert "Not found." in html and "cannot" not in html
    else:
        assert "the thing you asked for &lt;cannot&gt; be done" in html  # escaped
    assert links(html) == {"← Back to the assets": "/", "Search the assets": "/search"}


def test_the_way_back_is_the_previous_page_when_it_is_this_sites(served) -> None:
    _, base_url = served
    came_from = f"{base_url}/search?q=harbour&page=2"
    html = requests.get(f"{base_url}/testing/refuse/409", headers={"Referer": came_from}).text
    assert links(html)["← Back to the previous page"] == "/search?q=harbour&amp;page=2"
    for elsewhere in ("https://evil.example/phish", "javascript:alert(1)", "//evil.example/x"):
        html = requests.get(f"{base_url}/testing/refuse/409", headers={"Referer": elsewhere}).text
        assert "← Back to the previous page" not in html and "evil" not in html


@pytest.mark.parametrize("status", STATUSES)
def test_api_clients_still_get_json(served, status: int) -> None:
    _, base_url = served
    path = "/testing/fail" if status == 500 else f"/testing/refuse/{status}"
    by_accept = requests.get(base_url + path, headers={"Accept": "application/json"})
    assert by_accept.status_code == status
    assert by_accept.json()["status"] == status
    if status != 500:
        message = "Not found." if status == 404 else MESSAGE
        assert by_accept.json()["error"] == message
        by_path = requests.get(f"{base_url}/api/testing/refuse/{status}")  # Accept: */*
        assert by_path.json() == {"error": message, "status": status}


def test_real_refusals_render_in_the_layout_and_keep_their_headers(served) -> None:
    _, base_url = served
    missing = requests.get(f"{base_url}/no/such/page")
    assert missing.status_code == 404 and '<header class="top">' in missing.text
    assert "Not found." in missing.text
    wrong_method = requests.request("TRACE", f"{base_url}/login")  # no CSRF check first
    assert wrong_method.status_code == 405 and '<header class="top">' in wrong_method.text
    assert "POST" in wrong_method.headers["Allow"]  # the 405's Allow header survives


@pytest.fixture
def assets(served) -> tuple[Atrium, str, str, str]:
    """A complete marketing asset and an incomplete HR one (no consent): their ids."""
    atrium, base_url = served
    complete = put_asset(atrium, "Harbour crane", department="marketing")
    incomplete = put_asset(atrium, "Staff portrait", department="hr", access="restricted")
    assert atrium.assets.missing_fields(incomplete)
    return atrium, base_url, complete, incomplete


def offered(html: str) -> list[str]:
    menu = re.search(r'<select name="access"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="([^"]+)"', menu)


def test_the_access_menu_does_not_offer_public_for_an_incomplete_asset(assets) -> None:
    atrium, base_url, complete, incomplete = assets
    admin = http_sign_in(base_url, add_user(atrium, "admin"))
    assert offered(admin.get(f"{base_url}/assets/{complete}").text) == [
        "public",
        "internal",
        "restricted",
    ]
    page = admin.get(f"{base_url}/assets/{incomplete}").text
    assert offered(page) == ["internal", "restricted"]
    assert "Public is not offered: an incomplete asset cannot be public" in page
    # A hand-made request for it is still refused, in the layout, with a way back.
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    refused = admin.post(
        f"{base_url}/assets/{incomplete}/access",
        data={"access": "public", "csrf_token": token},
        headers={"Referer": f"{base_url}/assets/{incomplete}"},
    )
    assert refused.status_code == 409 and '<header class="top">' in refused.text
    assert links(refused.text)["← Back to the previous page"] == f"/assets/{incomplete}"
    assert atrium.assets.access_of(incomplete)[0] != "public"


@pytest.mark.browser
def test_an_error_page_fits_a_phone_and_leads_back(browser, assets) -> None:
    atrium, base_url, complete, _ = assets
    page = browser.new_page(viewport={"width": 390, "height": 844})
    browser_sign_in(page, base_url, add_user(atrium, "viewer"))
    came_from = f"{base_url}/assets/{complete}"
    page.goto(f"{came_from}/no-such-thing", referer=came_from)  # a 404, from the asset
    assert page.locator("h1").inner_text().startswith("404")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator(".ways-back a", has_text="Back to the previous page").click()
    page.wait_for_url(f"**/assets/{complete}")
    page.close()
