"""``$facet``, ``$bucket`` and ``$bucketAuto``: the stages of faceted search.

``$facet`` runs several sub-pipelines over the same input and returns one document holding each
one's documents as an array (often ``$bucket``, ``$bucketAuto`` or ``$sortByCount`` pipelines).
``$bucket`` and ``$bucketAuto`` group into value ranges, reusing ``$group``'s accumulators.

``$bucket`` is MongoDB's ``$group`` on a ``$switch`` over the boundaries followed by a ``$sort`` on
``_id``; here the bucket is found with one comparison chain and the accumulators are compiled by
:func:`~.group.compile_group`. ``$bucketAuto`` needs the sorted values to place its boundaries, so
it collects the ``groupBy`` values once (boundaries are found by binary search, one step per
bucket), then assigns buckets by value and groups lazily.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Mapping
from typing import Any

import polars as pl

from dashboard.store.embedded.codec import hidden
from dashboard.store.embedded.expressions import cmp_parts, compile_expr
from dashboard.store.embedded.group import compile_group
from dashboard.store.embedded.pipeline import RunState, StageFn, compile_pipeline
from dashboard.store.embedded.runtime_errors import raise_where, refuse_where
from dashboard.store.embedded.subpipelines import documents_array, sub_pipeline, sub_state
from dashboard.store.embedded.values import Ctx, Val, bson_rank, dtype_of_python, lit_val
from dashboard.store.errors import OperationFailure, UnsupportedOperation

__all__ = ["STAGES"]

_DEFAULT_OUTPUT = {"count": {"$sum": 1}}


def _group_by(spec: Mapping[str, Any], name: str, code: int) -> Any:
    group_by = spec.get("groupBy")
    is_path = isinstance(group_by, str) and group_by.startswith("$") and len(group_by) > 1
    is_expr = (
        isinstance(group_by, Mapping)
        and len(group_by) == 1
        and str(next(iter(group_by))).startswith("$")
    )
    if not (is_path or is_expr):
        msg = (
            f"The {name} 'groupBy' field must be defined as a $-prefixed path or an expression "
            f"object, but found: {group_by!r}"
        )
        raise OperationFailure(msg, code=code)
    return group_by


def _output(spec: Mapping[str, Any], name: str) -> dict[str, Any]:
    output = spec.get("output", _DEFAULT_OUTPUT)
    if not isinstance(output, Mapping):
        msg = (
            f"The {name} 'output' field must be an object, but found type: {type(output).__name__}"
        )
        raise OperationFailure(msg, code=40196)
    return dict(output)


def _grouped(
    lf: pl.LazyFrame, ctx: Ctx, key: Val, output: dict[str, Any], where: str
) -> pl.LazyFrame:
    """``$group`` by ``key`` (passed as a variable so that ``$$ROOT`` stays the document)."""
    var = "__engine_bucket"
    group_ctx = ctx.child(**{var: key})
    group_ctx.where = where
    return compile_group({"_id": f"$${var}", **output}, lf, group_ctx)


# -- $bucket -----------------------------------------------------------------------------------


def _boundaries(spec: Mapping[str, Any]) -> list[Any]:
    bounds = spec.get("boundaries")
    if not isinstance(bounds, list | tuple) or len(bounds) < 2:
        msg = "The $bucket 'boundaries' field must be an array with at least two values"
        raise OperationFailure(msg, code=40192)
    ranks = set()
    for b in bounds:
        dtype = dtype_of_python(b)
        if dtype == pl.Null or isinstance(dtype, pl.List | pl.Struct):
            msg = (
                "The $bucket 'boundaries' field must be an array of values of the same type, "
                f"found {b!r}"
            )
            raise OperationFailure(msg, code=40193)
        ranks.add(bson_rank(dtype))
    if len(ranks) != 1:
        msg = "All values in the the 'boundaries' option to $bucket must have the same type"
        raise OperationFailure(msg, code=40193)
    for low, high in itertools.pairwise(bounds):
        if not low < high:
            msg = (
                "The 'boundaries' option to $bucket must be sorted in ascending order, but "
                f"elements {low!r} and {high!r} are not in ascending order"
            )
            raise OperationFailure(msg, code=40194)
    return list(bounds)


#: MongoDB's ``$bucket`` is a ``$switch`` over the boundaries: a value outside them fails like one.
_NO_BUCKET = "$switch could not find a matching branch for an input, and no default was specified."
_MIXED_DEFAULT = (
    "$bucket with a 'default' of another type than the boundaries when documents fall into the "
    "default bucket (a field holds one type)"
)


def _bucket(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    """Documents grouped by the boundary range their ``groupBy`` value falls into."""
    if not isinstance(spec, Mapping):
        msg = "The argument to $bucket must be an object"
        raise OperationFailure(msg, code=40201)
    for key in spec:
        if key not in ("groupBy", "boundaries", "default", "output"):
            msg = f"Unrecognized option to $bucket: {key}."
            raise OperationFailure(msg, code=40197)
    if "groupBy" not in spec or "boundaries" not in spec:
        msg = "$bucket requires 'groupBy' and 'boundaries' to be specified."
        raise OperationFailure(msg, code=40198)
    group_by = _group_by(spec, "$bucket", 40202)
    bounds = _boundaries(spec)
    output = _output(spec, "$bucket")
    ctx = state.ctx(lf, "$bucket")
    value = compile_expr(group_by, ctx)
    bound_vals = [lit_val(b) for b in bounds]
    has_default = "default" in spec
    default = spec.get("default")
    default_val = lit_val(default)
    numbers = [*bounds, default] if default_val.dtype.is_numeric() else bounds
    floats = any(isinstance(b, float) for b in numbers)
    id_dtype = pl.Float64() if floats else bound_vals[0].dtype
    same_type = default is None or bson_rank(default_val.dtype) == bson_rank(id_dtype)
    if has_default and default is not None and same_type:
        lt_low, _ = cmp_parts(default_val, bound_vals[0])
        lt_high, _ = cmp_parts(default_val, bound_vals[-1])
        inside = pl.select((~lt_low & lt_high).alias("x")).item()
        if inside:
            msg = (
                "The $bucket 'default' field must be less than the lowest boundary or greater than "
                "or equal to the highest boundary."
            )
            raise OperationFailure(msg, code=40199)
    key: pl.Expr = pl.lit(None, dtype=id_dtype)
    matched: pl.Expr = pl.lit(False)
    for low, high, raw in reversed(list(zip(bound_vals, bound_vals[1:], bounds, strict=False))):
        lt_low, _ = cmp_parts(value, low)
        lt_high, _ = cmp_parts(value, high)
        inside = ~lt_low & lt_high
        key = pl.when(inside).then(lit_val(raw).expr.cast(id_dtype)).otherwise(key)
        matched = matched | inside
    flag = hidden("bucket_unmatched")
    lf = lf.with_columns((~matched).alias(flag))
    unmatched = pl.col(flag)
    # Aggregated checks: Polars pushes row-wise predicates into earlier filters (see $replaceRoot).
    if not has_default:
        lf = lf.filter(~unmatched | raise_where(unmatched.any(), _NO_BUCKET, 40066))
    elif same_type:
        fill = default_val.expr.cast(id_dtype)
        key = pl.when(unmatched).then(fill).otherwise(key)
    else:
        refused = refuse_where(unmatched.any(), _MIXED_DEFAULT, where="$bucket")
        lf = lf.filter(~unmatched | refused)
    grouped = _grouped(lf, ctx, Val(expr=key, dtype=id_dtype), output, "$bucket")
    return grouped.sort("_id", nulls_last=False, maintain_order=True)


# -- $bucketAuto -------------------------------------------------------------------------------

# fmt: off
_SERIES: dict[str, tuple[float, ...]] = {
    # The preferred-number series MongoDB rounds to (values between 1 and 10, scaled).
    "R5": (10, 16, 25, 40, 63),
    "R10": (100, 125, 160, 200, 250, 315, 400, 500, 630, 800),
    "R20": (100, 112, 125, 140, 160, 180, 200, 224, 250, 280, 315, 355, 400, 450, 500, 560, 630,
        710, 800, 900),
    "R40": (100, 106, 112, 118, 125, 132, 140, 150, 160, 170, 180, 190, 200, 212, 224, 236, 250,
        265, 280, 300, 315, 335, 355, 375, 400, 425, 450, 475, 500, 530, 560, 600, 630, 670, 710,
        750, 800, 850, 900, 950),
    "R80": (103, 109, 115, 122, 128, 136, 145, 155, 165, 175, 185, 195, 206, 218, 230, 243, 258,
        272, 290, 307, 325, 345, 365, 387, 412, 437, 462, 487, 515, 545, 575, 615, 650, 690, 730,
        775, 825, 875, 925, 975),
    "1-2-5": (10, 20, 50),
    "E6": (10, 15, 22, 33, 47, 68),
    "E12": (10, 12, 15, 18, 22, 27, 33, 39, 47, 56, 68, 82),
    "E24": (10, 11, 12, 13, 15, 16, 18, 20, 22, 24, 27, 30, 33, 36, 39, 43, 47, 51, 56, 62, 68,
        75, 82, 91),
    "E48": (100, 105, 110, 115, 121, 127, 133, 140, 147, 154, 162, 169, 178, 187, 196, 205, 215,
        226, 237, 249, 261, 274, 287, 301, 316, 332, 348, 365, 383, 402, 422, 442, 464, 487, 511,
        536, 562, 590, 619, 649, 681, 715, 750, 787, 825, 866, 909, 953),
}
# fmt: on


def _round_up(series: str, x: float) -> float:
    """MongoDB's granularity rounder: the next preferred number strictly above ``x``."""
    if x == 0:
        return x
    if series == "POWERSOF2":
        return float(2 ** (math.floor(math.log2(x)) + 1))
    base = _SERIES[series]
    m = 1.0
    while x >= base[-1] * m:
        m *= 10.0
    while x < base[0] * m:
        previous = base[0] * m
        m /= 10.0
        if x >= base[-1] * m:
            return previous
    scaled = [b * m for b in base]
    return scaled[bisect.bisect_right(scaled, x)]


