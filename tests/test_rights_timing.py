"""Rights in time, on the dot (issue 11, part 6): the rights check is armed for the moment the
next date passes and re-armed after each write, so an expired public asset leaves anonymous
search, its page and SPARQL within moments of midnight, without any request having read it.

Dates are days (UTC), so the test moves the rights clock to a few seconds before a midnight
rather than waiting for one; the clock then runs at the real pace.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from PIL import Image

from app.domain.assets import rights
from app.domain.assets.rights_check import PeriodicRightsCheck, RightsCheck
from app.domain.media.ingest import Ingester, IngestOptions
from app.service import Atrium

LEAD = dt.timedelta(seconds=8)  # from the fake clock's start to its midnight: time to ingest
WITHIN = 2.0  # seconds after midnight by which every read path has followed
RUN_WITHIN = 15.0  # seconds after midnight for the check's run, under a full CI's load


def ingest(atrium: Atrium, folder: Path, title: str, *settings: str) -> str:
    path = folder / f"{title}.png"
    red, green = title.encode()[:2]  # other bytes for each title
    Image.new("RGB", (120, 80), (red, green, 160)).save(path)
    ingester = Ingester(atrium)
    options = ingester.resolve(
        IngestOptions("research", "public", settings=[f"title={title}", *settings])
    )
    outcome = ingester.run([path], options).outcomes[0]
    assert outcome.status == "ingested", outcome.reason
    return outcome.asset_id


def found_in_search(base_url: str, word: str, asset_id: str) -> bool:
    page = requests.get(f"{base_url}/search", params={"q": word})
    assert page.status_code == 200
    listed = requests.get(f"{base_url}/api/search", params={"q": word})
    assert listed.status_code == 200
    return asset_id in page.text or asset_id in listed.text


def found_in_sparql(atrium: Atrium, base_url: str, asset_id: str) -> bool:
    query = f"ASK {{ <{atrium.iris.asset(asset_id).value}> ?p ?o }}"
    answer = requests.get(
        f"{base_url}/sparql",
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["boolean"]


def soon(condition: Callable[[], bool], seconds: float = WITHIN) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def page_status(base_url: str, asset_id: str) -> int:
    return requests.get(f"{base_url}/assets/{asset_id}").status_code


def test_an_asset_leaves_public_view_the_moment_its_rights_expire(
    site: tuple[Atrium, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    atrium, base_url = site
    last_day = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)
    midnight = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    offset = midnight - LEAD - dt.datetime.now(dt.UTC)
    monkeypatch.setattr(rights, "now", lambda: dt.datetime.now(dt.UTC) + offset)

    # as ``atrium serve`` starts it: with nothing dated yet, it waits its hour
    with PeriodicRightsCheck(RightsCheck(atrium), 3600) as periodic:
        # writes after the first run re-arm it for the new dates
        expiring = ingest(atrium, tmp_path, "lighthouse", f"expires={last_day.isoformat()}")
        first_day = (last_day + dt.timedelta(days=1)).isoformat()
        embargoed = ingest(atrium, tmp_path, "lantern", f"available={first_day}")
        # the write re-armed the check, which withdrew the embargoed asset at once
        assert soon(lambda: atrium.assets.access_of(embargoed)[0] == "internal")

        assert found_in_search(base_url, "lighthouse", expiring)
        assert found_in_sparql(atrium, base_url, expiring)
        assert page_status(base_url, expiring) == 200
        assert page_status(base_url, embargoed) == 404
        assert not found_in_sparql(atrium, base_url, embargoed)
        before = rights.now()
        assert before < midnight, "the machine was too slow to ingest within LEAD"
        runs_before = periodic.runs

        # no request at all until the check has run by itself, past midnight
        time.sleep((midnight - before).total_seconds())
        assert soon(lambda: periodic.runs > runs_before, RUN_WITHIN)  # not at its hour
        assert atrium.assets.access_of(expiring)[0] == "internal"  # before anyone read it
        assert not found_in_search(base_url, "lighthouse", expiring)
        assert not found_in_sparql(atrium, base_url, expiring)
        assert page_status(base_url, expiring) == 404
        # the embargo's day began at the same midnight: the other asset became public
        assert atrium.assets.access_of(embargoed)[0] == "public"
        assert found_in_search(base_url, "lantern", embargoed)
        assert found_in_sparql(atrium, base_url, embargoed)
        assert page_status(base_url, embargoed) == 200


def test_a_write_of_an_out_of_time_public_asset_is_withdrawn_at_once(
    site: tuple[Atrium, str], tmp_path: Path
) -> None:
    atrium, base_url = site
    yesterday = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()
    with PeriodicRightsCheck(RightsCheck(atrium), 3600) as periodic:
        assert soon(lambda: periodic.runs > 0, 20)  # the run at start, with nothing to do
        expired = ingest(atrium, tmp_path, "anchor", f"expires={yesterday}")
        assert soon(lambda: atrium.assets.access_of(expired)[0] == "internal")
    assert not found_in_search(base_url, "anchor", expired)
    assert not found_in_sparql(atrium, base_url, expired)


def test_the_next_change_is_the_midnight_a_date_opens_or_closes(
    atrium: Atrium, tmp_path: Path
) -> None:
    day = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=10)
    ingest(atrium, tmp_path, "buoy", f"expires={day.isoformat()}")
    ingest(atrium, tmp_path, "quay", f"available={(day + dt.timedelta(days=5)).isoformat()}")
    dates = atrium.assets.rights
    start = dt.datetime.now(dt.UTC)

    first = dates.next_change(start)
    assert first is not None
    assert first.date() == day + dt.timedelta(days=1) and first.hour == 0  # after the last day
    second = dates.next_change(first)
    assert second is not None and second.date() == day + dt.timedelta(days=5)  # the embargo's day
    assert dates.next_change(second) is None
