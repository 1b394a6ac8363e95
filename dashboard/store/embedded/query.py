"""Query filters (``$match``, ``find``, ``count_documents``, updates) compiled to a Polars predicate.

MongoDB's query semantics, not its expression semantics: comparisons are type-bracketed (``{amount:
{$gt: "5"}}`` matches nothing), ``{f: null}`` matches null *and* missing, and a condition on an array
field matches when any element satisfies it (or the whole array does, for equality). The predicate
never evaluates to null.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import bson
import polars as pl

from dashboard.store.embedded.expressions import compile_expr, field_path, truthy
from dashboard.store.embedded.values import Ctx, Val, bson_rank, dtype_of_python, lit_val
from dashboard.store.errors import OperationFailure

__all__ = ["QUERY_OPERATORS", "compile_filter"]

_LOGICAL = {"$and", "$or", "$nor"}
QUERY_OPERATORS = {
    "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$not", "$regex",
    "$options", "$size", "$all", "$elemMatch", "$type",
}  # fmt: skip


def compile_filter(query: Mapping[str, Any] | None, ctx: Ctx) -> pl.Expr:
    """A boolean expression true exactly for the documents ``query`` matches."""
    if query is None:
        return pl.lit(True)
    if not isinstance(query, Mapping):
        msg = "query filter must be an object"
        raise OperationFailure(msg, code=2)
    parts: list[pl.Expr] = []
    for key, value in query.items():
        if key in _LOGICAL:
            parts.append(_logical(key, value, ctx))
        elif key == "$expr":
            parts.append(truthy(compile_expr(value, ctx)))
        elif key == "$text":
            parts.append(_text(value, ctx))
        elif key == "$comment":
            continue
        elif isinstance(key, str) and key.startswith("$"):
            msg = f"unknown top level operator: {key}"
            raise OperationFailure(msg, code=2)
        else:
            parts.append(_field_condition(key, value, ctx))
    return _all(parts)


def _all(parts: list[pl.Expr]) -> pl.Expr:
    if not parts:
        return pl.lit(True)
    out = parts[0]
    for p in parts[1:]:
        out = out & p
    return out


def _logical(op: str, value: Any, ctx: Ctx) -> pl.Expr:
    if not isinstance(value, list | tuple) or not value:
        msg = f"{op} must be a nonempty array"
        raise OperationFailure(msg, code=2)
    parts = [compile_filter(q, ctx) for q in value]
    if op == "$and":
        return _all(parts)
    combined = parts[0]
    for p in parts[1:]:
        combined = combined | p
    return combined if op == "$or" else ~combined


def _is_operator_doc(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and len(value) > 0
        and all(isinstance(k, str) and k.startswith("$") for k in value)
    )


def _field_condition(path: str, value: Any, ctx: Ctx) -> pl.Expr:
    v = field_path(path, ctx)
    if isinstance(value, re.Pattern | bson.Regex):
        return _regex(v, value.pattern, _flags_of(value), ctx)
    if not _is_operator_doc(value):
        return _eq(v, value, ctx)
    ops = dict(value)
    if "$regex" in ops or "$options" in ops:
        pattern = ops.pop("$regex", "")
        options = ops.pop("$options", "")
        if isinstance(pattern, re.Pattern | bson.Regex):
            options = options or _flags_of(pattern)
            pattern = pattern.pattern
        ops["$regex"] = (pattern, options)
    return _all([_operator(op, arg, v, ctx) for op, arg in ops.items()])


def _operator(op: str, arg: Any, v: Val, ctx: Ctx) -> pl.Expr:
    if op == "$eq":
        return _eq(v, arg, ctx)
    if op == "$ne":
        return ~_eq(v, arg, ctx)
    if op in ("$gt", "$gte", "$lt", "$lte"):
        return _range(op, v, arg, ctx)
    if op == "$in":
        return _in(v, arg, ctx)
    if op == "$nin":
        return ~_in(v, arg, ctx)
    if op == "$exists":
        present = _present(v)
        return present if _truthy_arg(arg) else ~present
    if op == "$not":
        if isinstance(arg, re.Pattern | bson.Regex):
            return ~_regex(v, arg.pattern, _flags_of(arg), ctx)
        if not _is_operator_doc(arg):
            msg = "$not needs a regex or a document"
            raise OperationFailure(msg, code=2)
        sub = dict(arg)
        if "$regex" in sub or "$options" in sub:
            sub["$regex"] = (sub.pop("$regex", ""), sub.pop("$options", ""))
        return ~_all([_operator(o, a, v, ctx) for o, a in sub.items()])
    if op == "$regex":
        pattern, options = arg
        return _regex(v, pattern, options, ctx)
    if op == "$size":
        if not isinstance(arg, int) or isinstance(arg, bool) or arg < 0:
            msg = "$size needs a non-negative whole number"
            raise OperationFailure(msg, code=2)
        if not isinstance(v.dtype, pl.List):
            return pl.lit(False)
        return (v.expr.list.len() == arg).fill_null(False)
    if op == "$all":
        return _all_of(v, arg, ctx)
    if op == "$elemMatch":
        return _elem_match(v, arg, ctx)
    if op == "$type":
        return _type(v, arg, ctx)
    raise ctx.unsupported(f"query operator {op}")


def _truthy_arg(arg: Any) -> bool:
    return bool(arg) and arg is not None


def _present(v: Val) -> pl.Expr:
    if v.missing is None:
        return pl.lit(True)
    return ~v.missing.fill_null(True)


def _scalar_pred(v_expr: pl.Expr, dtype: pl.DataType, build: Any, value: Any) -> pl.Expr | None:
    """``build(column, literal)`` when the literal's BSON type matches ``dtype``, else None."""
    lit_dtype = dtype_of_python(value)
    if dtype == pl.Null or lit_dtype == pl.Null:
        return None
    if bson_rank(dtype) != bson_rank(lit_dtype):
        return None
    lit = lit_val(value)
    return build(v_expr, lit.expr)


