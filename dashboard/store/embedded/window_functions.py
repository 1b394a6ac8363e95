"""The window functions of ``$setWindowFields``, computed over ``[s, e)`` position intervals.

See :mod:`.windows` for the plan. Each function adds one column (``out``) to the sorted frame. Most
are ``$group`` accumulators used as window functions: they share their names with
:data:`~.group.ACCUMULATORS` on purpose (:data:`SHARED_WITH_ACCUMULATORS`), and the ones without a
faster path run the accumulator itself over each window's members.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from dashboard.store.embedded.expressions import choose, compile_expr
from dashboard.store.embedded.float_math import true_div
from dashboard.store.embedded.group import ACCUMULATORS
from dashboard.store.embedded.runtime_errors import raise_where, with_checks
from dashboard.store.embedded.values import DATE, Val, is_number, lit_val
from dashboard.store.embedded.windows import (
    END,
    PID,
    POS,
    START,
    Frame,
    Window,
    WindowFunctionFn,
    window_interval,
)
from dashboard.store.errors import OperationFailure

__all__ = ["SHARED_WITH_ACCUMULATORS", "WINDOW_FUNCTIONS"]

_UNIT_MS = {"week": 604_800_000, "day": 86_400_000, "hour": 3_600_000, "minute": 60_000}
_UNIT_MS |= {"second": 1_000, "millisecond": 1}


def _count(
    op: str, arg: Any, window: Window, frame: Frame, out: str, lf: pl.LazyFrame
) -> pl.LazyFrame:
    ACCUMULATORS["$count"](arg, frame.ctx, out)  # validates the spec
    s, e = window_interval(window, frame)
    return lf.with_columns((e - s).cast(pl.Int64).alias(out))


def _running_or_grouped(
    op: str, arg: Any, window: Window, frame: Frame, out: str, lf: pl.LazyFrame
) -> pl.LazyFrame:
    """``$sum``/``$avg``/``$min``/``$max``: from running values where they can, else grouped."""
    if not window.whole:
        fast = _running(op, arg, window, frame, out, lf)
        if fast is not None:
            return fast
    return _grouped(op, arg, window, frame, out, lf)


def _gather(col: str, index: pl.Expr) -> pl.Expr:
    return pl.col(col).gather(index.clip(0, pl.len() - 1))


def _with_interval(
    window: Window, frame: Frame, out: str, lf: pl.LazyFrame
) -> tuple[pl.LazyFrame, pl.Expr, pl.Expr]:
    s, e = window_interval(window, frame)
    lf = lf.with_columns(s.alias(f"{out}:s")).with_columns(e.alias(f"{out}:e"))
    return lf, pl.col(f"{out}:s"), pl.col(f"{out}:e")


def _rank(
    op: str, arg: Any, window: Window, frame: Frame, out: str, lf: pl.LazyFrame
) -> pl.LazyFrame:
    if arg != {}:
        msg = f"{op} must be specified with an empty object, e.g. {op}: {{}}"
        raise OperationFailure(msg, code=5371603)
    pos, start = pl.col(POS), pl.col(START)
    if op == "$documentNumber":
        return lf.with_columns((pos - start + 1).alias(out))
    if len(frame.keys) != 1:
        msg = f"{op} must be specified with a top level sortBy expression with exactly one element"
        raise OperationFailure(msg, code=5371602)
    key = pl.col(frame.keys[0])
    lf = lf.with_columns(((pos == start) | key.ne_missing(key.shift(1))).alias(f"{out}:new"))
    new = pl.col(f"{out}:new")
    if op == "$rank":
        value = pl.when(new).then(pos).otherwise(None).forward_fill() - start + 1
    else:
        value = new.cast(pl.Int64).cum_sum().over(PID)
    return lf.with_columns(value.alias(out))


def _object(op: str, arg: Any, allowed: set[str], required: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(arg, Mapping):
        msg = f"Argument to {op} must be an object"
        raise OperationFailure(msg, code=9)
    for key in arg:
        if key not in allowed:
            msg = f"{op} got unexpected argument: {key}"
            raise OperationFailure(msg, code=9)
    for key in required:
        if key not in arg:
            msg = f"{op} requires '{key}'"
            raise OperationFailure(msg, code=9)
    return arg


def _shift(
    op: str, arg: Any, window: Window, frame: Frame, out: str, lf: pl.LazyFrame
) -> pl.LazyFrame:
    arg = _object("$shift", arg, {"output", "by", "default"}, ("output", "by"))
    by = arg["by"]
    if isinstance(by, bool) or not isinstance(by, int | float) or not float(by).is_integer():
        msg = f"'$shift:by' field must be an integer, but found by: {by!r}"
        raise OperationFailure(msg, code=5433402)
    default = compile_expr(arg["default"], frame.ctx) if "default" in arg else lit_val(None)
    if not default.is_const:
        msg = "'$shift:default' expression must yield a constant value."
        raise OperationFailure(msg, code=5433403)
    val = compile_expr(arg["output"], frame.ctx)
    lf = lf.with_columns(val.expr.alias(f"{out}:arg"))
    target = pl.col(POS) + int(by)
    inside = (target >= pl.col(START)) & (target < pl.col(END))
    shifted = Val(expr=_gather(f"{out}:arg", target), dtype=val.dtype)
    result = choose(inside, shifted, default, frame.ctx)
    return lf.with_columns(result.expr.alias(out))


def _first_last(
    op: str, arg: Any, window: Window, frame: Frame, out: str, lf: pl.LazyFrame
) -> pl.LazyFrame:
    val = compile_expr(arg, frame.ctx)
    lf = lf.with_columns(val.expr.alias(f"{out}:arg"))
    lf, s, e = _with_interval(window, frame, out, lf)
    at = s if op == "$first" else e - 1
    value = pl.when(e > s).then(_gather(f"{out}:arg", at)).otherwise(None)
    return lf.with_columns(value.alias(out))


def _running(
    op: str, arg: Any, window: Window, frame: Frame, out: str, lf: pl.LazyFrame
) -> pl.LazyFrame | None:
    """``$sum``/``$avg``/``$min``/``$max`` from per-partition running values, or None."""
    val = compile_expr(arg, frame.ctx)
    dtype = val.dtype
    numeric = is_number(dtype)
    if op == "$sum" and not numeric:
        return lf.with_columns(pl.lit(0, dtype=pl.Int64).alias(out))
    if op == "$avg" and not numeric:
        return lf.with_columns(pl.lit(None, dtype=pl.Float64).alias(out))
    one_sided = (window.lo is None) != (window.hi is None)
    from_end = window.hi is None
    x = f"{out}:x"
    if op in ("$min", "$max"):
        if not one_sided or not (numeric or isinstance(dtype, pl.Datetime)):
            return None
        lf = lf.with_columns(val.expr.alias(x))
        lf, s, e = _with_interval(window, frame, out, lf)
        running = (
            pl.col(x).cum_max(reverse=from_end)
            if op == "$max"
            else pl.col(x).cum_min(reverse=from_end)
        )
        running = running.backward_fill() if from_end else running.forward_fill()
        lf = lf.with_columns(running.over(PID).alias(f"{out}:run"))
        value = _gather(f"{out}:run", s if from_end else e - 1)
        return lf.with_columns(pl.when(e > s).then(value).otherwise(None).alias(out))
    if not numeric or not (one_sided or dtype.is_integer()):
        return None
    cast = pl.Int64 if dtype.is_integer() else pl.Float64
    lf = lf.with_columns(
        val.expr.cast(cast).fill_null(0).alias(x),
        val.expr.is_not_null().cast(pl.Int64).alias(f"{x}n"),
    )
    lf, s, e = _with_interval(window, frame, out, lf)
    total = _window_total(x, s, e, from_end=from_end and one_sided, lf_out=out)
    if op == "$sum":
        return lf.with_columns(*total[0]).with_columns(total[1].alias(out))
    count = _window_total(f"{x}n", s, e, from_end=from_end and one_sided, lf_out=f"{out}n")
    lf = lf.with_columns(*total[0], *count[0])
    avg = pl.when(count[1] > 0).then(total[1].cast(pl.Float64) / count[1]).otherwise(None)
    return lf.with_columns(avg.alias(out))


def _window_total(
    x: str, s: pl.Expr, e: pl.Expr, *, from_end: bool, lf_out: str
) -> tuple[list[pl.Expr], pl.Expr]:
    """(columns to add, the sum of ``x`` over ``[s, e)``) from per-partition running sums."""
    run = f"{lf_out}:cum"
    if from_end:
        cols = [pl.col(x).cum_sum(reverse=True).over(PID).alias(run)]
        return cols, pl.when(e > s).then(_gather(run, s)).otherwise(0)
    cols = [pl.col(x).cum_sum().over(PID).alias(run)]
    before = pl.when(s > pl.col(START)).then(_gather(run, s - 1)).otherwise(0)
    return cols, pl.when(e > s).then(_gather(run, e - 1) - before).otherwise(0)


def _grouped(
    op: str, arg: Any, window: Window, frame: Frame, out: str, lf: pl.LazyFrame
) -> pl.LazyFrame:
    """Any ``$group`` accumulator over the window's members."""
    acc = ACCUMULATORS[op](arg, frame.ctx, out)
    if acc.pre:
        lf = lf.with_columns(acc.pre)
    if window.whole:
        res = lf.group_by(PID).agg(acc.agg.alias(out))
        return lf.join(res, on=PID, how="left", maintain_order="left")
    names = [e.meta.output_name() for e in acc.pre]
    lf, s, e = _with_interval(window, frame, out, lf)
    members = lf.select(
        pl.col(POS).repeat_by(e - s).explode().alias(f"{out}:r"),
        *[pl.col(c).gather(pl.int_ranges(s, e).explode()) for c in names],
    )
    res = members.group_by(f"{out}:r").agg(acc.agg.alias(out))
    dtype = res.collect_schema()[out]
    res = res.with_columns(pl.lit(True).alias(f"{out}:has"))
    lf = lf.join(res, left_on=POS, right_on=f"{out}:r", how="left", maintain_order="left")
    empty = _empty_value(op, arg, frame, dtype)
    value = pl.when(pl.col(f"{out}:has")).then(pl.col(out)).otherwise(empty)
    return lf.with_columns(value.alias(out))


