"""The ``$group`` accumulators: the basic ones (``$sum`` … ``$stdDevSamp``), percentiles, the
n-element family (``$firstN`` … ``$bottomN``) and ``$mergeObjects``.

Listed in :data:`ACCUMULATORS` at the bottom, which ``catalog`` files in
:data:`~.group.ACCUMULATORS`; most are also window functions (see :mod:`.window_functions`).
``$median``/``$percentile`` return exact values with MongoDB's discrete rule: the
``max(0, ceil(p·n) − 1)``-th smallest numeric input (``n − 1`` for ``p = 1``), which is what
``mongod`` computes in windows and what its t-digest returns for the small inputs of the manual's
examples. ``$top``/``$bottom``/``$topN``/``$bottomN`` order with :func:`~.pipeline.sort_exprs`
(MongoDB's ``$sort`` order) and break ties the way mongod's streaming accumulators do: the first
document seen wins, except where ``$bottomN`` evicts (see :func:`_bottom_n_kept`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from dashboard.store.embedded.expressions import compile_expr
from dashboard.store.embedded.group import AccumulatorFn, Agg, accumulator_input
from dashboard.store.embedded.pipeline import sort_exprs
from dashboard.store.embedded.runtime_errors import unsupported_where
from dashboard.store.embedded.values import Ctx, Val, bson_type, is_number
from dashboard.store.errors import OperationFailure

__all__ = ["ACCUMULATORS"]


# -- basic accumulators --------------------------------------------------------------------------


def _sum(spec: Any, ctx: Ctx, name: str) -> Agg:
    val, pre, col, _ = accumulator_input(spec, ctx, name)
    if isinstance(val.dtype, pl.List):
        return Agg(pl.lit(0).alias(name), pre)
    if not is_number(val.dtype):
        return Agg(pl.lit(0, dtype=pl.Int64).alias(name), pre)
    if val.is_const:
        return Agg((pl.len().cast(pl.Int64) * pl.lit(val.const)).alias(name), [])
    if val.dtype.is_integer():
        # Summed in 128 bits: Polars would wrap past the range of long. MongoDB returns a double
        # there, which a column of longs cannot hold, so the engine refuses (docs: deviations).
        total = pl.col(name)
        too_big = (total > _LONG_MAX) | (total < _LONG_MIN)
        post = unsupported_where(ctx, too_big, total.cast(pl.Int64), _SUM_OVERFLOW)
        return Agg(col.cast(pl.Int128).sum().alias(name), pre, post)
    return Agg(col.sum().alias(name), pre)


_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_SUM_OVERFLOW = "an integer $sum past the range of long (MongoDB returns a double)"


def _avg(spec: Any, ctx: Ctx, name: str) -> Agg:
    val, pre, col, _ = accumulator_input(spec, ctx, name)
    if not is_number(val.dtype):
        return Agg(pl.lit(None, dtype=pl.Float64).alias(name), pre)
    return Agg(col.cast(pl.Float64).mean().alias(name), pre)


def _column_agg(op: str, agg: Callable[[pl.Expr], pl.Expr]) -> AccumulatorFn:
    """Accumulator ``op``: the Polars aggregation ``agg`` of its argument's column."""

    def compile_agg(spec: Any, ctx: Ctx, name: str) -> Agg:
        _, pre, col, _ = accumulator_input(spec, ctx, name)
        return Agg(agg(col).alias(name), pre)

    return compile_agg


def _min(spec: Any, ctx: Ctx, name: str) -> Agg:
    """``$min``: NaN is the smallest number in BSON order, so a group holding one gives NaN."""
    val, pre, col, _ = accumulator_input(spec, ctx, name)
    if isinstance(val.dtype, pl.List):
        return Agg(_array_extreme(val, col, ctx, "$min").first().alias(name), pre)
    if val.dtype.is_float():
        nan = pl.lit(float("nan"), dtype=val.dtype)
        return Agg(pl.when(col.is_nan().any()).then(nan).otherwise(col.min()).alias(name), pre)
    return Agg(col.min().alias(name), pre)


