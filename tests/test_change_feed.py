"""Several Atrium processes over one remote store stay consistent (issue 14, part 2).

Two Atrium services with their own data folders (their own search indexes) share one real
SPARQL service, Oxigraph server and Virtuoso, as two processes behind a load balancer would.
A write through one is in the other's next search, and no search of the other lists or counts
an asset while another process is changing it (search/change_feed.py). The same over two real
``atrium serve`` processes: tests/test_two_servers.py.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import atrium_on, make_atrium
from pyoxigraph import Literal, Quad
from search_helpers import put_asset

from app.domain.people.access import ADMIN, ANONYMOUS, Reader, scope_for
from app.domain.search.query import SearchQuery
from app.namespaces import DAM, PROV, XSD
from app.service import Atrium
from app.storage.graphstore import Scope


@pytest.fixture
def two(tmp_path: Path, remote_service) -> Iterator[tuple[Atrium, Atrium]]:  # noqa: ANN001
    """Two services (two processes' worth) over one emptied remote store."""
    with atrium_on(remote_service, tmp_path / "first") as first:
        second = make_atrium(tmp_path / "second", store=remote_service.store())
        try:
            yield first, second
        finally:
            second.close()


def anonymous_search(atrium: Atrium, text: str | None = None) -> tuple[int, int]:
    """(results, the largest count of any facet value) of an anonymous search."""
    scope = scope_for(ANONYMOUS, atrium.iris, atrium.store)
    result = atrium.search.search(SearchQuery(text=text or ""), scope)
    counts = [value.count for facet in result.facets for value in facet.values]
    return result.total, max(counts, default=0)


def test_each_process_follows_the_feed_only_over_a_shared_store(two, atrium: Atrium) -> None:  # noqa: ANN001
    first, second = two
    assert first.change_feed is not None and second.change_feed is not None
    assert first.change_feed.process != second.change_feed.process
    assert atrium.change_feed is None  # the embedded store has one process


def test_a_write_through_one_is_in_the_others_next_search(two) -> None:  # noqa: ANN001
    first, second = two
    assert anonymous_search(second) == (0, 0)  # built (empty) before the write
    asset_id = put_asset(first, "Harbour at dawn", keywords=["pier"])
    assert anonymous_search(second) == (1, 1)
    assert anonymous_search(second, "harbour")[0] == 1
    first.assets.set_access(asset_id, "restricted")
    assert anonymous_search(second) == (0, 0)  # neither listed nor counted, at once
    first.assets.set_access(asset_id, "public")
    assert anonymous_search(second)[0] == 1
    assert first.assets.delete(asset_id)
    assert anonymous_search(second) == (0, 0)
    assert second.search_index.differences() == []  # in step with the graph


def test_a_change_begun_elsewhere_hides_the_asset_until_it_ends(two) -> None:  # noqa: ANN001
    """A process that died mid-write leaves a started entry: the others fail closed."""
    first, second = two
    asset_id = put_asset(first, "Quay at night")
    assert anonymous_search(second)[0] == 1
    entry, graph = first.iris.new_change_entry(), first.iris.changes_graph
    now = Literal(_now(), datatype=XSD.dateTime)
    first.store.insert(
        [
            Quad(entry, DAM.changeOf, first.iris.asset(asset_id), graph),
            Quad(entry, DAM.byProcess, Literal("a process that died"), graph),
            Quad(entry, PROV.startedAtTime, now, graph),
        ]
    )
    assert anonymous_search(second) == (0, 0)  # it may be turning restricted: not shown
    assert anonymous_search(first) == (0, 0)  # every process but the dead one fails closed
    first.store.insert([Quad(entry, PROV.endedAtTime, now, graph)])
    assert anonymous_search(second) == (1, 1)


def test_a_process_skips_its_own_entries_and_the_sweep_keeps_the_feed_small(two) -> None:  # noqa: ANN001
    first, second = two
    put_asset(first, "Crane in fog")
    assert first.change_feed.catch_up(first.search_index) == 0
    assert second.change_feed.catch_up(second.search_index) == 1
    assert second.change_feed.catch_up(second.search_index) == 0  # applied once
    graph = first.iris.changes_graph.value
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?e ?p ?o }} }}"
    everything = first.store.select(count, scope=Scope.everything())
    assert int(everything[0]["n"].value) > 0
    time.sleep(1.1)  # so that no store's rounding of xsd:dateTime leaves an entry past the cutoff
    first.change_feed.sweep(older_than=0)
    left = first.store.select(
        f"SELECT ?e ?p ?o WHERE {{ GRAPH <{graph}> {{ ?e ?p ?o }} }}", scope=Scope.everything()
    )
    assert left == []


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def test_only_administrators_may_read_the_feed(two) -> None:  # noqa: ANN001
    """The feed names assets of every access level and when they changed: like the audit
    trail, it is in no reader's scope but an administrator's."""
    first, _ = two
    put_asset(first, "Restricted plans", access="restricted", department="hr")
    feed = f"SELECT ?e ?p ?o WHERE {{ GRAPH <{first.iris.changes_graph.value}> {{ ?e ?p ?o }} }}"
    union = "SELECT ?e WHERE { ?e <https://w3id.org/atrium/ns#changeOf> ?asset }"
    for reader in (ANONYMOUS, Reader.signed_in_as("hr-viewer", ["hr"], False)):
        scope = scope_for(reader, first.iris, first.store)
        assert first.iris.changes_graph.value not in scope.graphs
        assert first.store.select(feed, scope=scope) == []
        assert first.store.select(union, scope=scope) == []
    assert first.store.select(union, scope=scope_for(ADMIN, first.iris, first.store))
