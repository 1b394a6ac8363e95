"""String expression operators: ``$concat`` ``$toLower`` ``$toUpper`` ``$substrCP`` ``$strLenCP``
``$strLenBytes`` ``$split`` ``$trim`` ``$ltrim`` ``$rtrim`` ``$indexOfCP`` ``$strcasecmp``
``$replaceOne`` ``$replaceAll`` (``$regexMatch`` lives in ``expr_regex``).

Semantics follow ``evaluate_string.cpp``: positions and lengths count code points; ``$toLower``,
``$toUpper``, ``$substrCP`` and ``$strcasecmp`` coerce their input to a string (null and missing
become ``""``) and change the case of ASCII letters only, as MongoDB does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from dashboard.store.embedded.expr_args import arity, compile_until_null, type_errors
from dashboard.store.embedded.expressions import OperatorFn, args_list, compile_expr
from dashboard.store.embedded.runtime_errors import fail_where, unsupported_where
from dashboard.store.embedded.values import Ctx, Val, bson_type, is_number, lit_val, type_expr
from dashboard.store.errors import OperationFailure

__all__ = ["OPERATORS", "coerce_to_string"]

I64 = pl.Int64()
_LOWER = [chr(c) for c in range(ord("a"), ord("z") + 1)]
_UPPER = [c.upper() for c in _LOWER]
#: MongoDB's default characters for ``$trim`` (``str_trim_utils::kDefaultTrimWhitespaceChars``).
_WHITESPACE = "\0 \t\n\x0b\x0c\r\u00a0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B))


def _is_string(dtype: pl.DataType) -> bool:
    return dtype == pl.String


def _g_format(x: pl.Expr, name: str, ctx: Ctx) -> pl.Expr:
    """A double as C's ``%g`` writes it (MongoDB's coercion), where that equals the shortest form.

    ``%g`` keeps six significant digits; values needing more, or an exponent, are refused at run
    time rather than formatted differently.
    """
    text = x.cast(pl.String).str.replace(r"\.0$", "")
    digits = text.str.replace_all(r"[-.]", "").str.strip_chars_start("0").str.len_chars()
    magnitude = x.abs()
    plain = (x == 0) | ((magnitude >= 1e-4) & (magnitude < 1e6))
    ok = plain & (digits <= 6) & ~text.str.contains("e", literal=True)
    what = f"{name} of a double that C's %g would round or write with an exponent"
    return unsupported_where(ctx, x.is_not_null() & ~ok, text, what)


def coerce_to_string(v: Val, name: str, ctx: Ctx) -> pl.Expr:
    """``Value::coerceToString``: strings as is, numbers and dates written out, null/missing ``""``."""
    dtype = v.dtype
    if dtype == pl.Null:
        return pl.lit("")
    if _is_string(dtype):
        return v.expr.fill_null("")
    if dtype.is_integer():
        return v.expr.cast(pl.String).fill_null("")
    if dtype.is_float():
        return _g_format(v.expr, name, ctx).fill_null("")
    if isinstance(dtype, pl.Datetime):
        return v.expr.dt.to_string("%Y-%m-%dT%H:%M:%S%.3fZ").fill_null("")
    if isinstance(dtype, pl.Decimal):
        what = f"{name} of a decimal value"
        return unsupported_where(ctx, v.expr.is_not_null(), pl.lit(""), what)
    message = f"can't convert from BSON type {bson_type(dtype)} to String"
    return fail_where(ctx, v.expr.is_not_null(), pl.lit(""), message, 16007)


def _ascii_case(expr: pl.Expr, upper: bool) -> pl.Expr:
    """Change the case of ASCII letters only (``boost::to_upper`` in the C locale)."""
    source, target = (_LOWER, _UPPER) if upper else (_UPPER, _LOWER)
    return expr.str.replace_many(source, target)


def _concat(spec: Any, ctx: Ctx) -> Val:
    vals = compile_until_null(args_list(spec), ctx)
    if not vals:
        return lit_val("")
    bad, detail = type_errors(vals, _is_string)
    strings = [v.expr if _is_string(v.dtype) else pl.lit(None, dtype=pl.String) for v in vals]
    expr = pl.concat_str(strings, ignore_nulls=False)
    message = "$concat only supports strings, not {}".format
    return Val(expr=fail_where(ctx, bad, expr, message, 16702, detail), dtype=pl.String())


def _case(name: str, upper: bool) -> OperatorFn:
    def compile_case(spec: Any, ctx: Ctx) -> Val:
        (v,) = arity(spec, ctx, name, 1)
        return Val(expr=_ascii_case(coerce_to_string(v, name, ctx), upper), dtype=pl.String())

    return compile_case


def _strcasecmp(spec: Any, ctx: Ctx) -> Val:
    a, b = arity(spec, ctx, "$strcasecmp", 2)
    left = _ascii_case(coerce_to_string(a, "$strcasecmp", ctx), upper=True)
    right = _ascii_case(coerce_to_string(b, "$strcasecmp", ctx), upper=True)
    expr = pl.when(left == right).then(0).when(left < right).then(-1).otherwise(1)
    return Val(expr=expr.cast(I64), dtype=I64)


def _integral(v: Val, both: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(rows where ``v`` is not a number, rows where it is not a 32-bit integer, its value)."""
    if not is_number(v.dtype):
        return both, pl.lit(False), pl.lit(0, dtype=I64)
    not_number = both & v.expr.is_null()
    x = v.expr.cast(pl.Float64)
    integral = (x == x.floor()) & (x >= -(2**31)) & (x < 2**31)
    value = pl.when(integral).then(v.expr).otherwise(0).cast(I64)
    return not_number, both & v.expr.is_not_null() & ~integral, value


