"""The catalog: every family module is in it, no name is listed twice, the tables are the union."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pytest

import dashboard.store.embedded as embedded
from dashboard.store.embedded import catalog, window_functions
from dashboard.store.embedded.group import ACCUMULATORS
from dashboard.store.embedded.windows import WINDOW_FUNCTIONS


def _engine_modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"{embedded.__name__}.{info.name}")
        for info in pkgutil.iter_modules(embedded.__path__)
    ]


def test_every_module_that_lists_names_is_a_family_in_the_catalog() -> None:
    missing = [
        f"{module.__name__}.{kind}"
        for module in _engine_modules()
        for kind, table in catalog.TABLES.items()
        if getattr(module, kind, table) is not table and module not in catalog.FAMILIES[kind]
    ]
    assert not missing, f"family lists the catalog does not import: {missing}"


def test_the_catalog_lists_every_kind_of_the_tables() -> None:
    assert set(catalog.FAMILIES) == set(catalog.TABLES)


def test_no_name_is_listed_by_two_families_of_a_kind() -> None:
    for kind, families in catalog.FAMILIES.items():
        listed_by: dict[str, str] = {}
        for family in families:
            for name in getattr(family, kind):
                assert name not in listed_by, (
                    f"{kind} {name} is listed by {listed_by[name]} and {family.__name__}"
                )
                listed_by[name] = family.__name__


def test_the_tables_hold_exactly_what_the_families_list() -> None:
    for kind, families in catalog.FAMILIES.items():
        listed = {name: fn for family in families for name, fn in getattr(family, kind).items()}
        assert catalog.TABLES[kind] == listed
        assert all(callable(fn) for fn in listed.values())


def test_filling_refuses_a_name_listed_by_two_families() -> None:
    first, second = ModuleType("first"), ModuleType("second")
    first.OPERATORS = {"$same": lambda spec, ctx: None}  # type: ignore[attr-defined]
    second.OPERATORS = {"$same": lambda spec, ctx: None}  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match=r"\$same is listed by both first and second"):
        catalog._fill("OPERATORS", {}, [first, second])


def test_window_functions_named_like_accumulators_are_shared_on_purpose() -> None:
    # A window function may carry an accumulator's name only when it is that accumulator used
    # over a window; such names are declared in SHARED_WITH_ACCUMULATORS.
    assert set(WINDOW_FUNCTIONS) & set(ACCUMULATORS) == window_functions.SHARED_WITH_ACCUMULATORS
    assert set(ACCUMULATORS) >= window_functions.SHARED_WITH_ACCUMULATORS
