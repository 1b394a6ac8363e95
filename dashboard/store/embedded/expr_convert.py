"""Type conversion operators: ``$convert`` and its shorthands ``$toString`` ``$toInt`` ``$toLong``
``$toDouble`` ``$toDecimal`` ``$toDate`` ``$toBool`` ``$toObjectId``.

The conversion table is MongoDB's (``evaluate_convert.cpp``). A value that cannot be converted is a
*ConversionFailure*: ``onError`` replaces it, and without ``onError`` the query fails (code 241), but
only if such a row exists: each conversion yields the converted column plus a "failed" mask, checked
at run time. Null or missing input gives ``onNull`` (default null). Python ints are int32 in BSON when
they fit (as pymongo stores them), so an ``Int64`` value in the int32 range converts as an ``int``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from dashboard.store.embedded.expressions import OperatorFn, choose, compile_expr
from dashboard.store.embedded.runtime_errors import fail_where, unsupported_where
from dashboard.store.embedded.values import BSON_TYPES, DATE, Ctx, Val, bson_type, is_number
from dashboard.store.errors import OperationFailure

__all__ = ["OPERATORS", "format_double"]

I64 = pl.Int64()
F64 = pl.Float64()
DECIMAL = pl.Decimal(38, 10)
CONVERSION_FAILURE = 241
_BAD_VALUE = 2
_FAILED_TO_PARSE = 9
_TARGETS: dict[str, pl.DataType] = {
    "double": F64,
    "string": pl.String(),
    "objectId": pl.Binary(),
    "bool": pl.Boolean(),
    "date": DATE,
    "int": I64,
    "long": I64,
    "decimal": DECIMAL,
}
_INT32 = (-(2**31), 2**31 - 1)
_ISO_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f %z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%MZ",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d",
)


@dataclass
class _Converted:
    """One conversion: the value, rows that fail (ConversionFailure), rows the engine refuses."""

    value: pl.Expr
    failed: pl.Expr | None = None
    message: str | Callable[[Any], str] = ""
    detail: pl.Expr | None = None
    refused: pl.Expr | None = None
    refused_what: str = ""


def format_double(x: pl.Expr) -> pl.Expr:
    """A double as MongoDB's ``$toString`` writes it (``fmt::format("{}")``: shortest round-trip
    digits, fixed notation for exponents -4 to 15, two-digit exponents, ``Infinity``/``NaN``)."""
    text = x.cast(pl.String).str.replace(r"\.0$", "")
    text = text.str.replace(r"e([+-])(\d)$", "e${1}0${2}")
    text = text.str.replace(r"^(-?)0\.0000(\d)(\d+)$", "${1}${2}.${3}e-05")
    text = text.str.replace(r"^(-?)0\.0000(\d)$", "${1}${2}e-05")
    return (
        pl.when(x.is_nan())
        .then(pl.lit("NaN"))
        .when(x == float("inf"))
        .then(pl.lit("Infinity"))
        .when(x == float("-inf"))
        .then(pl.lit("-Infinity"))
        .otherwise(text)
    )


def _type_name(dtype: pl.DataType, value: pl.Expr) -> pl.Expr:
    """Row-wise BSON type name, telling ints from longs the way pymongo stores Python ints."""
    if dtype.is_integer():
        small = value.is_between(*_INT32)
        return pl.when(small).then(pl.lit("int")).otherwise(pl.lit("long"))
    return pl.lit(bson_type(dtype))


def _unsupported_conversion(v: Val, target: str) -> _Converted:
    message = (
        f"Unsupported conversion from {{}} to {target} in $convert with no onError value".format
    )
    return _Converted(
        value=pl.lit(None, dtype=_TARGETS[target]),
        failed=v.expr.is_not_null(),
        message=message,
        detail=_type_name(v.dtype, v.expr),
    )


def _overflow(value: Any) -> str:
    """MongoDB's message for a number that does not fit the target (or is NaN or infinite)."""
    if isinstance(value, float) and value != value:
        return "Attempt to convert NaN value to integer type in $convert with no onError value"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "Attempt to convert infinity value to integer type in $convert with no onError value"
    return f"Conversion would overflow target type in $convert with no onError value: {value}"


