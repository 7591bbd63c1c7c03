"""The shape of the code: imports at module top only, and no import cycles (issue 12).

Both checks read the source with `ast`, so they see what a newcomer reads. An import inside a
function hides a dependency (and usually a cycle it works around); a cycle means two modules
cannot be understood, tested or loaded apart.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gateway", "detectors")
# Build-time scripts that are not part of the running gateway and import their tools lazily.
SCRIPTS = {"detectors/data/build_terms.py"}
# Imports that must run late, with the reason. prometheus_client reads PROMETHEUS_MULTIPROC_DIR
# once, when first imported, and the gateway sets it per worker after start-up. Alembic is loaded
# only where a store migrates: the detection processes' fork server imports the stores' schemas
# on the critical path of every start and never migrates (tests/gateway/test_detect_preload.py).
LATE_IMPORTS = {
    ("gateway/ops/metrics.py", "prometheus_client"),
    ("gateway/storage/migrate.py", "alembic"),
}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if rel.as_posix() in SCRIPTS:
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _top_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is loaded (not under `if TYPE_CHECKING:`)."""
    found: list[ast.Import | ast.ImportFrom] = []
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            todo.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            todo.extend(node.body + node.orelse + node.finalbody)
            for handler in node.handlers:
                todo.extend(handler.body)
    return found


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    is_package = MODULES[module].name == "__init__.py"
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The project modules an import statement names.

    `from a.b import c` depends on a.b (and on a.b.c when that is a module), not on the
    package a: loading a.b runs a/__init__ first, but a package that re-exports its
    submodules' names is not in a cycle with them unless a submodule imports the package
    itself (`from a import x`), which is then reported.
    """
    names: set[str] = set()
    if isinstance(node, ast.Import):
        names.update(alias.name for alias in node.names)
    else:
        base = _resolve(module, node)
        names.add(base)
        names.update(f"{base}.{alias.name}" for alias in node.names)
    return {n for n in names if n in MODULES and n != module}


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))
        edges[module] = set()
        for node in _top_level_imports(tree):
            edges[module] |= _targets(module, node)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            if children:
                child = children.pop()
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, sorted(edges.get(child, ()))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
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


def imports_inside_functions() -> list[str]:
    found: list[str] = []
    for path in MODULES.values():
        tree = ast.parse(path.read_text(), str(path))
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    rel = path.relative_to(ROOT).as_posix()
                    name = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                    if (rel, (name or "").split(".")[0]) not in LATE_IMPORTS:
                        found.append(f"{rel}:{node.lineno}")
    return sorted(set(found))


def test_the_checks_see_the_tree():
    """Guards the two tests below against passing because they read nothing."""
    edges = graph()
    assert "gateway.pipeline" in edges and "detectors.engine" in edges
    assert "gateway.model" in edges["gateway.pipeline"]


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_inside_a_function():
    assert imports_inside_functions() == []


def test_no_import_cycles():
    assert cycles(graph()) == []


@pytest.mark.parametrize("module", ["gateway.model"])
def test_the_model_imports_nothing_of_phigate(module: str):
    assert graph()[module] == set()
