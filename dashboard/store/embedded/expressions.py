"""Aggregation expressions compiled to Polars: field paths, variables, literals, objects and arrays.

:func:`compile_expr` turns one MongoDB expression into a :class:`~.values.Val`, looking operators up
by name in :data:`OPERATORS`. That table starts empty: ``catalog`` fills it from the modules that
list the operators (``expr_logic``, ``expr_arith``, ``expr_math``, ``expr_string``, ``expr_regex``,
``expr_array``, ``expr_convert``, ``expr_date_parts``, ``expr_date_format``, ``expr_date_arith``).
Also here: helpers the operators share (MongoDB's comparison order, truthiness, ``choose``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from dashboard.store.embedded.codec import merge_dtypes
from dashboard.store.embedded.values import (
    DATE,
    NO_CONST,
    PRESENT_PREFIX,
    Ctx,
    Val,
    bson_rank,
    lit_val,
)
from dashboard.store.errors import OperationFailure

__all__ = [
    "OPERATORS",
    "OperatorFn",
    "args_list",
    "cmp_parts",
    "compile_expr",
    "field_path",
    "missing_val",
    "null_val",
    "truthy",
]

#: An expression operator: compiles its argument (the value under ``$name``) against ``ctx``.
OperatorFn = Callable[[Any, Ctx], Val]

#: Every expression operator by name: filled by ``catalog`` from the ``expr_*`` modules' own
#: ``OPERATORS`` lists.
OPERATORS: dict[str, OperatorFn] = {}


def missing_val() -> Val:
    """A value that is absent (a missing field, ``$$REMOVE``)."""
    return Val(expr=pl.lit(None), dtype=pl.Null(), missing=pl.lit(True), const=NO_CONST)


def null_val() -> Val:
    return lit_val(None)


def compile_expr(spec: Any, ctx: Ctx) -> Val:
    """Compile a MongoDB aggregation expression against ``ctx``."""
    if isinstance(spec, str):
        if spec.startswith("$$"):
            return _variable(spec[2:], ctx)
        if spec.startswith("$"):
            return field_path(spec[1:], ctx)
        return lit_val(spec)
    if isinstance(spec, Mapping):
        keys = list(spec)
        if len(keys) == 1 and isinstance(keys[0], str) and keys[0].startswith("$"):
            name = keys[0]
            fn = OPERATORS.get(name)
            if fn is None:
                if name in _KNOWN_UNSUPPORTED or name.lstrip("$").isidentifier():
                    raise ctx.unsupported(f"expression operator {name}")
                msg = f"Unrecognized expression '{name}'"
                raise OperationFailure(msg, code=168)
            return fn(spec[name], ctx)
        for key in keys:
            if isinstance(key, str) and key.startswith("$"):
                msg = (
                    "an expression specification must contain exactly one field, the name of the "
                    f"expression; found {len(keys)} fields ({', '.join(map(str, keys))})"
                )
                raise OperationFailure(msg, code=15983)
        return _object(spec, ctx)
    if isinstance(spec, list | tuple):
        return _array([compile_expr(item, ctx) for item in spec], ctx)
    return lit_val(spec)


_KNOWN_UNSUPPORTED: frozenset[str] = frozenset()


def _object(spec: Mapping[str, Any], ctx: Ctx) -> Val:
    """An expression object: a new document whose fields are expressions (missing ones left out)."""
    fields = {str(k): compile_expr(v, ctx) for k, v in spec.items()}
    if not fields:
        return lit_val({})
    exprs = [_nullable_field(v).alias(k) for k, v in fields.items()]
    return ctx.val(pl.struct(exprs))


def _nullable_field(v: Val) -> pl.Expr:
    if v.dtype == pl.Null:
        return v.expr.cast(pl.Null)
    return v.expr


def _array(items: list[Val], ctx: Ctx) -> Val:
    """An array literal of expressions (a missing element becomes null, as in MongoDB)."""
    if not items:
        return lit_val([])
    if all(v.is_const for v in items):
        return lit_val([v.const for v in items])
    dtypes = {v.dtype for v in items if v.dtype != pl.Null}
    ranks = {bson_rank(d) for d in dtypes}
    if len(ranks) > 1:
        raise ctx.unsupported("an array whose elements have different types")
    exprs = [v.expr for v in items]
    if dtypes:
        target = next(iter(dtypes)) if len(dtypes) == 1 else pl.Float64()
        exprs = [e.cast(target) for e in exprs]
    return ctx.val(pl.concat_list(exprs))


def _variable(name: str, ctx: Ctx) -> Val:
    head, _, rest = name.partition(".")
    if head in ctx.variables:
        base = ctx.variables[head]
    elif head in ("ROOT", "CURRENT"):
        base = root_val(ctx)
    elif head == "REMOVE":
        return missing_val()
    elif head == "NOW":
        base = Val(expr=pl.lit(_now(), dtype=DATE), dtype=DATE, missing=None, const=NO_CONST)
    else:
        msg = f"Use of undefined variable: {head}"
        raise OperationFailure(msg, code=17276)
    if not rest:
        return base
    return get_path(base, rest.split("."), ctx)


def _now() -> Any:
    import datetime as dt

    return dt.datetime.now(dt.UTC)


def root_val(ctx: Ctx) -> Val:
    """The whole current document as one struct value (``$$ROOT``)."""
    if ctx.fields_from_element:
        return Val(expr=pl.element(), dtype=ctx.element or pl.Null(), missing=None)
    cols = [c for c in ctx.schema if not c.startswith(PRESENT_PREFIX)]
    if not cols:
        return lit_val({})
    dtype = pl.Struct({c: ctx.schema[c] for c in cols})
    return Val(expr=pl.struct([pl.col(c) for c in cols]), dtype=dtype, missing=None)


def field_path(path: str, ctx: Ctx) -> Val:
    """``$a.b.c``: a field of the current document, through nested documents and arrays."""
    if not path:
        msg = "'$' by itself is not a valid FieldPath"
        raise OperationFailure(msg, code=16872)
    parts = path.split(".")
    head = parts[0]
    if head not in ctx.schema:
        return missing_val()
    dtype = ctx.schema[head]
    presence = PRESENT_PREFIX + head
    # Inside list.eval (fields_from_element) a presence flag is a field of the element struct.
    missing = ~ctx.column(presence) if presence in ctx.schema else None
    base = Val(expr=ctx.column(head), dtype=dtype, missing=missing)
    if len(parts) == 1:
        return base
    return get_path(base, parts[1:], ctx)


def get_path(base: Val, parts: list[str], ctx: Ctx) -> Val:
    """Follow ``parts`` into ``base``: struct fields, and over arrays of documents element-wise."""
    expr, dtype = base.expr, base.dtype
    for i, part in enumerate(parts):
        if isinstance(dtype, pl.Struct):
            names = {f.name: f.dtype for f in dtype.fields}
            if part not in names:
                return missing_val()
            expr, dtype = expr.struct.field(part), names[part]
        elif isinstance(dtype, pl.List):
            inner_parts = parts[i:]
            inner = get_path(Val(expr=pl.element(), dtype=dtype.inner), inner_parts, ctx)
            if inner.dtype == pl.Null and inner.missing is not None:
                return ctx.val(
                    expr.list.eval(pl.element().filter(pl.lit(False))).cast(pl.List(pl.Null))
                )
            expr = expr.list.eval(inner.expr.drop_nulls())
            return Val(expr=expr, dtype=pl.List(inner.dtype), missing=expr.is_null())
        else:
            return missing_val()
    return Val(expr=expr, dtype=dtype, missing=expr.is_null())


def args_list(spec: Any) -> list[Any]:
    """An operator's arguments as a list (MongoDB accepts a lone argument without brackets)."""
    return list(spec) if isinstance(spec, list | tuple) else [spec]