def _empty_value(op: str, arg: Any, frame: Frame, dtype: pl.DataType) -> pl.Expr:
    """What ``op`` returns for an empty window: 0 for sums, [] for arrays, else null."""
    if op in ("$sum", "$count"):
        return pl.lit(0).cast(dtype)
    if op == "$percentile":
        ps = compile_expr(arg["p"], frame.ctx).const
        return pl.lit(pl.Series("", [[None] * len(ps)], dtype=dtype)).first()
    if isinstance(dtype, pl.List):
        return pl.lit(pl.Series("", [[]], dtype=dtype)).first()
    if isinstance(dtype, pl.Struct):
        return pl.lit(pl.Series("", [{f.name: None for f in dtype.fields}], dtype=dtype)).first()
    return pl.lit(None, dtype=dtype)


def _axis(op: str, arg: Mapping[str, Any], frame: Frame) -> tuple[pl.Expr, float | None]:
    """The sortBy values as a float axis (dates in ms) and the output unit's length in ms."""
    if len(frame.keys) != 1:
        msg = f"{op} requires a sortBy with exactly one field"
        raise OperationFailure(msg, code=5423901)
    key, dtype = pl.col(frame.keys[0]), frame.key_vals[0].dtype
    unit = arg.get("unit")
    if isinstance(dtype, pl.Datetime):
        if unit is None:
            msg = f"{op} where the sortBy is a Date requires an 'unit'"
            raise OperationFailure(msg, code=5423902)
        if unit not in _UNIT_MS:
            msg = (
                f"{op} 'unit' must be one of week, day, hour, minute, second, millisecond: {unit!r}"
            )
            raise OperationFailure(msg, code=5490704)
        return key.cast(DATE).dt.epoch("ms").cast(pl.Float64), float(_UNIT_MS[unit])
    if unit is not None:
        msg = f"{op} with 'unit' expects the sortBy field to be a Date"
        raise OperationFailure(msg, code=5423903)
    if not dtype.is_numeric():
        msg = f"{op} expects the sortBy field to be numeric"
        raise OperationFailure(msg, code=5423904)
    return key.cast(pl.Float64), None


