"""Numeric functions: ``$abs`` ``$ceil`` ``$floor`` ``$exp`` ``$sqrt`` ``$ln`` ``$log10`` ``$log``
``$pow`` ``$round`` ``$trunc`` (``evaluate_math.cpp``).

``$round``/``$trunc`` on a double follow MongoDB's decimal quantize of the double's exact value: round
half to even (or toward zero) at the given place, negative places rounding left of the point. The
double is scaled by a power of ten and the exact error of that scaling settles ties and integers the
scaled double only reaches by rounding (``$round: [19.05, 1]`` is 19.1, as 19.05 is 19.0500000…07).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from dashboard.store.embedded.expr_args import arity, null_if_any
from dashboard.store.embedded.expr_arith import F64, I64, INT_LIMIT, OVERFLOW, no_decimal
from dashboard.store.embedded.expressions import OperatorFn
from dashboard.store.embedded.float_math import log10, steps, true_div, two_product_steps
from dashboard.store.embedded.runtime_errors import fail_where, unsupported_where
from dashboard.store.embedded.values import Ctx, Val, bson_type, is_number

__all__ = ["OPERATORS"]

#: A run-time check: (bad rows, message, code, value formatted into the message).
_Check = tuple[pl.Expr, Any, int, pl.Expr | None]


def _unary(name: str, spec: Any, ctx: Ctx) -> tuple[Val, pl.Expr | None]:
    """The single numeric argument and rows where it is a non-null non-number."""
    (v,) = arity(spec, ctx, name, 1)
    bad = None if is_number(v.dtype) or v.dtype == pl.Null else v.expr.is_not_null()
    return v, bad


def _numeric_unary(
    name: str, build: Callable[[Val, Ctx], tuple[pl.Expr, pl.DataType]], *, decimal: bool = False
) -> OperatorFn:
    def compile_unary(spec: Any, ctx: Ctx) -> Val:
        v, bad = _unary(name, spec, ctx)
        if bad is not None:
            message = f"{name} only supports numeric types, not {bson_type(v.dtype)}"
            return Val(expr=fail_where(ctx, bad, pl.lit(None), message, 28765), dtype=pl.Null())
        if v.dtype == pl.Null:
            return Val(expr=pl.lit(None), dtype=pl.Null())
        if isinstance(v.dtype, pl.Decimal) and not decimal:
            raise ctx.unsupported(f"{name} on decimal values")
        expr, dtype = build(v, ctx)
        return Val(expr=expr, dtype=dtype)

    return compile_unary


def _abs(v: Val, ctx: Ctx) -> tuple[pl.Expr, pl.DataType]:
    if v.dtype.is_integer():
        expr = fail_where(
            ctx, v.expr == -(2**63), v.expr.abs(), "can't take $abs of long long min", 28680
        )
        return expr, v.dtype
    return v.expr.abs(), v.dtype


def _positive(name: str, code: int, fn: Callable[[pl.Expr], pl.Expr]) -> Callable[[Val, Ctx], Any]:
    def build(v: Val, ctx: Ctx) -> tuple[pl.Expr, pl.DataType]:
        x = v.expr.cast(F64)
        message = f"{name}'s argument must be a positive number, but is {{}}".format
        return fail_where(ctx, x <= 0, fn(x), message, code, x), F64

    return build


def _sqrt(v: Val, ctx: Ctx) -> tuple[pl.Expr, pl.DataType]:
    x = v.expr.cast(F64)
    message = "$sqrt's argument must be greater than or equal to 0"
    return fail_where(ctx, x < 0, x.sqrt(), message, 28714), F64


def _numeric_pair(
    name: str, spec: Any, ctx: Ctx, first: tuple[str, int], second: tuple[str, int]
) -> tuple[Val, Val, pl.Expr, Val | None]:
    """Two numeric arguments, where both are non-null, and the result if one is not a number.

    ``first``/``second`` name each argument in MongoDB's message and give its error code.
    """
    a, b = arity(spec, ctx, name, 2)
    no_decimal([a, b], name, ctx)
    both = a.expr.is_not_null() & b.expr.is_not_null()
    for v, (what, code) in ((a, first), (b, second)):
        if not is_number(v.dtype) and v.dtype != pl.Null:
            message = f"{name}'s {what} must be numeric, not {bson_type(v.dtype)}"
            failed = Val(expr=fail_where(ctx, both, pl.lit(None), message, code), dtype=pl.Null())
            return a, b, both, failed
    return a, b, both, None


def _log(spec: Any, ctx: Ctx) -> Val:
    x, base, both, failed = _numeric_pair("$log", spec, ctx, ("argument", 28756), ("base", 28757))
    if failed is not None:
        return failed
    xf, bf = x.expr.cast(F64), base.expr.cast(F64)
    expr = null_if_any([x, base], true_div(xf.log(), bf.log()))
    message = "$log's argument must be a positive number, but is {}".format
    expr = fail_where(ctx, both & (xf <= 0), expr, message, 28758, xf)
    message = "$log's base must be a positive number not equal to 1, but is {}".format
    expr = fail_where(ctx, both & ((bf <= 0) | (bf == 1)), expr, message, 28759, bf)
    return Val(expr=expr, dtype=F64)


def _pow(spec: Any, ctx: Ctx) -> Val:
    base, exp, both, failed = _numeric_pair("$pow", spec, ctx, ("base", 28762), ("exponent", 28763))
    if failed is not None:
        return failed
    if pl.Null in (base.dtype, exp.dtype):
        return Val(expr=pl.lit(None), dtype=pl.Null())
    bf, ef = base.expr.cast(F64), exp.expr.cast(F64)
    floating = bf.pow(ef)
    negative_exp = exp.is_const and exp.const < 0
    if base.dtype.is_integer() and exp.dtype.is_integer() and not negative_exp:
        small = pl.when((exp.expr < 0) | (exp.expr > 63)).then(0).otherwise(exp.expr)
        b, e = base.expr.cast(I64), exp.expr.cast(I64)
        # -1, 0 and 1 stay integers for any exponent (0 to a negative power fails below).
        exact = (
            pl.when(b == 1)
            .then(1)
            .when(b == 0)
            .then(pl.when(e == 0).then(1).otherwise(0))
            .when(b == -1)
            .then(pl.when(e % 2 == 0).then(1).otherwise(-1))
            .otherwise(b.pow(small.cast(pl.UInt32)))
            .cast(I64)
        )
        unit = base.expr.is_in([-1, 0, 1])
        fits = unit | ((exp.expr >= 0) & (floating.abs() < INT_LIMIT))
        expr = unsupported_where(ctx, both & ~fits, exact, OVERFLOW)
        dtype: pl.DataType = I64
    else:
        expr, dtype = floating, F64
    expr = null_if_any([base, exp], expr)
    zero_neg = both & (bf == 0) & (ef < 0)
    message = "$pow cannot take a base of 0 and a negative exponent"
    return Val(expr=fail_where(ctx, zero_neg, expr, message, 28764), dtype=dtype)


def _place(spec: Any, ctx: Ctx, name: str) -> tuple[Val, Val | None]:
    vals = arity(spec, ctx, name, 1, 2)
    return vals[0], (vals[1] if len(vals) > 1 else None)


def _round_or_trunc(name: str, mode: str) -> OperatorFn:
    def compile_round(spec: Any, ctx: Ctx) -> Val:
        x, place = _place(spec, ctx, name)
        if x.dtype != pl.Null and not is_number(x.dtype):
            message = f"{name} only supports numeric types, not {bson_type(x.dtype)}"
            return Val(
                fail_where(ctx, x.expr.is_not_null(), pl.lit(None), message, 51081), pl.Null()
            )
        if isinstance(x.dtype, pl.Decimal):
            raise ctx.unsupported(f"{name} on decimal values")
        if x.dtype == pl.Null:
            return Val(expr=pl.lit(None), dtype=pl.Null())
        p, checks = _place_expr(name, x, place)
        if x.dtype.is_integer():
            expr = _round_int(x.expr.cast(I64), p, mode, name, ctx)
        else:
            expr = _round_float(x.expr.cast(F64), p, mode)
        expr = null_if_any([x] + ([place] if place is not None else []), expr)
        for bad, message, code, detail in checks:
            expr = fail_where(ctx, bad, expr, message, code, detail)
        return Val(expr=expr, dtype=x.dtype)

    return compile_round


def _place_expr(name: str, x: Val, place: Val | None) -> tuple[pl.Expr, list[_Check]]:
    """The place argument as an Int64 expression and the run-time checks MongoDB applies to it."""
    if place is None or place.dtype == pl.Null:
        return pl.lit(0, dtype=I64), []
    both = x.expr.is_not_null() & place.expr.is_not_null()
    if not is_number(place.dtype) or isinstance(place.dtype, pl.Decimal):
        message = f"can't convert from BSON type {bson_type(place.dtype)} to long"
        return pl.lit(0, dtype=I64), [(both, message, 16004, None)]
    checks: list[_Check] = []
    p = place.expr
    if place.dtype.is_float():
        integral = (p == p.floor()) & (p.abs() < 2**31)
        message = f"precision argument to  {name} must be a integral value"
        checks.append((both & ~integral, message, 51082, None))
        p = pl.when(integral).then(p).otherwise(0)
    p = p.cast(I64)
    in_range = (p >= -20) & (p <= 100)
    message = f"cannot apply {name} with precision value {{}} value must be in [-20, 100]"
    checks.append((both & in_range.not_(), message.format, 51083, p))
    return pl.when(in_range).then(p).otherwise(0), checks


def _round_float(x: pl.Expr, p: pl.Expr, mode: str) -> pl.Expr:
    """``x`` rounded (half to even) or truncated at decimal place ``p`` (negative: left of the point).

    MongoDB rounds the double's exact decimal value. ``x`` is scaled by ``10^|p|`` in floating
    point, and the exact error of that scaling (Dekker) decides the cases where the rounded scaled
    value lands on a tie or an integer that the exact value is just short of or past. Built in
    struct steps (``float_math.steps``): each intermediate value is computed once.
    """
    v, n, scale, scaled = pl.field("x"), pl.field("p"), pl.field("scale"), pl.field("scaled")
    product, quotient, error = pl.field("product"), pl.field("quotient"), pl.field("error")
    floor, rounded, zero = pl.field("floor"), pl.field("rounded"), pl.lit(0.0, dtype=F64)
    if mode == "round":
        tie = (scaled - floor) == 0.5
        rounding = (
            pl.when(tie & (error > zero)).then(floor + 1)
            .when(tie & (error < zero)).then(floor)
            .otherwise(scaled.round(0, mode="half_to_even"))
        )  # fmt: skip
    else:
        integral = scaled == floor
        rounding = (
            pl.when(integral & (scaled > 0) & (error < zero)).then(scaled - 1)
            .when(integral & (scaled < 0) & (error > zero)).then(scaled + 1)
            .when(scaled >= 0).then(floor)
            .otherwise(scaled.ceil())
        )  # fmt: skip
    exact = scaled.is_infinite() | scaled.is_nan() | (scaled.abs() >= 2.0**52)
    out = steps(
        {"x": x.cast(F64), "p": p},
        {"scale": pl.lit(10.0, dtype=F64).pow(n.abs().cast(F64))},
        {"product": v * scale, "quotient": v / scale},
        {"back": quotient * scale},
        *two_product_steps(v, scale, prefix="f"),
        *two_product_steps(quotient, scale, prefix="b"),
        {
            "scaled": pl.when(n >= 0).then(product).otherwise(quotient),
            # The sign of (exact scaled value - scaled): which way the rounding of the scaling went.
            "error": pl.when(n >= 0)
            .then(pl.field("f_e"))
            .otherwise((v - pl.field("back")) - pl.field("b_e")),
        },
        {"floor": scaled.floor()},
        {"rounded": rounding},
        {
            "out": pl.when(exact)
            .then(v)
            .when(n >= 0)
            .then(rounded / scale)
            .otherwise(rounded * scale)
        },
    )
    return out.struct.field("out")


def _round_int(x: pl.Expr, p: pl.Expr, mode: str, name: str, ctx: Ctx) -> pl.Expr:
    """An integer rounded at a negative place ``p`` (ties to even) or truncated toward zero."""
    k = (-p).clip(0, 18)
    q = pl.lit(10, dtype=I64).pow(k.cast(pl.UInt32))
    if mode == "trunc":
        out = (x.abs() // q) * q * x.sign()
        return pl.when(p >= 0).then(x).when(p <= -19).then(0).otherwise(out)
    base = (x // q) * q
    twice = (x - base) * 2
    even = ((base // q) % 2) == 0
    up = pl.when(twice > q).then(True).when(twice < q).then(False).otherwise(~even)
    out = pl.when(up).then(base + q).otherwise(base)
    huge = (p == -19) & (x.abs() > 5 * 10**18)
    message = f"invalid conversion from Decimal128 result in {name}"
    out = pl.when(p >= 0).then(x).when(p <= -19).then(0).otherwise(out)
    return fail_where(ctx, huge, out, message, 51080)


#: The expression operators this module provides, by name: ``catalog`` files them in
#: ``expressions.OPERATORS``.
OPERATORS: dict[str, OperatorFn] = {
    "$abs": _numeric_unary("$abs", _abs, decimal=True),
    "$ceil": _numeric_unary(
        "$ceil",
        lambda v, _: (v.expr if v.dtype.is_integer() else v.expr.ceil(), v.dtype),
        decimal=True,
    ),
    "$floor": _numeric_unary(
        "$floor",
        lambda v, _: (v.expr if v.dtype.is_integer() else v.expr.floor(), v.dtype),
        decimal=True,
    ),
    "$exp": _numeric_unary("$exp", lambda v, _: (v.expr.cast(F64).exp(), F64)),
    "$sqrt": _numeric_unary("$sqrt", _sqrt),
    "$ln": _numeric_unary("$ln", _positive("$ln", 28766, lambda x: x.log())),
    "$log10": _numeric_unary("$log10", _positive("$log10", 28761, log10)),
    "$log": _log,
    "$pow": _pow,
    "$round": _round_or_trunc("$round", "round"),
    "$trunc": _round_or_trunc("$trunc", "trunc"),
}
