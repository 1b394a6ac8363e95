"""Arithmetic expression operators: ``$add`` ``$subtract`` ``$multiply`` ``$divide`` ``$mod`` (the
single-number functions ``$abs`` ``$ceil`` ``$floor`` ``$round`` ``$trunc`` ``$pow`` ``$sqrt`` ``$exp``
``$ln`` ``$log`` ``$log10`` live in ``expr_math``, imported at the bottom).

MongoDB's rules (``evaluate_math.cpp``): a null or missing argument makes the result null (operands are
checked left to right, so a bad type after a null is not reported); ints stay integers, any double
makes a double; a date in ``$add``/``$subtract`` works in milliseconds (doubles rounded half away from
zero). Where MongoDB would silently switch an overflowing integer result to a double, this engine
raises ``UnsupportedOperation`` at run time instead (a column has one type); decimals are supported
only where Polars' fixed-scale decimals give MongoDB's answer (``$add``, ``$subtract``, ``$abs``,
``$ceil``, ``$floor``), and refused elsewhere.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from dashboard.store.embedded.expr_args import (
    arity,
    compile_until_null,
    is_date,
    null_if_any,
    reached,
    type_errors,
)
from dashboard.store.embedded.expressions import OperatorFn, args_list
from dashboard.store.embedded.float_math import fmod, fmod_quotient_too_large, true_div
from dashboard.store.embedded.runtime_errors import fail_where, unsupported_where
from dashboard.store.embedded.values import DATE, Ctx, Val, bson_type, is_number, lit_val

__all__ = ["F64", "I64", "INT_LIMIT", "OPERATORS", "OVERFLOW", "no_decimal"]

F64 = pl.Float64()
I64 = pl.Int64()
#: Integer results at or past this magnitude would overflow 64 bits (MongoDB returns a double).
INT_LIMIT = 9.2e18
OVERFLOW = "integer arithmetic past 64 bits (MongoDB would return a double)"


def _widest(dtypes: list[pl.DataType], name: str, ctx: Ctx) -> pl.DataType:
    """MongoDB's result type for numeric operands: decimal > double > long."""
    if any(isinstance(d, pl.Decimal) for d in dtypes):
        if any(d.is_float() for d in dtypes):
            raise ctx.unsupported(f"{name} mixing decimal and double values")
        return pl.Decimal(38, 10)
    return F64 if any(d.is_float() for d in dtypes) else I64


def no_decimal(vals: list[Val], name: str, ctx: Ctx) -> None:
    if any(isinstance(v.dtype, pl.Decimal) for v in vals):
        raise ctx.unsupported(f"{name} on decimal values")


def _sum(exprs: list[pl.Expr], dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr | None]:
    """Left-to-right sum in ``dtype`` and, for integers, where a partial sum overflows."""
    acc = exprs[0].cast(dtype)
    if dtype != I64:
        for e in exprs[1:]:
            acc = acc + e.cast(dtype)
        return acc, None
    approx = exprs[0].cast(F64)
    over: pl.Expr | None = None
    for e in exprs[1:]:
        acc = acc + e.cast(I64)
        approx = approx + e.cast(F64)
        step = approx.abs() >= INT_LIMIT
        over = step if over is None else over | step
    return acc, over


def _product(exprs: list[pl.Expr], dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr | None]:
    acc = exprs[0].cast(dtype)
    approx = exprs[0].cast(F64)
    over: pl.Expr | None = None
    for e in exprs[1:]:
        acc = acc * e.cast(dtype)
        if dtype == I64:
            approx = approx * e.cast(F64)
            step = approx.abs() >= INT_LIMIT
            over = step if over is None else over | step
    return acc, over


def _to_ms(expr: pl.Expr, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr | None]:
    """A number as milliseconds to add to a date (doubles: llround), and where it overflows."""
    if dtype.is_integer():
        return expr.cast(I64), None
    bad = expr.is_nan() | (expr.abs() >= INT_LIMIT)
    return expr.round(0, mode="half_away_from_zero").cast(I64, strict=False), bad


