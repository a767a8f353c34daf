"""Helpers for the SPARQL endpoint tests: quick asset records, and SPARQL functions that wait.

The functions below are registered as custom SPARQL functions (pyoxigraph
``custom_functions``) in the tests only. They run inside the query worker processes, so they
must live in a module the workers can import (this one), and they wait for a file rather than
for time to pass: a test decides when they return, never the clock.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad

from app.domain.people.access import ACCESS_LEVELS
from app.domain.sparql.service import SparqlService
from app.namespaces import DAM, DCT, RDF
from app.service import Atrium

WAIT = "urn:atrium-test:wait-for"
GATE = "urn:atrium-test:gate"
POLL_SECONDS = 0.005
GIVE_UP_SECONDS = 120.0  # a test that forgot to open a gate still ends
# A time limit for tests that need one query stopped and another answered. Query workers run
# on SCHED_IDLE: while the test processes keep both cores busy, even ``ASK {}`` waits for CPU
# time, and in CI it once waited past 0.5 s. A never-ending query costs this long.
SHORT_TIME_LIMIT = 3.0


def wait_for(path: Literal) -> Literal:
    """``wait-for("path")``: write this worker's pid to ``path.started``, then wait for ``path``."""
    target = Path(path.value)
    Path(f"{target}.started").write_text(str(os.getpid()))
    _wait_until_exists(target)
    return Literal(True)


def gate(number: Literal, first_blocked: Literal, path: Literal) -> Literal:
    """``gate(?n, k, "path")``: true at once for ?n < k; from k on, true once ``path`` exists."""
    if int(number.value) >= int(first_blocked.value):
        _wait_until_exists(Path(path.value))
    return Literal(True)


def _wait_until_exists(path: Path) -> None:
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)


def wait_until_started(path: Path) -> int:
    """The pid of the worker that reached ``wait-for(path)`` (waits for it to get there)."""
    started = Path(f"{path}.started")
    _wait_until_exists(started)
    while not started.read_text():
        time.sleep(POLL_SECONDS)
    return int(started.read_text())


def with_test_functions(atrium: Atrium) -> Atrium:
    """Give ``atrium`` a SPARQL service whose workers know the waiting functions."""
    atrium.sparql = SparqlService(  # type: ignore[misc] - replaces the cached property's value
        atrium.store, atrium.config, custom_functions={WAIT: wait_for, GATE: gate}
    )
    return atrium


def add_asset(atrium: Atrium, asset_id: str, title: str, access: str, department: str) -> str:
    """A minimal asset record in the graph of its access scope (no validation: query tests)."""
    iri = atrium.iris.asset(asset_id)
    graph = atrium.iris.asset_graph(access, department)
    triples = [
        (RDF.type, DAM.Asset),
        (DCT.identifier, Literal(asset_id)),
        (DCT.title, Literal(title)),
        (DAM.department, atrium.iris.concept(f"departments/{department}")),
        (DAM.accessLevel, ACCESS_LEVELS[access]),
    ]
    atrium.store.insert(Quad(iri, predicate, value, graph) for predicate, value in triples)
    return iri.value


def add_sample_assets(atrium: Atrium) -> dict[str, str]:
    """One asset per access scope: public, internal, restricted to marketing, and to HR."""
    return {
        "public": add_asset(atrium, "0000000000000001", "Public poster", "public", "marketing"),
        "internal": add_asset(atrium, "0000000000000002", "Internal memo", "internal", "training"),
        "marketing": add_asset(
            atrium, "0000000000000003", "Campaign draft", "restricted", "marketing"
        ),
        "hr": add_asset(atrium, "0000000000000004", "Staff portrait", "restricted", "hr"),
    }


def values_query(count: int, *, filter_: str = "") -> str:
    """``SELECT ?n`` over the numbers 1…count, in order (with an optional FILTER)."""
    numbers = " ".join(str(n) for n in range(1, count + 1))
    return f"SELECT ?n WHERE {{ VALUES ?n {{ {numbers} }} {filter_} }}"


def iri(value: str) -> NamedNode:
    return NamedNode(value)
