"""Every benchmark script still imports: a module moved in ``app/`` must not break ``make bench``
silently (three benchmarks once imported ``load_synthetic`` from a module it had left)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
BENCHMARKS = sorted((ROOT / "benchmarks").glob("*.py"))
RUN_BY_MAKE = set(re.findall(r"benchmarks/(\w+\.py)", (ROOT / "Makefile").read_text()))


def test_make_bench_runs_scripts_that_exist() -> None:
    assert len(RUN_BY_MAKE) >= 10
    assert RUN_BY_MAKE.issubset(path.name for path in BENCHMARKS)


@pytest.mark.parametrize("path", BENCHMARKS, ids=lambda p: p.name)
def test_the_benchmark_imports(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(path.parent))  # benchmarks import their neighbours
    name = f"benchmark_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)  # runs the imports; main() is behind __name__ == "__main__"
    if path.name in RUN_BY_MAKE:
        assert callable(getattr(module, "main", None)), f"{path.name} has no main()"
