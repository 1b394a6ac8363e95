"""Array expression operators: ``$size`` ``$arrayElemAt`` ``$first`` ``$last`` ``$slice``
``$concatArrays`` ``$reverseArray`` ``$isArray`` ``$filter`` ``$map`` ``$reduce``.

Semantics follow ``evaluate_array.cpp`` and ``evaluate_map_reduce_filter.cpp``: a null or missing
array gives null (``$size`` is the exception: it requires an array); an index past the end gives a
missing value. ``$filter``/``$map`` evaluate their expression per element inside ``list.eval``
(see :mod:`.expr_scope`); ``$reduce`` is vectorised only for the folds that have a closed form
(``$add``, ``$multiply``, ``$concat``, ``$concatArrays`` of ``$$value`` and a per-element term).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from functools import partial
from typing import Any

import polars as pl

from dashboard.store.embedded.codec import merge_dtypes
from dashboard.store.embedded.expr_args import arity, compile_until_null, type_errors
from dashboard.store.embedded.expr_scope import element_scope
from dashboard.store.embedded.expressions import OperatorFn, args_list, compile_expr, truthy
from dashboard.store.embedded.runtime_errors import fail_where
from dashboard.store.embedded.values import Ctx, Val, bson_type, is_number, lit_val, type_expr
from dashboard.store.errors import OperationFailure

__all__ = ["OPERATORS"]

I64 = pl.Int64()
NULL = pl.Null()


def _is_list(dtype: pl.DataType) -> bool:
    return isinstance(dtype, pl.List)


def _null(dtype: pl.DataType = NULL) -> Val:
    return Val(expr=pl.lit(None, dtype=dtype), dtype=dtype)


def _not_array(ctx: Ctx, v: Val, message: str, code: int, result: pl.DataType = NULL) -> Val:
    """The result when ``v`` is statically not an array: null where it is null, else an error."""
    bad = v.expr.is_not_null() if v.dtype != pl.Null else None
    expr = fail_where(ctx, bad, pl.lit(None, dtype=result), message.format, code, type_expr(v))
    return Val(expr=expr, dtype=result)


def _size(spec: Any, ctx: Ctx) -> Val:
    (v,) = arity(spec, ctx, "$size", 1)
    message = "The argument to $size must be an array, but was of type: {}".format
    bad = v.expr.is_null() if _is_list(v.dtype) else pl.lit(True)
    value = v.expr.list.len().cast(I64) if _is_list(v.dtype) else pl.lit(None, dtype=I64)
    return Val(expr=fail_where(ctx, bad, value, message, 17124, type_expr(v)), dtype=I64)


def _index(v: Val, name: str, both: pl.Expr) -> tuple[pl.Expr, list[tuple[pl.Expr, Any, int]]]:
    """An index argument as Int64 and its checks (numeric 28690, 32-bit integral 28691)."""
    if not is_number(v.dtype):
        message = f"{name}'s second argument must be a numeric value, but is {bson_type(v.dtype)}"
        return pl.lit(0, dtype=I64), [(both, message, 28690)]
    x = v.expr.cast(pl.Float64)
    integral = (x == x.floor()) & (x >= -(2**31)) & (x < 2**31)
    message = f"{name}'s second argument must be representable as a 32-bit integer: {{}}".format
    value = pl.when(integral).then(v.expr).otherwise(0).cast(I64)
    return value, [(both & ~integral, message, 28691)]


def _element_at(ctx: Ctx, name: str, array: Val, index: Val | int, arity_one: bool) -> Val:
    idx_val = lit_val(index) if isinstance(index, int) else index
    argument = "argument" if arity_one else "first argument"
    message = f"{name}'s {argument} must be an array, but is {{}}"
    both = array.expr.is_not_null() & idx_val.expr.is_not_null()
    if not _is_list(array.dtype):
        if array.dtype != pl.Null and idx_val.dtype != pl.Null:
            expr = fail_where(ctx, both, pl.lit(None), message.format, 28689, type_expr(array))
            return Val(expr=expr, dtype=pl.Null())
        return _null()
    inner = array.dtype.inner
    if idx_val.dtype == pl.Null:
        return _null(inner)
    i, checks = _index(idx_val, name, both)
    length = array.expr.list.len().cast(I64)
    out_of_range = both & ((i >= length) | (i < -length))
    expr = array.expr.list.get(i, null_on_oob=True)
    for bad, msg, code in checks:
        expr = fail_where(ctx, bad, expr, msg, code, idx_val.expr)
    return Val(expr=expr, dtype=inner, missing=out_of_range)


def _array_elem_at(spec: Any, ctx: Ctx) -> Val:
    array, index = arity(spec, ctx, "$arrayElemAt", 2)
    return _element_at(ctx, "$arrayElemAt", array, index, arity_one=False)


def _first(spec: Any, ctx: Ctx) -> Val:
    (array,) = arity(spec, ctx, "$first", 1)
    return _element_at(ctx, "$first", array, 0, arity_one=True)


def _last(spec: Any, ctx: Ctx) -> Val:
    (array,) = arity(spec, ctx, "$last", 1)
    return _element_at(ctx, "$last", array, -1, arity_one=True)


def _count(v: Val, both: pl.Expr, which: str, codes: tuple[int, int]) -> tuple[pl.Expr, list[Any]]:
    """A ``$slice`` count/position argument as Int64 and its numeric/integral checks."""
    if not is_number(v.dtype):
        message = f"{which} argument to $slice must be a numeric value, but is of type: {bson_type(v.dtype)}"
        return pl.lit(0, dtype=I64), [(both, message, codes[0], None)]
    x = v.expr.cast(pl.Float64)
    integral = (x == x.floor()) & (x >= -(2**31)) & (x < 2**31)
    message = f"{which} argument to $slice can't be represented as a 32-bit integer: {{}}".format
    value = pl.when(integral).then(v.expr).otherwise(0).cast(I64)
    return value, [(both & ~integral, message, codes[1], x)]


def _slice(spec: Any, ctx: Ctx) -> Val:
    vals = arity(spec, ctx, "$slice", 2, 3)
    array, arg2 = vals[0], vals[1]
    both = array.expr.is_not_null() & arg2.expr.is_not_null()
    if len(vals) == 3:
        both = both & vals[2].expr.is_not_null()
    if not _is_list(array.dtype):
        message = "First argument to $slice must be an array, but is of type: {}"
        if pl.Null in [v.dtype for v in vals]:
            return _null()
        return Val(
            fail_where(ctx, both, pl.lit(None), message.format, 28724, type_expr(array)), pl.Null()
        )
    if any(v.dtype == pl.Null for v in vals):
        return _null(array.dtype)
    first, checks = _count(arg2, both, "Second", (28725, 28726))
    length = array.expr.list.len().cast(I64)
    if len(vals) == 2:
        expr = (
            pl.when(first >= 0)
            .then(array.expr.list.head(first.clip(0)))
            .otherwise(array.expr.list.tail((-first).clip(0)))
        )
    else:
        count, more = _count(vals[2], both, "Third", (28727, 28728))
        checks += more
        checks.append(
            (
                both & (count <= 0),
                "Third argument to $slice must be positive: {}".format,
                28729,
                count,
            )
        )
        start = pl.when(first < 0).then((length + first).clip(0)).otherwise(first.clip(0))
        expr = array.expr.list.slice(start, count.clip(0))
    expr = pl.when(both).then(expr).otherwise(None)
    for bad, msg, code, detail in checks:
        expr = fail_where(ctx, bad, expr, msg, code, detail)
    return Val(expr=expr, dtype=array.dtype)


def _common_list(dtypes: list[pl.DataType], ctx: Ctx, name: str) -> pl.DataType:
    inners = {d.inner for d in dtypes if isinstance(d, pl.List) and d.inner != pl.Null}  # type: ignore[union-attr]
    if not inners:
        return pl.List(pl.Null())
    if len(inners) == 1:
        return pl.List(next(iter(inners)))
    if all(is_number(d) and not isinstance(d, pl.Decimal) for d in inners):
        return pl.List(pl.Float64())
    names = {tuple(f.name for f in d.fields) for d in inners if isinstance(d, pl.Struct)}
    if len(names) == 1 and all(isinstance(d, pl.Struct) for d in inners):
        # Documents with the same fields whose types differ only where some are null (an empty
        # input's unknown types) or in numeric width: one document type holds them all.
        try:
            return pl.List(functools.reduce(partial(merge_dtypes, field=name), inners))
        except OperationFailure:
            pass
    raise ctx.unsupported(f"{name} of arrays whose elements have different types")


def _concat_arrays(spec: Any, ctx: Ctx) -> Val:
    vals = compile_until_null(args_list(spec), ctx)
    if not vals:
        return lit_val([])
    bad, detail = type_errors(vals, _is_list)
    dtype = _common_list([v.dtype for v in vals], ctx, "$concatArrays")
    parts = [v.expr.cast(dtype) if _is_list(v.dtype) else pl.lit(None, dtype=dtype) for v in vals]
    expr = pl.concat_list(parts)
    message = "$concatArrays only supports arrays, not {}".format
    return Val(expr=fail_where(ctx, bad, expr, message, 28664, detail), dtype=dtype)


def _reverse_array(spec: Any, ctx: Ctx) -> Val:
    (v,) = arity(spec, ctx, "$reverseArray", 1)
    if not _is_list(v.dtype):
        message = "The argument to $reverseArray must be an array, but was of type: {}"
        return _not_array(ctx, v, message, 34435)
    return Val(expr=v.expr.list.reverse(), dtype=v.dtype)


def _is_array(spec: Any, ctx: Ctx) -> Val:
    (v,) = arity(spec, ctx, "$isArray", 1)
    expr = v.expr.is_not_null() if _is_list(v.dtype) else pl.lit(False)
    return Val(expr=expr, dtype=pl.Boolean())


def _named_args(
    spec: Any, name: str, required: dict[str, int], optional: tuple[str, ...], unknown: int
) -> Mapping[str, Any]:
    if not isinstance(spec, Mapping):
        msg = f"{name} only supports an object as its argument"
        raise OperationFailure(msg, code=28646 if name == "$filter" else 16878)
    for key in spec:
        if key not in required and key not in optional:
            msg = f"Unrecognized parameter to {name}: {key}"
            raise OperationFailure(msg, code=unknown)
    for key, code in required.items():
        if key not in spec:
            msg = f"Missing '{key}' parameter to {name}"
            raise OperationFailure(msg, code=code)
    return spec


def _variable_name(spec: Mapping[str, Any], name: str) -> str:
    var = spec.get("as", "this")
    if not isinstance(var, str) or not var or not (var[0].islower() or not var[0].isascii()):
        msg = f"{name}: 'as' must be a valid variable name, found: {var!r}"
        raise OperationFailure(msg, code=16866)
    return var


def _filter(spec: Any, ctx: Ctx) -> Val:
    spec = _named_args(spec, "$filter", {"input": 28648, "cond": 28650}, ("as", "limit"), 28647)
    var = _variable_name(spec, "$filter")
    array = compile_expr(spec["input"], ctx)
    if not _is_list(array.dtype):
        return _not_array(ctx, array, "input to $filter must be an array not {}", 28651)
    scope = element_scope(array, [spec["cond"]], [var], ctx)
    cond = compile_expr(spec["cond"], scope.ctx)
    expr = scope.source.list.eval(scope.element.filter(truthy(cond)))
    if "limit" in spec:
        limit = compile_expr(spec["limit"], ctx)
        expr = _apply_limit(ctx, expr, array, limit)
    return Val(expr=expr, dtype=array.dtype)


def _apply_limit(ctx: Ctx, expr: pl.Expr, array: Val, limit: Val) -> pl.Expr:
    """``$filter``'s ``limit``: null means none; else a positive 32-bit integer (checked)."""
    if limit.dtype == pl.Null:
        return expr
    reached = (array.expr.list.len() > 0) & limit.expr.is_not_null()
    if not is_number(limit.dtype):
        message = "$filter: limit must be represented as a 32-bit integral value: {}"
        return fail_where(ctx, reached, expr, message.format, 327391, type_expr(limit))
    x = limit.expr.cast(pl.Float64)
    integral = (x == x.floor()) & (x >= -(2**31)) & (x < 2**31)
    n = pl.when(integral).then(limit.expr).otherwise(1).cast(I64)
    limited = pl.when(limit.expr.is_null()).then(expr).otherwise(expr.list.head(n.clip(1)))
    message = "$filter: limit must be represented as a 32-bit integral value: {}"
    limited = fail_where(ctx, reached & ~integral, limited, message.format, 327391, x)
    message = "$filter: limit must be greater than 0: {}"
    return fail_where(ctx, reached & integral & (n <= 0), limited, message.format, 327392, n)