def _date(ms: pl.Expr) -> pl.Expr:
    return ms.cast(DATE)


def _or(a: pl.Expr | None, b: pl.Expr | None) -> pl.Expr | None:
    if a is None:
        return b
    return a if b is None else a | b


def _add(spec: Any, ctx: Ctx) -> Val:
    vals = compile_until_null(args_list(spec), ctx)
    if not vals:
        return lit_val(0)
    bad, detail = type_errors(vals, lambda d: is_number(d) or is_date(d))
    dates = [i for i, v in enumerate(vals) if is_date(v.dtype)]
    over: pl.Expr | None = None
    if dates:
        first = dates[0]
        numbers = [v for v in vals if is_number(v.dtype)]
        if any(isinstance(v.dtype, pl.Decimal) for v in numbers):
            raise ctx.unsupported("$add of a date and a decimal")
        total = vals[first].expr.dt.epoch("ms")
        before = [v for v in vals[:first] if is_number(v.dtype)]
        if before:
            dtype = _widest([v.dtype for v in before], "$add", ctx)
            subtotal, over = _sum([v.expr for v in before], dtype)
            ms, bad_ms = _to_ms(subtotal, dtype)
            total, over = total + ms, _or(over, bad_ms)
        for v in vals[first + 1 :]:
            if is_number(v.dtype):
                ms, bad_ms = _to_ms(v.expr, v.dtype)
                total, over = total + ms, _or(over, bad_ms)
        expr, result_dtype = _date(total), DATE
    else:
        numbers = [v for v in vals if is_number(v.dtype)]
        if numbers:
            result_dtype = _widest([v.dtype for v in numbers], "$add", ctx)
            expr, over = _sum([v.expr for v in numbers], result_dtype)
        else:
            expr, result_dtype = pl.lit(None), pl.Null()
    expr = null_if_any(vals, expr)
    if dates and over is not None:
        expr = fail_where(ctx, over & null_if_any(vals, pl.lit(True)), expr, "date overflow", 15)
    elif over is not None:
        expr = unsupported_where(ctx, over & null_if_any(vals, pl.lit(True)), expr, OVERFLOW)
    message = "$add only supports numeric or date types, not {}".format
    expr = fail_where(ctx, bad, expr, message, 14, detail)
    if len(dates) > 1:
        expr = fail_where(
            ctx, reached(vals, dates[1]), expr, "only one date allowed in an $add expression", 16612
        )
    return Val(expr=expr, dtype=result_dtype)


def _subtract(spec: Any, ctx: Ctx) -> Val:
    a, b = arity(spec, ctx, "$subtract", 2)
    both = a.expr.is_not_null() & b.expr.is_not_null()
    if is_number(a.dtype) and is_number(b.dtype):
        dtype = _widest([a.dtype, b.dtype], "$subtract", ctx)
        expr = a.expr.cast(dtype) - b.expr.cast(dtype)
        if dtype == I64:
            over = (a.expr.cast(F64) - b.expr.cast(F64)).abs() >= INT_LIMIT
            expr = unsupported_where(ctx, over, expr, OVERFLOW)
        return Val(expr=expr, dtype=dtype)
    if is_date(a.dtype) and is_date(b.dtype):
        expr = a.expr.dt.epoch("ms") - b.expr.dt.epoch("ms")
        return Val(expr=expr, dtype=I64)
    if is_date(a.dtype) and is_number(b.dtype):
        no_decimal([b], "$subtract of a decimal from a date", ctx)
        ms, bad = _to_ms(b.expr, b.dtype)
        expr = _date(a.expr.dt.epoch("ms") - ms)
        return Val(
            expr=fail_where(
                ctx, bad & both if bad is not None else None, expr, "date overflow", 15
            ),
            dtype=DATE,
        )
    if a.dtype == pl.Null or b.dtype == pl.Null:
        return Val(expr=pl.lit(None), dtype=pl.Null())
    lhs = "Date" if is_date(a.dtype) else bson_type(a.dtype)
    message = f"can't $subtract {bson_type(b.dtype)} from {lhs}"
    return Val(expr=fail_where(ctx, both, pl.lit(None), message, 14), dtype=pl.Null())