def _max(spec: Any, ctx: Ctx, name: str) -> Agg:
    val, pre, col, _ = accumulator_input(spec, ctx, name)
    if isinstance(val.dtype, pl.List):
        return Agg(_array_extreme(val, col, ctx, "$max").last().alias(name), pre)
    return Agg(col.max().alias(name), pre)


def _array_extreme(val: Val, col: pl.Expr, ctx: Ctx, op: str) -> pl.Expr:
    """The group's arrays (null and missing left out) in BSON order: element by element, a
    shorter array first when it is a prefix of a longer one ([] first)."""
    inner = val.dtype.inner  # type: ignore[attr-defined]
    if not (inner.is_numeric() or inner.is_temporal() or inner == pl.String):
        raise ctx.unsupported(f"{op} over arrays of {inner}")
    return col.drop_nulls().sort()


def _count(spec: Any, ctx: Ctx, name: str) -> Agg:
    if spec != {}:
        msg = "$count takes no arguments, i.e. $count:{}"
        raise OperationFailure(msg, code=40237)
    return Agg(pl.len().cast(pl.Int64).alias(name))


def _push(spec: Any, ctx: Ctx, name: str) -> Agg:
    _, pre, col, present = accumulator_input(spec, ctx, name)
    values = col if present is None else col.filter(present)
    return Agg(values.implode().alias(name), pre)


def _add_to_set(spec: Any, ctx: Ctx, name: str) -> Agg:
    _, pre, col, present = accumulator_input(spec, ctx, name)
    values = col if present is None else col.filter(present)
    return Agg(values.unique(maintain_order=True).implode().alias(name), pre)


def _std_pop(spec: Any, ctx: Ctx, name: str) -> Agg:
    val, pre, col, _ = accumulator_input(spec, ctx, name)
    if not is_number(val.dtype):
        return Agg(pl.lit(None, dtype=pl.Float64).alias(name), pre)
    return Agg(col.cast(pl.Float64).std(ddof=0).alias(name), pre)


def _std_samp(spec: Any, ctx: Ctx, name: str) -> Agg:
    val, pre, col, _ = accumulator_input(spec, ctx, name)
    if not is_number(val.dtype):
        return Agg(pl.lit(None, dtype=pl.Float64).alias(name), pre)
    c = col.cast(pl.Float64)
    return Agg(pl.when(c.count() > 1).then(c.std(ddof=1)).otherwise(None).alias(name), pre)


def _require_object(op: str, spec: Any, code: int, message: str | None = None) -> Mapping[str, Any]:
    if not isinstance(spec, Mapping):
        msg = message or f"specification must be an object; found {op}: {spec!r}"
        raise OperationFailure(msg, code=code)
    return spec


def _reject_unknown(op: str, spec: Mapping[str, Any], allowed: set[str]) -> None:
    for key in spec:
        if key not in allowed:
            msg = f"BSON field '{op}.{key}' is an unknown field."
            raise OperationFailure(msg, code=40415)


# -- $median / $percentile -----------------------------------------------------------------------


def _percentile_input(spec: Any, op: str) -> Mapping[str, Any]:
    spec = _require_object(op, spec, 7429703)
    _reject_unknown(
        op, spec, {"input", "p", "method"} if op == "$percentile" else {"input", "method"}
    )
    for required in ("input", "p", "method") if op == "$percentile" else ("input", "method"):
        if required not in spec:
            msg = f"BSON field '{op}.{required}' is missing but a required field"
            raise OperationFailure(msg, code=40414)
    method = spec["method"]
    if not isinstance(method, str):
        msg = f"BSON field '{op}.method' is the wrong type '{type(method).__name__}', expected type 'string'"
        raise OperationFailure(msg, code=14)
    if method != "approximate":
        # "discrete"/"continuous" exist in mongod only behind a disabled feature flag; the manual
        # documents 'approximate' alone, and mongod rejects the others with this error.
        msg = "Currently only 'approximate' can be used as percentile 'method'."
        raise OperationFailure(msg, code=2)
    return spec