def _map(spec: Any, ctx: Ctx) -> Val:
    spec = _named_args(spec, "$map", {"input": 16880, "in": 16882}, ("as",), 16879)
    var = _variable_name(spec, "$map")
    array = compile_expr(spec["input"], ctx)
    if not _is_list(array.dtype):
        return _not_array(ctx, array, "input to $map must be an array not {}", 16883)
    scope = element_scope(array, [spec["in"]], [var], ctx)
    each = compile_expr(spec["in"], scope.ctx)
    dtype = pl.List(each.dtype)
    return Val(expr=scope.source.list.eval(each.expr).cast(dtype), dtype=dtype)


_FOLDS = ("$add", "$multiply", "$concat", "$concatArrays")


def _reduce(spec: Any, ctx: Ctx) -> Val:
    required = {"input": 40079, "initialValue": 40080, "in": 40081}
    spec = _named_args(spec, "$reduce", required, (), 40076)
    array = compile_expr(spec["input"], ctx)
    initial = compile_expr(spec["initialValue"], ctx)
    if not _is_list(array.dtype):
        return _not_array(ctx, array, "$reduce requires that 'input' be an array, found: {}", 40080)
    fold = spec["in"]
    op = next(iter(fold)) if isinstance(fold, Mapping) and len(fold) == 1 else None
    args = args_list(fold[op]) if op in _FOLDS else []
    rest = args[1:]
    if not args or args[0] != "$$value" or _mentions_value(rest):
        raise ctx.unsupported("$reduce (only $add, $multiply, $concat or $concatArrays of $$value)")
    scope = element_scope(array, rest, ["this"], ctx)
    term = compile_expr({op: rest} if len(rest) != 1 else rest[0], scope.ctx)
    return _fold(op, array, initial, term, scope.source, ctx)


