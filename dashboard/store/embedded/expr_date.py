"""What the date expression operators share: units, argument checks and calendar math.

Dates are ``Datetime("ms", "UTC")`` instants; time zones (``expr_date_zone``) turn them into local
wall-clock times and back. The operators live in ``expr_date_parts`` (``$year`` … ``$dateToParts``,
``$dateFromParts``), ``expr_date_format`` (``$dateToString``, ``$dateFromString``) and
``expr_date_arith`` (``$dateTrunc``, ``$dateAdd``, ``$dateSubtract``, ``$dateDiff``); this module
holds no operator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import polars as pl

from dashboard.store.embedded.runtime_errors import raise_where, with_checks
from dashboard.store.embedded.values import DATE, Val, bson_type
from dashboard.store.errors import OperationFailure

__all__ = [
    "ABSENT",
    "DAYS_OF_WEEK",
    "DAY_MS",
    "LOCAL",
    "UNITS",
    "UNIT_MS",
    "choice",
    "civil_days",
    "date_input",
    "days_in_month",
    "integral_input",
    "options",
    "with_null",
]

LOCAL = pl.Datetime("ms")
DAY_MS = 86_400_000
UNITS = ("year", "quarter", "month", "week", "day", "hour", "minute", "second", "millisecond")
UNIT_MS = {"millisecond": 1, "second": 1_000, "minute": 60_000, "hour": 3_600_000}
#: MongoDB's day-of-week names (case-insensitive) → ISO day number (Monday 1 … Sunday 7).
DAYS_OF_WEEK = {
    name: number
    for number, (full, short) in enumerate(
        [
            ("monday", "mon"),
            ("tuesday", "tue"),
            ("wednesday", "wed"),
            ("thursday", "thu"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        ],
        start=1,
    )
    for name in (full, short)
}
#: Marks an optional argument that was not given (a literal ``null`` is given, and means null).
ABSENT: Any = object()


def with_null(expr: pl.Expr, *masks: pl.Expr | None) -> pl.Expr:
    """``expr``, null where any of ``masks`` is true (a null argument, a null timezone …)."""
    for mask in masks:
        if mask is not None:
            expr = pl.when(mask.fill_null(False)).then(None).otherwise(expr)
    return expr


# -- inputs ----------------------------------------------------------------------------------------
def date_input(v: Val, message: Callable[[str], str], code: int) -> tuple[pl.Expr, pl.Expr | None]:
    """A date argument as a ``DATE`` expression (null where nullish) and its type check, if any.

    Dates and ObjectIds (their creation second) are accepted; any other non-null value fails with
    ``message(type name)``.
    """
    dtype = v.dtype
    if isinstance(dtype, pl.Datetime):
        expr = v.expr
        if dtype.time_zone is None:
            expr = expr.dt.replace_time_zone("UTC")
        elif dtype.time_zone != "UTC":
            expr = expr.dt.convert_time_zone("UTC")
        return expr.dt.cast_time_unit("ms"), None
    if dtype == pl.Null:
        return pl.lit(None, DATE), None
    if dtype == pl.Binary:
        seconds = v.expr.bin.slice(0, 4).bin.reinterpret(dtype=pl.UInt32, endianness="big")
        return (seconds.cast(pl.Int64) * 1000).cast(LOCAL).dt.replace_time_zone("UTC"), None
    return pl.lit(None, DATE), raise_where(
        v.expr.is_not_null(), message(bson_type(dtype)), code, fold=True
    )


def integral_input(
    v: Val, message: Callable[[Any], str], code: int
) -> tuple[pl.Expr, pl.Expr | None]:
    """A whole-number argument as Int64 (null where nullish), and its check (doubles must be whole)."""
    dtype = v.dtype
    if dtype == pl.Null:
        return pl.lit(None, pl.Int64), None
    if dtype.is_integer():
        return v.expr.cast(pl.Int64), None
    if dtype.is_float() or isinstance(dtype, pl.Decimal):
        f = v.expr.cast(pl.Float64)
        bad = f.is_not_null() & (
            f.is_nan() | f.is_infinite() | (f != f.floor()) | (f.abs() > 2**63)
        )
        whole = pl.when(bad).then(None).otherwise(f).cast(pl.Int64)
        return whole, raise_where(bad, message, code, f, fold=True)
    return pl.lit(None, pl.Int64), raise_where(
        v.expr.is_not_null(), message, code, v.expr, fold=True
    )


def choice(
    v: Val,
    allowed: Mapping[str, Any],
    build: Callable[[Any], pl.Expr],
    dtype: pl.DataType,
    *,
    not_string: Callable[[str], OperationFailure],
    unknown: Callable[[str], OperationFailure],
    casefold: bool = False,
) -> pl.Expr:
    """``build(allowed[value])`` for a string option (a unit, a day of the week), null where null.

    A literal option is resolved at compile time; one read from documents picks per row.
    """
    if v.is_const:
        if v.const is None:
            return pl.lit(None, dtype)
        if not isinstance(v.const, str):
            raise not_string(bson_type(v.dtype))
        key = v.const.lower() if casefold else v.const
        if key not in allowed:
            raise unknown(v.const)
        return build(allowed[key])
    if v.dtype == pl.Null:
        return pl.lit(None, dtype)
    if v.dtype != pl.String:
        err = not_string(bson_type(v.dtype))
        return with_checks(
            pl.lit(None, dtype),
            raise_where(v.expr.is_not_null(), str(err), err.code or 2, fold=True),
        )
    key = v.expr.str.to_lowercase() if casefold else v.expr
    out = pl.lit(None, dtype)
    for name, value in allowed.items():
        out = pl.when(key == name).then(build(value)).otherwise(out)
    bad = v.expr.is_not_null() & ~key.is_in(list(allowed))
    err = unknown("?")
    check = raise_where(bad, lambda s: str(unknown(s)), err.code or 9, v.expr, fold=True)
    return with_checks(out, check)


def options(
    spec: Any,
    op: str,
    allowed: Iterable[str],
    required: Mapping[str, int],
    *,
    codes: tuple[int, int],
) -> dict[str, Any]:
    """The document argument of ``op``: unknown fields and missing required ones are errors.

    ``required`` maps each required field to MongoDB's code for its absence; ``codes`` are the codes
    for an argument that is not an object and for an unrecognized field.
    """
    if not isinstance(spec, Mapping):
        raise OperationFailure(f"{op} only supports an object as its argument", code=codes[0])
    allowed = set(allowed)
    for key in spec:
        if key not in allowed:
            raise OperationFailure(f"Unrecognized argument to {op}: {key}", code=codes[1])
    for key, code in required.items():
        if key not in spec:
            raise OperationFailure(f"Missing '{key}' parameter to {op}", code=code)
    return dict(spec)


# -- calendar arithmetic (vectorised, never raising on out-of-range parts) -------------------------
#: Years are clipped to this range before Polars builds a date (its calendar spans ±262,000 years);
#: callers check the ranges MongoDB allows.
_YEAR_LIMIT = 200_000


def civil_days(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    """Days since 1970-01-01 of proleptic Gregorian (year, month, day); months and days may overflow.

    Months outside 1-12 carry into the year and days outside the month carry into the next or
    previous months, as ``$dateFromParts`` does. Each argument is referenced once or twice, so the
    expression stays small when the arguments are large expressions.
    """
    total = year.cast(pl.Int64) * 12 + month.cast(pl.Int64) - 1
    first = pl.date((total // 12).clip(-_YEAR_LIMIT, _YEAR_LIMIT), total % 12 + 1, 1)
    return first.cast(pl.Int64) + day.cast(pl.Int64) - 1


def days_in_month(year: pl.Expr, month: pl.Expr) -> pl.Expr:
    """The number of days of month ``month`` (1-12) of ``year``."""
    first = pl.date(year.cast(pl.Int64).clip(-_YEAR_LIMIT, _YEAR_LIMIT), month, 1)
    return first.dt.days_in_month().cast(pl.Int64)