def _percentiles(spec: Any, ctx: Ctx) -> list[float]:
    val = compile_expr(spec, ctx)
    if not val.is_const:
        raise ctx.unsupported("$percentile with a 'p' that is not a constant")
    ps = val.const
    if not isinstance(ps, list) or not ps:
        msg = f"The $percentile 'p' field must be an array of numbers from [0.0, 1.0], but found: {ps!r}"
        raise OperationFailure(msg, code=7750301)
    out: list[float] = []
    for p in ps:
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= p <= 1.0:
            msg = f"The $percentile 'p' field must be an array of numbers from [0.0, 1.0], but found: {p!r}"
            raise OperationFailure(msg, code=7750303)
        out.append(float(p))
    return out


def _numeric_sorted(val: Val, col: pl.Expr) -> pl.Expr | None:
    """The group's numeric inputs as doubles, ascending (NaN and non-numbers left out)."""
    if not is_number(val.dtype):
        return None
    keep = col.is_not_null()  # a missing value is null in the column
    if val.dtype.is_float():
        keep = keep & col.is_not_nan()
    return col.filter(keep).cast(pl.Float64).sort()


def _discrete(values: pl.Expr | None, p: float) -> pl.Expr:
    """MongoDB's discrete percentile of sorted ``values``: null when there are none."""
    if values is None:
        return pl.lit(None, dtype=pl.Float64)
    n = values.len().cast(pl.Int64)
    if p >= 1.0:
        index = n - 1
    else:
        index = ((pl.lit(p) * n.cast(pl.Float64)).ceil().cast(pl.Int64) - 1).clip(lower_bound=0)
    return values.get(index, null_on_oob=True)


def _median(spec: Any, ctx: Ctx, name: str) -> Agg:
    spec = _percentile_input(spec, "$median")
    val, pre, col, _ = accumulator_input(spec["input"], ctx, name, "median")
    return Agg(_discrete(_numeric_sorted(val, col), 0.5).alias(name), pre)


def _percentile(spec: Any, ctx: Ctx, name: str) -> Agg:
    spec = _percentile_input(spec, "$percentile")
    ps = _percentiles(spec["p"], ctx)
    val, pre, col, _ = accumulator_input(spec["input"], ctx, name, "pct")
    values = _numeric_sorted(val, col)
    return Agg(pl.concat_list([_discrete(values, p) for p in ps]).alias(name), pre)


# -- n-element accumulators ----------------------------------------------------------------------


def _n_value(
    spec: Mapping[str, Any], ctx: Ctx, name: str, op: str
) -> tuple[pl.Expr, list[pl.Expr]]:
    """The group's ``n``: a checked constant, or an expression of the group's documents."""
    if "n" not in spec:
        raise OperationFailure("Missing value for 'n'", code=5787906)
    val = compile_expr(spec["n"], ctx)
    if val.is_const:
        n = val.const
        if isinstance(n, bool) or not isinstance(n, int | float) or not float(n).is_integer():
            msg = f"Value for 'n' must be of integral type, but found {n!r}"
            raise OperationFailure(msg, code=5787902)
        if n < 1:
            msg = f"'n' must be greater than 0, found {n!r}"
            raise OperationFailure(msg, code=5787908)
        return pl.lit(int(n), dtype=pl.Int64), []
    if not val.dtype.is_numeric():
        msg = f"Value for 'n' must be of integral type in {op}"
        raise OperationFailure(msg, code=5787902)
    col = f"__n:{name}"
    return pl.col(col).first(), [val.expr.cast(pl.Int64).alias(col)]


def _take(values: pl.Expr, n: pl.Expr, *, last: bool) -> pl.Expr:
    return values.tail(n) if last else values.head(n)