def _to_integer(v: Val, target: str) -> _Converted:
    low, high = _INT32 if target == "int" else (-(2**63), 2**63 - 1)
    x, d = v.expr, v.dtype
    if d == pl.Boolean:
        return _Converted(value=x.cast(I64))
    if d.is_integer():
        bad = ~x.is_between(low, high) if target == "int" else None
        return _Converted(value=x.cast(I64), failed=bad, message=_overflow, detail=x)
    if d.is_float():
        top = float(high) if target == "int" else 2.0**63
        in_range = (x >= float(low)) & ((x <= top) if target == "int" else (x < top))
        bad = x.is_nan() | x.is_infinite() | ~in_range
        value = pl.when(bad).then(None).otherwise(x).cast(I64, strict=False)
        return _Converted(value=value, failed=bad, message=_overflow, detail=x)
    if isinstance(d, pl.Decimal):
        value = x.cast(I64, strict=False)
        bad = value.is_null() | ~value.is_between(low, high)
        return _Converted(value=value, failed=x.is_not_null() & bad, message=_overflow, detail=x)
    if d == pl.String:
        value = x.cast(I64, strict=False)
        bad = value.is_null() | ~value.is_between(low, high) | x.str.starts_with("0x")
        message = "Failed to parse number '{}' in $convert with no onError value".format
        return _Converted(value=value, failed=x.is_not_null() & bad, message=message, detail=x)
    if isinstance(d, pl.Datetime) and target == "long":
        return _Converted(value=x.dt.epoch("ms"))
    return _unsupported_conversion(v, target)


def _to_double(v: Val) -> _Converted:
    x, d = v.expr, v.dtype
    if is_number(d) or d == pl.Boolean:
        return _Converted(value=x.cast(F64))
    if isinstance(d, pl.Datetime):
        return _Converted(value=x.dt.epoch("ms").cast(F64))
    if d == pl.String:
        value = x.cast(F64, strict=False)
        infinite_text = x.str.contains(r"^[+-]?(?i:inf|infinity)$")
        bad = value.is_null() | (value.is_infinite() & ~infinite_text) | x.str.starts_with("0x")
        message = "Failed to parse number '{}' in $convert with no onError value".format
        return _Converted(value=value, failed=x.is_not_null() & bad, message=message, detail=x)
    return _unsupported_conversion(v, "double")


def _to_decimal(v: Val) -> _Converted:
    x, d = v.expr, v.dtype
    if d.is_integer() or d == pl.Boolean or isinstance(d, pl.Decimal):
        return _Converted(value=x.cast(I64).cast(DECIMAL) if d == pl.Boolean else x.cast(DECIMAL))
    if isinstance(d, pl.Datetime):
        return _Converted(value=x.dt.epoch("ms").cast(DECIMAL))
    if d.is_float():
        exact = (x.round(10) == x) & (x.abs() < 1e15)
        return _Converted(
            value=x.cast(DECIMAL, strict=False),
            refused=x.is_not_null() & ~exact,
            refused_what="$convert of a double needing more than 10 decimal places to decimal",
        )
    if d == pl.String:
        value = x.cast(DECIMAL, strict=False)
        plain = x.str.contains(r"^[+-]?(\d+\.?\d{0,10}|\.\d{1,10})$")
        message = "Failed to parse number '{}' in $convert with no onError value".format
        numeric = x.cast(F64, strict=False).is_not_null()
        return _Converted(
            value=value,
            failed=x.is_not_null() & ~numeric,
            message=message,
            detail=x,
            refused=numeric & ~plain,
            refused_what="$convert of a string with an exponent or over 10 decimal places to decimal",
        )
    return _unsupported_conversion(v, "decimal")


def _to_bool(v: Val) -> _Converted:
    x, d = v.expr, v.dtype
    if d == pl.Boolean:
        return _Converted(value=x)
    if is_number(d):
        return _Converted(value=x != 0)
    return _Converted(value=pl.when(x.is_null()).then(None).otherwise(pl.lit(True)))


def _to_string(v: Val) -> _Converted:
    x, d = v.expr, v.dtype
    if d == pl.String:
        return _Converted(value=x)
    if d == pl.Boolean:
        return _Converted(value=pl.when(x).then(pl.lit("true")).otherwise(pl.lit("false")))
    if d.is_integer():
        return _Converted(value=x.cast(pl.String))
    if d.is_float():
        return _Converted(value=format_double(x))
    if d == pl.Binary:
        return _Converted(value=x.bin.encode("hex"))
    if isinstance(d, pl.Datetime):
        return _Converted(value=x.dt.to_string("%Y-%m-%dT%H:%M:%S%.3fZ"))
    what = f"$convert of {bson_type(d)} values to string"
    return _Converted(
        value=pl.lit(None, dtype=pl.String), refused=x.is_not_null(), refused_what=what
    )


