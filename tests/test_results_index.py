"""The results index: in step with the graph after writes, moves, drops, failures, and writes
made by another Atrium process on the same store."""

from __future__ import annotations

import pytest
from conftest import make_atrium
from search_helpers import put_asset
from test_results_performance import MEMBER, OUTSIDER, ranked, record

from app.domain.people.access import scope_for
from app.domain.results.index import ResultsIndex
from app.domain.sparql.update import SparqlUpdater
from app.namespaces import sparql_prefixes
from app.storage.graphstore import Scope, data_block

_SUMS = sparql_prefixes() + (
    "SELECT ?asset (SUM(?i) AS ?n) WHERE { GRAPH ?g { ?o dam:observedAsset ?asset ; "
    "dam:impressions ?i } } GROUP BY ?asset"
)


def graph_sums(atrium) -> dict[str, int]:  # noqa: ANN001
    rows = atrium.store.select(_SUMS, scope=Scope.everything())
    return {row["asset"].value: int(row["n"].value) for row in rows}


def index_sums(atrium) -> dict[str, int]:  # noqa: ANN001
    snapshot = atrium.results_index.snapshot()
    sums: dict[str, int] = {}
    for code, impressions in zip(
        snapshot.columns["asset"], snapshot.columns["impressions"], strict=True
    ):
        asset = snapshot.codes["asset"].values[code]
        sums[asset] = sums.get(asset, 0) + int(impressions)
    return sums


def test_the_index_matches_the_graph_after_writes_replacements_and_drops(atrium) -> None:
    first = put_asset(atrium, "First poster")
    second = put_asset(atrium, "Second poster")
    atrium.results_index.snapshot()  # built now, so what follows is applied as changes
    record(atrium, first, impressions=1000)
    record(atrium, second, impressions=3000, clicks=10, conversions=1)
    record(atrium, first, impressions=2000)  # the same observation again: replaced
    record(atrium, first, "partners", impressions=500, conversions=5)
    assert (
        index_sums(atrium)
        == graph_sums(atrium)
        == {
            atrium.iris.asset(first).value: 2500,
            atrium.iris.asset(second).value: 3000,
        }
    )
    atrium.assets.delete(second)
    assert index_sums(atrium) == graph_sums(atrium) == {atrium.iris.asset(first).value: 2500}


def test_a_write_under_way_has_moved_the_revision_already(atrium) -> None:
    """A process killed during a results write (a bulk import, say) must leave the revision
    moved, so that the index file saved before no longer passes for the graph."""
    index = atrium.results_index
    before = index.revision()
    with index.writing():
        assert index.revision() != before
    assert index.revision()[1] == before[1] + 2


def test_a_partly_written_observation_is_completed_by_writing_it_again(atrium) -> None:
    asset_id = put_asset(atrium, "Half-loaded poster")
    observation = record(atrium, asset_id, impressions=4000)
    iri = observation.iri(atrium.iris)
    clicks = [q for q in atrium.store.quads_about([iri]) if q.predicate.value.endswith("clicks")]
    atrium.store.update(data_block("DELETE", clicks))  # as a bulk load killed part-way leaves it
    atrium.observations.write([observation], bulk=True)
    assert set(atrium.store.quads_about([iri])) >= set(clicks)
    assert index_sums(atrium) == graph_sums(atrium) == {atrium.iris.asset(asset_id).value: 4000}


def test_an_access_change_moves_the_results_out_of_sight_at_once(atrium) -> None:
    asset_id = put_asset(atrium, "Campaign poster", access="internal")
    record(atrium, asset_id, conversions=30)
    assert [r.title for r in ranked(atrium, OUTSIDER)] == ["Campaign poster"]
    vocabularies = atrium.iris.vocab_graph("").value
    before = atrium.store.write_count(vocabularies)
    put_asset(atrium, "Campaign poster", access="restricted")  # marketing only, from now on
    assert ranked(atrium, OUTSIDER) == []
    assert [r.title for r in ranked(atrium, MEMBER)] == ["Campaign poster"]
    atrium.assets.delete(asset_id)  # its results go with it
    assert ranked(atrium, MEMBER) == [] and graph_sums(atrium) == {}
    # The move and the drop name the graphs they write: the concept index outlives both.
    assert atrium.store.write_count(vocabularies) == before


