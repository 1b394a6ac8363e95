"""Helpers shared by the arithmetic, string, array and conversion expression families.

MongoDB reports a bad value when a document reaching the operator holds it, not when a field's type
merely allows it: an empty input, or rows filtered out earlier, never fail. The engine types columns
statically, so type and domain errors are checked *at run time* with :func:`fail_where`, a vectorised
check (one ``map_batches`` over a Boolean column) that raises only when some row is bad.

Polars re-raises an exception from a ``map_batches`` callback by calling its class with one message
argument (the original text plus the expression that failed). The failure classes here keep the
MongoDB error code and drop that suffix, so callers see ``OperationFailure(msg, code)`` as MongoDB
would send it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import polars as pl

from dashboard.store.embedded.expressions import args_list, compile_expr
from dashboard.store.embedded.values import Ctx, Val
from dashboard.store.errors import OperationFailure, UnsupportedOperation

__all__ = [
    "arity",
    "bson_type",
    "compile_until_null",
    "fail_where",
    "is_date",
    "is_number",
    "null_if_any",
    "numpy_unary",
    "reached",
    "true_div",
    "type_errors",
    "type_expr",
    "unsupported_where",
]

_POLARS_CONTEXT = "\n\nThis error occurred"
Message = str | Callable[[Any], str]


def _strip(message: str) -> str:
    return message.split(_POLARS_CONTEXT, 1)[0]


@functools.cache
def _failure(code: int) -> type[OperationFailure]:
    """An ``OperationFailure`` subclass whose code survives Polars re-raising it."""

    class RuntimeFailure(OperationFailure):
        def __init__(
            self,
            error: str,
            code: int | None = code,
            details: Any = None,
            max_wire_version: int | None = None,
        ) -> None:
            super().__init__(_strip(str(error)), code, details, max_wire_version)

    RuntimeFailure.__name__ = RuntimeFailure.__qualname__ = "OperationFailure"
    return RuntimeFailure


class _RuntimeUnsupported(UnsupportedOperation):
    """``UnsupportedOperation`` raised while the query runs (message already formatted)."""

    def __init__(self, message: str, *, where: str = "") -> None:
        text = _strip(str(message))
        prefix = "embedded engine does not support "
        self.operator = text[len(prefix) :] if text.startswith(prefix) else text
        self.where = where
        OperationFailure.__init__(self, text if text.startswith(prefix) else prefix + text, 168)


_RuntimeUnsupported.__name__ = _RuntimeUnsupported.__qualname__ = "UnsupportedOperation"


def _gate(bad: pl.Expr) -> pl.Expr:
    """``bad`` as a full-length column: a constant condition must not fire on an empty input."""
    bad = bad.fill_null(False)
    if not bad.meta.root_names():
        bad = bad & pl.repeat(True, pl.len())
    return bad


def _raise_where(bad: pl.Expr, detail: pl.Expr | None, make: Callable[[Any], Exception]) -> pl.Expr:
    """A Boolean column that is false everywhere, raising ``make(first detail)`` if ``bad`` holds."""

    def check(s: pl.Series) -> pl.Series:
        if detail is None:
            flags, details = s, None
        else:
            flags, details = s.struct.field("b"), s.struct.field("d")
        flags = flags.fill_null(False)
        if flags.any():
            first = details.filter(flags)[0] if details is not None else None
            raise make(first)
        return flags

    source = _gate(bad)
    if detail is not None:
        source = pl.struct(source.alias("b"), detail.alias("d"))
    return source.map_batches(check, return_dtype=pl.Boolean, is_elementwise=True)


def fail_where(
    ctx: Ctx,
    bad: pl.Expr | None,
    value: pl.Expr,
    message: Message,
    code: int,
    detail: pl.Expr | None = None,
) -> pl.Expr:
    """``value``, raising ``OperationFailure(message, code)`` at run time where ``bad`` holds.

    Only rows MongoDB evaluates this expression for count (``ctx.guard``: not the untaken branch of
    a ``$cond``…). ``message`` may be a function of the first offending row's ``detail``.
    """
    if bad is None:
        return value
    if ctx.guard is not None:
        bad = bad & ctx.guard
    cls = _failure(code)

    def make(first: Any) -> Exception:
        return cls(message(first) if callable(message) else message, code)

    return pl.when(_raise_where(bad, detail, make)).then(None).otherwise(value)


def unsupported_where(ctx: Ctx, bad: pl.Expr | None, value: pl.Expr, what: str) -> pl.Expr:
    """``value``, raising ``UnsupportedOperation(what)`` at run time where ``bad`` holds."""
    if bad is None:
        return value
    if ctx.guard is not None:
        bad = bad & ctx.guard
    place = f" in {ctx.where}" if ctx.where else ""

    def make(_: Any) -> Exception:
        return _RuntimeUnsupported(f"embedded engine does not support {what}{place}")

    return pl.when(_raise_where(bad, None, make)).then(None).otherwise(value)


def true_div(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """IEEE division of doubles, ``a / b`` correctly rounded in every row.

    Polars divides a column by a constant by multiplying with its reciprocal (``3 / 10`` gives
    ``0.30000000000000004``), so the quotient is computed with NumPy over the whole batch instead.
    """

    def divide(s: pl.Series) -> pl.Series:
        x = s.struct.field("a").to_numpy()
        y = s.struct.field("b").to_numpy()
        with np.errstate(all="ignore"):
            return pl.Series(s.name, np.divide(x, y), dtype=pl.Float64)

    pair = pl.struct(a.cast(pl.Float64).alias("a"), b.cast(pl.Float64).alias("b"))
    out = pair.map_batches(divide, return_dtype=pl.Float64, is_elementwise=True)
    return pl.when(a.is_null() | b.is_null()).then(None).otherwise(out)


def numpy_unary(x: pl.Expr, fn: Callable[[Any], Any]) -> pl.Expr:
    """A NumPy ufunc over a double column (C's libm where Polars approximates, e.g. ``log10``)."""

    def apply(s: pl.Series) -> pl.Series:
        with np.errstate(all="ignore"):
            return pl.Series(s.name, fn(s.cast(pl.Float64).to_numpy()), dtype=pl.Float64)

    out = x.cast(pl.Float64).map_batches(apply, return_dtype=pl.Float64, is_elementwise=True)
    return pl.when(x.is_null()).then(None).otherwise(out)


# -- types -----------------------------------------------------------------------------------------
def is_number(dtype: pl.DataType) -> bool:
    """A BSON number (int, long, double, decimal); booleans are not numbers in MongoDB."""
    return dtype.is_numeric() or isinstance(dtype, pl.Decimal)


def is_date(dtype: pl.DataType) -> bool:
    return isinstance(dtype, pl.Datetime)


def bson_type(dtype: pl.DataType) -> str:
    """The BSON type name MongoDB's messages use for a non-null value of ``dtype``."""
    if dtype == pl.Null:
        return "null"
    if dtype == pl.String:
        return "string"
    if dtype == pl.Boolean:
        return "bool"
    if dtype == pl.Binary:
        return "objectId"
    if isinstance(dtype, pl.Struct):
        return "object"
    if isinstance(dtype, pl.List | pl.Array):
        return "array"
    if isinstance(dtype, pl.Decimal):
        return "decimal"
    if isinstance(dtype, pl.Datetime):
        return "date"
    if dtype.is_integer():
        return "int"
    return "double" if dtype.is_float() else str(dtype)


def type_expr(v: Val) -> pl.Expr:
    """The BSON type name of ``v`` row by row: ``missing``, ``null`` or its static type."""
    name = pl.when(v.expr.is_null()).then(pl.lit("null")).otherwise(pl.lit(bson_type(v.dtype)))
    if v.missing is not None:
        name = pl.when(v.missing.fill_null(False)).then(pl.lit("missing")).otherwise(name)
    return name


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
