"""The plan of the house: the core depends on neither edge, services know nothing of GraphQL, and no
module imports itself back through others."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "loaders", "schema", "demo")
COMPOSITION_ROOTS = {"app.cli", "app.api.app"}


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = {_module(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("app") and m not in COMPOSITION_ROOTS))
def test_the_core_imports_neither_edge(module: str) -> None:
    edges = {
        name
        for name in _imports(MODULES[module], top_level_only=False)
        if name.split(".")[0] in ("loaders", "schema", "demo")
    }
    assert not edges, f"{module} imports {sorted(edges)}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("app.services")))
def test_services_know_nothing_of_graphql(module: str) -> None:
    graphql = {
        name
        for name in _imports(MODULES[module], top_level_only=False)
        if name.split(".")[0] in ("strawberry", "graphql")
    }
    assert not graphql, f"{module} imports {sorted(graphql)}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("loaders")))
def test_files_in_do_not_reach_graphql_out(module: str) -> None:
    assert not {n for n in _imports(MODULES[module], top_level_only=False) if n.split(".")[0] == "schema"}


def test_no_module_imports_itself_back() -> None:
    graph = {
        module: {name for name in _imports(path, top_level_only=True) if name in MODULES and name != module}
        for module, path in MODULES.items()
    }
    cycles: list[list[str]] = []

    def visit(module: str, trail: list[str]) -> None:
        for target in sorted(graph[module]):
            if target in trail:
                cycles.append(trail[trail.index(target) :] + [target])
            elif len(trail) < 25:
                visit(target, trail + [target])

    for start in sorted(graph):
        visit(start, [start])
        if cycles:
            break
    assert not cycles, " -> ".join(cycles[0])