def _round_down(series: str, x: float) -> float:
    """The preferred number strictly below ``x`` (``x`` itself when it is 0)."""
    if x == 0:
        return x
    if series == "POWERSOF2":
        return float(2 ** (math.ceil(math.log2(x)) - 1))
    base = _SERIES[series]
    m = 1.0
    while x <= base[0] * m:
        m /= 10.0
    while x > base[-1] * m:
        previous = base[-1] * m
        m *= 10.0
        if x <= base[0] * m:
            return previous
    scaled = [b * m for b in base]
    return scaled[bisect.bisect_left(scaled, x) - 1]


def _auto_options(spec: Any) -> tuple[Any, int, dict[str, Any], str | None]:
    if not isinstance(spec, Mapping):
        msg = "The argument to $bucketAuto must be an object"
        raise OperationFailure(msg, code=40240)
    for key in spec:
        if key not in ("groupBy", "buckets", "output", "granularity"):
            msg = f"Unrecognized option to $bucketAuto: {key}."
            raise OperationFailure(msg, code=40245)
    if "groupBy" not in spec or "buckets" not in spec:
        msg = "$bucketAuto requires 'groupBy' and 'buckets' to be specified"
        raise OperationFailure(msg, code=40246)
    buckets = spec["buckets"]
    if isinstance(buckets, bool) or not isinstance(buckets, int | float) or int(buckets) != buckets:
        msg = f"The $bucketAuto 'buckets' field must be a numeric value, but found: {buckets!r}"
        raise OperationFailure(msg, code=40241)
    if not 0 < buckets < 2**31:
        msg = f"The $bucketAuto 'buckets' field must be greater than 0, but found: {buckets}"
        raise OperationFailure(msg, code=40243)
    granularity = spec.get("granularity")
    if granularity in ("E96", "E192"):
        raise UnsupportedOperation(f"$bucketAuto granularity {granularity}")
    if granularity is not None and granularity not in (*_SERIES, "POWERSOF2"):
        msg = f"Unknown rounding granularity '{granularity}'"
        raise OperationFailure(msg, code=40257)
    return (
        _group_by(spec, "$bucketAuto", 40239),
        int(buckets),
        _output(spec, "$bucketAuto"),
        granularity,
    )


