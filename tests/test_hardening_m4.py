"""Hardening M4: simultaneous uploads of the same bytes make one asset.

One hash, one asset: of writers racing with the same bytes, one creates the asset (with its
department and access) and is told "created"; the others are told "duplicate", and the audit
trail has one "created" event. The races are made certain, not left to timing: a
``threading.Barrier`` starts the uploads together, and :class:`FirstWriterPause` holds the
first writer inside its record write until every other writer has reached the same asset.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from conftest import add_user, http_sign_in, make_atrium, serving
from PIL import Image

from app.domain.keyed_locks import KeyedLocks
from app.domain.media.ingest import Ingester, IngestOptions
from app.service import Atrium
from app.storage.graphstore import Scope

WAIT_SECONDS = 60  # only ever reached when the code under test is broken


@pytest.fixture
def atrium(tmp_path: Path):  # noqa: ANN201
    service = make_atrium(tmp_path / "data")
    yield service
    service.close()


def png_bytes(colour: str) -> bytes:
    data = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(data, format="PNG")
    return data.getvalue()


class FirstWriterPause:
    """Holds the first writer of an asset's record until ``others`` more writers have reached
    it: waiting for the asset's lock or, were there no lock, writing the record as well (they
    are held too, so that without the lock every one of them would overwrite the record)."""

    def __init__(self, atrium: Atrium, others: int) -> None:
        self.others = others
        self.arrived = 0
        self.first_inside = threading.Event()
        self.timed_out = False
        self._condition = threading.Condition()
        self._first_taken = False
        real_save = atrium.assets.save_validated

        def save(draft, report, **options):  # noqa: ANN001, ANN003, ANN202
            with self._condition:
                first = not self._first_taken
                self._first_taken = True
            if first:
                self.first_inside.set()
            else:
                self._arrive()  # no lock kept this writer out: it goes in as well
            self._wait_for_the_others()
            return real_save(draft, report, **options)

        atrium.assets.save_validated = save
        atrium.assets.locks.on_contention = lambda key: self._arrive()

    def _arrive(self) -> None:
        with self._condition:
            self.arrived += 1
            self._condition.notify_all()

    def _wait_for_the_others(self) -> None:
        with self._condition:
            ready = self._condition.wait_for(lambda: self.arrived >= self.others, WAIT_SECONDS)
            self.timed_out = not ready


def upload(
    base_url: str, client: requests.Session, data: bytes, department: str, access: str, **form
) -> str:
    """Post an upload; "created" or "duplicate" from where the answer leads."""
    page = client.get(f"{base_url}/upload", params={"department": department}).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        f"{base_url}/upload",
        data={"csrf_token": token, "department": department, "access": access, **form},
        files={"file": ("photo.png", data, "image/png")},
        allow_redirects=False,
    )
    if response.status_code == 409 and "an asset you cannot see" in response.text:
        return "duplicate"  # L8: the same bytes as an asset this uploader may not see
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    return "duplicate" if "duplicate=1" in location else "created"


def together(calls: list[Callable[[], str]]) -> list[str]:
    """Run the calls in threads released at once by a barrier; their answers in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], str]) -> str:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def asset_count(atrium: Atrium) -> int:
    rows = atrium.store.select(
        "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a <https://w3id.org/atrium/ns#Asset> }",
        scope=Scope.everything(),
    )
    return int(rows[0]["n"].value)


def created_events(atrium: Atrium, asset_id: str) -> list[str]:
    """The agents of the asset's "created" audit events."""
    events = atrium.audit.history(atrium.iris.asset(asset_id))
    return [e.agent for e in events if e.action == "created"]


def record_values(atrium: Atrium, asset_id: str, predicate: str) -> set[str]:
    scope = Scope.everything()
    return {
        t.object.value
        for t in atrium.assets.record(asset_id, scope)
        if t.predicate.value == predicate
    }


def asset_id_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


# Ten parallel uploads -----------------------------------------------------------------------------


def test_m4_ten_parallel_uploads_make_one_asset_and_one_created_event(atrium: Atrium) -> None:
    data = png_bytes("teal")
    name = add_user(atrium, "contributor", ("marketing",))
    pause = FirstWriterPause(atrium, others=9)
    with serving(atrium) as base_url:
        clients = [http_sign_in(base_url, name) for _ in range(10)]
        answers = together(
            [
                lambda c=c: upload(base_url, c, data, "marketing", "internal", title="Teal")
                for c in clients
            ]
        )
    assert not pause.timed_out
    assert sorted(answers) == ["created"] + ["duplicate"] * 9
    assert asset_count(atrium) == 1
    assert created_events(atrium, asset_id_of(data)) == [name]
    assert len(atrium.assets.locks) == 0  # the lock registry keeps nothing once all are done


# HR (restricted) racing marketing (public) --------------------------------------------------------

HR_FORM = {"title": "Staff photo", "consentGiven": "true", "consentExpires": "2030-01-01"}
ACCESS_LEVEL = "https://w3id.org/atrium/ns#accessLevel"
DEPARTMENT = "https://w3id.org/atrium/ns#department"