def _substr_cp(spec: Any, ctx: Ctx) -> Val:
    s, start, length = arity(spec, ctx, "$substrCP", 3)
    text = coerce_to_string(s, "$substrCP", ctx)
    everywhere = pl.lit(True)
    start_nan, start_frac, lo = _integral(start, everywhere)
    len_nan, len_frac, n = _integral(length, everywhere)
    expr = text.str.slice(lo.clip(0), n.clip(0))
    checks = [
        (start_nan, "starting index must be a numeric type (is BSON type {})", 34450, start),
        (
            start_frac,
            "starting index cannot be represented as a 32-bit integral value",
            34451,
            None,
        ),
        (len_nan, "length must be a numeric type (is BSON type {})", 34452, length),
        (len_frac, "length cannot be represented as a 32-bit integral value", 34453, None),
        (n < 0, "length must be a nonnegative integer.", 34454, None),
        (lo < 0, "the starting index must be nonnegative integer.", 34455, None),
    ]
    earlier: pl.Expr = pl.lit(False)
    for bad, text_, code, typed in checks:
        message = ("$substrCP: " + text_).format
        detail = type_expr(typed) if typed is not None else None
        expr = fail_where(ctx, bad & ~earlier, expr, message, code, detail)
        earlier = earlier | bad
    return Val(expr=expr, dtype=pl.String())


def _length(name: str, code: int, measure: str) -> OperatorFn:
    def compile_length(spec: Any, ctx: Ctx) -> Val:
        (v,) = arity(spec, ctx, name, 1)
        message = f"{name} requires a string argument, found: {{}}".format
        if not _is_string(v.dtype):
            return Val(
                fail_where(ctx, pl.lit(True), pl.lit(None), message, code, type_expr(v)), I64
            )
        size = v.expr.str.len_chars() if measure == "chars" else v.expr.str.len_bytes()
        expr = fail_where(ctx, v.expr.is_null(), size.cast(I64), message, code, type_expr(v))
        return Val(expr=expr, dtype=I64)

    return compile_length