def _eq(v: Val, value: Any, ctx: Ctx) -> pl.Expr:
    if isinstance(value, re.Pattern | bson.Regex):
        return _regex(v, value.pattern, _flags_of(value), ctx)
    if value is None:
        if isinstance(v.dtype, pl.List):
            has_null = v.expr.list.eval(pl.element().is_null()).list.any()
            return (v.expr.is_null() | has_null).fill_null(True)
        return v.expr.is_null()
    return _compare(v, value, lambda c, lit: c == lit, whole_array=True)


def _compare(v: Val, value: Any, build: Any, *, whole_array: bool) -> pl.Expr:
    if isinstance(v.dtype, pl.List):
        parts: list[pl.Expr] = []
        elem = _scalar_pred(pl.element(), v.dtype.inner, build, value)
        if elem is not None:
            parts.append(v.expr.list.eval(elem.fill_null(False)).list.any())
        if whole_array and isinstance(value, list | tuple):
            whole = _scalar_pred(v.expr, v.dtype, build, list(value))
            if whole is not None:
                parts.append(whole)
        if not parts:
            return pl.lit(False)
        out = parts[0]
        for p in parts[1:]:
            out = out | p
        return out.fill_null(False)
    pred = _scalar_pred(v.expr, v.dtype, build, value)
    return pl.lit(False) if pred is None else pred.fill_null(False)


_RANGE = {
    "$gt": lambda c, lit: c > lit,
    "$gte": lambda c, lit: c >= lit,
    "$lt": lambda c, lit: c < lit,
    "$lte": lambda c, lit: c <= lit,
}


def _range(op: str, v: Val, value: Any, ctx: Ctx) -> pl.Expr:
    if value is None:
        return _eq(v, None, ctx) if op in ("$gte", "$lte") else pl.lit(False)
    if isinstance(value, Mapping | list | tuple) and not isinstance(v.dtype, pl.List):
        return _compare(v, value, _RANGE[op], whole_array=False)
    return _compare(v, value, _RANGE[op], whole_array=True)


def _in(v: Val, values: Any, ctx: Ctx) -> pl.Expr:
    if not isinstance(values, list | tuple):
        msg = "$in needs an array"
        raise OperationFailure(msg, code=2)
    parts: list[pl.Expr] = []
    plain = [x for x in values if x is not None and not isinstance(x, re.Pattern | bson.Regex)]
    if plain and not isinstance(v.dtype, pl.List) and _same_scalar_type(plain):
        lit_dtype = dtype_of_python(plain[0])
        if v.dtype != pl.Null and bson_rank(v.dtype) == bson_rank(lit_dtype):
            stored = pl.select(lit_val(plain).expr.explode()).to_series()
            parts.append(v.expr.is_in(stored, nulls_equal=False).fill_null(False))
        plain = []
    for x in values:
        if x is None or isinstance(x, re.Pattern | bson.Regex) or x in plain:
            parts.append(_eq(v, x, ctx))
    if not parts:
        return pl.lit(False)
    out = parts[0]
    for p in parts[1:]:
        out = out | p
    return out


def _same_scalar_type(values: list[Any]) -> bool:
    try:
        ranks = {bson_rank(dtype_of_python(x)) for x in values}
    except OperationFailure:
        return False
    return len(ranks) == 1 and not isinstance(values[0], Mapping | list | tuple)


def _all_of(v: Val, values: Any, ctx: Ctx) -> pl.Expr:
    if not isinstance(values, list | tuple):
        msg = "$all needs an array"
        raise OperationFailure(msg, code=2)
    if not values:
        return pl.lit(False)
    parts = []
    for x in values:
        if _is_operator_doc(x) and "$elemMatch" in x:
            parts.append(_elem_match(v, x["$elemMatch"], ctx))
        else:
            parts.append(_eq(v, x, ctx))
    return _all(parts)