def _n_input(spec: Any, ctx: Ctx, name: str, op: str) -> tuple[pl.Expr, list[pl.Expr], pl.Expr]:
    """The ``{input, n}`` argument of ``$firstN``…``$maxN``: (n, columns to add, input column)."""
    spec = _require_object(op, spec, 5787900, f"specification must be an object; found {op}")
    _reject_unknown(op, spec, {"input", "n"})
    if "input" not in spec:
        raise OperationFailure("Missing value for 'input'", code=5787907)
    n, pre_n = _n_value(spec, ctx, name, op)
    _, pre, col, _ = accumulator_input(spec["input"], ctx, name, "nin")
    return n, [*pre, *pre_n], col


def _first_last_n(spec: Any, ctx: Ctx, name: str, op: str, *, last: bool) -> Agg:
    n, pre, col = _n_input(spec, ctx, name, op)
    return Agg(_take(col, n, last=last).alias(name), pre)


def _min_max_n(spec: Any, ctx: Ctx, name: str, op: str, *, largest: bool) -> Agg:
    n, pre, col = _n_input(spec, ctx, name, op)
    values = col.filter(col.is_not_null()).sort(descending=largest)
    return Agg(values.head(n).alias(name), pre)


def _top_bottom(spec: Any, ctx: Ctx, name: str, op: str, *, bottom: bool, with_n: bool) -> Agg:
    if not isinstance(spec, Mapping):
        raise OperationFailure(f"{op} requires an object", code=5788001)
    if not with_n and "n" in spec:
        raise OperationFailure(f"Unknown argument to {op} 'n'", code=5788002)
    _reject_unknown(op, spec, {"n", "output", "sortBy"})
    if with_n and "n" not in spec:
        raise OperationFailure("Missing value for 'n'", code=5788003)
    if "output" not in spec:
        raise OperationFailure("Missing value for 'output'", code=5788004)
    if "sortBy" not in spec:
        raise OperationFailure("Missing value for 'sortBy'", code=5788005)
    sort_by = spec["sortBy"]
    if not isinstance(sort_by, Mapping) or not sort_by:
        raise OperationFailure("invalid parameter: expected an object (sortBy)", code=10065)
    keys, descending, nulls_last = sort_exprs(sort_by, ctx)
    pre = [k.alias(f"__key{i}:{name}") for i, k in enumerate(keys)]
    cols = [pl.col(f"__key{i}:{name}") for i in range(len(keys))]
    _, out_pre, out, _ = accumulator_input(spec["output"], ctx, name, "out")
    pre.extend(out_pre)
    if not with_n:
        if bottom:  # the greatest key; among ties the first document seen, as mongod keeps it
            descending = [not d for d in descending]
            nulls_last = [not nl for nl in nulls_last]
        ordered = out.sort_by(
            cols, descending=descending, nulls_last=nulls_last, maintain_order=True
        )
        return Agg(ordered.first().alias(name), pre)
    n, pre_n = _n_value(spec, ctx, name, op)
    if bottom:
        keep = _bottom_n_kept(cols, descending, nulls_last, n)
        out, cols = out.filter(keep), [c.filter(keep) for c in cols]
    ordered = out.sort_by(cols, descending=descending, nulls_last=nulls_last, maintain_order=True)
    return Agg(_take(ordered, n, last=False).alias(name), [*pre, *pre_n])


