"""The architecture holds (issue 17): no import circle anywhere in ``app/``, and a web layer that
reaches neither into pyoxigraph nor into the storage layer; modules of at most 450 lines, and a
domain folder of packages.

Every import counts, wherever it stands in a module: at the top, inside a function, or under
``TYPE_CHECKING`` (a circle of type hints is still a circle of ideas).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"

# Web modules still allowed to import one of these, by module: none is left. Should one ever have
# to be, it goes here with the reason, and is to go (issue 17); nothing else may join.
WEB_ALLOWED: dict[str, set[str]] = {}
FORBIDDEN_IN_WEB = ("pyoxigraph", "app.storage")


def modules() -> dict[str, Path]:
    """Every module of ``app/`` by dotted name (a package by its own name), vendored code aside."""
    found = {}
    for path in APP.rglob("*.py"):
        relative = path.relative_to(APP.parent)
        if "vendor" in relative.parts:
            continue
        name = ".".join(relative.with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def imported_names(name: str, path: Path) -> Iterator[str]:
    """Every dotted name ``name`` imports, relative imports resolved: for ``from a import b``
    both ``a`` and ``a.b`` (``b`` may be a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph() -> dict[str, set[str]]:
    found = modules()
    return {
        name: {target for target in imported_names(name, path) if target in found} - {name}
        for name, path in found.items()
    }


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm,
    iterative, so that a deep chain of imports cannot exhaust the stack)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_circle_finder_finds_a_circle_and_nothing_else() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert circles(graph) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_every_kind_of_import_counts(tmp_path: Path) -> None:
    module = tmp_path / "app" / "pkg" / "mod.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import sibling\n"
        "from ..other import thing\n"
        "if TYPE_CHECKING:\n"
        "    from app.hinted import Hint\n"
        "def later():\n"
        "    import app.late\n",
        encoding="utf-8",
    )
    names = set(imported_names("app.pkg.mod", module))
    assert {"app.pkg.sibling", "app.other", "app.other.thing", "app.hinted", "app.late"} <= names
    graph = import_graph()
    assert "app.web" in graph["app.cli.serve"]  # imported inside a function
    assert "app.storage.query_jobs" in graph["app.storage.embedded"]  # under TYPE_CHECKING


def test_no_import_circle_anywhere_in_app() -> None:
    found = circles(import_graph())
    assert found == [], "import circles: " + "; ".join(" ⇄ ".join(c) for c in found)


def test_the_web_imports_neither_pyoxigraph_nor_storage() -> None:
    found = modules()
    offending: dict[str, set[str]] = {}
    for name, path in found.items():
        if not name.startswith("app.web"):
            continue
        reached = {
            forbidden
            for target in imported_names(name, path)
            for forbidden in FORBIDDEN_IN_WEB
            if target == forbidden or target.startswith(forbidden + ".")
        }
        extra = reached - WEB_ALLOWED.get(name, set())
        if extra:
            offending[name] = extra
    assert offending == {}, f"the web reaches past the domain: {offending}"


def test_the_allow_list_only_shrinks() -> None:
    """An entry that is no longer needed goes from the list, so that it cannot come back."""
    found = modules()
    stale = {}
    for name, allowed in WEB_ALLOWED.items():
        reached = {
            forbidden
            for target in imported_names(name, found[name])
            for forbidden in allowed
            if target == forbidden or target.startswith(forbidden + ".")
        }
        if allowed - reached:
            stale[name] = allowed - reached
    assert stale == {}, f"remove from WEB_ALLOWED: {stale}"


def test_no_module_in_app_passes_450_lines() -> None:
    long = {
        name: n
        for name, path in modules().items()
        if (n := len(path.read_text().splitlines())) > 450
    }
    assert long == {}, f"split these along a seam: {long}"


def test_the_domain_folder_holds_packages_and_at_most_six_loose_modules() -> None:
    loose = sorted(p.name for p in (APP / "domain").glob("*.py") if p.name != "__init__.py")
    assert len(loose) <= 6, f"app/domain/ has {len(loose)} loose modules: {loose}"
