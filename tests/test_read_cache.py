"""Reads kept while the store's write count stays (app/storage/read_cache.py), and never over a
store that other processes write; search answers kept while neither the store nor the index
moves."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad
from search_helpers import put_asset

from app.config import Config
from app.domain.people.access import Reader, scope_for
from app.domain.search import SearchQuery
from app.service import Atrium
from app.storage.embedded import EmbeddedStore
from app.storage.graphstore import GraphStore, Scope
from app.storage.read_cache import ReadCache

GRAPH = NamedNode("http://example.test/graph")


def _counting_reader(store: GraphStore):  # noqa: ANN202
    reads = []

    def read() -> int:
        reads.append(1)
        return len(store.quads_about([NamedNode("http://example.test/s")]))

    return reads, read


def _write(store: GraphStore, n: int) -> None:
    subject, predicate = NamedNode("http://example.test/s"), NamedNode("http://example.test/p")
    store.insert([Quad(subject, predicate, Literal(str(n)), GRAPH)])


def test_a_value_is_kept_until_a_write_and_read_again_after(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    cache: ReadCache[int] = ReadCache(store, keep=2)
    reads, read = _counting_reader(store)
    assert cache.get("k", read) == 0 and cache.get("k", read) == 0
    assert len(reads) == 1
    _write(store, 1)
    assert cache.get("k", read) == 1 and len(reads) == 2
    for key in ("a", "b", "c"):  # at most two keys kept: the oldest goes
        cache.get(key, read)
    cache.get("k", read)
    assert len(reads) == 6


def test_a_value_of_some_graphs_outlives_the_writes_to_others(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    cache: ReadCache[int] = ReadCache(store, reading=GRAPH.value)
    reads, read = _counting_reader(store)
    cache.get("k", read)
    other = Quad(NamedNode("http://example.test/o"), GRAPH, Literal("x"), NamedNode("urn:other"))
    store.insert([other])
    assert cache.get("k", read) == 0 and len(reads) == 1, "another graph was written"
    _write(store, 1)
    assert cache.get("k", read) == 1 and len(reads) == 2, "this graph was written"
    store.update("INSERT DATA { GRAPH <urn:other> { <urn:a> <urn:b> 1 } }")
    cache.get("k", read)
    assert len(reads) == 3, "an update may have written any graph"


class _SharedStore(EmbeddedStore):
    """A store other processes write, as a remote one: no write count."""

    def write_count(self, reading: str = "") -> None:
        return None


def test_nothing_is_kept_for_a_store_others_write(tmp_path: Path) -> None:
    store = _SharedStore(tmp_path / "store")
    cache: ReadCache[int] = ReadCache(store)
    reads, read = _counting_reader(store)
    cache.get("k", read)
    cache.get("k", read)
    assert len(reads) == 2


# Search answers (SearchEngine.search) ---------------------------------------------------------


def _titles(atrium, scope: Scope) -> list[str]:  # noqa: ANN001
    return sorted(card.title for card in atrium.search.search(SearchQuery(), scope).cards)


def test_the_same_search_is_answered_once_until_a_write(atrium) -> None:
    put_asset(atrium, "Harbour at dawn")
    everyone = Scope.everything()
    first = atrium.search.search(SearchQuery(), everyone)
    assert atrium.search.search(SearchQuery(), everyone) is first  # kept
    assert atrium.search.search(SearchQuery(text="harbour"), everyone) is not first
    put_asset(atrium, "Lighthouse")
    assert _titles(atrium, everyone) == ["Harbour at dawn", "Lighthouse"]


def test_an_answer_is_not_kept_across_readers_or_languages(atrium) -> None:
    put_asset(atrium, "Harbour at dawn", access="restricted", department="hr")
    assert _titles(atrium, Scope.everything()) == ["Harbour at dawn"]
    outsider = scope_for(
        Reader.signed_in_as("m", ["marketing"], admin=False), atrium.iris, atrium.store
    )
    assert _titles(atrium, outsider) == []
    english = atrium.search.search(SearchQuery(), outsider, "en")
    assert atrium.search.search(SearchQuery(), outsider, "de") is not english


def test_an_index_change_without_a_store_write_is_seen(atrium) -> None:
    asset_id = put_asset(atrium, "Harbour at dawn")
    assert _titles(atrium, Scope.everything()) == ["Harbour at dawn"]
    atrium.search_index.mark_pending(asset_id)  # another process is changing it
    assert _titles(atrium, Scope.everything()) == []
    atrium.search_index.sync([asset_id])
    assert _titles(atrium, Scope.everything()) == ["Harbour at dawn"]


def test_an_answer_with_a_facet_out_of_time_is_not_kept(atrium, monkeypatch) -> None:
    put_asset(atrium, "Harbour at dawn", keywords=["harbour"])
    hurried = dataclasses.replace(atrium.search.limits, facet_seconds=-1)
    monkeypatch.setattr(atrium.search, "limits", hurried)
    first = atrium.search.search(SearchQuery(), Scope.everything())
    assert first.facets and all(facet.timed_out for facet in first.facets)
    assert atrium.search.search(SearchQuery(), Scope.everything()) is not first


def test_no_answer_is_kept_when_the_setting_is_zero(tmp_path: Path) -> None:
    with Atrium(
        Config.from_env({"ATRIUM_DATA": str(tmp_path), "ATRIUM_REMEMBERED_SEARCHES": "0"})
    ) as atrium:
        atrium.init()
        put_asset(atrium, "Harbour at dawn")
        first = atrium.search.search(SearchQuery(), Scope.everything())
        assert atrium.search.search(SearchQuery(), Scope.everything()) is not first