def _elem_match(v: Val, query: Any, ctx: Ctx) -> pl.Expr:
    if not isinstance(query, Mapping):
        msg = "$elemMatch needs an Object"
        raise OperationFailure(msg, code=2)
    if not isinstance(v.dtype, pl.List):
        return pl.lit(False)
    inner = v.dtype.inner
    if _is_operator_doc(query) and not any(k in ("$and", "$or", "$nor", "$expr") for k in query):
        el_ctx = ctx.in_element(inner)
        element = Val(expr=pl.element(), dtype=inner, missing=None)
        ops = dict(query)
        if "$regex" in ops or "$options" in ops:
            ops["$regex"] = (ops.pop("$regex", ""), ops.pop("$options", ""))
        pred = _all([_operator(op, arg, element, el_ctx) for op, arg in ops.items()])
    else:
        if not isinstance(inner, pl.Struct):
            return pl.lit(False)
        el_ctx = ctx.in_element(inner, fields_from_element=True)
        pred = compile_filter(query, el_ctx)
    return v.expr.list.eval(pred.fill_null(False)).list.any().fill_null(False)


_TYPE_ALIASES = {
    1: "double", 2: "string", 3: "object", 4: "array", 5: "binData", 7: "objectId", 8: "bool",
    9: "date", 10: "null", 11: "regex", 16: "int", 17: "timestamp", 18: "long", 19: "decimal",
    -1: "minKey", 127: "maxKey",
}  # fmt: skip


def _bson_type_name(dtype: pl.DataType) -> str:
    if dtype == pl.Null:
        return "null"
    if dtype == pl.Boolean:
        return "bool"
    if dtype.is_integer():
        return "int" if dtype in (pl.Int8, pl.Int16, pl.Int32, pl.UInt8, pl.UInt16) else "long"
    if dtype.is_float():
        return "double"
    if isinstance(dtype, pl.Decimal):
        return "decimal"
    if dtype == pl.String:
        return "string"
    if dtype == pl.Binary:
        return "objectId"
    if isinstance(dtype, pl.Datetime):
        return "date"
    if isinstance(dtype, pl.Struct):
        return "object"
    if isinstance(dtype, pl.List):
        return "array"
    return "unknown"


def _type(v: Val, arg: Any, ctx: Ctx) -> pl.Expr:
    wanted = set()
    for item in arg if isinstance(arg, list | tuple) else [arg]:
        if isinstance(item, int | float) and not isinstance(item, bool):
            if int(item) not in _TYPE_ALIASES:
                msg = f"Invalid numerical type code: {item}"
                raise OperationFailure(msg, code=2)
            wanted.add(_TYPE_ALIASES[int(item)])
        elif isinstance(item, str):
            if item != "number" and item not in _TYPE_ALIASES.values():
                msg = f"Unknown type name alias: {item}"
                raise OperationFailure(msg, code=2)
            wanted.add(item)
        else:
            msg = "type must be represented as a number or a string"
            raise OperationFailure(msg, code=14)
    present = _present(v)
    parts: list[pl.Expr] = []
    if "null" in wanted:
        parts.append(present & v.expr.is_null())
    name = _bson_type_name(v.dtype)
    is_number = name in ("int", "long", "double", "decimal")
    if name in wanted or (is_number and "number" in wanted):
        parts.append(v.expr.is_not_null())
    if isinstance(v.dtype, pl.List) and name not in wanted:
        inner = _bson_type_name(v.dtype.inner)
        inner_number = inner in ("int", "long", "double", "decimal")
        if inner in wanted or (inner_number and "number" in wanted):
            parts.append(v.expr.list.eval(pl.element().is_not_null()).list.any())
    if not parts:
        return pl.lit(False)
    out = parts[0]
    for p in parts[1:]:
        out = out | p
    return out.fill_null(False)


def _flags_of(pattern: re.Pattern[str] | bson.Regex) -> str:
    flags = pattern.flags
    out = ""
    if flags & re.IGNORECASE:
        out += "i"
    if flags & re.MULTILINE:
        out += "m"
    if flags & re.DOTALL:
        out += "s"
    if flags & re.VERBOSE:
        out += "x"
    return out


def _regex(v: Val, pattern: Any, options: Any, ctx: Ctx) -> pl.Expr:
    if not isinstance(pattern, str):
        msg = "$regex has to be a string"
        raise OperationFailure(msg, code=2)
    options = options or ""
    bad = set(options) - set("imsxu")
    if bad:
        msg = f"invalid flag in regex options: {''.join(sorted(bad))}"
        raise OperationFailure(msg, code=51108)
    flags = "".join(f for f in "imsx" if f in options)
    full = f"(?{flags}){pattern}" if flags else pattern
    try:
        re.compile(pattern)
        pl.select(pl.lit("").str.contains(full))
    except (re.error, pl.exceptions.PolarsError) as exc:
        raise ctx.unsupported(f"$regex pattern {pattern!r} ({exc})") from exc
    if v.dtype == pl.String:
        return v.expr.str.contains(full).fill_null(False)
    if isinstance(v.dtype, pl.List) and v.dtype.inner == pl.String:
        return v.expr.list.eval(pl.element().str.contains(full).fill_null(False)).list.any()
    return pl.lit(False)


def _text(spec: Any, ctx: Ctx) -> pl.Expr:
    from dashboard.store.embedded.text import text_predicate

    return text_predicate(spec, ctx)
