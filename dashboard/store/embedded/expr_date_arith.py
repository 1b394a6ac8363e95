"""``$dateTrunc``, ``$dateAdd``, ``$dateSubtract`` and ``$dateDiff``: calendar arithmetic.

Units of a day or more work on the local wall clock of ``timezone`` (so a day across a DST change is
23 or 25 hours, and a truncated day starts at local midnight); hours and smaller units are fixed
lengths of time. ``$dateDiff`` counts unit *boundaries* crossed, not elapsed durations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from dashboard.store.embedded.expr_date import (
    ABSENT,
    DAY_MS,
    DAYS_OF_WEEK,
    UNIT_MS,
    UNITS,
    choice,
    date_input,
    integral_input,
    options,
    with_null,
)
from dashboard.store.embedded.expr_date_zone import UTC, Zone, compile_zone
from dashboard.store.embedded.expressions import OperatorFn, compile_expr
from dashboard.store.embedded.runtime_errors import raise_where, with_checks
from dashboard.store.embedded.values import DATE, Ctx, Val, bson_type
from dashboard.store.errors import OperationFailure

__all__ = ["OPERATORS"]

#: 2000-01-01T00:00:00Z, MongoDB's reference point for ``$dateTrunc`` bins.
_REFERENCE_MS = 946_684_800_000
_REFERENCE_DAY = 10_957  # days from 1970-01-01 to 2000-01-01 (a Saturday)


def _by_unit(
    op: str, spec: Any, ctx: Ctx, build: Callable[[str], pl.Expr], dtype: pl.DataType
) -> pl.Expr:
    """``build(unit)`` for the ``unit`` argument (null where it is null)."""

    def not_string(type_name: str) -> OperationFailure:
        return OperationFailure(
            f"{op} requires 'unit' to be a string, but got {type_name}", 5439013
        )

    def unknown(value: str) -> OperationFailure:
        msg = (
            f"{op} parameter 'unit' value parsing failed :: caused by :: "
            f"unknown time unit value: {value}"
        )
        return OperationFailure(msg, code=9)

    units = {u: u for u in UNITS}
    v = compile_expr(spec, ctx)
    return choice(v, units, build, dtype, not_string=not_string, unknown=unknown)


def _by_start_of_week(
    op: str, spec: Any, ctx: Ctx, build: Callable[[int], pl.Expr], dtype: pl.DataType
) -> pl.Expr:
    """``build(ISO day number)`` for the ``startOfWeek`` argument (default Sunday)."""
    if spec is ABSENT:
        return build(DAYS_OF_WEEK["sunday"])

    def not_string(type_name: str) -> OperationFailure:
        msg = f"{op} requires 'startOfWeek' to be a string, but got {type_name}"
        return OperationFailure(msg, code=5439015)

    def unknown(value: str) -> OperationFailure:
        msg = f"{op} parameter 'startOfWeek' value cannot be recognized as a day of a week: {value}"
        return OperationFailure(msg, code=5439016)

    v = compile_expr(spec, ctx)
    return choice(
        v, DAYS_OF_WEEK, build, dtype, not_string=not_string, unknown=unknown, casefold=True
    )


def _epoch_day(local_ms: pl.Expr) -> pl.Expr:
    return local_ms // DAY_MS


def _week_day(day: pl.Expr, start_of_week: int) -> pl.Expr:
    """Position of epoch day ``day`` in a week starting on ISO day ``start_of_week`` (0 … 6)."""
    iso = (day + 3) % 7 + 1  # 1970-01-01 was a Thursday (ISO 4)
    return (iso - start_of_week + 7) % 7


def _trunc_div(a: pl.Expr, b: int) -> pl.Expr:
    """Integer division rounding toward zero, as C++ does."""
    return pl.when(a < 0).then(-((-a) // b)).otherwise(a // b)


# -- $dateTrunc ------------------------------------------------------------------------------------
def _date_trunc(spec: Any, ctx: Ctx) -> Val:
    args = options(
        spec,
        "$dateTrunc",
        ("date", "unit", "binSize", "timezone", "startOfWeek"),
        {"date": 5439009, "unit": 5439010},
        codes=(5439007, 5439008),
    )
    date, date_check = date_input(
        compile_expr(args["date"], ctx),
        lambda t: f"$dateTrunc requires 'date' to be a date, but got {t}",
        5166307,
    )
    bin_size, checks, single = pl.lit(1, pl.Int64), [date_check], True
    if "binSize" in args:
        size = compile_expr(args["binSize"], ctx)
        single = size.is_const and size.const == 1 and not isinstance(size.const, bool)
        bin_size, type_check = integral_input(size, lambda x: _bin_size_type(x, size), 5439017)
        positive = raise_where(
            bin_size <= 0,
            lambda x: f"$dateTrunc requires 'binSize' to be greater than 0, but got value {x}",
            5439018,
            bin_size,
            fold=True,
        )
        checks.extend([type_check, positive])
    zone = compile_zone(args["timezone"], ctx) if "timezone" in args else UTC

    def build(unit: str) -> pl.Expr:
        if unit in UNIT_MS:
            return _trunc_fixed(date, zone, bin_size * UNIT_MS[unit])
        if unit == "week":
            return _by_start_of_week(
                "$dateTrunc",
                args.get("startOfWeek", ABSENT),
                ctx,
                lambda sow: _trunc_calendar(date, zone, bin_size, single, unit, sow),
                DATE,
            )
        return _trunc_calendar(date, zone, bin_size, single, unit, 7)

    expr = _by_unit("$dateTrunc", args["unit"], ctx, build, DATE)
    expr = with_checks(with_null(expr, bin_size.is_null(), zone.null), *checks)
    return Val(expr=expr, dtype=DATE, missing=None)


def _bin_size_type(value: Any, size: Val) -> str:
    return (
        f"$dateTrunc requires 'binSize' to be a 64-bit integer, but got value '{value}' "
        f"of type {bson_type(size.dtype)}"
    )


def _trunc_fixed(date: pl.Expr, zone: Zone, bin_ms: pl.Expr) -> pl.Expr:
    """Bins of fixed length aligned to 2000-01-01T00:00 local time (its offset on that instant)."""
    reference = pl.lit(_REFERENCE_MS).cast(DATE)
    origin = _REFERENCE_MS - zone.offset_ms_at(reference)
    t = date.cast(pl.Int64)
    return (t - (t - origin) % bin_ms).cast(DATE)


def _trunc_calendar(
    date: pl.Expr, zone: Zone, bin_size: pl.Expr, single: bool, unit: str, start_of_week: int
) -> pl.Expr:
    """Calendar bins counted from 2000-01-01 (weeks: the first ``start_of_week`` on or after it).

    The local time is truncated to its unit; with bins of several units the start moves back to
    the bin boundary. ``single`` says the bin size is the constant 1.
    """
    local = zone.to_local(date)
    adjust = (7 - (6 - start_of_week + 7) % 7) % 7 if unit == "week" else 0
    if unit in ("day", "week"):
        start = local.dt.truncate("1d")
        length = 1
        if unit == "week":
            start = start - pl.duration(days=(start.dt.weekday() - start_of_week + 7) % 7)
            length = 7
        if not single:
            units = (_epoch_day(start.cast(pl.Int64)) - _REFERENCE_DAY - adjust) // length
            start = start - pl.duration(days=(units % bin_size) * length)
    else:
        start = local.dt.truncate({"month": "1mo", "quarter": "1q", "year": "1y"}[unit])
        if not single:
            step = {"month": 1, "quarter": 3, "year": 12}[unit]
            months = (start.dt.year().cast(pl.Int64) - 2000) * 12 + start.dt.month() - 1
            back = ((months // step) % bin_size) * step
            start = start.dt.offset_by(pl.format("{}mo", -back))
    reference = pl.lit(_REFERENCE_MS).cast(DATE)
    like = (_REFERENCE_MS - zone.offset_ms_at(reference) + adjust * DAY_MS).cast(DATE)
    return zone.from_local(start, like)


# -- $dateAdd / $dateSubtract ----------------------------------------------------------------------
def _date_add(spec: Any, ctx: Ctx, op: str, sign: int) -> Val:
    if not isinstance(spec, Mapping):
        raise OperationFailure(f"{op} expects an object as its argument", code=5166400)
    fields = ("startDate", "unit", "amount", "timezone")
    args = options(spec, op, fields, {}, codes=(5166400, 5166401))
    if any(key not in args for key in fields[:3]):
        msg = f"{op} requires startDate, unit, and amount to be present"
        raise OperationFailure(msg, code=5166402)
    date, date_check = date_input(
        compile_expr(args["startDate"], ctx),
        lambda t: f"{op} requires startDate to be convertible to a date",
        5166403,
    )
    amount, amount_check = integral_input(
        compile_expr(args["amount"], ctx),
        lambda x: f"{op} expects integer amount of time units",
        5166405,
    )
    amount = amount * sign
    zone = compile_zone(args["timezone"], ctx) if "timezone" in args else UTC
    expr = _by_unit(op, args["unit"], ctx, lambda unit: add_units(date, unit, amount, zone), DATE)
    expr = with_checks(with_null(expr, zone.null), date_check, amount_check)
    return Val(expr=expr, dtype=DATE, missing=None)


def add_units(date: pl.Expr, unit: str, amount: pl.Expr, zone: Zone) -> pl.Expr:
    """``date`` plus ``amount`` ``unit``s, as MongoDB's ``$dateAdd`` computes it.

    Hours and smaller units add fixed durations. Days and weeks move the local calendar date and keep
    the local time of day; months, quarters and years also clamp the day to the end of the target
    month (Jan 31 + 1 month = Feb 28 or 29), as Polars' ``offset_by`` does.
    """
    if unit in UNIT_MS:
        return (date.cast(pl.Int64) + amount * UNIT_MS[unit]).cast(DATE)
    local = zone.to_local(date)
    if unit in ("day", "week"):
        moved = local + pl.duration(days=amount * (7 if unit == "week" else 1))
    else:
        months = amount * {"month": 1, "quarter": 3, "year": 12}[unit]
        moved = local.dt.offset_by(pl.format("{}mo", months))
    return zone.from_local(moved, date)


def _date_add_op(spec: Any, ctx: Ctx) -> Val:
    return _date_add(spec, ctx, "$dateAdd", 1)


def _date_subtract_op(spec: Any, ctx: Ctx) -> Val:
    return _date_add(spec, ctx, "$dateSubtract", -1)


# -- $dateDiff -------------------------------------------------------------------------------------
def _date_diff(spec: Any, ctx: Ctx) -> Val:
    args = options(
        spec,
        "$dateDiff",
        ("startDate", "endDate", "unit", "timezone", "startOfWeek"),
        {"startDate": 5166303, "endDate": 5166304, "unit": 5166305},
        codes=(5166301, 5166302),
    )
    dates: list[pl.Expr] = []
    checks: list[pl.Expr | None] = []
    for name in ("startDate", "endDate"):
        expr, check = date_input(
            compile_expr(args[name], ctx),
            lambda t, n=name: f"$dateDiff requires '{n}' to be a date, but got {t}",
            5166307,
        )
        dates.append(expr)
        checks.append(check)
    start, end = dates
    zone = compile_zone(args["timezone"], ctx) if "timezone" in args else UTC

    def build(unit: str) -> pl.Expr:
        if unit == "week":
            return _by_start_of_week(
                "$dateDiff",
                args.get("startOfWeek", ABSENT),
                ctx,
                lambda sow: diff_units(start, end, unit, zone, sow),
                pl.Int64(),
            )
        return diff_units(start, end, unit, zone, 7)

    expr = _by_unit("$dateDiff", args["unit"], ctx, build, pl.Int64())
    expr = with_checks(with_null(expr, zone.null), *checks)
    return Val(expr=expr, dtype=pl.Int64(), missing=None)


def diff_units(start: pl.Expr, end: pl.Expr, unit: str, zone: Zone, start_of_week: int) -> pl.Expr:
    """How many ``unit`` boundaries lie between ``start`` and ``end`` (negative when end < start).

    Calendar units compare local calendar fields; hours, minutes and seconds count local boundaries
    corrected by the change of UTC offset, so they measure real time across DST changes.
    """
    if unit == "millisecond":
        return end.cast(pl.Int64) - start.cast(pl.Int64)
    s_local, e_local = zone.to_local(start), zone.to_local(end)
    s_ms, e_ms = s_local.cast(pl.Int64), e_local.cast(pl.Int64)
    s_year, e_year = s_local.dt.year().cast(pl.Int64), e_local.dt.year().cast(pl.Int64)
    s_month, e_month = s_local.dt.month().cast(pl.Int64), e_local.dt.month().cast(pl.Int64)
    if unit == "year":
        return e_year - s_year
    if unit == "quarter":
        return (e_year * 4 + (e_month - 1) // 3) - (s_year * 4 + (s_month - 1) // 3)
    if unit == "month":
        return (e_year * 12 + e_month) - (s_year * 12 + s_month)
    s_day, e_day = _epoch_day(s_ms), _epoch_day(e_ms)
    if unit == "day":
        return e_day - s_day
    if unit == "week":
        s_week = s_day - _week_day(s_day, start_of_week)
        e_week = e_day - _week_day(e_day, start_of_week)
        return (e_week - s_week) // 7
    size = UNIT_MS[unit]
    shift = (s_ms - start.cast(pl.Int64)) - (e_ms - end.cast(pl.Int64))  # offset change, in ms
    return (e_ms // size - s_ms // size) + _trunc_div(shift, size)


#: The expression operators this module provides, by name: ``catalog`` files them in
#: ``expressions.OPERATORS``.
OPERATORS: dict[str, OperatorFn] = {
    "$dateTrunc": _date_trunc,
    "$dateAdd": _date_add_op,
    "$dateSubtract": _date_subtract_op,
    "$dateDiff": _date_diff,
}
