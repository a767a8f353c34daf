"""The read-only instances that query workers and a parallel rebuild open on the data folder
(app/storage/embedded.py, EmbeddedReader): an open that races the writer's compaction (RocksDB:
"Corruption: … No such file") is tried again on a fresh instance, for queries and for the
rebuild's reads alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad, Store

import app.storage.embedded as embedded
from app.storage.embedded import OPEN_ATTEMPTS, EmbeddedStore

SUBJECT = NamedNode("http://example.test/asset")
QUAD = Quad(SUBJECT, NamedNode("http://example.test/title"), Literal("Harbour"),
            NamedNode("http://example.test/graph"))  # fmt: skip


class _RacingStore:
    """``Store`` as embedded.py sees it, whose first ``failures`` read-only opens fail as an
    open that lost the race with a compaction does."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.opens = 0

    def read_only(self, path: str) -> Store:
        self.opens += 1
        if self.opens <= self.failures:
            raise RuntimeError(f"Corruption: IO error: No such file or directory: {path}/24.sst")
        return Store.read_only(path)


@pytest.fixture
def reader(tmp_path: Path):  # noqa: ANN201
    store = EmbeddedStore(tmp_path / "store")
    store.insert([QUAD])
    store.publish_for_readers()
    yield store.worker_reader(http_timeout=5)
    store.close()


def test_the_rebuilds_reads_try_a_racing_open_again(reader, monkeypatch) -> None:
    racing = _RacingStore(failures=2)
    monkeypatch.setattr(embedded, "Store", racing)
    assert reader.quads_about([SUBJECT]) == [QUAD]
    assert racing.opens == 3


def test_an_open_that_keeps_failing_raises_after_the_last_attempt(reader, monkeypatch) -> None:
    racing = _RacingStore(failures=OPEN_ATTEMPTS)
    monkeypatch.setattr(embedded, "Store", racing)
    monkeypatch.setattr(embedded, "RETRY_SECONDS", 0)
    with pytest.raises(RuntimeError, match="Corruption"):
        reader.quads_about([SUBJECT])
    assert racing.opens == OPEN_ATTEMPTS
