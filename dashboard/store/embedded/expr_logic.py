"""Comparison, boolean and conditional expression operators.

``$eq`` ``$ne`` ``$lt`` ``$lte`` ``$gt`` ``$gte`` ``$cmp`` compare in MongoDB's order
(:func:`~.expressions.cmp_parts`); ``$in``, ``$min`` and ``$max`` compare too. ``$and``,
``$or``, ``$not`` use MongoDB's truthiness; ``$cond``, ``$ifNull`` and ``$switch`` evaluate a branch
only where it is taken, so its run-time errors count only there. ``$literal`` is here as well.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from dashboard.store.embedded.expressions import (
    OperatorFn,
    args_list,
    choose,
    cmp_parts,
    compile_expr,
    null_val,
    truthy,
)
from dashboard.store.embedded.runtime_errors import fail_where
from dashboard.store.embedded.values import Ctx, Val, bson_rank, lit_val
from dashboard.store.errors import OperationFailure

__all__ = ["OPERATORS"]


def _binary(spec: Any, ctx: Ctx, name: str) -> tuple[Val, Val]:
    args = args_list(spec)
    if len(args) != 2:
        msg = f"Expression {name} takes exactly 2 arguments. {len(args)} were passed in."
        raise OperationFailure(msg, code=16020)
    return compile_expr(args[0], ctx), compile_expr(args[1], ctx)


def _comparison(name: str, build: Callable[[pl.Expr, pl.Expr], pl.Expr]) -> OperatorFn:
    def compile_cmp(spec: Any, ctx: Ctx) -> Val:
        a, b = _binary(spec, ctx, name)
        lt, eq = cmp_parts(a, b)
        return Val(expr=build(lt, eq), dtype=pl.Boolean(), missing=None)

    return compile_cmp


def _extreme(name: str, *, smallest: bool) -> OperatorFn:
    """``$min`` / ``$max`` as expressions: over a list of arguments, or over the elements of a lone
    array argument; null and missing values are skipped, and null is the answer when all are."""

    def compile_extreme(spec: Any, ctx: Ctx) -> Val:
        args = [compile_expr(a, ctx) for a in args_list(spec)]
        if len(args) == 1 and isinstance(args[0].dtype, pl.List):
            inner = args[0].dtype.inner
            if not (inner.is_numeric() or inner.is_temporal() or inner == pl.String):
                raise ctx.unsupported(f"{name} over an array of {inner}")
            items = args[0].expr.list
            return ctx.val(items.min() if smallest else items.max())
        best: Val | None = None
        for arg in args:
            if best is None:
                best = arg
                continue
            lt, eq = cmp_parts(arg, best)
            better = lt if smallest else ~(lt | eq)
            take = arg.expr.is_not_null() & (best.expr.is_null() | better)
            best = choose(take, arg, best, ctx)
        if best is None:
            return Val(expr=pl.lit(None), dtype=pl.Null())
        return Val(expr=best.expr, dtype=best.dtype)  # null, never missing, when all are

    return compile_extreme


def _literal(spec: Any, ctx: Ctx) -> Val:
    return lit_val(spec)


def _and(spec: Any, ctx: Ctx) -> Val:
    parts: list[pl.Expr] = []
    for a in args_list(spec):
        # MongoDB stops at the first false argument: the next is evaluated only where all are true.
        inner = ctx.guarded(pl.all_horizontal(parts)) if parts else ctx
        parts.append(truthy(compile_expr(a, inner)))
    expr = pl.lit(True)
    for p in parts:
        expr = expr & p
    return Val(expr=expr, dtype=pl.Boolean(), missing=None)


def _or(spec: Any, ctx: Ctx) -> Val:
    parts: list[pl.Expr] = []
    for a in args_list(spec):
        # MongoDB stops at the first true argument: the next is evaluated only where all are false.
        inner = ctx.guarded(~pl.any_horizontal(parts)) if parts else ctx
        parts.append(truthy(compile_expr(a, inner)))
    expr = pl.lit(False)
    for p in parts:
        expr = expr | p
    return Val(expr=expr, dtype=pl.Boolean(), missing=None)


def _not(spec: Any, ctx: Ctx) -> Val:
    args = args_list(spec)
    if len(args) != 1:
        msg = f"Expression $not takes exactly 1 arguments. {len(args)} were passed in."
        raise OperationFailure(msg, code=16020)
    return Val(expr=~truthy(compile_expr(args[0], ctx)), dtype=pl.Boolean(), missing=None)


def _cond(spec: Any, ctx: Ctx) -> Val:
    if isinstance(spec, Mapping):
        try:
            parts = [spec["if"], spec["then"], spec["else"]]
        except KeyError as exc:
            msg = f"Missing '{exc.args[0]}' parameter to $cond"
            raise OperationFailure(msg, code=17080) from exc
    else:
        parts = args_list(spec)
        if len(parts) != 3:
            msg = f"Expression $cond takes exactly 3 arguments. {len(parts)} were passed in."
            raise OperationFailure(msg, code=16020)
    cond = truthy(compile_expr(parts[0], ctx))
    then = compile_expr(parts[1], ctx.guarded(cond))
    return choose(cond, then, compile_expr(parts[2], ctx.guarded(~cond)), ctx)


def _if_null(spec: Any, ctx: Ctx) -> Val:
    args = args_list(spec)
    if len(args) < 2:
        msg = "$ifNull needs at least two arguments"
        raise OperationFailure(msg, code=1257300)
    vals: list[Val] = []
    for a in args:
        # Each argument is evaluated only where every earlier one is null or missing.
        nulls = [v.expr.is_null() for v in vals]
        vals.append(compile_expr(a, ctx.guarded(pl.all_horizontal(nulls)) if nulls else ctx))
    result = vals[-1]
    for v in reversed(vals[:-1]):
        result = choose(v.expr.is_not_null(), v, result, ctx)
    return result


def _switch(spec: Any, ctx: Ctx) -> Val:
    if not isinstance(spec, Mapping) or "branches" not in spec:
        msg = "$switch requires at least one branch"
        raise OperationFailure(msg, code=40068)
    conds: list[pl.Expr] = []
    thens: list[Val] = []
    for branch in spec["branches"]:
        if not isinstance(branch, Mapping) or "case" not in branch or "then" not in branch:
            msg = "$switch requires each branch have a 'case' expression and a 'then' expression"
            raise OperationFailure(msg, code=40064)
        # A case is evaluated only where no earlier case matched; its 'then' only where it does.
        case_ctx = ctx.guarded(~pl.any_horizontal(conds)) if conds else ctx
        cond = truthy(compile_expr(branch["case"], case_ctx))
        thens.append(compile_expr(branch["then"], case_ctx.guarded(cond)))
        conds.append(cond)
    none_matched = ~pl.any_horizontal(conds) if conds else pl.lit(True)
    has_default = "default" in spec
    result = compile_expr(spec["default"], ctx.guarded(none_matched)) if has_default else null_val()
    for cond, then in reversed(list(zip(conds, thens, strict=True))):
        result = choose(cond, then, result, ctx)
    if not has_default:
        # Checked per document reaching the $switch: an empty input or an untaken branch never fails.
        expr = fail_where(ctx, none_matched, result.expr, _SWITCH_NO_MATCH, 40066)
        result = Val(expr=expr, dtype=result.dtype, missing=result.missing)
    return result


_SWITCH_NO_MATCH = (
    "$switch could not find a matching branch for an input, and no default was specified."
)


def _in(spec: Any, ctx: Ctx) -> Val:
    needle, haystack = _binary(spec, ctx, "$in")
    if not isinstance(haystack.dtype, pl.List):
        msg = "$in requires an array as a second argument"
        raise OperationFailure(msg, code=40081)
    if needle.dtype == pl.Null or haystack.dtype.inner == pl.Null:
        expr = haystack.expr.list.eval(pl.element().is_null()).list.any() & needle.expr.is_null()
    elif bson_rank(needle.dtype) != bson_rank(haystack.dtype.inner):
        expr = needle.expr.is_null() & haystack.expr.list.eval(pl.element().is_null()).list.any()
    else:
        expr = haystack.expr.list.contains(needle.expr, nulls_equal=True)
    # A document whose second argument is null or missing is an error, not false (40081).
    expr = fail_where(
        ctx, haystack.expr.is_null(), expr.fill_null(False), _in_not_array, 40081, haystack.missing
    )
    return Val(expr=expr, dtype=pl.Boolean(), missing=None)


def _in_not_array(missing: object) -> str:
    found = "missing" if missing else "null"
    return f"$in requires an array as a second argument, found: {found}"


#: The expression operators this module provides, by name: ``catalog`` files them in
#: ``expressions.OPERATORS``.
OPERATORS: dict[str, OperatorFn] = {
    "$eq": _comparison("$eq", lambda lt, eq: eq),
    "$ne": _comparison("$ne", lambda lt, eq: ~eq),
    "$lt": _comparison("$lt", lambda lt, eq: lt),
    "$lte": _comparison("$lte", lambda lt, eq: lt | eq),
    "$gt": _comparison("$gt", lambda lt, eq: ~(lt | eq)),
    "$gte": _comparison("$gte", lambda lt, eq: ~lt),
    "$cmp": _comparison(
        "$cmp",
        lambda lt, eq: pl.when(eq).then(pl.lit(0)).when(lt).then(pl.lit(-1)).otherwise(pl.lit(1)),
    ),
    "$min": _extreme("$min", smallest=True),
    "$max": _extreme("$max", smallest=False),
    "$literal": _literal,
    "$and": _and,
    "$or": _or,
    "$not": _not,
    "$cond": _cond,
    "$ifNull": _if_null,
    "$switch": _switch,
    "$in": _in,
}