def _mentions_value(specs: list[Any]) -> bool:
    text = repr(specs)
    return "$$value" in text


def _fold(op: str, array: Val, initial: Val, term: Val, source: pl.Expr, ctx: Ctx) -> Val:
    """``initial`` folded with the per-element ``term`` by ``op`` (null if any part is null)."""
    terms = source.list.eval(term.expr)
    if op in ("$add", "$multiply"):
        if not all(is_number(d) for d in (initial.dtype, term.dtype)) or any(
            isinstance(d, pl.Decimal) for d in (initial.dtype, term.dtype)
        ):
            raise ctx.unsupported(f"$reduce with {op} of non-numeric or decimal values")
        dtype = pl.Float64() if initial.dtype.is_float() or term.dtype.is_float() else I64
        seq = pl.concat_list([initial.expr.cast(dtype), terms.cast(pl.List(dtype))])
        step = pl.element().cum_sum() if op == "$add" else pl.element().cum_prod()
        value = seq.list.eval(step.last()).list.first()
        has_null = seq.list.eval(pl.element().is_null().any()).list.first()
    elif op == "$concat":
        if initial.dtype != pl.String or term.dtype != pl.String:
            raise ctx.unsupported("$reduce with $concat of non-string values")
        dtype = pl.String()
        value = initial.expr + terms.list.join("")
        has_null = terms.list.eval(pl.element().is_null().any()).list.first()
    else:
        if not (_is_list(initial.dtype) and _is_list(term.dtype)):
            raise ctx.unsupported("$reduce with $concatArrays of non-array values")
        dtype = _common_list([initial.dtype, term.dtype], ctx, "$reduce")
        flat = terms.list.eval(pl.element().explode()).cast(dtype)
        value = pl.concat_list([initial.expr.cast(dtype), flat])
        has_null = terms.list.eval(pl.element().is_null().any()).list.first()
    expr = pl.when(has_null.fill_null(False) | initial.expr.is_null()).then(None).otherwise(value)
    expr = pl.when(array.expr.is_null()).then(None).otherwise(expr)
    return Val(expr=expr, dtype=dtype)


#: The expression operators this module provides, by name: ``catalog`` files them in
#: ``expressions.OPERATORS``.
OPERATORS: dict[str, OperatorFn] = {
    "$size": _size,
    "$arrayElemAt": _array_elem_at,
    "$first": _first,
    "$last": _last,
    "$slice": _slice,
    "$concatArrays": _concat_arrays,
    "$reverseArray": _reverse_array,
    "$isArray": _is_array,
    "$filter": _filter,
    "$map": _map,
    "$reduce": _reduce,
}