def _bottom_n_kept(
    keys: list[pl.Expr], descending: list[bool], nulls_last: list[bool], n: pl.Expr
) -> pl.Expr:
    """Which documents ``$bottomN`` keeps, in document order, reproducing mongod's tie rule.

    mongod streams the group through a map of the ``n`` greatest keys: a document enters only if
    its key is strictly greater than the smallest kept one, which it then evicts (the earliest of
    equal smallest keys). So every key above the cut-off key K is kept, and of the documents tied
    at K it keeps, among the first ``n − g_T`` of them (those seen before ``n`` documents with keys
    ≥ K had arrived, ``g_T`` of which were above K), the last ``n − g`` (``g`` = all above K).
    The manual's ``$bottom``/``$bottomN`` examples with tied nulls follow this rule.
    """
    order = pl.arg_sort_by(keys, descending=descending, nulls_last=nulls_last, maintain_order=True)
    first = pl.int_range(pl.len()) == 0
    new = first
    for key in keys:
        ordered = key.gather(order)
        new = new | ordered.ne_missing(ordered.shift(1))
    tie_sorted = new.cast(pl.Int64).cum_sum()
    tie = tie_sorted.gather(order.arg_sort())
    cut = tie_sorted.get((pl.len().cast(pl.Int64) - n).clip(lower_bound=0))
    above, at = tie > cut, tie == cut
    reached = (above | at).cast(pl.Int64).cum_sum() >= n
    arrival = (reached.arg_max()).cast(pl.Int64)
    g_t = (above & (pl.int_range(pl.len()) <= arrival)).sum()
    g = above.sum()
    rank = at.cast(pl.Int64).cum_sum()
    kept = above | (at & (rank > g - g_t) & (rank <= n - g_t))
    return kept | (pl.len().cast(pl.Int64) <= n)


def _bound(op: str, impl: Callable[..., Agg], **flags: bool) -> AccumulatorFn:
    """Accumulator ``op`` as ``impl(spec, ctx, name, op, **flags)``."""

    def compile_acc(spec: Any, ctx: Ctx, name: str) -> Agg:
        return impl(spec, ctx, name, op, **flags)

    return compile_acc


# -- $mergeObjects -------------------------------------------------------------------------------


def _merge_objects(spec: Any, ctx: Ctx, name: str) -> Agg:
    """Later documents' fields overwrite earlier ones; null and missing operands are ignored.

    Inside a sub-document the engine cannot tell a null field from an absent one (see ``codec``), so
    a field is taken from the last document where it is non-null.
    """
    val, pre, col, _ = accumulator_input(spec, ctx, name, "merge")
    if val.dtype == pl.Null:
        return Agg(pl.lit(pl.Series("", [{}], dtype=pl.Struct({}))).first().alias(name), pre)
    if not isinstance(val.dtype, pl.Struct):
        msg = f"$mergeObjects requires object inputs, but input is of type {bson_type(val.dtype)}"
        raise OperationFailure(msg, code=40400)
    fields = [col.struct.field(f.name).drop_nulls().last().alias(f.name) for f in val.dtype.fields]
    if not fields:
        return Agg(pl.lit(pl.Series("", [{}], dtype=pl.Struct({}))).first().alias(name), pre)
    return Agg(pl.struct(fields).alias(name), pre)


#: The accumulators this module provides, by name: ``catalog`` files them in
#: ``group.ACCUMULATORS``.
ACCUMULATORS: dict[str, AccumulatorFn] = {
    "$sum": _sum,
    "$avg": _avg,
    "$min": _min,
    "$max": _max,
    "$first": _column_agg("$first", pl.Expr.first),
    "$last": _column_agg("$last", pl.Expr.last),
    "$count": _count,
    "$push": _push,
    "$addToSet": _add_to_set,
    "$stdDevPop": _std_pop,
    "$stdDevSamp": _std_samp,
    "$median": _median,
    "$percentile": _percentile,
    "$firstN": _bound("$firstN", _first_last_n, last=False),
    "$lastN": _bound("$lastN", _first_last_n, last=True),
    "$minN": _bound("$minN", _min_max_n, largest=False),
    "$maxN": _bound("$maxN", _min_max_n, largest=True),
    "$top": _bound("$top", _top_bottom, bottom=False, with_n=False),
    "$bottom": _bound("$bottom", _top_bottom, bottom=True, with_n=False),
    "$topN": _bound("$topN", _top_bottom, bottom=False, with_n=True),
    "$bottomN": _bound("$bottomN", _top_bottom, bottom=True, with_n=True),
    "$mergeObjects": _merge_objects,
}
