"""``$dateToString`` and ``$dateFromString``: dates to and from text.

Polars' ``strftime`` specifiers differ from MongoDB's (``%L``, ``%u``, ``%U``, ``%V``, ``%G``, ``%j``,
``%w``, ``%Z``), so the output is built piece by piece from the local date parts. ``$dateFromString``
parses with a regular expression per format; without a format it reads ISO 8601 strings and refuses
(``UnsupportedOperation``) the many other forms MongoDB's parser guesses at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from dashboard.store.embedded.expr_date import (
    DAY_MS,
    LOCAL,
    civil_days,
    date_input,
    days_in_month,
    options,
    with_null,
)
from dashboard.store.embedded.expr_date_parts import PARTS
from dashboard.store.embedded.expr_date_zone import UTC, Zone, compile_zone
from dashboard.store.embedded.expressions import OperatorFn, choose, compile_expr
from dashboard.store.embedded.runtime_errors import raise_where, refuse_where, with_checks
from dashboard.store.embedded.values import DATE, Ctx, Val, bson_type, dtype_of_python
from dashboard.store.errors import OperationFailure, UnsupportedOperation

__all__ = ["OPERATORS"]

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_TO_STRING_SPECIFIERS = frozenset("bBdGHjLmMSwuUVYzZ")
_FROM_STRING_SPECIFIERS = frozenset("bBdGHjLmMSuVYzZ")
_ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.%L"
#: MongoDB's ConversionFailure code, caught by ``$dateFromString``'s ``onError``.
_CONVERSION_FAILURE = 241


def _tokens(fmt: str, allowed: frozenset[str]) -> list[tuple[bool, str]]:
    """A format string as (is_specifier, text) pieces, checked as MongoDB checks it."""
    out: list[tuple[bool, str]] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            out.append((False, ch))
            i += 1
            continue
        if i + 1 >= len(fmt):
            raise OperationFailure("Unmatched '%' at end of format string", code=18535)
        spec = fmt[i + 1]
        if spec == "%":
            out.append((False, "%"))
        elif spec in allowed:
            out.append((True, spec))
        else:
            msg = f"Invalid format character '%{spec}' in format string"
            raise OperationFailure(msg, code=18536)
        i += 2
    return out


def _pad(value: pl.Expr, width: int) -> pl.Expr:
    return value.cast(pl.Int64).cast(pl.String).str.zfill(width)


def _piece(spec: str, local: pl.Expr, offset_ms: pl.Expr) -> pl.Expr:
    """The text of one MongoDB format specifier (widths as MongoDB pads them)."""
    simple = {
        "Y": ("$year", 4),
        "m": ("$month", 2),
        "d": ("$dayOfMonth", 2),
        "H": ("$hour", 2),
        "M": ("$minute", 2),
        "S": ("$second", 2),
        "L": ("$millisecond", 3),
        "j": ("$dayOfYear", 3),
        "w": ("$dayOfWeek", 1),
        "U": ("$week", 2),
        "G": ("$isoWeekYear", 4),
        "V": ("$isoWeek", 2),
        "u": ("$isoDayOfWeek", 1),
    }
    if spec in simple:
        op, width = simple[spec]
        return _pad(PARTS[op](local), width)
    if spec in "bB":
        names = {i + 1: (m[:3] if spec == "b" else m) for i, m in enumerate(_MONTHS)}
        return local.dt.month().cast(pl.Int64).replace_strict(names, return_dtype=pl.String)
    seconds = offset_ms // 1000
    minutes = seconds.abs() // 60
    if spec == "z":
        sign = pl.when(seconds < 0).then(pl.lit("-")).otherwise(pl.lit("+"))
        return pl.concat_str([sign, _pad(minutes // 60, 2), _pad(minutes % 60, 2)])
    return pl.when(seconds < 0).then(-minutes).otherwise(minutes).cast(pl.String)  # %Z


def _format(fmt: str, local: pl.Expr, offset_ms: pl.Expr) -> tuple[pl.Expr, pl.Expr | None]:
    """``local`` rendered with a MongoDB format, and the check that years fit in 0-9999."""
    tokens = _tokens(fmt, _TO_STRING_SPECIFIERS)
    if not tokens:
        return pl.lit(""), None
    pieces = [_piece(t, local, offset_ms) if spec else pl.lit(t) for spec, t in tokens]
    check = None
    years = [
        PARTS["$year" if t == "Y" else "$isoWeekYear"](local) for s, t in tokens if s and t in "YG"
    ]
    if years:
        bad = pl.any_horizontal([(y < 0) | (y > 9999) for y in years])
        message = (
            "Could not convert date to string: date component was outside the supported range "
            "of 0-9999"
        )
        check = raise_where(bad, lambda y: f"{message}: {y}", 18537, years[0], fold=True)
    return pl.concat_str(pieces), check


def _date_to_string(spec: Any, ctx: Ctx) -> Val:
    args = options(
        spec,
        "$dateToString",
        ("date", "format", "timezone", "onNull"),
        {"date": 18628},
        codes=(18629, 18534),
    )
    date, type_check = date_input(compile_expr(args["date"], ctx), _bad_date, 16006)
    zone = compile_zone(args["timezone"], ctx) if "timezone" in args else UTC
    local = zone.to_local(date)
    offset = zone.offset_ms_at(date)
    format_null = None
    if "format" in args:
        fmt = compile_expr(args["format"], ctx)
        if not fmt.is_const:
            raise ctx.unsupported("$dateToString with a 'format' that is not a constant")
        if fmt.const is None:
            text, year_check, format_null = pl.lit(None, pl.String), None, pl.lit(True)
        elif not isinstance(fmt.const, str):
            msg = (
                "$dateToString requires that 'format' be a string, found: "
                f"{bson_type(fmt.dtype)} with value {fmt.const}"
            )
            raise OperationFailure(msg, code=18533)
        else:
            text, year_check = _format(fmt.const, local, offset)
    else:
        text, year_check = _format(_ISO_FORMAT, local, offset)
        text = pl.when(zone.is_utc()).then(text + pl.lit("Z")).otherwise(text)
    text = with_null(text, date.is_null(), zone.null, format_null)
    text = with_checks(text, type_check, year_check)
    result = Val(expr=text, dtype=pl.String(), missing=None)
    if "onNull" in args:
        result = choose(date.is_null(), compile_expr(args["onNull"], ctx), result, ctx)
    return result


def _bad_date(type_name: str) -> str:
    return f"can't convert from BSON type {type_name} to Date"


# -- $dateFromString -------------------------------------------------------------------------------
_NUMBER_WIDTH = {"Y": 4, "G": 4, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2, "V": 2, "j": 3, "L": 3}
_ZONE = r"Z|UTC|GMT|[+-]\d\d(?::?\d\d)?"
_ISO_STRING = (
    r"^\s*(?<Y>[0-9]{4})-(?<m>[0-9]{1,2})-(?<d>[0-9]{1,2})"
    r"(?:[T ](?<H>[0-9]{2}):(?<M>[0-9]{2})(?::(?<S>[0-9]{2})(?:[.,](?<F>[0-9]+))?)?)?"
    rf"\s*(?<z>{_ZONE})?\s*$"
)


def _format_regex(fmt: str) -> str:
    """A regular expression with one named group per specifier of a ``$dateFromString`` format."""
    parts: list[str] = ["^"]
    seen: set[str] = set()
    for is_spec, t in _tokens(fmt, _FROM_STRING_SPECIFIERS):
        if not is_spec:
            parts.append(re.escape(t))
            continue
        if t in seen:
            raise UnsupportedOperation(f"$dateFromString with '%{t}' twice in its format")
        seen.add(t)
        if t in _NUMBER_WIDTH:  # MongoDB's parser skips non-digits before a number
            parts.append(rf"\D*?(?<{t}>[0-9]{{1,{_NUMBER_WIDTH[t]}}})")
        elif t == "u":
            parts.append(r"\D*?(?<u>[0-9])")
        elif t in "bB":
            parts.append(rf"(?<{t}>[A-Za-z]+)")
        elif t == "z":
            parts.append(rf"(?<z>{_ZONE})")
        else:  # %Z: minutes east of UTC
            parts.append(r"(?<Z>[+-]?[0-9]{1,4})")
    return "".join(parts) + "$"


def _zone_minutes(text: pl.Expr) -> pl.Expr:
    """Minutes east of UTC of a ``Z`` / ``±hh[[:]mm]`` suffix (0 for ``Z``, ``UTC``, ``GMT``)."""
    digits = text.str.replace_all(r"[^0-9]", "")
    hours = digits.str.slice(0, 2).cast(pl.Int64, strict=False).fill_null(0)
    mins = digits.str.slice(2, 2).cast(pl.Int64, strict=False).fill_null(0)
    sign = pl.when(text.str.starts_with("-")).then(-1).otherwise(1)
    return sign * (hours * 60 + mins)


def _date_from_string(spec: Any, ctx: Ctx) -> Val:
    if not isinstance(spec, Mapping):
        kind = bson_type(dtype_of_python(spec))
        msg = f"$dateFromString only supports an object as an argument, found: {kind}"
        raise OperationFailure(msg, code=40540)
    args = options(
        spec,
        "$dateFromString",
        ("dateString", "format", "timezone", "onNull", "onError"),
        {"dateString": 40542},
        codes=(40540, 40541),
    )
    source = compile_expr(args["dateString"], ctx)
    zone = compile_zone(args["timezone"], ctx) if "timezone" in args else UTC
    regex, format_null = _ISO_STRING, None
    if "format" in args:
        fmt = compile_expr(args["format"], ctx)
        if not fmt.is_const:
            raise ctx.unsupported("$dateFromString with a 'format' that is not a constant")
        if fmt.const is None:
            format_null = pl.lit(True)
        elif not isinstance(fmt.const, str):
            msg = (
                "$dateFromString requires that 'format' be a string, found: "
                f"{bson_type(fmt.dtype)} with value {fmt.const}"
            )
            raise OperationFailure(msg, code=40684)
        else:
            regex = _format_regex(fmt.const)
    message: str | Callable[[Any], str] = _parse_error
    if source.dtype == pl.String and format_null is None:
        parsed, failed = _parse(source.expr, regex, zone, ctx)
    elif source.dtype in (pl.Null, pl.String):
        parsed, failed = pl.lit(None, DATE), pl.lit(False)
    else:
        parsed, failed = pl.lit(None, DATE), source.expr.is_not_null()
        message = (
            "$dateFromString requires that 'dateString' be a string, found: "
            f"{bson_type(source.dtype)}"
        )
    parsed = with_null(parsed, zone.null, format_null)
    if "onError" not in args:
        check = raise_where(failed, message, _CONVERSION_FAILURE, source.expr, fold=True)
        parsed = with_checks(parsed, check)
    result = Val(expr=parsed, dtype=DATE, missing=None)
    if "onError" in args:
        result = choose(failed.fill_null(False), compile_expr(args["onError"], ctx), result, ctx)
    if "onNull" in args:
        result = choose(source.expr.is_null(), compile_expr(args["onNull"], ctx), result, ctx)
    return result


def _parse_error(text: Any) -> str:
    return f"Error parsing date string '{text}'"


def _parse(text: pl.Expr, regex: str, zone: Zone, ctx: Ctx) -> tuple[pl.Expr, pl.Expr]:
    """(instant, failed) for strings matched against ``regex``'s named groups."""
    names = re.findall(r"\(\?<(\w)>", regex)
    groups = text.str.extract_groups(regex)
    g = {n: groups.struct.field(n) for n in names}
    matched = text.is_not_null() & pl.any_horizontal([v.is_not_null() for v in g.values()])
    bad_prefix = pl.lit(False)
    if regex == _ISO_STRING:
        # A numeric year-month-day that cannot be a date fails in MongoDB too; other unread forms
        # (MongoDB's parser also takes "Feb 8 2017", "today" …) are refused.
        head = text.str.extract_groups(r"^\s*[+-]?(?<y>[0-9]+)-(?<m>[0-9]+)-(?<d>[0-9]+)")
        y, m, d = (head.struct.field(k) for k in "ymd")
        yi, mi, di = (x.cast(pl.Int64, strict=False) for x in (y, m, d))
        fits = (y.str.len_chars() == 4) & mi.is_between(1, 12)
        fits = fits & di.is_between(1, days_in_month(yi, mi.clip(1, 12)))
        bad_prefix = y.is_not_null() & ~fits.fill_null(False)
        unsupported = text.is_not_null() & ~matched & ~bad_prefix
        refuse = refuse_where(
            unsupported,
            lambda s: f"$dateFromString of '{s}' without a format (only ISO 8601 strings are read)",
            where=ctx.where,
            detail=text,
            fold=True,
        )
        matched = matched | refuse

    def num(name: str, default: int) -> pl.Expr:
        if name not in g:
            return pl.lit(default, pl.Int64)
        return g[name].cast(pl.Int64, strict=False).fill_null(default)

    if "b" in g or "B" in g:
        key = g.get("b", g.get("B"))
        assert key is not None
        lookup = {m.lower(): i + 1 for i, m in enumerate(_MONTHS)}
        lookup.update({m[:3].lower(): i + 1 for i, m in enumerate(_MONTHS)})
        month = key.str.to_lowercase().replace_strict(lookup, default=None, return_dtype=pl.Int64)
    else:
        month = num("m", 1)
    hour, minute, second = num("H", 0), num("M", 0), num("S", 0)
    if "F" in g:  # ISO fraction: digits beyond milliseconds are cut
        millis = g["F"].str.slice(0, 3).str.pad_end(3, "0").cast(pl.Int64, strict=False)
    elif "L" in g:  # %L: "5" is 500 ms
        millis = g["L"].str.pad_end(3, "0").cast(pl.Int64, strict=False)
    else:
        millis = pl.lit(0, pl.Int64)
    millis = millis.fill_null(0)
    if "G" in g:
        year, week, weekday = num("G", 1970), num("V", 1), num("u", 1)
        jan1 = civil_days(year, pl.lit(1), pl.lit(1))
        dow = (jan1 + 4) % 7
        days = jan1 + pl.when(dow > 4).then(7 - dow).otherwise(-dow) + (week - 1) * 7 + weekday
        valid = week.is_between(1, 53) & weekday.is_between(1, 7)
    elif "j" in g:
        year = num("Y", 1970)
        days = civil_days(year, pl.lit(1), num("j", 1))
        valid = num("j", 1).is_between(1, 366)
    else:
        year, day = num("Y", 1970), num("d", 1)
        days = civil_days(year, month, day)
        valid = month.is_between(1, 12) & day.is_between(1, days_in_month(year, month.clip(1, 12)))
    complete = "Y" in g or "G" in g
    if "j" not in g and "G" not in g:
        complete = complete and "d" in g and ("m" in g or "b" in g or "B" in g)
    # Without year, month and day MongoDB's parser reports an incomplete date for every string.
    incomplete = pl.lit(not complete)
    valid = valid & hour.is_between(0, 23) & minute.is_between(0, 59) & second.is_between(0, 59)
    local_ms = days * DAY_MS + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis
    local = with_null(local_ms, ~valid).cast(LOCAL)
    instant = zone.from_local(local)
    conflict = pl.lit(False)
    for key in ("z", "Z"):
        if key in g:
            minutes = _zone_minutes(g[key]) if key == "z" else g[key].cast(pl.Int64, strict=False)
            given = (local_ms - minutes * 60_000).cast(LOCAL).dt.replace_time_zone("UTC")
            instant = pl.when(g[key].is_not_null()).then(given).otherwise(instant)
            conflict = conflict | (g[key].is_not_null() & ~zone.is_utc())
    failed = text.is_not_null() & (
        ~matched | ~valid.fill_null(False) | conflict | incomplete | bad_prefix
    )
    return with_null(instant, failed, text.is_null()), failed


#: The expression operators this module provides, by name: ``catalog`` files them in
#: ``expressions.OPERATORS``.
OPERATORS: dict[str, OperatorFn] = {
    "$dateToString": _date_to_string,
    "$dateFromString": _date_from_string,
}
