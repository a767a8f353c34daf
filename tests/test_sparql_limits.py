"""The limits that protect the service: time limit, row cap, streaming, a slow query's neighbours.

Time is never measured here. A custom SPARQL function (registered in these tests only) blocks
the query worker until the test creates a file, so each test decides what has happened when.
"""

from __future__ import annotations

import json
import multiprocessing
import threading
from pathlib import Path

import pytest
import requests
from conftest import make_atrium, serving
from sparql_helpers import (
    GATE,
    SHORT_TIME_LIMIT,
    WAIT,
    add_sample_assets,
    values_query,
    wait_until_started,
)
from sparql_helpers import with_test_functions as with_waiting_functions

from app.service import Atrium
from app.web import create_app

HTTP_TIMEOUT = 60  # a safety net for a broken test; no assertion depends on it
ASK_TRUE = b'{"head":{},"boolean":true}'


def atrium_with(tmp_path: Path, **settings: object) -> Atrium:
    atrium = with_waiting_functions(make_atrium(tmp_path / "data", **settings))
    add_sample_assets(atrium)
    return atrium


def wait_query(path: Path) -> str:
    return f'SELECT ?ok WHERE {{ BIND(<{WAIT}>("{path}") AS ?ok) }}'


def query_workers() -> set[int]:
    """The pids of the query worker processes alive now."""
    return {
        child.pid for child in multiprocessing.active_children() if child.name == "atrium-query"
    }


def test_a_query_past_its_time_limit_is_stopped_and_reported(tmp_path: Path) -> None:
    atrium = atrium_with(tmp_path, query_timeout=SHORT_TIME_LIMIT)
    try:
        client = create_app(atrium).test_client()
        assert client.get("/sparql", query_string={"query": "ASK {}"}).data == ASK_TRUE
        warm = query_workers()  # the worker that answered, now idle, takes the next query
        response = client.get("/sparql", query_string={"query": wait_query(tmp_path / "never")})
        assert response.status_code == 503
        message = response.get_data(as_text=True)
        assert "ATRIUM_QUERY_TIMEOUT" in message and f"{SHORT_TIME_LIMIT:g} s" in message
        assert warm and not warm & query_workers(), "the worker must have been killed"
        again = client.get("/sparql", query_string={"query": "ASK {}"})
        assert again.data == ASK_TRUE, "a new worker takes over"
    finally:
        atrium.close()


def test_a_slow_query_does_not_stall_pages_or_other_queries(tmp_path: Path) -> None:
    atrium = atrium_with(tmp_path, query_timeout=HTTP_TIMEOUT)
    release = tmp_path / "release"
    outcome: dict[str, int] = {}
    try:
        with serving(atrium) as base:

            def slow() -> None:
                answer = requests.get(
                    f"{base}/sparql", params={"query": wait_query(release)}, timeout=HTTP_TIMEOUT
                )
                outcome["slow"] = answer.status_code

            thread = threading.Thread(target=slow)
            thread.start()
            try:
                wait_until_started(release)  # the slow query is running in its worker now
                page = requests.get(f"{base}/queries", timeout=HTTP_TIMEOUT)
                quick = requests.get(
                    f"{base}/sparql", params={"query": "ASK {}"}, timeout=HTTP_TIMEOUT
                )
                answered_first = "slow" not in outcome
            finally:
                release.touch()
                thread.join(HTTP_TIMEOUT)
        assert page.status_code == 200 and quick.json()["boolean"] is True
        assert answered_first, "the page and the quick query did not wait for the slow one"
        assert outcome["slow"] == 200
    finally:
        atrium.close()


def test_a_small_result_past_the_row_cap_is_flagged(tmp_path: Path) -> None:
    atrium = atrium_with(tmp_path, row_limit=5)
    try:
        client = create_app(atrium).test_client()
        response = client.get("/sparql", query_string={"query": values_query(12)})
        assert response.status_code == 200
        assert response.headers["Atrium-Truncated"] == "true"
        assert response.headers["Atrium-Row-Limit"] == "5"
        document = json.loads(response.data)
        assert len(document["results"]["bindings"]) == 5
        assert document["head"]["link"] == ["urn:atrium:truncated:row-limit:5"]
        complete = client.get("/sparql", query_string={"query": values_query(5)})
        assert "Atrium-Truncated" not in complete.headers
        assert "link" not in json.loads(complete.data)["head"]
    finally:
        atrium.close()


def test_a_streamed_result_past_the_row_cap_ends_in_an_error(tmp_path: Path) -> None:
    atrium = atrium_with(tmp_path, row_limit=1500)
    try:
        with serving(atrium) as base:
            response = requests.get(
                f"{base}/sparql",
                params={"query": values_query(3000)},
                headers={"Accept": "text/csv"},
                stream=True,
                timeout=HTTP_TIMEOUT,
            )
            assert response.status_code == 200
            received = bytearray()
            with pytest.raises(requests.exceptions.ChunkedEncodingError):
                for chunk in response.iter_content(chunk_size=None):
                    received += chunk
        lines = received.decode().splitlines()
        assert lines[1501:] and "ATRIUM_ROW_LIMIT" in lines[-1]
        assert lines[1:1501] == [str(n) for n in range(1, 1501)]
    finally:
        atrium.close()


def test_a_large_csv_starts_arriving_before_the_query_has_finished(tmp_path: Path) -> None:
    atrium = atrium_with(tmp_path, row_limit=10_000)
    gate_file = tmp_path / "gate"
    query = values_query(3000, filter_=f'FILTER(<{GATE}>(?n, 2001, "{gate_file}"))')
    try:
        with serving(atrium) as base:
            response = requests.get(
                f"{base}/sparql",
                params={"query": query},
                headers={"Accept": "text/csv"},
                stream=True,
                timeout=HTTP_TIMEOUT,
            )
            chunks = response.iter_content(chunk_size=None)
            first = next(chunks)  # rows 1… arrive while row 2001 is held at the gate
            assert response.status_code == 200 and first.startswith(b"n\r\n1\r\n2\r\n")
            assert not gate_file.exists()
            gate_file.touch()
            rest = b"".join(chunks)
        numbers = (first + rest).decode().split()[1:]
        assert numbers == [str(n) for n in range(1, 3001)]
    finally:
        atrium.close()


def test_a_request_may_lower_the_limits_but_not_raise_them(atrium: Atrium) -> None:
    service = atrium.sparql
    assert service.row_limit(10) == 10
    assert service.row_limit(10**9) == atrium.config.row_limit
    assert service.timeout(1.5) == 1.5
    assert service.timeout(10**6) == atrium.config.query_timeout
