"""Reads kept while the store's write count stays (app/storage/read_cache.py), and never over a
store that other processes write."""

from __future__ import annotations

from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad

from app.storage.embedded import EmbeddedStore
from app.storage.graphstore import GraphStore
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


class _SharedStore(EmbeddedStore):
    """A store other processes write, as a remote one: no write count."""

    def write_count(self) -> None:
        return None


def test_nothing_is_kept_for_a_store_others_write(tmp_path: Path) -> None:
    store = _SharedStore(tmp_path / "store")
    cache: ReadCache[int] = ReadCache(store)
    reads, read = _counting_reader(store)
    cache.get("k", read)
    cache.get("k", read)
    assert len(reads) == 2