def _numeric_input(op: str, arg: Mapping[str, Any], frame: Frame) -> pl.Expr:
    val = compile_expr(arg["input"], frame.ctx)
    if not val.dtype.is_numeric():
        msg = f"{op} requires a numeric 'input'"
        raise OperationFailure(msg, code=5423905)
    return val.expr.cast(pl.Float64)


def _derivative(
    op: str, arg: Any, window: Window, frame: Frame, out: str, lf: pl.LazyFrame
) -> pl.LazyFrame:
    arg = _object("$derivative", arg, {"input", "unit"}, ("input",))
    if not window.explicit:
        msg = "$derivative requires explicit window bounds"
        raise OperationFailure(msg, code=5490701)
    axis, unit_ms = _axis("$derivative", arg, frame)
    y = _numeric_input("$derivative", arg, frame)
    bad = raise_where(y.is_null() | axis.is_null(), "$derivative input must not be null", 5624903)
    lf = lf.with_columns(with_checks(axis, bad).alias(f"{out}:x"))
    lf = lf.with_columns(y.alias(f"{out}:y"))
    lf, s, e = _with_interval(window, frame, out, lf)
    run = _gather(f"{out}:x", e - 1) - _gather(f"{out}:x", s)
    rise = _gather(f"{out}:y", e - 1) - _gather(f"{out}:y", s)
    rate = rise / run if unit_ms is None else rise / run * unit_ms
    value = pl.when((e - s >= 2) & (run != 0)).then(rate).otherwise(None)
    return lf.with_columns(value.alias(out))