def test_results_written_by_another_process_are_read_before_the_next_answer(
    atrium, tmp_path
) -> None:  # noqa: ANN001
    asset_id = put_asset(atrium, "Shared poster")
    assert ranked(atrium, MEMBER) == []
    other = make_atrium(tmp_path / "other", store=atrium.store)  # its own results index
    record(other, asset_id, impressions=4000, conversions=40)
    (row,) = ranked(atrium, MEMBER)
    assert (row.impressions, row.conversions) == (4000, 40)
    put_asset(other, "Shared poster", access="restricted", department="hr")
    assert ranked(atrium, MEMBER) == []  # moved by the other process: out of sight here too


def test_a_write_that_fails_part_way_is_read_back_from_the_graph(atrium, monkeypatch) -> None:
    asset_id = put_asset(atrium, "Fragile poster")
    record(atrium, asset_id, impressions=1000)
    atrium.results_index.snapshot()
    store = atrium.store
    real_update = store.update

    def failing_update(sparql: str, **options: object) -> None:
        if "DELETE DATA" in sparql:
            raise OSError("disk full")
        real_update(sparql, **options)

    monkeypatch.setattr(store, "update", failing_update)
    with pytest.raises(OSError):
        record(atrium, asset_id, impressions=7000)  # a replacement: its update fails
    monkeypatch.undo()
    assert index_sums(atrium) == graph_sums(atrium) == {atrium.iris.asset(asset_id).value: 1000}


def test_a_reader_sees_only_the_results_graphs_of_their_scope(atrium) -> None:
    mine = put_asset(atrium, "Marketing secret", access="restricted")
    theirs = put_asset(atrium, "HR secret", access="restricted", department="hr")
    record(atrium, mine, conversions=20)
    record(atrium, theirs, conversions=20)
    snapshot = atrium.results_index.snapshot()
    seen = snapshot.columns["asset"][snapshot.visible(scope_for(MEMBER, atrium.iris, atrium.store))]
    assert [snapshot.codes["asset"].values[c] for c in seen] == [atrium.iris.asset(mine).value]


def test_a_restart_reads_the_index_file_instead_of_the_graph(tmp_path, monkeypatch) -> None:
    first = make_atrium(tmp_path / "data")
    asset_id = put_asset(first, "Kept poster")
    record(first, asset_id, impressions=900, conversions=9)
    first.close()
    assert (tmp_path / "data" / "results-index.npz").exists()

    def no_graph_reads(self) -> None:  # noqa: ANN001
        raise AssertionError("read every observation from the graph")

    monkeypatch.setattr(ResultsIndex, "_read_all", no_graph_reads)
    again = make_atrium(tmp_path / "data")
    try:
        (row,) = ranked(again, MEMBER)
        assert (row.impressions, row.conversions) == (900, 9)
    finally:
        again.close()


def test_an_index_file_of_another_revision_is_not_used(tmp_path) -> None:
    first = make_atrium(tmp_path / "data")
    asset_id = put_asset(first, "Changed poster")
    record(first, asset_id, impressions=900)
    first.close()
    second = make_atrium(tmp_path / "data")
    unsaved = make_atrium(tmp_path / "other", store=second.store)  # writes without the file
    record(unsaved, asset_id, impressions=5000)
    try:
        (row,) = ranked(second, MEMBER)
        assert row.impressions == 5000
    finally:
        second.close()


def test_an_administrators_sparql_update_of_results_is_read_back(atrium) -> None:
    asset_id = put_asset(atrium, "Corrected poster")
    observation = record(atrium, asset_id, impressions=1000, clicks=100, conversions=10)
    assert ranked(atrium, MEMBER)[0].impressions == 1000
    updater = SparqlUpdater(atrium.store, atrium.iris, atrium.assets, atrium.results_index)
    me = observation.iri(atrium.iris)
    updater.apply(
        sparql_prefixes() + f"DELETE {{ GRAPH ?g {{ {me} dam:impressions ?n }} }} "
        f"INSERT {{ GRAPH ?g {{ {me} dam:impressions 4000 }} }} "
        f"WHERE {{ GRAPH ?g {{ {me} dam:impressions ?n }} }}"
    )
    assert ranked(atrium, MEMBER)[0].impressions == 4000