def _split(spec: Any, ctx: Ctx) -> Val:
    s, sep = arity(spec, ctx, "$split", 2)
    present = s.expr.is_not_null()
    result_dtype = pl.List(pl.String())
    if s.dtype == pl.Null:
        return Val(expr=pl.lit(None, dtype=result_dtype), dtype=result_dtype)
    if s.dtype != pl.Null and not _is_string(s.dtype):
        message = "$split requires an expression that evaluates to a string as a first argument, found: {}"
        expr = fail_where(ctx, present, pl.lit(None), message.format, 40085, type_expr(s))
        return Val(expr=expr.cast(result_dtype), dtype=result_dtype)
    message = (
        "$split requires an expression that evaluates to a string as a second argument, found: {}"
    )
    if not _is_string(sep.dtype):
        expr = fail_where(ctx, present, pl.lit(None), message.format, 40086, type_expr(sep))
        return Val(expr=expr.cast(result_dtype), dtype=result_dtype)
    expr = s.expr.str.split(sep.expr)
    expr = fail_where(
        ctx, present & sep.expr.is_null(), expr, message.format, 40086, type_expr(sep)
    )
    bad = present & (sep.expr == "")
    expr = fail_where(ctx, bad, expr, "$split requires a non-empty separator", 40087)
    return Val(expr=expr, dtype=result_dtype)


def _trim(name: str, side: str) -> OperatorFn:
    def compile_trim(spec: Any, ctx: Ctx) -> Val:
        if not isinstance(spec, Mapping):
            msg = f"{name} only supports an object as its argument"
            raise OperationFailure(msg, code=50696)
        for key in spec:
            if key not in ("input", "chars"):
                msg = f"{name} found an unknown argument: {key}"
                raise OperationFailure(msg, code=50694)
        if "input" not in spec:
            msg = f"{name} requires an 'input' field"
            raise OperationFailure(msg, code=50695)
        s = compile_expr(spec["input"], ctx)
        chars = compile_expr(spec["chars"], ctx) if "chars" in spec else lit_val(_WHITESPACE)
        present = s.expr.is_not_null()
        if s.dtype == pl.Null:
            return Val(expr=pl.lit(None, dtype=pl.String), dtype=pl.String())
        if not _is_string(s.dtype):
            message = f"{name} requires its input to be a string, got {{}}".format
            expr = fail_where(ctx, present, pl.lit(None), message, 50699, type_expr(s))
            return Val(expr=expr.cast(pl.String), dtype=pl.String())
        if not _is_string(chars.dtype):
            message = f"{name} requires 'chars' to be a string, got {{}}".format
            bad = present & chars.expr.is_not_null()
            expr = fail_where(ctx, bad, pl.lit(None), message, 50700, type_expr(chars))
            return Val(expr=expr.cast(pl.String), dtype=pl.String())
        strip = {
            "both": s.expr.str.strip_chars,
            "left": s.expr.str.strip_chars_start,
            "right": s.expr.str.strip_chars_end,
        }[side]
        expr = pl.when(chars.expr.is_null()).then(None).otherwise(strip(chars.expr))
        return Val(expr=expr, dtype=pl.String())

    return compile_trim


def _char_offset(text: pl.Expr, byte_offset: pl.Expr) -> pl.Expr:
    """The code-point index of a byte offset that starts a character in ``text``."""
    return text.cast(pl.Binary).bin.head(byte_offset).cast(pl.String).str.len_chars().cast(I64)


