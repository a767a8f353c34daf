"""Selection and bulk actions in Chromium, as a person does them: tick two results, add them to
a collection, download them as a zip, batch edit a field and read the report."""

from __future__ import annotations

import csv
import io
import zipfile

from access_matrix import ingest_one_per_level, write_photo
from conftest import add_user, browser_sign_in, make_atrium, serving

from app.domain.people.access import Reader
from app.storage.graphstore import Scope


def test_select_two_results_then_collect_zip_and_edit(browser, tmp_path) -> None:
    atrium = make_atrium(tmp_path / "data")
    try:
        assets = ingest_one_per_level(atrium, lambda level: write_photo(tmp_path, level), True)
        name = add_user(atrium, "contributor", ("hr",))
        album = atrium.collections.create(
            Reader.signed_in_as(name, ["hr"], False), "Harbour album", "", "personal", None
        )
        chosen = [assets["public"], assets["internal"]]
        with serving(atrium) as base_url:
            page = browser.new_page(accept_downloads=True)
            browser_sign_in(page, base_url, name)

            def tick_two() -> None:
                page.goto(f"{base_url}/search")
                for asset_id in chosen:
                    page.check(f"input[name=asset][value='{asset_id}']")

            tick_two()
            page.select_option("select[name=collection]", album)
            page.click("button:has-text('Add to collection')")
            assert "2 added" in page.locator(".bulk-summary").inner_text()
            admin = Reader.signed_in_as(name, ["hr"], True)
            members = atrium.collections.get(album, admin, Scope.everything()).assets
            assert {m.id for m in members} == set(chosen)

            tick_two()
            with page.expect_download() as download:
                page.click("button:has-text('Download zip')")
            archive = zipfile.ZipFile(download.value.path())
            rows = list(csv.DictReader(io.StringIO(archive.read("metadata.csv").decode())))
            assert {row["id"] for row in rows} == set(chosen)
            assert sorted(archive.namelist()) == [
                "internal-photo.png",
                "metadata.csv",
                "public-photo.png",
            ]

            tick_two()
            page.click("button:has-text('Edit a field')")
            page.select_option("select[name=field]", "keywords")
            page.check("input[name=operation][value=add]")
            page.fill("input[name=value]", "lighthouse")
            page.click("button:has-text('Apply the change')")
            assert "2 changed" in page.locator(".bulk-summary").inner_text()
            rows = page.locator(".bulk-report tbody tr")
            assert rows.count() == 2
            assert set(rows.locator(".status").all_inner_texts()) == {"changed"}
    finally:
        atrium.close()