def _multiply(spec: Any, ctx: Ctx) -> Val:
    vals = compile_until_null(args_list(spec), ctx)
    if not vals:
        return lit_val(1)
    no_decimal(vals, "$multiply", ctx)
    bad, detail = type_errors(vals, is_number)
    numbers = [v for v in vals if is_number(v.dtype)]
    if numbers:
        dtype = _widest([v.dtype for v in numbers], "$multiply", ctx)
        expr, over = _product([v.expr for v in numbers], dtype)
    else:
        expr, dtype, over = pl.lit(None), pl.Null(), None
    expr = null_if_any(vals, expr)
    if over is not None:
        expr = unsupported_where(ctx, over & null_if_any(vals, pl.lit(True)), expr, OVERFLOW)
    message = "$multiply only supports numeric types, not {}".format
    return Val(expr=fail_where(ctx, bad, expr, message, 14, detail), dtype=dtype)


def _binary_numeric(name: str, spec: Any, ctx: Ctx) -> tuple[Val, Val, pl.Expr, pl.Expr | None]:
    """Both operands, rows where both are non-null, and rows where a non-number is reached."""
    a, b = arity(spec, ctx, name, 2)
    no_decimal([a, b], name, ctx)
    both = a.expr.is_not_null() & b.expr.is_not_null()
    numeric = is_number(a.dtype) or a.dtype == pl.Null, is_number(b.dtype) or b.dtype == pl.Null
    bad = None if all(numeric) else both
    return a, b, both, bad


def _type_message(name: str, a: Val, b: Val) -> str:
    return f"{name} only supports numeric types, not {bson_type(a.dtype)} and {bson_type(b.dtype)}"


def _divide(spec: Any, ctx: Ctx) -> Val:
    a, b, both, bad = _binary_numeric("$divide", spec, ctx)
    if bad is not None:
        return Val(
            fail_where(ctx, bad, pl.lit(None), _type_message("$divide", a, b), 14), pl.Null()
        )
    expr = null_if_any([a, b], true_div(a.expr, b.expr))
    expr = fail_where(ctx, both & (b.expr == 0), expr, "can't $divide by zero", 2)
    return Val(expr=expr, dtype=F64)


def _mod(spec: Any, ctx: Ctx) -> Val:
    a, b, both, bad = _binary_numeric("$mod", spec, ctx)
    if bad is not None:
        return Val(
            fail_where(ctx, bad, pl.lit(None), _type_message("$mod", a, b), 16611), pl.Null()
        )
    dtype = _widest([d for d in (a.dtype, b.dtype) if d != pl.Null], "$mod", ctx)
    divisor = pl.when(b.expr == 0).then(1).otherwise(b.expr)
    if dtype == I64:
        r = a.expr.cast(I64) % divisor.cast(I64)
        r = pl.when((r != 0) & ((r < 0) != (a.expr < 0))).then(r - divisor).otherwise(r)
        expr = pl.when(divisor == -1).then(0).otherwise(r).cast(I64)
    else:
        expr = unsupported_where(
            ctx,
            both & fmod_quotient_too_large(a.expr, divisor),
            fmod(a.expr, divisor),
            "$mod of doubles whose quotient is 2**53 or more",
        )
    expr = fail_where(
        ctx, both & (b.expr == 0), null_if_any([a, b], expr), "can't $mod by zero", 16610
    )
    return Val(expr=expr, dtype=dtype)


#: The expression operators this module provides, by name: ``catalog`` files them in
#: ``expressions.OPERATORS``.
OPERATORS: dict[str, OperatorFn] = {
    "$add": _add,
    "$subtract": _subtract,
    "$multiply": _multiply,
    "$divide": _divide,
    "$mod": _mod,
}
