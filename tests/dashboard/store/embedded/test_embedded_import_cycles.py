"""No module of ``dashboard/store`` imports a module that imports it back.

Read from the source: an edge A → B is an ``import`` in A of module B (``from pkg import name``
counts as importing ``pkg.name`` when that is a module). Module-level imports must form no cycle
anywhere in ``dashboard/store``; inside the embedded engine, imports inside functions count too,
so a cycle cannot hide behind a function-local import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import dashboard.store

STORE = Path(dashboard.store.__file__).parent
ROOT = STORE.parent.parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(STORE.rglob("*.py"))}


def _import_nodes(tree: ast.Module, *, in_functions: bool) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif in_functions or not isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
        ):
            todo.extend(ast.iter_child_nodes(node))
    return found


def _imports(module: str, *, in_functions: bool) -> set[str]:
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    targets: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text()), in_functions=in_functions):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*anchor, *([base] if base else [])])
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            targets.add(submodule if submodule in MODULES else base)
    return {t for t in targets if t in MODULES and t != module}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected component that has one (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def _graph(prefix: str, *, in_functions: bool) -> dict[str, set[str]]:
    names = [m for m in MODULES if m == prefix or m.startswith(prefix + ".")]
    return {m: {t for t in _imports(m, in_functions=in_functions) if t in names} for m in names}


def test_the_import_reader_sees_the_engine_imports() -> None:
    graph = _graph("dashboard.store", in_functions=False)
    assert "dashboard.store.embedded.catalog" in graph["dashboard.store.embedded"]
    assert "dashboard.store.embedded.expressions" in graph["dashboard.store.embedded.expr_arith"]
    assert "dashboard.store.embedded.codec" in graph["dashboard.store.embedded.collection"]


def test_no_module_level_import_cycle_in_dashboard_store() -> None:
    assert _cycles(_graph("dashboard.store", in_functions=False)) == []


def test_no_import_cycle_in_the_engine_even_through_function_level_imports() -> None:
    assert _cycles(_graph("dashboard.store.embedded", in_functions=True)) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_the_engine_imports_modules_with_import_statements_only() -> None:
    # importlib.import_module or __import__ would hide edges (and so cycles) from this reader.
    dynamic = [
        module
        for module in _graph("dashboard.store.embedded", in_functions=True)
        for node in ast.walk(ast.parse(MODULES[module].read_text()))
        if (isinstance(node, ast.Name) and node.id in ("importlib", "__import__"))
        or (isinstance(node, ast.alias) and node.name.split(".")[0] == "importlib")
    ]
    assert dynamic == []