@pytest.mark.parametrize("first", ["hr", "marketing", None, None, None, None])
def test_m4_the_one_told_created_owns_the_asset(atrium: Atrium, first: str | None) -> None:
    """``first``: who is let in first (the other uploads while it is inside its record write);
    None: both released by the barrier alone, the first to the lock is held there."""
    data = png_bytes("olive")
    hr_name = add_user(atrium, "contributor", ("hr",))
    marketing_name = add_user(atrium, "contributor", ("marketing",))
    channel = atrium.iris.concept("channels/web").value
    pause = FirstWriterPause(atrium, others=1)
    with serving(atrium) as base_url:
        hr, marketing = http_sign_in(base_url, hr_name), http_sign_in(base_url, marketing_name)

        def hr_upload() -> str:
            if first == "marketing":
                pause.first_inside.wait(WAIT_SECONDS)
            return upload(base_url, hr, data, "hr", "restricted", **HR_FORM)

        def marketing_upload() -> str:
            if first == "hr":
                pause.first_inside.wait(WAIT_SECONDS)
            form = {"title": "Launch", "channel": channel}
            return upload(base_url, marketing, data, "marketing", "public", **form)

        hr_answer, marketing_answer = together([hr_upload, marketing_upload])
        asset_id = asset_id_of(data)
        anonymous = requests.Session()
        anonymous_page = anonymous.get(f"{base_url}/assets/{asset_id}").status_code
        anonymous_file = anonymous.get(f"{base_url}/assets/{asset_id}/file").status_code
    assert not pause.timed_out
    assert sorted([hr_answer, marketing_answer]) == ["created", "duplicate"]
    winner = "hr" if hr_answer == "created" else "marketing"
    if first is not None:
        assert winner == first
    expected = {"hr": ("restricted", "hr"), "marketing": ("public", "marketing")}[winner]
    assert atrium.assets.access_of(asset_id) == expected
    assert len(record_values(atrium, asset_id, ACCESS_LEVEL)) == 1
    assert len(record_values(atrium, asset_id, DEPARTMENT)) == 1
    assert created_events(atrium, asset_id) == [hr_name if winner == "hr" else marketing_name]
    assert asset_count(atrium) == 1
    if winner == "hr":
        assert (anonymous_page, anonymous_file) == (404, 404)
    else:
        assert (anonymous_page, anonymous_file) == (200, 200)


# The CLI ingest and its writer thread -------------------------------------------------------------


def test_m4_the_same_bytes_twice_in_one_ingest_make_one_asset(
    atrium: Atrium, tmp_path: Path
) -> None:
    data = png_bytes("navy")
    paths = [tmp_path / "one.png", tmp_path / "two.png"]
    for path in paths:
        path.write_bytes(data)
    ingester = Ingester(atrium)
    report = ingester.run(paths, ingester.resolve(IngestOptions("operations", "internal")))
    assert [o.status for o in report.outcomes] == ["ingested", "duplicate"]
    assert asset_count(atrium) == 1
    assert created_events(atrium, asset_id_of(data)) == ["atrium-cli"]


def test_m4_an_upload_racing_the_ingest_writer_thread_is_a_duplicate(
    atrium: Atrium, tmp_path: Path
) -> None:
    data = png_bytes("maroon")
    path = tmp_path / "maroon.png"
    path.write_bytes(data)
    name = add_user(atrium, "contributor", ("hr",))
    pause = FirstWriterPause(atrium, others=1)
    ingester = Ingester(atrium)
    options = ingester.resolve(IngestOptions("operations", "internal"))
    with serving(atrium) as base_url, ThreadPoolExecutor(1) as pool:
        client = http_sign_in(base_url, name)
        ingest = pool.submit(ingester.run, [path], options)
        assert pause.first_inside.wait(WAIT_SECONDS)  # the writer thread is inside its write
        answer = upload(base_url, client, data, "hr", "restricted", **HR_FORM)
        report = ingest.result()
    assert not pause.timed_out
    assert [o.status for o in report.outcomes] == ["ingested"]
    assert answer == "duplicate"
    assert atrium.assets.access_of(asset_id_of(data)) == ("internal", "operations")
    assert created_events(atrium, asset_id_of(data)) == ["atrium-cli"]


# The lock registry --------------------------------------------------------------------------------


def test_m4_keyed_locks_exclude_per_key_and_forget_keys_nobody_holds() -> None:
    locks = KeyedLocks()
    inside: list[str] = []
    waiting = threading.Event()
    locks.on_contention = lambda key: waiting.set()
    overlap = []

    def hold(key: str, then: Callable[[], None]) -> None:
        with locks.hold(key):
            inside.append(key)
            overlap.append(inside.count(key))
            then()
            inside.remove(key)

    with ThreadPoolExecutor(2) as pool:
        with locks.hold("a"):
            other_key = pool.submit(hold, "b", lambda: None)
            other_key.result(WAIT_SECONDS)  # another key is not blocked by "a"
            same_key = pool.submit(hold, "a", lambda: None)
            assert waiting.wait(WAIT_SECONDS)  # it waits for "a"
            assert not same_key.done()
            assert len(locks) == 1
        same_key.result(WAIT_SECONDS)
    assert overlap == [1, 1]
    assert len(locks) == 0
