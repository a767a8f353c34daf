"""``atrium sparql`` shares the endpoint's limits and formats."""

from __future__ import annotations

from pathlib import Path

import pytest
from sparql_helpers import values_query

from app.cli.main import main


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATRIUM_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ATRIUM_ROW_LIMIT", "3")
    monkeypatch.delenv("ATRIUM_STORE", raising=False)


def test_a_result_past_the_row_cap_is_cut_and_flagged(environment, capsys) -> None:
    assert main(["sparql", values_query(5), "--format", "csv"]) == 1
    captured = capsys.readouterr()
    assert captured.out.split() == ["n", "1", "2", "3"]
    assert "ATRIUM_ROW_LIMIT" in captured.err


def test_a_result_within_the_cap_exits_0(environment, capsys) -> None:
    assert main(["sparql", values_query(3), "--format", "tsv"]) == 0
    assert capsys.readouterr().out.split() == ["?n", "1", "2", "3"]


def test_a_format_that_does_not_suit_the_query_is_a_usage_error(environment, capsys) -> None:
    assert main(["sparql", "CONSTRUCT WHERE { ?s ?p ?o }", "--format", "csv"]) == 2
    assert "CONSTRUCT/DESCRIBE" in capsys.readouterr().err