def _bucket_starts(
    values: pl.Series, buckets: int, granularity: str | None
) -> tuple[list[int], list[Any], list[Any]]:
    """Start positions, minimums and maximums of the buckets over sorted ``values`` (nulls first).

    MongoDB's algorithm: each bucket takes ``round(n / buckets)`` documents, then every further
    document equal to its last value (with a granularity: below its rounded-up maximum); the last
    bucket takes the rest. A bucket's maximum is the next bucket's minimum, the last one's is its
    largest value (with a granularity: the rounded boundaries).
    """
    n = values.len()
    size = max(1, math.floor(n / buckets + 0.5))
    nulls = values.null_count()
    non_null = values.slice(nulls)

    def end_of_ties(end: int) -> int:
        last = end - 1
        if last < nulls:
            return max(end, nulls)
        return nulls + non_null.search_sorted(values[last], side="right")

    def end_below(bound: Any) -> int:
        return nulls + non_null.search_sorted(bound, side="left")

    starts, mins, maxs = [], [], []
    start, prev_max = 0, None
    for i in range(buckets):
        if start >= n:
            break
        end = n if i == buckets - 1 else min(start + size, n)
        end = end_of_ties(end)
        low = values[start]
        if granularity is not None:
            low = prev_max if prev_max is not None else _round_down(granularity, low)
            high = _round_up(granularity, values[end - 1])
            end = max(end, end_below(high))
            if high == 0 and end < n:
                high = _round_down(granularity, values[end])
        else:
            high = values[end] if end < n else values[n - 1]
        starts.append(start)
        mins.append(low)
        maxs.append(high)
        start, prev_max = end, high
    return starts, mins, maxs


