"""``$group`` compiled to one Polars ``group_by().agg()``, and the stages built on it (``$count``,
``$sortByCount``).

Each accumulator's argument is evaluated into a temporary column before grouping (with a presence
column where it can be missing, since ``$push`` and ``$addToSet`` skip missing values but keep nulls),
then aggregated. :func:`compile_group` looks the accumulators up by name in :data:`ACCUMULATORS`, a
table that ``catalog`` fills from the ``accumulators`` module; the window functions of
``$setWindowFields`` reuse them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from dashboard.store.embedded.expressions import compile_expr
from dashboard.store.embedded.pipeline import RunState, StageFn
from dashboard.store.embedded.values import Ctx, Val
from dashboard.store.errors import OperationFailure

__all__ = ["ACCUMULATORS", "STAGES", "AccumulatorFn", "Agg", "accumulator_input", "compile_group"]


@dataclass
class Agg:
    """One accumulator compiled: columns to add before grouping and the aggregation itself."""

    agg: pl.Expr
    pre: list[pl.Expr] = field(default_factory=list)
    #: The output computed from the aggregated column (``pl.col(name)``) after grouping, e.g. a
    #: cast with a run-time check; None: the aggregated column as it is.
    post: pl.Expr | None = None


#: An accumulator: compiles its argument against ``ctx`` for the output field ``name``.
AccumulatorFn = Callable[[Any, Ctx, str], Agg]

#: Every accumulator by name: filled by ``catalog`` from the ``accumulators`` module's own
#: ``ACCUMULATORS`` list (``$setWindowFields`` looks its accumulator window functions up here too).
ACCUMULATORS: dict[str, AccumulatorFn] = {}


def accumulator_input(
    spec: Any, ctx: Ctx, name: str, tag: str = "arg"
) -> tuple[Val, list[pl.Expr], pl.Expr, pl.Expr | None]:
    """Evaluate an accumulator's argument into column ``__<tag>:<name>`` before grouping.

    Returns (value, columns to add, the column, where it is present: ``None`` when never missing).
    """
    val = compile_expr(spec, ctx)
    col = f"__{tag}:{name}"
    pre = [val.expr.alias(col)]
    present = None
    if val.missing is not None:
        pre.append((~val.missing.fill_null(True)).alias(f"__{tag}_present:{name}"))
        present = pl.col(f"__{tag}_present:{name}")
    return val, pre, pl.col(col), present


def compile_group(spec: Mapping[str, Any], lf: pl.LazyFrame, ctx: Ctx) -> pl.LazyFrame:
    """``$group``: one output document per distinct ``_id``, with the accumulated fields."""
    if "_id" not in spec:
        msg = "a group specification must include an _id"
        raise OperationFailure(msg, code=15955)
    pre: list[pl.Expr] = []
    keys: list[str] = []
    id_spec = spec["_id"]
    pack: pl.Expr
    if isinstance(id_spec, Mapping) and not _is_expression(id_spec):
        parts = []
        for i, (k, sub) in enumerate(id_spec.items()):
            v = compile_expr(sub, ctx)
            col = f"__key{i}"
            pre.append(v.expr.alias(col))
            keys.append(col)
            parts.append(pl.col(col).alias(str(k)))
            if v.missing is not None:
                # An object expression drops a field that evaluates to missing, so {y: 1} and
                # {c: null, y: 1} are different keys (the sub-document reads both as null).
                pre.append(v.missing.fill_null(False).alias(f"__keymissing{i}"))
                keys.append(f"__keymissing{i}")
        pack = pl.struct(parts) if parts else pl.lit(None)
    else:
        v = compile_expr(id_spec, ctx)
        pre.append(v.expr.alias("__key0"))
        keys.append("__key0")
        pack = pl.col("__key0")
    aggs: list[pl.Expr] = []
    names: list[str] = []
    posts: dict[str, pl.Expr] = {}
    for out_name, acc_spec in spec.items():
        if out_name == "_id":
            continue
        if "." in out_name:
            msg = f"The field name '{out_name}' cannot contain '.'"
            raise OperationFailure(msg, code=40235)
        if not isinstance(acc_spec, Mapping) or len(acc_spec) != 1:
            msg = f"The field '{out_name}' must be an accumulator object"
            raise OperationFailure(msg, code=40234)
        ((op, arg),) = acc_spec.items()
        fn = ACCUMULATORS.get(op)
        if fn is None:
            if isinstance(op, str) and op.startswith("$"):
                raise ctx.unsupported(f"accumulator {op}")
            msg = f"unknown group operator '{op}'"
            raise OperationFailure(msg, code=15952)
        agg = fn(arg, ctx, out_name)
        pre.extend(agg.pre)
        aggs.append(agg.agg)
        names.append(out_name)
        if agg.post is not None:
            posts[out_name] = agg.post
    grouped = lf.with_columns(pre).group_by(keys, maintain_order=True).agg(aggs)
    outputs = [posts[n].alias(n) if n in posts else pl.col(n) for n in names]
    return grouped.select([pack.alias("_id"), *outputs])


def _is_expression(spec: Mapping[str, Any]) -> bool:
    return len(spec) == 1 and str(next(iter(spec))).startswith("$")


# -- the stages ---------------------------------------------------------------------------------


def _group(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    if not isinstance(spec, Mapping):
        msg = "a group's fields must be specified in an object"
        raise OperationFailure(msg, code=15947)
    return compile_group(spec, lf, state.ctx(lf, "$group"))


def _count(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    if not isinstance(spec, str) or not spec or spec.startswith("$") or "." in spec:
        msg = "the count field must be a non-empty string, not start with '$' and not contain '.'"
        raise OperationFailure(msg, code=40156)
    counted = lf.select(pl.len().cast(pl.Int64).alias(spec))
    return counted.filter(pl.col(spec) > 0)


def _sort_by_count(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    grouped = compile_group({"_id": spec, "count": {"$sum": 1}}, lf, state.ctx(lf, "$sortByCount"))
    return grouped.sort("count", descending=True, maintain_order=True)


#: The stages this module provides, by name: ``catalog`` files them in ``pipeline.STAGES``.
STAGES: dict[str, StageFn] = {
    "$group": _group,
    "$count": _count,
    "$sortByCount": _sort_by_count,
}
