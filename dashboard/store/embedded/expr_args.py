"""Expression arguments handled as MongoDB does: shared by the arithmetic, string, array families.

How many arguments an operator takes (:func:`arity`), left-to-right evaluation stopping at the first
null (:func:`compile_until_null`, :func:`null_if_any`, :func:`reached`) and the type errors of the
arguments reached (:func:`type_errors`). BSON type names and the number test come from
:mod:`.values`; exact double arithmetic is in :mod:`.float_math`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from dashboard.store.embedded.expressions import args_list, compile_expr
from dashboard.store.embedded.values import Ctx, Val, bson_type
from dashboard.store.errors import OperationFailure

__all__ = [
    "arity",
    "compile_until_null",
    "is_date",
    "null_if_any",
    "reached",
    "type_errors",
]


# -- types -----------------------------------------------------------------------------------------
def is_date(dtype: pl.DataType) -> bool:
    return isinstance(dtype, pl.Datetime)


# -- arguments -------------------------------------------------------------------------------------
def arity(spec: Any, ctx: Ctx, name: str, low: int, high: int | None = None) -> list[Val]:
    """Compile an operator's argument list, checking how many there are as MongoDB does."""
    args = args_list(spec)
    high = low if high is None else high
    if not low <= len(args) <= high:
        if low == high:
            msg = f"Expression {name} takes exactly {low} arguments. {len(args)} were passed in."
        else:
            msg = (
                f"Expression {name} takes at least {low} arguments, and at most {high}. "
                f"{len(args)} were passed in."
            )
        raise OperationFailure(msg, code=16020)
    return [compile_expr(a, ctx) for a in args]


def compile_until_null(specs: Sequence[Any], ctx: Ctx) -> list[Val]:
    """Compile arguments MongoDB evaluates left to right, stopping at the first null or missing.

    Each argument is compiled with a guard: its run-time errors count only where every earlier
    argument has a value (``$add: [null, {$divide: [1, 0]}]`` is null, not an error).
    """
    vals: list[Val] = []
    for spec in specs:
        present = [v.expr.is_not_null() for v in vals]
        vals.append(compile_expr(spec, ctx.guarded(pl.all_horizontal(present)) if present else ctx))
    return vals


def null_if_any(vals: Sequence[Val], expr: pl.Expr) -> pl.Expr:
    """``expr``, null in rows where any of ``vals`` is null or missing."""
    nullable = [v.expr.is_null() for v in vals if not (v.is_const and v.const is not None)]
    if not nullable:
        return expr
    return pl.when(pl.any_horizontal(nullable)).then(None).otherwise(expr)


def reached(vals: list[Val], i: int) -> pl.Expr:
    """True where argument ``i`` is evaluated with a value: it and every earlier one are non-null."""
    cond = vals[i].expr.is_not_null()
    for v in vals[:i]:
        cond = cond & v.expr.is_not_null()
    return cond


def type_errors(
    vals: list[Val], accept: Callable[[pl.DataType], bool]
) -> tuple[pl.Expr | None, pl.Expr | None]:
    """(rows reaching an argument of a rejected type, that argument's type name)."""
    bad: pl.Expr | None = None
    detail: Any = pl
    for i, v in enumerate(vals):
        if v.dtype == pl.Null or accept(v.dtype):
            continue
        cond = reached(vals, i)
        bad = cond if bad is None else bad | cond
        detail = detail.when(cond).then(pl.lit(bson_type(v.dtype)))
    return bad, (detail.otherwise(pl.lit("")) if bad is not None else None)
