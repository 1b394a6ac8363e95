"""Date part operators: ``$year`` … ``$isoDayOfWeek``, ``$dateToParts`` and ``$dateFromParts``.

Parts are read from the local wall clock of the ``timezone`` argument (UTC by default). The single
part operators take ``<date>``, ``[<date>]`` or ``{date, timezone}``; null or missing input gives null.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from dashboard.store.embedded.expr_date import (
    ABSENT,
    DAY_MS,
    LOCAL,
    civil_days,
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

__all__ = ["OPERATORS", "PARTS", "local_date"]


def _day_of_week(local: pl.Expr) -> pl.Expr:
    """1 = Sunday … 7 = Saturday."""
    return local.dt.weekday() % 7 + 1


def _week(local: pl.Expr) -> pl.Expr:
    """Week of the year, weeks starting on Sunday; days before the first Sunday are week 0 (%U)."""
    return (local.dt.ordinal_day().cast(pl.Int64) - _day_of_week(local) + 7) // 7


#: Each part operator's value, computed from the local wall-clock time.
PARTS: dict[str, Callable[[pl.Expr], pl.Expr]] = {
    "$year": lambda d: d.dt.year(),
    "$month": lambda d: d.dt.month(),
    "$dayOfMonth": lambda d: d.dt.day(),
    "$hour": lambda d: d.dt.hour(),
    "$minute": lambda d: d.dt.minute(),
    "$second": lambda d: d.dt.second(),
    "$millisecond": lambda d: d.dt.millisecond(),
    "$dayOfYear": lambda d: d.dt.ordinal_day(),
    "$dayOfWeek": _day_of_week,
    "$week": _week,
    "$isoWeek": lambda d: d.dt.week(),
    "$isoWeekYear": lambda d: d.dt.iso_year(),
    "$isoDayOfWeek": lambda d: d.dt.weekday(),
}


def _bad_date(type_name: str) -> str:
    return f"can't convert from BSON type {type_name} to Date"


def local_date(date_spec: Any, tz_spec: Any, ctx: Ctx) -> tuple[pl.Expr, Zone, pl.Expr | None]:
    """The local wall-clock time of a date argument, its zone, and the date's type check."""
    date, check = date_input(compile_expr(date_spec, ctx), _bad_date, 16006)
    zone = compile_zone(tz_spec, ctx) if tz_spec is not ABSENT else UTC
    return zone.to_local(date), zone, check


def _date_and_zone(name: str, spec: Any) -> tuple[Any, Any]:
    """The date and timezone of a part operator's argument, in any of its three forms."""
    if isinstance(spec, Mapping) and not (spec and str(next(iter(spec))).startswith("$")):
        for key in spec:
            if key not in ("date", "timezone"):
                msg = f'unrecognized option to {name}: "{key}"'
                raise OperationFailure(msg, code=40535)
        if "date" not in spec:
            raise OperationFailure(
                f"missing 'date' argument to {name}, provided: {spec}", code=40539
            )
        return spec["date"], spec.get("timezone", ABSENT)
    if isinstance(spec, list | tuple):
        if len(spec) != 1:
            msg = (
                f"{name} accepts exactly one argument if given an array, but was given {len(spec)}"
            )
            raise OperationFailure(msg, code=40536)
        return spec[0], ABSENT
    return spec, ABSENT


def _part_operator(name: str) -> OperatorFn:
    def compile_part(spec: Any, ctx: Ctx) -> Val:
        date_spec, tz_spec = _date_and_zone(name, spec)
        local, zone, check = local_date(date_spec, tz_spec, ctx)
        expr = with_checks(with_null(PARTS[name](local).cast(pl.Int64), zone.null), check)
        return Val(expr=expr, dtype=pl.Int64(), missing=None)

    return compile_part


def _date_to_parts(spec: Any, ctx: Ctx) -> Val:
    args = options(
        spec,
        "$dateToParts",
        ("date", "timezone", "iso8601"),
        {"date": 40522},
        codes=(40524, 40520),
    )
    local, zone, check = local_date(args["date"], args.get("timezone", ABSENT), ctx)
    iso = compile_expr(args.get("iso8601", False), ctx)
    if not iso.is_const:
        raise ctx.unsupported("$dateToParts with an 'iso8601' flag that is not a constant")
    if iso.const is not None and not isinstance(iso.const, bool):
        msg = f"iso8601 must evaluate to a bool, found {bson_type(iso.dtype)}"
        raise OperationFailure(msg, code=40521)
    if iso.const:
        head = {
            "isoWeekYear": "$isoWeekYear",
            "isoWeek": "$isoWeek",
            "isoDayOfWeek": "$isoDayOfWeek",
        }
    else:
        head = {"year": "$year", "month": "$month", "day": "$dayOfMonth"}
    fields = {**head, "hour": "$hour", "minute": "$minute", "second": "$second"}
    fields["millisecond"] = "$millisecond"
    struct = pl.struct([PARTS[op](local).cast(pl.Int64).alias(k) for k, op in fields.items()])
    iso_null = pl.lit(iso.const is None)
    expr = with_checks(with_null(struct, local.is_null(), iso_null, zone.null), check)
    dtype = pl.Struct({k: pl.Int64() for k in fields})
    return Val(expr=expr, dtype=dtype, missing=None)


