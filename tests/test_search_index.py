"""The search index cannot drift from the graph.

After every kind of write (ingest, edit, access change, refused write, delete, vocabulary edit,
bulk load), :meth:`SearchIndex.differences` compares the whole index with the graph and finds
nothing; a write whose sync dies is healed by the next search; a rebuild changes no result.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from conftest import BASE_IRI, CORPUS_IMAGES, make_atrium
from pyoxigraph import Literal, Triple
from search_helpers import put_asset, search_query, subject

from app.cli.main import main
from app.domain.assets.records import AssetRefused
from app.domain.demo.synthetic import load_synthetic
from app.domain.media.ingest import Ingester, IngestOptions
from app.domain.people.access import ANONYMOUS, Reader, scope_for
from app.domain.search import entries as entries_module
from app.domain.search import index as index_module
from app.namespaces import DCT
from app.service import Atrium

MEMBER = Reader.signed_in_as("m", ["marketing"], False)


def ids_found(atrium: Atrium, params: dict | None = None, reader: Reader = ANONYMOUS) -> set[str]:
    query = search_query(atrium, params or {})
    result = atrium.search.search(query, scope_for(reader, atrium.iris, atrium.store))
    return {card.asset_id for card in result.cards}


def retitled(atrium: Atrium, asset_id: str, title: str) -> None:
    draft = atrium.assets.stored_draft(asset_id)
    draft.triples = [t for t in draft.triples if t.predicate != DCT.title]
    draft.triples.append(Triple(draft.iri, DCT.title, Literal(title)))
    atrium.assets.save(draft)


@pytest.fixture
def atrium(tmp_path: Path):  # noqa: ANN201
    service = make_atrium(tmp_path / "data")
    yield service
    service.close()


@pytest.mark.corpus("images")
def test_the_index_follows_every_kind_of_write(atrium: Atrium, tmp_path: Path) -> None:
    index = atrium.search_index
    bike = put_asset(atrium, "Harbour bike", subjects=[subject(atrium, "bicycle")])
    memo = put_asset(atrium, "Internal memo", access="internal", keywords=["budget"])
    ingester = Ingester(atrium)
    photo = tmp_path / "flower.jpg"
    photo.write_bytes((CORPUS_IMAGES / "pillow__flower.jpg").read_bytes())
    options = ingester.resolve(IngestOptions("marketing", "public", subjects=["flower"]))
    flower = ingester.run([photo], options).outcomes[0].asset_id
    assert index.differences() == []
    assert ids_found(atrium) == {bike, flower}

    retitled(atrium, bike, "Harbour cargo bike")  # an edit
    assert index.differences() == []
    assert ids_found(atrium, {"q": "cargo"}) == {bike}

    atrium.assets.set_access(memo, "restricted")  # an access change
    assert index.differences() == []
    assert memo in ids_found(atrium, reader=MEMBER)
    assert memo not in ids_found(atrium, reader=Reader.signed_in_as("h", ["hr"], False))

    with pytest.raises(AssetRefused):  # a refused write changes nothing
        retitled(atrium, bike, "")
    assert index.differences() == []
    assert ids_found(atrium, {"q": "cargo"}) == {bike}

    atrium.assets.delete(bike)  # a delete
    assert index.differences() == []
    assert ids_found(atrium, {"q": "harbour"}) == set()

    before = {p: ids_found(atrium, {"q": p}, MEMBER) for p in ("flower", "budget", "blume")}
    index.rebuild()
    assert index.differences() == []
    assert {p: ids_found(atrium, {"q": p}, MEMBER) for p in before} == before
    assert before["blume"] == {flower}  # German label of the flower subject


def test_a_write_whose_sync_dies_is_healed_by_a_later_search(
    atrium: Atrium, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = atrium.search_index
    asset = put_asset(atrium, "Old title")

    def broken(asset_ids: list[str]) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(index, "sync", broken)
    retitled(atrium, asset, "New title")  # the graph write stands; the index is behind
    monkeypatch.undo()
    problems = index.differences()
    assert f"{asset}: a write is pending" in problems and len(problems) == 2
    monkeypatch.setattr(index_module, "HEAL_AFTER_SECONDS", 0.0)
    assert ids_found(atrium, {"q": "new"}) == {asset}
    assert index.differences() == []


def test_a_bulk_load_is_indexed_by_a_rebuild(atrium: Atrium, tmp_path: Path) -> None:
    load_synthetic(atrium, tmp_path / "synthetic.nq", 40)
    assert len(atrium.search_index.differences()) == 40  # bulk loads bypass the write path
    atrium.search_index.rebuild()
    assert atrium.search_index.differences() == []
    admin = Reader.signed_in_as("a", [], True)
    query = search_query(atrium)
    assert atrium.search.search(query, scope_for(admin, atrium.iris, atrium.store)).total == 40


def test_a_rebuild_read_in_parallel_builds_the_same_index(
    atrium: Atrium, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_synthetic(atrium, tmp_path / "synthetic.nq", 90)
    admin = Reader.signed_in_as("a", [], True)
    scope = scope_for(admin, atrium.iris, atrium.store)

    def answers() -> list[object]:
        result = atrium.search.search(search_query(atrium, {"per_page": "100"}), scope)
        return [result.total, sorted(c.asset_id for c in result.cards), result.facets]

    atrium.search_index.rebuild()
    serial = answers()
    pools = []

    class CountedPool(entries_module.ProcessPoolExecutor):
        def __init__(self, *args: object, **kwargs: object) -> None:
            pools.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(entries_module, "ProcessPoolExecutor", CountedPool)
    monkeypatch.setattr(entries_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr(index_module, "BATCH", 20)  # several batches, in order
    monkeypatch.setattr(entries_module.os, "cpu_count", lambda: 2)
    assert atrium.search_index.rebuild() == 90
    assert len(pools) == 1, "read by other processes"
    assert atrium.search_index.differences() == []
    assert answers() == serial


def test_an_index_made_over_a_full_store_builds_itself(tmp_path: Path) -> None:
    atrium = make_atrium(tmp_path / "data")
    asset = put_asset(atrium, "Kept")
    atrium.close()
    (tmp_path / "data" / "search.sqlite").unlink()
    for suffix in ("-wal", "-shm"):
        (tmp_path / "data" / f"search.sqlite{suffix}").unlink(missing_ok=True)
    reopened = make_atrium(tmp_path / "data")
    assert ids_found(reopened) == {asset}
    reopened.close()


def test_reindex_rebuilds_and_checks_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ATRIUM_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ATRIUM_BASE_IRI", BASE_IRI)
    monkeypatch.delenv("ATRIUM_STORE", raising=False)
    assert main(["demo", "--synthetic", "25"]) == 0
    assert "Indexed 25 assets for search" in capsys.readouterr().out
    assert main(["reindex", "--check"]) == 0
    assert "matches the graph" in capsys.readouterr().out
    atrium = make_atrium(tmp_path / "data")
    victim = next(iter(ids_found(atrium, reader=Reader.signed_in_as("a", [], True))))
    atrium.store.update(
        "DELETE WHERE { GRAPH ?g { ?a ?p ?o } }", bindings={"a": atrium.iris.asset(victim)}
    )  # behind the index's back
    atrium.close()
    assert main(["reindex", "--check"]) == 1
    assert f"{victim}: in the index, not in the graph" in capsys.readouterr().out
    assert main(["reindex"]) == 0
    assert main(["reindex", "--check"]) == 0


def test_a_rebuild_leaves_the_text_index_in_one_segment(tmp_path: Path) -> None:
    atrium = make_atrium(tmp_path / "data")
    load_synthetic(atrium, tmp_path / "synthetic.nq", 300)
    found = ids_found(atrium, {"q": "report", "per_page": "100"})
    atrium.close()
    with closing(sqlite3.connect(tmp_path / "data" / "search.sqlite", isolation_level=None)) as db:
        db.execute("INSERT INTO text (text, rank) VALUES ('hashsize', 4096)")  # a segment per 4 KiB
        db.execute("INSERT INTO text (text, rank) VALUES ('automerge', 0)")  # kept apart
    atrium = make_atrium(tmp_path / "data")  # FTS5 reads its settings once per connection
    atrium.search_index.rebuild()
    assert _text_segments(atrium.search_index.path) == 1
    assert atrium.search_index.differences() == []
    assert ids_found(atrium, {"q": "report", "per_page": "100"}) == found != set()
    atrium.close()


def _text_segments(path: Path) -> int:
    """The segments of the FTS5 table, from its structure record (fts5_index.c: a 4-byte
    cookie, then the levels and the segments as varints)."""
    with closing(sqlite3.connect(path)) as db:
        record = db.execute("SELECT block FROM text_data WHERE id = 10").fetchone()[0]
    numbers, value = [], 0
    for byte in record[4:]:
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            numbers.append(value)
            value = 0
            if len(numbers) == 2:
                return numbers[1]
    raise AssertionError("no structure record")