def truthy(v: Val) -> pl.Expr:
    """MongoDB truthiness: false, null, missing, 0 are false; everything else (even "" and []) true."""
    if v.dtype == pl.Null:
        return pl.lit(False)
    if v.dtype == pl.Boolean:
        return v.expr.fill_null(False)
    if v.dtype.is_numeric() or isinstance(v.dtype, pl.Decimal):
        return (v.expr != 0).fill_null(False)
    return v.expr.is_not_null()


def _kind(v: Val) -> pl.Expr:
    """0 where missing, 1 where null, else 2 + the BSON type rank (static for a typed value)."""
    rank = 2 + bson_rank(v.dtype) if v.dtype != pl.Null else 1
    k = pl.when(v.expr.is_null()).then(pl.lit(1)).otherwise(pl.lit(rank))
    if v.missing is not None:
        k = pl.when(v.missing).then(pl.lit(0)).otherwise(k)
    return k


def cmp_parts(a: Val, b: Val) -> tuple[pl.Expr, pl.Expr]:
    """(a < b, a == b) in MongoDB's comparison order (missing < null < numbers < strings < …)."""
    ka, kb = _kind(a), _kind(b)
    same_type = (
        a.dtype != pl.Null and b.dtype != pl.Null and bson_rank(a.dtype) == bson_rank(b.dtype)
    )
    if same_type:
        lt_value, eq_value = a.expr < b.expr, a.expr == b.expr
        if a.dtype.is_float() or b.dtype.is_float():
            # NaN is the smallest number in BSON order (Polars puts it after every number); two
            # NaNs are equal.
            a_nan, b_nan = _is_nan(a), _is_nan(b)
            lt_value = (a_nan & ~b_nan) | (~a_nan & ~b_nan & lt_value)
        if bson_rank(a.dtype) == 4 and a.dtype != b.dtype:
            lt_value = a.expr.cast(pl.String) < b.expr.cast(pl.String)
            eq_value = a.expr.cast(pl.String) == b.expr.cast(pl.String)
    else:
        lt_value, eq_value = pl.lit(False), pl.lit(False)
    eq = pl.when(ka != kb).then(False).when(ka < 2).then(True).otherwise(eq_value)
    lt = pl.when(ka != kb).then(ka < kb).when(ka < 2).then(False).otherwise(lt_value)
    return lt, eq


