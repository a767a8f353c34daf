"""Facets one by one: hierarchy from SKOS (poly-hierarchy, cycles), chosen values, budgets, and
the in-memory columns catching up with the index."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import make_atrium
from search_helpers import put_asset, search_query, subject

from app.domain.people.access import ANONYMOUS, scope_for
from app.domain.search import columns as columnar
from app.domain.search.facets import Budget, OutOfTime
from app.service import Atrium

BROADER = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
INSERT DATA { GRAPH ?g { ?narrower skos:broader ?broader } }
"""


@pytest.fixture
def atrium(tmp_path: Path):  # noqa: ANN201
    service = make_atrium(tmp_path / "data")
    yield service
    service.close()


def search(atrium: Atrium, params=()):  # noqa: ANN001, ANN201
    query = search_query(atrium, params)
    return atrium.search.search(query, scope_for(ANONYMOUS, atrium.iris, atrium.store))


def tree(atrium: Atrium, params=()) -> dict[str, dict]:  # noqa: ANN001
    """The subject facet as {label: {"count": n, "children": {...}}}."""

    def level(values) -> dict[str, dict]:  # noqa: ANN001
        return {v.label: {"count": v.count, "children": level(v.children)} for v in values}

    return level(next(f for f in search(atrium, params).facets if f.name == "subject").values)


def add_broader(atrium: Atrium, narrower: str, broader: str) -> None:
    atrium.store.update(
        BROADER,
        bindings={
            "g": atrium.iris.vocab_graph("subjects"),
            "narrower": atrium.iris.concept(f"subjects/{narrower}"),
            "broader": atrium.iris.concept(f"subjects/{broader}"),
        },
    )


def test_a_concept_with_two_broader_concepts_counts_under_both(atrium: Atrium) -> None:
    put_asset(atrium, "Forklift in the warehouse", subjects=[subject(atrium, "forklift")])
    add_broader(atrium, "forklift", "machinery")  # now under vehicle and under machinery
    counts = tree(atrium, [("subject", subject(atrium, "forklift"))])
    assert counts["Transport"]["children"]["Vehicle"]["children"]["Forklift"]["count"] == 1
    assert counts["Technology"]["children"]["Machinery"]["children"]["Forklift"]["count"] == 1
    assert search(atrium, [("subject", subject(atrium, "machinery"))]).total == 1


def test_a_cycle_in_the_hierarchy_cannot_loop(atrium: Atrium) -> None:
    put_asset(atrium, "Bike", subjects=[subject(atrium, "bicycle")])
    add_broader(atrium, "transport", "bicycle")  # transport < vehicle < bicycle < transport
    result = search(atrium, {"q": "vehicle"})
    assert result.total == 1
    assert search(atrium, [("subject", subject(atrium, "bicycle"))]).total == 1


def test_chosen_values_show_even_with_no_asset_left(atrium: Atrium) -> None:
    put_asset(atrium, "Harbour", keywords=["harbour"])
    put_asset(atrium, "Office", keywords=["office"])
    result = search(atrium, [("q", "office"), ("keywords", "harbour")])
    assert result.total == 0
    keywords = next(f for f in result.facets if f.name == "keywords")
    assert {(v.value, v.count, v.selected) for v in keywords.values} == {
        ("harbour", 0, True),
        ("office", 1, False),
    }
    assert [(c.facet, c.value) for c in result.chips] == [("keywords", "harbour")]


def test_a_chosen_concept_outside_the_tree_still_shows(atrium: Atrium) -> None:
    channel = atrium.iris.concept("channels/web").value  # not a subject: outside the tree
    result = search(atrium, [("subject", channel)])
    values = next(f for f in result.facets if f.name == "subject").values
    assert [(v.value, v.selected, v.count) for v in values] == [(channel, True, 0)]


def test_a_budget_runs_out_by_its_clock() -> None:
    now = [0.0]
    budget = Budget(1.0, clock=lambda: now[0])
    budget.check()
    now[0] = 1.0
    budget.check()
    now[0] = 1.01
    with pytest.raises(OutOfTime):
        budget.check()