def _check_granularity_values(values: pl.Series, dtype: pl.DataType) -> None:
    prefix = "$bucketAuto can specify a 'granularity' with"
    if not dtype.is_numeric() or values.null_count():
        kind = "missing or null" if values.null_count() else str(dtype)
        msg = f"{prefix} numeric boundaries only, but found a value with type: {kind}"
        raise OperationFailure(msg, code=40258)
    if dtype.is_float() and values.is_nan().any():
        raise OperationFailure(f"{prefix} numeric boundaries only, but found a NaN", code=40259)
    if values.min() < 0:  # type: ignore[operator]
        msg = f"{prefix} non-negative numbers only, but found a negative number"
        raise OperationFailure(msg, code=40260)


def _bucket_auto(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    """About ``buckets`` groups of equal size over the sorted ``groupBy`` values (ties together)."""
    group_by, buckets, output, granularity = _auto_options(spec)
    ctx = state.ctx(lf, "$bucketAuto")
    value = compile_expr(group_by, ctx)
    if isinstance(value.dtype, pl.List | pl.Struct):
        raise ctx.unsupported("$bucketAuto grouping by arrays or documents")
    key_col = hidden("bucket_value")
    frame = lf.with_columns(value.expr.alias(key_col)).collect()
    values = frame.get_column(key_col).sort(nulls_last=False)
    if granularity is not None and values.len():
        _check_granularity_values(values, value.dtype)
    starts, mins, maxs = _bucket_starts(values, buckets, granularity)
    bound_dtype = (
        pl.Float64() if granularity is not None and granularity != "POWERSOF2" else value.dtype
    )
    if granularity == "POWERSOF2" and not value.dtype.is_integer():
        bound_dtype = pl.Float64()
    first_values = [values[s] for s in starts]
    non_null_firsts = pl.Series([v for v in first_values if v is not None], dtype=value.dtype)
    null_buckets = sum(1 for v in first_values if v is None)
    col = pl.col(key_col)
    index = pl.lit(0, dtype=pl.Int64)
    if non_null_firsts.len():
        position = pl.lit(non_null_firsts).search_sorted(col, side="right").cast(pl.Int64)
        index = pl.when(col.is_null()).then(index).otherwise(position + null_buckets - 1)
    ordered = (
        frame.lazy()
        .with_columns(index.alias(hidden("bucket")))
        .sort(key_col, nulls_last=False, maintain_order=True)
    )
    group_ctx = state.ctx(ordered, "$bucketAuto")
    grouped = _grouped(
        ordered,
        group_ctx,
        Val(expr=pl.col(hidden("bucket")), dtype=pl.Int64()),
        output,
        "$bucketAuto",
    )
    bounds = pl.DataFrame(
        {
            "_id": list(range(len(starts))),
            "min": pl.Series(mins, dtype=bound_dtype, strict=False),
            "max": pl.Series(maxs, dtype=bound_dtype, strict=False),
        },
        schema_overrides={"_id": pl.Int64},
    ).lazy()
    joined = grouped.join(bounds, on="_id", how="left").sort("_id")
    return joined.select(pl.struct(["min", "max"]).alias("_id"), *[pl.col(c) for c in output])


# -- $facet ------------------------------------------------------------------------------------

_FACET_FORBIDDEN = (
    "$collStats",
    "$facet",
    "$geoNear",
    "$indexStats",
    "$out",
    "$merge",
    "$planCacheStats",
)


def _facet(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    """One document with an array field per sub-pipeline, each run over the same input."""
    if not isinstance(spec, Mapping) or not spec:
        msg = "the $facet specification must be a non-empty object"
        raise OperationFailure(msg, code=40169)
    parts: list[pl.LazyFrame] = []
    for name, pipeline in spec.items():
        if not isinstance(name, str) or not name or name.startswith("$") or "." in name:
            msg = (
                "$facet output field names must not be empty, start with '$' or contain '.': "
                f"{name!r}"
            )
            raise OperationFailure(msg, code=40174)
        if not isinstance(pipeline, list | tuple):
            msg = f"arguments to $facet must be arrays, {name} is type {type(pipeline).__name__}"
            raise OperationFailure(msg, code=40170)
        if not pipeline:
            msg = "sub-pipeline in $facet stage cannot be empty"
            raise OperationFailure(msg, code=40170)
        stages = sub_pipeline(pipeline, owner="$facet", forbidden=_FACET_FORBIDDEN, code=40600)
        result = compile_pipeline(stages, lf, sub_state(state))
        parts.append(documents_array(result, name))
    return pl.concat(parts, how="horizontal")


#: The stages this module provides, by name: ``catalog`` files them in ``pipeline.STAGES``.
STAGES: dict[str, StageFn] = {
    "$bucket": _bucket,
    "$bucketAuto": _bucket_auto,
    "$facet": _facet,
}