def _is_nan(val: Val) -> pl.Expr:
    return val.expr.is_nan().fill_null(False) if val.dtype.is_float() else pl.lit(False)


def choose(cond: pl.Expr, then: Val, otherwise: Val, ctx: Ctx) -> Val:
    """``cond ? then : otherwise`` keeping each branch's missing-ness."""
    dtype = _common_dtype(then, otherwise, ctx)
    t_expr = then.expr.cast(dtype) if then.dtype != dtype else then.expr
    o_expr = otherwise.expr.cast(dtype) if otherwise.dtype != dtype else otherwise.expr
    expr = pl.when(cond).then(t_expr).otherwise(o_expr)
    if then.missing is None and otherwise.missing is None:
        missing = None
    else:
        t_m = then.missing if then.missing is not None else pl.lit(False)
        o_m = otherwise.missing if otherwise.missing is not None else pl.lit(False)
        missing = pl.when(cond).then(t_m).otherwise(o_m)
    return Val(expr=expr, dtype=dtype, missing=missing)


def _common_dtype(a: Val, b: Val, ctx: Ctx) -> pl.DataType:
    if a.dtype == pl.Null:
        return b.dtype
    if b.dtype == pl.Null or a.dtype == b.dtype:
        return a.dtype
    if a.dtype.is_numeric() and b.dtype.is_numeric():
        return pl.Float64() if (a.dtype.is_float() or b.dtype.is_float()) else pl.Int64()
    if isinstance(a.dtype, pl.Datetime) and isinstance(b.dtype, pl.Datetime):
        return DATE
    if isinstance(a.dtype, pl.List) and isinstance(b.dtype, pl.List):
        if a.dtype.inner == pl.Null:
            return b.dtype
        if b.dtype.inner == pl.Null:
            return a.dtype
    if isinstance(a.dtype, pl.Struct) and isinstance(b.dtype, pl.Struct):
        return merge_dtypes(a.dtype, b.dtype, field="$cond")
    raise ctx.unsupported(f"branches of different types ({a.dtype} and {b.dtype})")
