"""The synthetic records of ``atrium demo --synthetic`` (app/domain/demo/synthetic.py): written as
N-Quads text straight from the terms' N-Triples forms, they must still be what the shapes want,
parse as written, and come out the same for the same seed."""

from __future__ import annotations

from pathlib import Path

from pyoxigraph import RdfFormat, parse

from app.domain.assets.store_check import validate_store
from app.domain.demo.synthetic import load_synthetic, write_synthetic
from app.service import Atrium


def test_synthetic_records_are_valid_and_searchable(atrium: Atrium, tmp_path: Path) -> None:
    quads = load_synthetic(atrium, tmp_path / "synthetic.nq", 300, seed=3)
    report = validate_store(atrium.store, atrium.assets)
    assert report.assets == 300
    assert report.conforms, (report.refusals + report.missing)[:3]
    assert atrium.search_index.rebuild() == 300
    assert quads == len(list(parse(path=str(tmp_path / "synthetic.nq"), format=RdfFormat.N_QUADS)))


def test_the_same_seed_writes_the_same_records(atrium: Atrium, tmp_path: Path) -> None:
    concepts = atrium.concepts()
    first, second, other = (tmp_path / f"{name}.nq" for name in ("first", "second", "other"))
    write_synthetic(first, atrium.iris, concepts, 50, seed=1)
    write_synthetic(second, atrium.iris, concepts, 50, seed=1)
    write_synthetic(other, atrium.iris, concepts, 50, seed=2)
    assert first.read_bytes() == second.read_bytes() != other.read_bytes()
