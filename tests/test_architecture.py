"""The layers of docs/architecture.md hold: the domain imports no framework and nothing of
Lapor outside itself, no Lapor modules import each other in a cycle, and nothing reaches into
a dependency's private modules or SQLAlchemy's internals."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("lapor", "workers", "bots", "models")
FRAMEWORKS = ("flask", "flask_login", "flask_wtf", "flask_limiter", "flask_babel", "werkzeug")
SERVICES = ("redis", "rq", "telegram", "httpx", "smtplib")
INTERNALS = ("new_instance", "make_transient_to_detached", "set_committed_value")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> list[str]:
    """Every module a file imports, at its top or inside a function."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names += [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


def _lapor_imports(name: str) -> set[str]:
    return {i for i in _imports(MODULES[name]) if i in MODULES and i != name}


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("lapor.domain")))
def test_the_domain_imports_no_framework_and_nothing_of_lapor_outside_it(name):
    for imported in _imports(MODULES[name]):
        top = imported.split(".")[0]
        assert top not in FRAMEWORKS + SERVICES, f"{name} imports {imported}"
        if top == "lapor":
            assert imported.startswith("lapor.domain"), f"{name} imports {imported}"


def _cycle_from(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """An import cycle reachable from `start` (depth first), or None."""
    path: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in path:
            return path[path.index(node) :] + [node]
        if node in done:
            return None
        path.append(node)
        for target in sorted(graph[node]):
            found = visit(target)
            if found:
                return found
        path.pop()
        done.add(node)
        return None

    return visit(start)


def test_no_lapor_modules_import_each_other_in_a_cycle():
    graph = {name: _lapor_imports(name) for name in MODULES}
    for start in sorted(graph):
        cycle = _cycle_from(graph, start)
        assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_check_finds_a_cycle():
    assert _cycle_from({"a": {"b"}, "b": {"c"}, "c": {"a"}}, "a") == ["a", "b", "c", "a"]
    assert _cycle_from({"a": {"b"}, "b": set()}, "a") is None


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_private_module_of_a_dependency_and_no_orm_internals(name):
    source = MODULES[name].read_text()
    for imported in _imports(MODULES[name]):
        top = imported.split(".")[0]
        if top in PACKAGES or top == "__future__":
            continue
        private = [part for part in imported.split(".") if part.startswith("_")]
        assert not private, f"{name} imports {imported}, a private module of a dependency"
    for internal in INTERNALS:
        assert internal not in source, f"{name} uses {internal}"
    assert "__dict__.update" not in source and "__dict__[" not in source, name


def test_the_layers_are_there():
    for package in ("web", "services", "domain", "infra", "cli"):
        assert (ROOT / "lapor" / package / "__init__.py").is_file(), package
    flat = sorted(p.name for p in (ROOT / "lapor").glob("*.py"))
    assert flat == ["__init__.py"], f"modules left outside the layers: {flat}"