def _integral(
    op: str, arg: Any, window: Window, frame: Frame, out: str, lf: pl.LazyFrame
) -> pl.LazyFrame:
    arg = _object("$integral", arg, {"input", "unit"}, ("input",))
    axis, unit_ms = _axis("$integral", arg, frame)
    y = _numeric_input("$integral", arg, frame)
    bad = raise_where(y.is_null() | axis.is_null(), "$integral input must not be null", 5423900)
    x, yy = f"{out}:x", f"{out}:y"
    lf = lf.with_columns(with_checks(axis, bad).alias(x))
    lf = lf.with_columns(y.alias(yy))
    area = (pl.col(yy) + pl.col(yy).shift(-1)) * (pl.col(x).shift(-1) - pl.col(x)) / 2.0
    lf = lf.with_columns(area.fill_null(0.0).cum_sum().over(PID).alias(f"{out}:cum"))
    # the last row's area pairs it with the next partition's first row: it is never summed,
    # since a window [s, e) adds the areas of rows s .. e-2 only.
    lf, s, e = _with_interval(window, frame, out, lf)
    before = pl.when(s > pl.col(START)).then(_gather(f"{out}:cum", s - 1)).otherwise(0.0)
    total = _gather(f"{out}:cum", e - 2) - before
    total = total if unit_ms is None else true_div(total, pl.lit(unit_ms))
    value = pl.when(e - s >= 2).then(total).when(e - s == 1).then(0.0).otherwise(None)
    return lf.with_columns(value.alias(out))


def _ema(
    op: str, arg: Any, window: Window, frame: Frame, out: str, lf: pl.LazyFrame
) -> pl.LazyFrame:
    arg = _object("$expMovingAvg", arg, {"input", "N", "alpha"}, ("input",))
    if ("N" in arg) == ("alpha" in arg):
        msg = "$expMovingAvg requires exactly one of 'N' or 'alpha'"
        raise OperationFailure(msg, code=5433602)
    if "N" in arg:
        n = arg["N"]
        if (
            isinstance(n, bool)
            or not isinstance(n, int | float)
            or not float(n).is_integer()
            or n < 1
        ):
            msg = f"'N' field must be a positive integer, but found N: {n!r}"
            raise OperationFailure(msg, code=5433603)
        alpha = 2.0 / (int(n) + 1)
    else:
        alpha = arg["alpha"]
        if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
            msg = f"'alpha' must be between 0 and 1 (exclusive), found alpha: {alpha!r}"
            raise OperationFailure(msg, code=5433604)
    val = compile_expr(arg["input"], frame.ctx)
    if not val.dtype.is_numeric():
        return lf.with_columns(pl.lit(None, dtype=pl.Float64).alias(out))
    ema = val.expr.cast(pl.Float64).ewm_mean(alpha=float(alpha), adjust=False, ignore_nulls=True)
    return lf.with_columns(ema.forward_fill().over(PID).alias(out))


#: The window functions this module provides, by name: ``catalog`` files them in
#: ``windows.WINDOW_FUNCTIONS``.
WINDOW_FUNCTIONS: dict[str, WindowFunctionFn] = {
    # computed from positions and the sort keys only
    "$documentNumber": _rank,
    "$rank": _rank,
    "$denseRank": _rank,
    "$shift": _shift,
    "$expMovingAvg": _ema,
    "$derivative": _derivative,
    "$integral": _integral,
    # $group accumulators used as window functions (see SHARED_WITH_ACCUMULATORS)
    "$first": _first_last,
    "$last": _first_last,
    "$count": _count,
    "$sum": _running_or_grouped,
    "$avg": _running_or_grouped,
    "$min": _running_or_grouped,
    "$max": _running_or_grouped,
    "$push": _grouped,
    "$addToSet": _grouped,
    "$stdDevPop": _grouped,
    "$stdDevSamp": _grouped,
    "$median": _grouped,
    "$percentile": _grouped,
    "$top": _grouped,
    "$bottom": _grouped,
    "$topN": _grouped,
    "$bottomN": _grouped,
    "$firstN": _grouped,
    "$lastN": _grouped,
    "$minN": _grouped,
    "$maxN": _grouped,
    "$mergeObjects": _grouped,
}

#: The window functions that are also ``$group`` accumulators, deliberately under the same name
#: (MongoDB's: an accumulator used in ``$setWindowFields`` accumulates over the window).
SHARED_WITH_ACCUMULATORS = frozenset(
    {
        "$first", "$last", "$count", "$sum", "$avg", "$min", "$max", "$push", "$addToSet",
        "$stdDevPop", "$stdDevSamp", "$median", "$percentile", "$top", "$bottom", "$topN",
        "$bottomN", "$firstN", "$lastN", "$minN", "$maxN", "$mergeObjects",
    }
)  # fmt: skip
