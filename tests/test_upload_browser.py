"""Upload in real Chromium: choose (or drop) two files, see both stored and listed, open a
describe form, and a refused description keeps the asset."""

from __future__ import annotations

import io
from pathlib import Path

from conftest import add_user, browser_sign_in
from PIL import Image

from app.service import Atrium


def write_png(path: Path, colour: str) -> Path:
    Image.new("RGB", (48, 32), colour).save(path, format="PNG")
    return path


def png_data(colour: str) -> list[int]:
    data = io.BytesIO()
    Image.new("RGB", (48, 32), colour).save(data, format="PNG")
    return list(data.getvalue())


def test_two_chosen_files_are_stored_listed_and_described(
    browser,
    site: tuple[Atrium, str],
    tmp_path: Path,  # noqa: ANN001
) -> None:
    atrium, base_url = site
    page = browser.new_page()
    browser_sign_in(page, base_url, add_user(atrium, "contributor", ("marketing",)))
    page.goto(f"{base_url}/upload")
    files = [write_png(tmp_path / "red.png", "red"), write_png(tmp_path / "blue.png", "blue")]
    page.set_input_files("input[name=file]", files)
    assert page.locator("[data-chosen] li").count() == 2  # upload.js lists the choice
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(f"{base_url}/upload")
    assert page.locator("h1").inner_text() == "2 new assets: describe them"
    links = page.locator(".arrival a.describe-link")
    assert links.count() == 2
    page.locator(".arrival", has_text="red.png").locator("a.describe-link").click()
    page.wait_for_url("**/edit")
    asset_url = page.url.removesuffix("/edit")
    page.fill("#f-title", "")  # the core shape requires a title: the save is refused
    page.get_by_role("button", name="Save").click()
    assert page.locator(".missing h2").inner_text() == "Nothing was saved"
    assert page.locator("#field-title.invalid").count() == 1
    page.goto(asset_url)  # the asset is still there
    assert page.locator("h1").count() == 1
    page.goto(asset_url + "/edit")
    page.fill("#f-title", "Red square")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(asset_url)
    assert "Red square" in page.locator("h1").inner_text()


def test_files_dropped_on_the_zone_are_uploaded(browser, site: tuple[Atrium, str]) -> None:  # noqa: ANN001
    atrium, base_url = site
    page = browser.new_page()
    browser_sign_in(page, base_url, add_user(atrium, "contributor", ("marketing",)))
    page.goto(f"{base_url}/upload")
    assert page.locator(".drop-zone.droppable .drop-hint").is_visible()
    page.evaluate(
        """([first, second]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(first)], "one.png", {type: "image/png"}));
            transfer.items.add(new File([new Uint8Array(second)], "two.png", {type: "image/png"}));
            const zone = document.querySelector("[data-drop-zone]");
            zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true}));
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
        }""",
        [png_data("olive"), png_data("navy")],
    )
    assert page.locator("[data-chosen] li").all_inner_texts()[0].startswith("one.png")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(f"{base_url}/upload")
    stored = page.locator(".arrival .file-name").all_inner_texts()
    assert stored == ["one.png", "two.png"]
