"""The layout's rules, read from the source (docs/architecture.md explains them).

- Each package has a layer; a module imports only packages of lower layers (or its own package),
  counting imports inside functions too: a lazy import is still a dependency.
- Streamlit is imported only by ``dashboard/ui``, ``dashboard/app``, the page scripts and ``app.py``.
- No import cycle between modules, even through function-level imports; modules are imported with
  import statements only (``importlib`` would hide edges from this reader).
- The store's data methods are called only inside ``dashboard/store`` and ``dashboard/data``.
- Tests mirror the package: ``tests/<package path>/test_<module>[_<aspect>].py``.
- No Python callback inside a Polars query (``map_batches``, ``map_elements``…): it runs on a
  Polars worker thread that needs the GIL, and deadlocks the whole server when another thread holds
  the GIL while it waits for that pool (a browser-test server once stopped answering this way).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Package → layer. A module may import its own package and packages of a lower layer only.
LAYERS: dict[str, int] = {
    "dashboard.core": 0,
    "queries": 1,
    "dashboard.store": 1,
    "dashboard.cache": 1,
    "dashboard.data": 2,
    "dashboard.auth": 3,
    "dashboard.views": 3,
    "dashboard.charts": 3,
    "dashboard.seed": 3,
    "dashboard.exports": 4,
    "dashboard.jobs": 5,
    "dashboard.ui": 6,
    "dashboard.app": 7,
    "dashboard.cli": 7,
    "dashboard.__main__": 8,
    "pages": 8,
    "app": 8,
}
STREAMLIT = {"streamlit", "streamlit_authenticator", "starlette"}
STREAMLIT_ALLOWED = {"dashboard.ui", "dashboard.app", "pages", "app"}
STORE_METHODS = {
    "aggregate", "aggregate_frame", "find", "count_documents", "insert_many", "update_many",
    "delete_many", "drop_collection", "create_index", "index_information",
    "list_collection_names",
}  # fmt: skip
STORE_CALLERS = {"dashboard.store", "dashboard.data"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, Path]:
    paths = [ROOT / "app.py", *ROOT.glob("pages/**/*.py")]
    for package in ("dashboard", "queries"):
        paths += (ROOT / package).rglob("*.py")
    return {_module_name(p): p for p in sorted(paths)}


MODULES = _sources()


def package_of(module: str) -> str:
    """The layer-table entry a module belongs to (``dashboard.views.usage`` → ``dashboard.views``)."""
    parts = module.split(".")
    if parts[0] == "dashboard" and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


def _imports(module: str, *, in_functions: bool = True) -> set[str]:
    """The project modules (or third-party top-level names) ``module`` imports."""
    tree = ast.parse(MODULES[module].read_text())
    todo: list[ast.AST] = list(tree.body)
    found: set[str] = set()
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
        elif in_functions or not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            todo.extend(ast.iter_child_nodes(node))
    return found


def layer_violations(imports: dict[str, set[str]]) -> list[str]:
    """``module -> target`` for every import of a package of the same or a higher layer."""
    out = []
    for module, targets in imports.items():
        source = package_of(module)
        for target in sorted(targets):
            if target.split(".")[0] not in ("dashboard", "queries") or target == "dashboard":
                continue
            dest = package_of(target)
            if dest != source and LAYERS[dest] >= LAYERS[source]:
                out.append(f"{module} -> {target}")
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The modules of each strongly connected component with more than one (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
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
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


IMPORTS = {module: _imports(module) for module in MODULES}


def test_every_package_has_a_layer() -> None:
    assert {package_of(m) for m in MODULES} - {"dashboard"} == set(LAYERS)


def test_imports_only_go_down_the_layers() -> None:
    assert layer_violations(IMPORTS) == []


def test_queries_import_only_the_core() -> None:
    below = {
        f"{m} -> {t}"
        for m, targets in IMPORTS.items()
        if package_of(m) == "queries"
        for t in targets
        if t.startswith("dashboard") and package_of(t) != "dashboard.core"
    }
    assert below == set()


def test_streamlit_is_imported_only_by_the_ui_the_app_and_the_pages() -> None:
    found = sorted(
        f"{m} -> {t}"
        for m, targets in IMPORTS.items()
        for t in targets
        if t.split(".")[0] in STREAMLIT and package_of(m) not in STREAMLIT_ALLOWED
    )
    assert found == []


def test_pages_only_render() -> None:
    # Shaping belongs in dashboard/views, pipelines in queries/: a page imports neither Polars nor
    # the store, the data layer or pymongo.
    found = sorted(
        f"{m} -> {t}"
        for m, targets in IMPORTS.items()
        if package_of(m) == "pages"
        for t in targets
        if t.split(".")[0] in ("polars", "pymongo", "bson")
        or (t.startswith("dashboard.") and package_of(t) in ("dashboard.store", "dashboard.data"))
    )
    assert found == []


def test_no_import_cycle_even_through_function_level_imports() -> None:
    graph = {m: {t for t in targets if t in MODULES and t != m} for m, targets in IMPORTS.items()}
    assert cycles(graph) == []


def test_modules_are_imported_with_import_statements_only() -> None:
    dynamic = [
        module
        for module, path in MODULES.items()
        for node in ast.walk(ast.parse(path.read_text()))
        if (isinstance(node, ast.Name) and node.id in ("importlib", "__import__"))
        or (isinstance(node, ast.alias) and node.name.split(".")[0] == "importlib")
    ]
    assert dynamic == []


def test_only_the_data_layer_calls_the_store() -> None:
    calls = []
    for module, path in MODULES.items():
        if package_of(module) in STORE_CALLERS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in STORE_METHODS
                and re.search(r"(^|\.)_?store$", ast.unparse(node.func.value))
            ):
                calls.append(f"{module}:{node.lineno} {ast.unparse(node.func)}")
    assert calls == []


#: Polars methods that call back into Python from inside a query.
POLARS_CALLBACKS = {"map_batches", "map_elements", "map_groups", "map_rows", "apply"}


def python_callbacks(tree: ast.AST) -> list[int]:
    """Lines calling a Polars method that runs a Python function inside the query."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in POLARS_CALLBACKS
    ]


