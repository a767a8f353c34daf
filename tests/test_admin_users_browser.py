"""User administration in headless Chromium (issue 13), on a desktop and on a phone: an admin
adds a user through the form and finds them in the list, and neither page scrolls sideways."""

from __future__ import annotations

import pytest
from conftest import add_user, browser_sign_in

VIEWPORTS = {"desktop": (1366, 900), "phone": (390, 844)}


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_an_admin_adds_a_user_through_the_form(browser, site, viewport: str) -> None:  # noqa: ANN001
    atrium, base_url = site
    width, height = VIEWPORTS[viewport]
    page = browser.new_page(viewport={"width": width, "height": height})
    browser_sign_in(page, base_url, add_user(atrium, "admin"))
    users_link = page.get_by_role("link", name="Users", exact=True)
    if not users_link.is_visible():  # a phone: the header's menu is folded
        page.locator("header summary").click()
    users_link.click()
    page.wait_for_url(f"{base_url}/admin/users")
    assert_no_sideways_scroll(page, width)

    page.fill("input[name=name]", "new-colleague")
    page.select_option("select[name=role]", "contributor")
    page.get_by_label("Marketing").check()
    page.get_by_role("button", name="Add user").click()
    shown = page.locator(".issued code.secret").inner_text()
    assert len(shown) >= 10
    row = page.locator("table.users tr", has_text="new-colleague")
    assert "contributor" in row.inner_text() and "Marketing" in row.inner_text()
    assert_no_sideways_scroll(page, width)

    row.get_by_role("link", name="new-colleague").click()
    page.wait_for_url(f"{base_url}/admin/users/new-colleague")
    assert_no_sideways_scroll(page, width)
    page.get_by_role("button", name="Issue token").click()
    assert page.locator(".issued code.secret").inner_text().startswith("atr_")
    assert_no_sideways_scroll(page, width)
    user = atrium.users.get("new-colleague")
    assert (user.role, user.departments) == ("contributor", ("marketing",))


def assert_no_sideways_scroll(page, width: int) -> None:  # noqa: ANN001 - a Playwright page
    """First the page's own content (wide tables scroll inside their box), then the whole
    document, header included."""
    main = page.evaluate("[document.querySelector('main').scrollWidth, innerWidth]")
    assert main[0] <= main[1], f"{page.url}: the content is {main[0]} px wide at {width} px"
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} is {scroll_width} px wide at {width} px"