def _to_object_id(v: Val) -> _Converted:
    x, d = v.expr, v.dtype
    if d == pl.Binary:
        return _Converted(value=x)
    if d == pl.String:
        valid = x.str.contains(r"^[0-9a-fA-F]{24}$")
        value = pl.when(valid).then(x).otherwise(None).str.decode("hex", strict=False)
        message = "Failed to parse objectId '{}' in $convert with no onError value: Invalid string length for parsing to OID, expected 24 but found {}".format
        return _Converted(
            value=value,
            failed=x.is_not_null() & ~valid,
            message=lambda s: message(s, len(s)),
            detail=x,
        )
    return _unsupported_conversion(v, "objectId")


def _parse_date(x: pl.Expr) -> pl.Expr:
    attempts = [
        x.str.to_datetime(f, strict=False, time_unit="ms", time_zone="UTC") for f in _ISO_FORMATS
    ]
    return pl.coalesce(attempts).cast(DATE)


def _to_date(v: Val) -> _Converted:
    x, d = v.expr, v.dtype
    if isinstance(d, pl.Datetime):
        return _Converted(value=x.cast(DATE))
    if d.is_integer():
        small = x.is_between(*_INT32)
        conv = _unsupported_conversion(v, "date")
        return _Converted(
            value=x.cast(DATE), failed=small, message=conv.message, detail=pl.lit("int")
        )
    if d.is_float():
        bad = x.is_nan() | x.is_infinite() | ~((x >= -(2.0**63)) & (x < 2.0**63))
        value = pl.when(bad).then(None).otherwise(x).cast(I64, strict=False).cast(DATE)
        return _Converted(value=value, failed=bad, message=_overflow, detail=x)
    if isinstance(d, pl.Decimal):
        value = x.cast(I64, strict=False)
        return _Converted(
            value=value.cast(DATE),
            failed=x.is_not_null() & value.is_null(),
            message=_overflow,
            detail=x,
        )
    if d == pl.Binary:
        seconds = x.bin.encode("hex").str.slice(0, 8).str.to_integer(base=16)
        return _Converted(value=(seconds * 1000).cast(DATE))
    if d == pl.String:
        value = _parse_date(x)
        unparsed = x.is_not_null() & value.is_null()
        digits = x.str.contains(r"\d")
        message = "Error parsing date string '{}'; in $convert with no onError value".format
        return _Converted(
            value=value,
            failed=unparsed & ~digits,
            message=message,
            detail=x,
            refused=unparsed & digits,
            refused_what="$convert of a date string in a format other than ISO 8601",
        )
    return _unsupported_conversion(v, "date")


_CONVERTERS: dict[str, Callable[[Val], _Converted]] = {
    "double": _to_double,
    "string": _to_string,
    "objectId": _to_object_id,
    "bool": _to_bool,
    "date": _to_date,
    "int": lambda v: _to_integer(v, "int"),
    "long": lambda v: _to_integer(v, "long"),
    "decimal": _to_decimal,
}


def _target(to: Any, ctx: Ctx) -> str | None:
    """The target type name of ``to`` (``None`` when ``to`` is null)."""
    value = compile_expr(to, ctx)
    if not value.is_const:
        raise ctx.unsupported("$convert with a 'to' that is not a constant")
    to = value.const
    if to is None:
        return None
    if isinstance(to, Mapping):
        raise ctx.unsupported("$convert with a 'to' document (binData subtypes)")
    if isinstance(to, bool) or not isinstance(to, int | float | str):
        msg = f"$convert's 'to' argument must be a string or number, but is {type(to).__name__}"
        raise OperationFailure(msg, code=50881)
    if isinstance(to, int | float):
        name = BSON_TYPES.get(int(to)) if float(to).is_integer() else None
        if name in _TARGETS:
            return name
        if name is not None:
            raise ctx.unsupported(f"$convert to BSON type {int(to)}")
        msg = f"In $convert, numeric 'to' argument is not a valid type code: {to}"
        raise OperationFailure(msg, code=_FAILED_TO_PARSE)
    if to in _TARGETS:
        return to
    if to in BSON_TYPES.values():
        raise ctx.unsupported(f"$convert to {to}")
    msg = f"Unknown type name: {to}"
    raise OperationFailure(msg, code=_BAD_VALUE)


