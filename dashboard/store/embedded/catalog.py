"""The catalog: every operator family of the engine, imported in one place.

A family module lists what it provides in a dict literal at its bottom: expression operators in
``OPERATORS``, stages in ``STAGES``, accumulators in ``ACCUMULATORS``, window functions in
``WINDOW_FUNCTIONS``. The compilers look names up in tables of the same names that start empty
(:data:`.expressions.OPERATORS`, :data:`.pipeline.STAGES`, :data:`.group.ACCUMULATORS`,
:data:`.windows.WINDOW_FUNCTIONS`). Importing this module fills them from the families below; the
package ``__init__`` imports it, so the tables are full as soon as any engine module is imported.

Only this module imports the families: a family imports the compilers it builds on, never the
other way round, so there is no import cycle. A name listed by two families of the same kind is an
error. Adding a family: write the module, list its operators at its bottom, add it here
(``tests/dashboard/store/embedded/test_catalog.py`` fails for a family missing here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import Any

from dashboard.store.embedded import (
    accumulators,
    expr_arith,
    expr_array,
    expr_convert,
    expr_date_arith,
    expr_date_format,
    expr_date_parts,
    expr_logic,
    expr_math,
    expr_regex,
    expr_string,
    expressions,
    group,
    pipeline,
    stages_facet_bucket,
    stages_fields,
    stages_fill,
    stages_filter_sort,
    stages_lookup_union,
    stages_merge_out,
    stages_unwind,
    window_functions,
    windows,
)

__all__ = ["FAMILIES", "TABLES"]

#: For each kind of name: the families that list some, in the order they are filed.
FAMILIES: dict[str, tuple[ModuleType, ...]] = {
    "OPERATORS": (
        expr_logic,
        expr_arith,
        expr_math,
        expr_string,
        expr_regex,
        expr_array,
        expr_convert,
        expr_date_parts,
        expr_date_format,
        expr_date_arith,
    ),
    "STAGES": (
        stages_filter_sort,
        stages_fields,
        group,
        stages_unwind,
        stages_facet_bucket,
        stages_lookup_union,
        stages_fill,
        stages_merge_out,
        windows,
    ),
    "ACCUMULATORS": (accumulators,),
    "WINDOW_FUNCTIONS": (window_functions,),
}

#: For each kind of name: the table the compiler looks names up in.
TABLES: dict[str, dict[str, Callable[..., Any]]] = {
    "OPERATORS": expressions.OPERATORS,
    "STAGES": pipeline.STAGES,
    "ACCUMULATORS": group.ACCUMULATORS,
    "WINDOW_FUNCTIONS": windows.WINDOW_FUNCTIONS,
}


def _fill(kind: str, table: dict[str, Callable[..., Any]], families: Sequence[ModuleType]) -> None:
    listed_by: dict[str, str] = {}
    for family in families:
        listed: Mapping[str, Callable[..., Any]] = getattr(family, kind)
        for name, fn in listed.items():
            if name in listed_by:
                msg = f"{kind} {name} is listed by both {listed_by[name]} and {family.__name__}"
                raise ValueError(msg)
            listed_by[name] = family.__name__
            table[name] = fn


for _kind, _families in FAMILIES.items():
    _fill(_kind, TABLES[_kind], _families)
