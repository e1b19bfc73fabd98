"""The hub's shape, checked from its source (docs/architecture.md describes it).

Dependencies point one way: api → services → domain and store; delivery → store, domain
and the signing library; domain imports nothing of the hub. Only the store speaks SQL.
Modules stay small and functions short, so each rule has room to be found.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

HUB = Path(__file__).resolve().parents[2] / "hub"
MIGRATIONS = HUB / "store" / "migrations"

#: What each part of the hub may import (besides itself and third-party packages). A part
#: is a package of ``hub`` or a top-level module; the last entries are the edges that
#: assemble the rest (the app, the CLI with its checks and its server start, the ASGI
#: middleware).
ALLOWED: dict[str, frozenset[str]] = {
    "domain": frozenset(),
    "settings": frozenset(),
    "keyfiles": frozenset(),
    "process": frozenset(),
    "observability": frozenset({"settings"}),
    "auth": frozenset({"settings", "keyfiles"}),
    "compliance": frozenset({"domain"}),
    "store": frozenset({"domain", "auth", "settings", "keyfiles"}),
    "services": frozenset({"store", "domain", "auth", "compliance", "settings", "observability"}),
    "delivery": frozenset({"store", "domain", "settings", "observability", "keyfiles"}),
    "api": frozenset({"services", "domain", "auth", "settings", "observability"}),
    "web": frozenset({"services", "domain", "auth", "settings", "observability"}),
}
EDGES = frozenset({"hub", "app", "cli", "cli_rules", "preflight", "serving", "middleware"})
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


def _modules() -> Iterator[Path]:
    for path in sorted(HUB.rglob("*.py")):
        if MIGRATIONS not in path.parents:
            yield path


def _name(path: Path) -> str:
    parts = path.relative_to(HUB.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _part(module: str) -> str:
    return module.split(".")[1] if module.count(".") else module


def _imports(path: Path) -> Iterator[tuple[str, int]]:
    """Every module of the hub that ``path`` imports, anywhere in it, with the line."""
    package = _name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else _name(path)
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("hub.") or alias.name == "hub":
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                )
            if base.startswith("hub."):
                for alias in node.names:
                    candidate = f"{base}.{alias.name}"
                    yield (candidate if _is_module(candidate) else base), node.lineno


def _is_module(name: str) -> bool:
    path = HUB.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in _modules():
        graph[_name(path)] = {target for target, _ in _imports(path)}
    return graph


def test_every_import_points_down_the_layers() -> None:
    wrong = []
    for path in _modules():
        source = _part(_name(path))
        if source in EDGES:
            continue
        allowed = ALLOWED[source] | {source}
        for target, line in _imports(path):
            if _part(target) not in allowed:
                wrong.append(f"{path.relative_to(HUB.parent)}:{line} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_itself_back() -> None:
    graph = _graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in graph:
                continue
            if state.get(target) == 1:
                cycles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_only_the_store_speaks_sql() -> None:
    speaking = []
    for path in _modules():
        if _part(_name(path)) == "store":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(
                n == "sqlalchemy"
                or n.startswith(("sqlalchemy.", "sqlmodel", "asyncpg", "aiosqlite"))
                for n in names
            ):
                speaking.append(f"{path.relative_to(HUB.parent)}:{node.lineno}")
    assert not speaking, "\n".join(speaking)


def test_no_module_branches_on_the_database_backend_outside_the_store() -> None:
    branching = []
    for path in _modules():
        if _part(_name(path)) == "store":
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if any(
                mark in line
                for mark in ("dialect.name", "is_sqlite", '== "postgresql"', '== "sqlite"')
            ):
                branching.append(f"{path.relative_to(HUB.parent)}:{number}: {line.strip()}")
    assert not branching, "\n".join(branching)


@pytest.mark.parametrize("path", list(_modules()), ids=lambda p: str(p.relative_to(HUB.parent)))
def test_modules_stay_small_and_functions_short(path: Path) -> None:
    lines = path.read_text().splitlines()
    assert len(lines) <= MAX_MODULE_LINES, f"{len(lines)} lines"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse("\n".join(lines)))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, ", ".join(long)


DOC = HUB.parent / "docs" / "architecture.md"


def _module_map() -> dict[str, set[str]]:
    """The architecture document's module map: each package's bullet and the files it names."""
    section = DOC.read_text().split("## Modules", 1)[1].split("\n## ", 1)[0]
    named: dict[str, set[str]] = {}
    for bullet in section.split("\n- ")[1:]:
        package = bullet.split("`", 2)[1]
        named[package] = set(re.findall(r"`([\w/]+(?:\.py)?/?)`", bullet)) - {package}
    return named


def test_every_path_the_architecture_document_names_exists() -> None:
    missing = [
        path
        for path in re.findall(r"`(hub/[\w/.]+)", DOC.read_text())
        if not (HUB.parent / path).exists()
    ]
    assert not missing, f"docs/architecture.md names paths that are gone: {missing}"


@pytest.mark.parametrize("package", ["domain", "store", "services", "api", "delivery"])
def test_the_module_map_names_every_module_of_a_package(package: str) -> None:
    named = _module_map()[f"hub/{package}"]
    present = {
        p.name if p.is_file() else p.name + "/"
        for p in (HUB / package).iterdir()
        if (p.suffix == ".py" and p.name != "__init__.py") or (p.is_dir() and p.name[0] != "_")
    }
    assert named <= present, f"named but not there: {sorted(named - present)}"
    assert present <= named, f"not in the module map: {sorted(present - named)}"