def _index_of_cp(spec: Any, ctx: Ctx) -> Val:
    vals = arity(spec, ctx, "$indexOfCP", 2, 4)
    s, token = vals[0], vals[1]
    present = s.expr.is_not_null()
    if s.dtype == pl.Null:
        return Val(expr=pl.lit(None, dtype=I64), dtype=I64)
    if not _is_string(s.dtype):
        message = "$indexOfCP requires a string as the first argument, found: {}"
        return Val(fail_where(ctx, present, pl.lit(None), message.format, 40093, type_expr(s)), I64)
    message = "$indexOfCP requires a string as the second argument, found: {}"
    token_bad = present & (token.expr.is_null() if _is_string(token.dtype) else pl.lit(True))
    token_expr = token.expr if _is_string(token.dtype) else pl.lit("")
    length = s.expr.str.len_chars().cast(I64)
    checks: list[tuple[pl.Expr, Any, int, pl.Expr | None]] = []
    bounds: list[pl.Expr] = []
    for v, what in zip(vals[2:], ("starting index", "ending index"), strict=False):
        not_number, fraction, value = _integral(v, present)
        message_i = f"$indexOfCP requires an integral {what}, found a value of type: {{}}"
        checks.append((not_number | fraction, message_i.format, 40096, type_expr(v)))
        checks.append(
            (present & (value < 0), f"$indexOfCP requires a nonnegative {what}", 40097, None)
        )
        bounds.append(value)
    start = bounds[0] if bounds else pl.lit(0, dtype=I64)
    end = pl.min_horizontal(bounds[1], length) if len(bounds) > 1 else length
    rest = s.expr.str.slice(start.clip(0))
    found = rest.str.find(token_expr, literal=True)
    index = start + _char_offset(rest, found)
    expr = (
        pl.when(end < start)
        .then(-1)
        .when((s.expr == "") & (token_expr == "") & (start == 0))
        .then(0)
        .when(found.is_null() | (index >= end))
        .then(-1)
        .otherwise(index)
    )
    expr = pl.when(present).then(expr.cast(I64)).otherwise(None)
    expr = fail_where(ctx, token_bad, expr, message.format, 40094, type_expr(token))
    for bad, msg, code, detail in checks:
        expr = fail_where(ctx, bad, expr, msg, code, detail)
    return Val(expr=expr, dtype=I64)


def _replace(name: str, once: bool) -> OperatorFn:
    def compile_replace(spec: Any, ctx: Ctx) -> Val:
        if not isinstance(spec, Mapping):
            msg = f"{name} requires an object as an argument, found: {type(spec).__name__}"
            raise OperationFailure(msg, code=51751)
        for key in ("input", "find", "replacement"):
            if key not in spec:
                msg = f"{name} requires '{key}' to be specified"
                raise OperationFailure(msg, code=51748 if key == "input" else 51749)
        for key in spec:
            if key not in ("input", "find", "replacement"):
                msg = f"{name} found an unknown argument: {key}"
                raise OperationFailure(msg, code=51750)
        vals = [compile_expr(spec[k], ctx) for k in ("input", "find", "replacement")]
        s, find, repl = vals
        expr: pl.Expr = pl.lit(None, dtype=pl.String)
        if all(_is_string(v.dtype) for v in vals):
            if not find.is_const:
                raise ctx.unsupported(f"{name} with a 'find' that is not a constant")
            method = s.expr.str.replace if once else s.expr.str.replace_all
            kwargs: dict[str, Any] = {"n": 1} if once else {}
            expr = method(find.const, repl.expr, literal=True, **kwargs)
            expr = pl.when(repl.expr.is_null()).then(None).otherwise(expr)
        for v, key, code in zip(vals, ("input", "find", "replacement"), (51746, 51745, 51744)):
            if v.dtype != pl.Null and not _is_string(v.dtype):
                message = f"{name} requires that '{key}' be a string, found: {{}}".format
                expr = fail_where(ctx, v.expr.is_not_null(), expr, message, code, type_expr(v))
        return Val(expr=expr, dtype=pl.String())

    return compile_replace


#: The expression operators this module provides, by name: ``catalog`` files them in
#: ``expressions.OPERATORS``.
OPERATORS: dict[str, OperatorFn] = {
    "$concat": _concat,
    "$toLower": _case("$toLower", upper=False),
    "$toUpper": _case("$toUpper", upper=True),
    "$strcasecmp": _strcasecmp,
    "$substrCP": _substr_cp,
    "$strLenCP": _length("$strLenCP", 34471, "chars"),
    "$strLenBytes": _length("$strLenBytes", 34473, "bytes"),
    "$split": _split,
    "$trim": _trim("$trim", "both"),
    "$ltrim": _trim("$ltrim", "left"),
    "$rtrim": _trim("$rtrim", "right"),
    "$indexOfCP": _index_of_cp,
    "$replaceOne": _replace("$replaceOne", once=True),
    "$replaceAll": _replace("$replaceAll", once=False),
}