_FROM_PARTS_FIELDS = (
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "millisecond",
    "isoWeekYear",
    "isoWeek",
    "isoDayOfWeek",
    "timezone",
)
#: Parts limited to a 16-bit range, as MongoDB limits them (it errors with code 31034 outside).
_BOUNDED = frozenset({"month", "day", "hour", "minute", "isoWeek", "isoDayOfWeek"})


def _date_from_parts(spec: Any, ctx: Ctx) -> Val:
    args = options(spec, "$dateFromParts", _FROM_PARTS_FIELDS, {}, codes=(40519, 40518))
    if "year" not in args and "isoWeekYear" not in args:
        msg = "$dateFromParts requires either 'year' or 'isoWeekYear' to be present"
        raise OperationFailure(msg, code=40516)
    if "year" in args and any(k in args for k in ("isoWeekYear", "isoWeek", "isoDayOfWeek")):
        msg = "$dateFromParts does not allow mixing natural dates with ISO dates"
        raise OperationFailure(msg, code=40489)
    if "isoWeekYear" in args and any(k in args for k in ("year", "month", "day")):
        msg = "$dateFromParts does not allow mixing ISO dates with natural dates"
        raise OperationFailure(msg, code=40525)
    checks: list[pl.Expr | None] = []
    nulls: list[pl.Expr] = []

    def part(name: str, default: int) -> pl.Expr:
        if name not in args:
            return pl.lit(default, pl.Int64)
        v = compile_expr(args[name], ctx)

        def message(value: Any, kind: str = bson_type(v.dtype)) -> str:
            return f"'{name}' must evaluate to an integer, found {kind} with value {value}"

        expr, check = integral_input(v, message, 40515)
        checks.append(check)
        nulls.append(expr.is_null())
        if name in _BOUNDED:
            bad = (expr < -32768) | (expr > 32767)
            checks.append(
                raise_where(bad, lambda x, n=name: _range_msg(n, x), 31034, expr, fold=True)
            )
        return expr

    def year_range(name: str, expr: pl.Expr, code: int) -> None:
        def message(value: Any) -> str:
            return f"'{name}' must evaluate to an integer in the range 1 to 9999, found {value}"

        checks.append(raise_where((expr < 1) | (expr > 9999), message, code, expr, fold=True))

    hour, minute = part("hour", 0), part("minute", 0)
    second, millisecond = part("second", 0), part("millisecond", 0)
    if "year" in args:
        year = part("year", 1970)
        days = civil_days(year, part("month", 1), part("day", 1))
        year_range("year", year, 40523)
    else:
        iso_year = part("isoWeekYear", 1970)
        week, weekday = part("isoWeek", 1), part("isoDayOfWeek", 1)
        jan1 = civil_days(iso_year, pl.lit(1), pl.lit(1))
        dow = (jan1 + 4) % 7  # 0 = Sunday (1970-01-01 was a Thursday)
        to_week1 = pl.when(dow > 4).then(7 - dow).otherwise(-dow)
        days = jan1 + to_week1 + (week - 1) * 7 + weekday
        year_range("isoWeekYear", iso_year, 31095)
    millis = days * DAY_MS + hour * 3_600_000 + minute * 60_000 + second * 1000 + millisecond
    zone = compile_zone(args["timezone"], ctx) if "timezone" in args else UTC
    millis = with_checks(with_null(millis, *nulls, zone.null), *checks)
    expr = zone.from_local(millis.cast(LOCAL))
    return Val(expr=expr, dtype=DATE, missing=None)


def _range_msg(name: str, value: Any) -> str:
    return (
        f"'{name}' must evaluate to a value in the range [-32768, 32767]; "
        f"value {value} is not in range"
    )


#: The expression operators this module provides, by name: ``catalog`` files them in
#: ``expressions.OPERATORS``.
OPERATORS: dict[str, OperatorFn] = {
    "$year": _part_operator("$year"),
    "$month": _part_operator("$month"),
    "$dayOfMonth": _part_operator("$dayOfMonth"),
    "$hour": _part_operator("$hour"),
    "$minute": _part_operator("$minute"),
    "$second": _part_operator("$second"),
    "$millisecond": _part_operator("$millisecond"),
    "$dayOfYear": _part_operator("$dayOfYear"),
    "$dayOfWeek": _part_operator("$dayOfWeek"),
    "$week": _part_operator("$week"),
    "$isoWeek": _part_operator("$isoWeek"),
    "$isoWeekYear": _part_operator("$isoWeekYear"),
    "$isoDayOfWeek": _part_operator("$isoDayOfWeek"),
    "$dateToParts": _date_to_parts,
    "$dateFromParts": _date_from_parts,
}