def _fallback(result: Val, when: pl.Expr, other: Val, what: str, ctx: Ctx) -> Val:
    """``other`` in rows where ``when`` holds (``onError``/``onNull``), keeping one column type.

    Numbers of different types meet as doubles (equal values; the codec stores them so too); a
    value of an unrelated type is refused, at run time and only if some row needs it.
    """
    rd, od = result.dtype, other.dtype
    if isinstance(rd, pl.Decimal) and od.is_integer():
        other = Val(expr=other.expr.cast(DECIMAL), dtype=DECIMAL, missing=other.missing)
        od = DECIMAL
    decimal = isinstance(rd, pl.Decimal) or isinstance(od, pl.Decimal)
    same = (
        od == rd
        or pl.Null in (od, rd)
        or (isinstance(od, pl.Datetime) and isinstance(rd, pl.Datetime))
    )
    if same or (is_number(rd) and is_number(od) and not decimal):
        return choose(when, other, result, ctx)
    refused_what = f"$convert with an {what} value of another type than the result"
    expr = unsupported_where(ctx, when, result.expr, refused_what)
    return Val(expr=expr, dtype=result.dtype, missing=result.missing)


def convert(v: Val, target: str | None, ctx: Ctx, on_error: Val | None, on_null: Val | None) -> Val:
    """``v`` converted to ``target`` with MongoDB's ``$convert`` rules."""
    is_null = v.expr.is_null()
    if target is None:
        result = Val(expr=pl.lit(None), dtype=pl.Null())
    elif v.dtype == pl.Null:
        result = Val(expr=pl.lit(None, dtype=_TARGETS[target]), dtype=_TARGETS[target])
    else:
        conv = _CONVERTERS[target](v)
        dtype = _TARGETS[target]
        value = pl.when(is_null).then(None).otherwise(conv.value.cast(dtype))
        result = Val(expr=value, dtype=dtype)
        if conv.refused is not None:
            result = Val(
                unsupported_where(ctx, conv.refused, result.expr, conv.refused_what), dtype
            )
        if conv.failed is not None:
            failed = ~is_null & conv.failed.fill_null(False)
            if on_error is not None:
                result = _fallback(result, failed, on_error, "onError", ctx)
            else:
                expr = fail_where(
                    ctx, failed, result.expr, conv.message, CONVERSION_FAILURE, conv.detail
                )
                result = Val(expr=expr, dtype=result.dtype)
    if on_null is not None:
        result = _fallback(result, is_null, on_null, "onNull", ctx)
    return result


def _convert(spec: Any, ctx: Ctx) -> Val:
    if not isinstance(spec, Mapping):
        msg = "$convert expects an object of named arguments but found: " + type(spec).__name__
        raise OperationFailure(msg, code=_FAILED_TO_PARSE)
    for key in spec:
        if key not in ("input", "to", "onError", "onNull", "format", "byteOrder", "base"):
            msg = f"$convert found an unknown argument: {key}"
            raise OperationFailure(msg, code=_FAILED_TO_PARSE)
        if key in ("format", "byteOrder", "base"):
            raise ctx.unsupported(f"$convert with '{key}'")
    for key in ("input", "to"):
        if key not in spec:
            msg = f"Missing '{key}' parameter to $convert"
            raise OperationFailure(msg, code=_FAILED_TO_PARSE)
    target = _target(spec["to"], ctx)
    v = compile_expr(spec["input"], ctx)
    on_error = compile_expr(spec["onError"], ctx) if "onError" in spec else None
    on_null = compile_expr(spec["onNull"], ctx) if "onNull" in spec else None
    return convert(v, target, ctx, on_error, on_null)


def _shorthand(name: str, target: str) -> OperatorFn:
    def compile_shorthand(spec: Any, ctx: Ctx) -> Val:
        args = spec if isinstance(spec, list | tuple) else [spec]
        if len(args) != 1:
            msg = f"Expression {name} takes exactly 1 arguments. {len(args)} were passed in."
            raise OperationFailure(msg, code=16020)
        return convert(compile_expr(args[0], ctx), target, ctx, None, None)

    return compile_shorthand


#: The expression operators this module provides, by name: ``catalog`` files them in
#: ``expressions.OPERATORS``.
OPERATORS: dict[str, OperatorFn] = {
    "$convert": _convert,
    "$toString": _shorthand("$toString", "string"),
    "$toInt": _shorthand("$toInt", "int"),
    "$toLong": _shorthand("$toLong", "long"),
    "$toDouble": _shorthand("$toDouble", "double"),
    "$toDecimal": _shorthand("$toDecimal", "decimal"),
    "$toDate": _shorthand("$toDate", "date"),
    "$toBool": _shorthand("$toBool", "bool"),
    "$toObjectId": _shorthand("$toObjectId", "objectId"),
}