def test_columns_read_a_row_at_a_time_are_the_columns_read_at_once(
    atrium: Atrium, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_asset(atrium, "First", subjects=[subject(atrium, "car")], keywords=["a"])
    put_asset(atrium, "Second", keywords=["b", "c"], creators=["Ana"])
    put_asset(atrium, "Third", access="restricted", subjects=[subject(atrium, "truck")])
    db, names = atrium.search_index._db(), atrium.search_index.facets().columns
    whole = columnar.load(db, names)
    monkeypatch.setattr(columnar, "_ROWS_PER_READ", 1)
    piecemeal = columnar.load(db, names)
    assert whole.alive.sum() == 3
    for got, want in ((piecemeal.alive, whole.alive), (piecemeal.graph, whole.graph),
                      (piecemeal.submitted, whole.submitted)):  # fmt: skip
        assert np.array_equal(got, want)
    for name in names:
        assert np.array_equal(piecemeal.facts[name].owner, whole.facts[name].owner), name
        assert np.array_equal(piecemeal.facts[name].term, whole.facts[name].term), name
    assert any(len(column.owner) for column in whole.facts.values())


def test_columns_caught_up_after_writes_equal_a_fresh_load(atrium: Atrium) -> None:
    first = put_asset(atrium, "First", subjects=[subject(atrium, "car")], keywords=["a"])
    search(atrium)  # a snapshot now exists; what follows is applied to it as changes
    put_asset(atrium, "Second", subjects=[subject(atrium, "truck")], keywords=["b", "c"])
    atrium.assets.set_access(first, "internal")
    put_asset(atrium, "Third", access="restricted", creators=["Ana"])
    index = atrium.search_index
    caught_up = index.columns()
    names = index.facets().columns
    fresh = columnar.load(index._db(), names)
    for graphs in (None, scope_for(ANONYMOUS, atrium.iris, atrium.store).graphs):
        assert np.array_equal(caught_up.in_graphs(graphs), fresh.in_graphs(graphs))
    mask = caught_up.alive
    for name in names:
        got = caught_up.counts(name, mask)
        want = fresh.counts(name, fresh.alive)
        assert np.array_equal(got[: len(want)], want) and not got[len(want) :].any(), name


@pytest.mark.parametrize("dense_cells", [columnar.DENSE_CELLS, 0])  # flags, or a sort
@pytest.mark.parametrize("seed", range(20))
def test_a_levels_counts_equal_counting_each_concept_alone(
    seed: int, dense_cells: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tree level is counted in one pass over its distinct (asset, group) pairs
    (Columns.distinct_owners): the same as counting each group's distinct assets of the mask on
    its own, also with terms in several groups (two broader concepts), empty groups and assets
    holding several terms of one group; the pairs found for one mask serve another."""
    monkeypatch.setattr(columnar, "DENSE_CELLS", dense_cells)
    rng = np.random.default_rng(seed)
    terms = int(rng.integers(2, 40))
    size = (int(rng.integers(1, 200)), 2)  # the fewer, the likelier one entry per asset
    pairs = {(int(o), int(t)) for o, t in rng.integers(0, [300, terms], size=size)}
    owner, term = (np.array(column, dtype=np.int32) for column in zip(*sorted(pairs), strict=True))
    columns = _columns_of(columnar.FactColumn(owner, term), assets=300, terms=terms)
    groups = [
        sorted({int(t) for t in rng.integers(0, terms, size=rng.integers(0, 6))})
        for _ in range(int(rng.integers(1, 9)))
    ]
    for _ in range(3):  # a new mask each time, the same groups
        mask = rng.random(300) < rng.random()
        alone = [len({o for o, t in pairs if t in set(group) and mask[o]}) for group in groups]
        assert columns.distinct_owners("subject", groups, mask).tolist() == alone


def test_the_pairs_kept_for_tree_levels_stay_within_twice_the_entries() -> None:
    rng = np.random.default_rng(7)
    owner = np.sort(rng.integers(0, 1000, 3000)).astype(np.int32)
    columns = _columns_of(columnar.FactColumn(owner, rng.integers(0, 50, 3000)), 1000, 50)
    everything = np.ones(1000, dtype=bool)
    for size in range(1, 50):  # levels of ever more concepts, each pair set a new one
        groups = [list(range(start, start + size)) for start in range(0, 50 - size + 1, size)]
        assert columns.distinct_owners("subject", groups, everything).sum() <= 1000 * len(groups)
        kept = sum(len(pair_owner) for pair_owner, _ in columns._pairs.values())
        assert kept <= columnar.KEPT_PAIRS * 3000
    assert len(columns._pairs) < 49  # the least recently used went


def _columns_of(subjects: columnar.FactColumn, assets: int, terms: int) -> columnar.Columns:
    """A snapshot of ``assets`` assets whose only facet, "subject", holds ``subjects``."""
    return columnar.Columns(
        epoch=1,
        last_ordinal=assets - 1,
        removed_seq=0,
        alive=np.ones(assets, dtype=bool),
        graph=np.zeros(assets, dtype=np.int32),
        submitted=np.zeros(assets, dtype=np.int64),
        facts={"subject": subjects},
        terms=columnar.Terms(("subject",) * terms, tuple(map(str, range(terms))), {}),
    )
