"""Rights in time (issue 11, part 6): embargo and expiry dates take an asset out of public view,
at once on read and for good through the rights check, and an expired HR consent is no consent.

Dates are relative to today, so the tests mean the same whenever they run.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
import requests
from conftest import TODAY, add_user, http_sign_in
from PIL import Image

from app.domain.assets import rights
from app.domain.assets.rights import RIGHTS_AGENT
from app.domain.assets.rights_check import PeriodicRightsCheck, RightsCheck
from app.domain.media.ingest import Ingester, IngestOptions
from app.service import Atrium

pytestmark = pytest.mark.usefixtures("rights_clock_on_today")

YESTERDAY = (TODAY - dt.timedelta(days=1)).isoformat()
TOMORROW = (TODAY + dt.timedelta(days=1)).isoformat()
NEXT_YEAR = (TODAY + dt.timedelta(days=365)).isoformat()


def ingest(
    atrium: Atrium, folder: Path, department: str, access: str, *settings: str
) -> tuple[str, object]:
    """Ingest a new photo; returns its asset id and the ingest outcome."""
    number = len(list(folder.glob("*.png")))
    path = folder / f"photo-{number}.png"
    Image.new("RGB", (120, 80), (number * 37 % 256, 90, 160)).save(path)  # new bytes each time
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions(department, access, settings=list(settings)))
    outcome = ingester.run([path], options).outcomes[0]
    assert outcome.status == "ingested", outcome.reason
    return outcome.asset_id, outcome


def test_an_expired_public_asset_is_hidden_from_anonymous_readers_before_any_check(
    site: tuple[Atrium, str], tmp_path: Path
) -> None:
    atrium, base_url = site
    expired, _ = ingest(atrium, tmp_path, "research", "public", f"expires={YESTERDAY}")
    current, _ = ingest(atrium, tmp_path, "research", "public", f"expires={NEXT_YEAR}")

    assert atrium.assets.access_of(expired)[0] == "public"  # no check has run
    for path in ("", "/file", "/thumbnail"):
        assert requests.get(f"{base_url}/assets/{expired}{path}").status_code == 404, path
        assert requests.get(f"{base_url}/assets/{current}{path}").status_code == 200, path
    viewer = http_sign_in(base_url, add_user(atrium, "viewer", ("marketing",)))
    assert viewer.get(f"{base_url}/assets/{expired}").status_code == 200


def test_the_rights_check_withdraws_an_expired_asset_says_why_and_audits_it(
    site: tuple[Atrium, str], tmp_path: Path
) -> None:
    atrium, base_url = site
    expired, _ = ingest(atrium, tmp_path, "research", "public", f"expires={YESTERDAY}")
    current, _ = ingest(atrium, tmp_path, "research", "public", f"expires={NEXT_YEAR}")

    report = RightsCheck(atrium).run()

    assert report.withdrawn == {expired: f"expired on {YESTERDAY}"}
    assert atrium.assets.access_of(expired)[0] == "internal"
    assert atrium.assets.access_of(current)[0] == "public"
    assert requests.get(f"{base_url}/assets/{expired}").status_code == 404
    admin = http_sign_in(base_url, add_user(atrium, "admin"))
    page = admin.get(f"{base_url}/assets/{expired}").text
    assert "Withdrawn from public view by the rights check" in page
    assert f"expired on {YESTERDAY}" in page
    assert "Withdrawn from public view" not in admin.get(f"{base_url}/assets/{current}").text
    agents = [e.agent for e in atrium.audit.history(atrium.iris.asset(expired))]
    assert any(RIGHTS_AGENT in str(agent) for agent in agents), agents
    # the search index followed the move: anonymous search no longer finds it
    listed = requests.get(f"{base_url}/").text
    assert current in listed
    assert expired not in listed
    assert RightsCheck(atrium).run().withdrawn == {}  # done once


def test_an_embargoed_asset_becomes_public_only_from_its_day(
    site: tuple[Atrium, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    atrium, base_url = site
    embargoed, _ = ingest(atrium, tmp_path, "research", "public", f"available={TOMORROW}")

    assert requests.get(f"{base_url}/assets/{embargoed}").status_code == 404
    assert RightsCheck(atrium).run().withdrawn == {embargoed: f"embargoed until {TOMORROW}"}
    assert atrium.assets.access_of(embargoed)[0] == "internal"

    day_after = TODAY + dt.timedelta(days=2)
    monkeypatch.setattr(rights, "today", lambda: day_after)
    report = RightsCheck(atrium).run()

    assert report.restored == [embargoed]
    assert atrium.assets.access_of(embargoed)[0] == "public"
    response = requests.get(f"{base_url}/assets/{embargoed}")
    assert response.status_code == 200
    assert "Withdrawn from public view" not in response.text


def test_the_periodic_check_runs_at_start_without_any_reader(
    site: tuple[Atrium, str], tmp_path: Path
) -> None:
    atrium, _ = site
    expired, _ = ingest(atrium, tmp_path, "research", "public", f"expires={YESTERDAY}")
    with PeriodicRightsCheck(RightsCheck(atrium), 3600) as periodic:
        deadline = time.monotonic() + 20
        while periodic.runs == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert periodic.runs == 1
    assert atrium.assets.access_of(expired)[0] == "internal"


def test_an_hr_image_with_an_expired_consent_is_incomplete(atrium: Atrium, tmp_path: Path) -> None:
    consent = ["consentGiven=true"]
    expired, outcome = ingest(
        atrium, tmp_path, "hr", "internal", *consent, f"consentExpires={YESTERDAY}"
    )
    valid, _ = ingest(atrium, tmp_path, "hr", "internal", *consent, f"consentExpires={NEXT_YEAR}")

    missing = atrium.assets.missing_fields(expired)
    assert [problem.field for problem in missing] == ["consent expires"]
    assert "no longer valid" in missing[0].message
    assert atrium.assets.missing_fields(valid) == []
    assert atrium.assets.stored_draft(valid) is not None


def test_a_public_hr_image_leaves_public_view_when_its_consent_expires(
    site: tuple[Atrium, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    atrium, base_url = site
    asset, _ = ingest(
        atrium, tmp_path, "hr", "public", "consentGiven=true", f"consentExpires={TOMORROW}"
    )
    assert requests.get(f"{base_url}/assets/{asset}").status_code == 200

    monkeypatch.setattr(rights, "today", lambda: TODAY + dt.timedelta(days=2))

    assert requests.get(f"{base_url}/assets/{asset}").status_code == 404
    assert RightsCheck(atrium).run().withdrawn == {asset: f"expired on {TOMORROW}"}
    assert atrium.assets.access_of(asset) == ("internal", "hr")