def test_no_python_callback_runs_inside_a_polars_query() -> None:
    found = [
        f"{module}:{line}"
        for module, path in MODULES.items()
        for line in python_callbacks(ast.parse(path.read_text()))
    ]
    assert found == []


def _mirrored(test: Path) -> bool:
    """Whether ``tests/<path>/test_<name>.py`` tests a module (or the package) at ``<path>``."""
    folder = test.parent.relative_to(ROOT / "tests")
    source = ROOT / folder
    name = test.stem.removeprefix("test_")
    candidates = {p.stem for p in source.glob("*.py") if p.stem != "__init__"}
    candidates |= {p.name for p in source.iterdir() if (p / "__init__.py").exists()}
    if source != ROOT:
        candidates.add(source.name)
    return any(name == c or name.startswith(f"{c}_") for c in candidates)


def test_tests_mirror_the_package() -> None:
    cross_cutting = {
        ROOT / "tests" / "test_architecture.py",
        ROOT / "tests" / "test_docs.py",
        ROOT / "tests" / "test_deploy.py",
        ROOT / "tests" / "test_mongo_compat.py",
        ROOT / "tests" / "e2e",
    }
    stray = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "tests").rglob("test_*.py"))
        if not {path, *path.parents} & cross_cutting and not _mirrored(path)
    ]
    assert stray == []


def test_the_architecture_doc_lists_every_package_with_its_layer() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text()
    rows = dict(re.findall(r"^\| `([\w./]+?)/?` \| (\d) \|", doc, flags=re.M))
    listed = {
        path.replace("/", ".").removesuffix(".py"): int(layer) for path, layer in rows.items()
    }
    assert listed == LAYERS


# -- the checks themselves can fail ----------------------------------------------------------------


def test_the_checks_catch_what_they_forbid() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    upward = {"queries.spending": {"dashboard.views.spending", "dashboard.core.periods"}}
    assert layer_violations(upward) == ["queries.spending -> dashboard.views.spending"]
    sideways = {"dashboard.views.usage": {"dashboard.charts.usage"}}
    assert layer_violations(sideways) == ["dashboard.views.usage -> dashboard.charts.usage"]
    assert "dashboard.store.embedded.catalog" in IMPORTS["dashboard.store.embedded"]
    assert not _mirrored(ROOT / "tests" / "dashboard" / "views" / "test_nothing_here.py")
    assert _mirrored(ROOT / "tests" / "dashboard" / "views" / "test_usage_kpis.py")
    udf = "pl.col('a').map_batches(lambda s: s, return_dtype=pl.Int64)\nx.map_elements(str)"
    assert python_callbacks(ast.parse(udf)) == [1, 2]


@pytest.mark.parametrize("module", ["dashboard.views.usage", "pages.product.usage", "app"])
def test_the_import_reader_sees_the_imports(module: str) -> None:
    expected = {
        "dashboard.views.usage": "queries.usage",
        "pages.product.usage": "dashboard.views.usage",
        "app": "dashboard.app.shell",
    }[module]
    assert expected in IMPORTS[module]
