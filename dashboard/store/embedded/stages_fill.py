"""Gap filling for time series: ``$densify`` (add the missing steps) and ``$fill`` (fill values).

``$densify`` computes, per partition, the grid ``lo + k·step`` over the requested range (a Polars
``int_ranges`` exploded; calendar units by month arithmetic that clamps the day like ``$dateAdd``
applied step after step), drops the grid values a document of the partition already has, and
appends one document per remaining value holding only the partition fields and the densified
field. ``$fill`` is ``$ifNull`` for ``value`` outputs and, for ``method`` outputs, a forward fill or
an interpolation by the sort field within each partition (``over``), after sorting by partition
and ``sortBy`` as ``$setWindowFields`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import polars as pl

from dashboard.store.embedded.codec import concat_lazy, hidden, presence_name
from dashboard.store.embedded.documents import assign
from dashboard.store.embedded.expressions import compile_expr, field_path
from dashboard.store.embedded.pipeline import RunState, StageFn, apply_stage, sort_exprs
from dashboard.store.embedded.runtime_errors import raise_where
from dashboard.store.embedded.values import DATE, Val, python_to_polars
from dashboard.store.errors import OperationFailure, UnsupportedOperation

__all__ = ["STAGES"]

FAILED_TO_PARSE = 9

_UNIT_MS = {
    "millisecond": 1,
    "second": 1_000,
    "minute": 60_000,
    "hour": 3_600_000,
    "day": 86_400_000,
    "week": 604_800_000,
}
_UNIT_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _densify_options(spec: Any) -> tuple[str, list[str], Any, str | None, Any]:
    if not isinstance(spec, Mapping):
        msg = "The $densify stage specification must be an object"
        raise OperationFailure(msg, code=FAILED_TO_PARSE)
    for key in spec:
        if key not in ("field", "partitionByFields", "range"):
            msg = f"BSON field '$densify.{key}' is an unknown field."
            raise OperationFailure(msg, code=40415)
    field, parts, rng = spec.get("field"), spec.get("partitionByFields", []), spec.get("range")
    if not isinstance(field, str) or not field or field.startswith("$"):
        msg = "Cannot densify field: 'field' must be a non-empty string not starting with '$'"
        raise OperationFailure(msg, code=16410 if isinstance(field, str) else FAILED_TO_PARSE)
    if not isinstance(parts, list) or not all(isinstance(p, str) and p for p in parts):
        msg = "BSON field '$densify.partitionByFields' must be an array of strings"
        raise OperationFailure(msg, code=FAILED_TO_PARSE)
    if any(p.startswith("$") for p in parts):
        raise OperationFailure("Cannot densify on a partition field starting with '$'", code=16410)
    if not isinstance(rng, Mapping) or "step" not in rng or "bounds" not in rng:
        msg = "BSON field '$densify.range' must be an object with 'step' and 'bounds'"
        raise OperationFailure(msg, code=40414)
    step, unit, bounds = rng["step"], rng.get("unit"), rng["bounds"]
    if not _is_number(step) or step <= 0:
        msg = "The step parameter in a range statement must be a strictly positive numeric value"
        raise OperationFailure(msg, code=5733401)
    if unit is not None:
        if int(step) != step:
            msg = (
                "The step parameter in a range statement must be a whole number when densifying a "
                "date range"
            )
            raise OperationFailure(msg, code=6586400)
        if unit not in _UNIT_MS and unit not in _UNIT_MONTHS:
            msg = f"unknown time unit value: {unit}"
            raise OperationFailure(msg, code=FAILED_TO_PARSE)
    if isinstance(bounds, str):
        if bounds not in ("full", "partition"):
            msg = "Bounds string must either be 'full' or 'partition'"
            raise OperationFailure(msg, code=5946802)
        if bounds == "partition" and not parts:
            msg = (
                "One cannot specify the bounds as 'partition' without specifying a non-empty array "
                "of partitionByFields. You may have meant to specify 'full' bounds."
            )
            raise OperationFailure(msg, code=5733408)
    elif isinstance(bounds, list | tuple):
        _check_bounds(list(bounds), unit)
    else:
        msg = (
            "The bounds in a range statement must be the string 'full', 'partition', or an "
            "ascending array of two numbers or two dates"
        )
        raise OperationFailure(msg, code=5733404)
    if "." in field or any("." in p for p in parts):
        raise UnsupportedOperation("$densify of fields inside sub-documents")
    return field, list(parts), step, unit, bounds


def _check_bounds(bounds: list[Any], unit: str | None) -> None:
    if len(bounds) != 2:
        msg = "A bounding array in a range statement must have exactly two elements"
        raise OperationFailure(msg, code=5733403)
    lo, hi = bounds
    if _is_number(lo) and _is_number(hi):
        if unit is not None:
            raise OperationFailure("Numeric bounds may not have unit parameter", code=5733409)
    elif isinstance(lo, dt.datetime) and isinstance(hi, dt.datetime):
        if unit is None:
            raise OperationFailure("A bounding array of dates must specify a unit", code=5733410)
    else:
        msg = "A bounding array must contain either both dates or both numeric types"
        raise OperationFailure(msg, code=5733406)
    if python_to_polars(lo) > python_to_polars(hi):
        msg = "A bounding array must be an ascending array of either two dates or two numbers"
        raise OperationFailure(msg, code=5733402)


def _densify(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    """Add documents for the missing ``step``s of ``field`` (per partition) over the range."""
    field, parts, step, unit, bounds = _densify_options(spec)
    schema = dict(lf.collect_schema())
    explicit = isinstance(bounds, list | tuple)
    if field in schema and schema[field] != pl.Null:
        dtype = schema[field]
    elif explicit:
        dtype = (
            DATE
            if unit is not None
            else pl.Float64()
            if any(isinstance(b, float) for b in bounds)
            else pl.Int64()
        )
    else:
        return lf
    is_date = isinstance(dtype, pl.Datetime)
    if not is_date and not dtype.is_numeric():
        msg = f"Densify field type must be numeric or a date, found {dtype}"
        raise OperationFailure(msg, code=5733201)
    if is_date and unit is None:
        raise OperationFailure("Densify field of type date requires a unit", code=5733410)
    if not is_date and unit is not None:
        raise OperationFailure("Densify field of numeric type may not have a unit", code=5733409)
    if not is_date and (
        dtype.is_float()
        or isinstance(step, float)
        or (explicit and any(isinstance(b, float) for b in bounds))
    ):
        dtype = pl.Float64()
    elif not is_date:
        dtype = pl.Int64()
    if field in schema:
        lf = lf.with_columns(pl.col(field).cast(dtype))
    keys = [c for p in parts if p in schema for c in (p, presence_name(p)) if c in schema]
    value = pl.col(field)
    present = lf.filter(value.is_not_null()) if field in schema else lf.filter(pl.lit(False))
    if explicit:
        lo, hi = (python_to_polars(b) for b in bounds)
        if keys:
            ranges = present.select(keys).unique(maintain_order=True)
            ranges = ranges.with_columns(
                pl.lit(lo).cast(dtype).alias("__lo"), pl.lit(hi).cast(dtype).alias("__hi")
            )
        else:
            ranges = pl.LazyFrame(
                {"__lo": pl.Series([lo]).cast(dtype), "__hi": pl.Series([hi]).cast(dtype)}
            )
    elif bounds == "full":
        total = present.select(value.min().alias("__lo"), value.max().alias("__hi"))
        ranges = (
            present.select(keys).unique(maintain_order=True)
            if keys
            else total.filter(pl.col("__lo").is_not_null())
        )
        if keys:
            ranges = ranges.join(total, how="cross")
    else:
        ranges = present.group_by(keys, maintain_order=True).agg(
            value.min().alias("__lo"), value.max().alias("__hi")
        )
    grid = _grid(ranges.with_row_index("__part"), step, unit, inclusive=not explicit)
    grid = grid.select([*keys, pl.col("__value").cast(dtype).alias(field)])
    if field in schema:
        seen = present.select([*keys, field]).unique()
        grid = grid.join(seen, on=[*keys, field], how="anti", nulls_equal=True)
    out = concat_lazy([lf, grid])
    order = [*[p for p in parts if p in schema], field]
    return out.sort(order, nulls_last=False, maintain_order=True)


def _month_of(d: pl.Expr) -> pl.Expr:
    """Months since year 0 (so that month arithmetic is integer arithmetic)."""
    return d.dt.year().cast(pl.Int64) * 12 + d.dt.month().cast(pl.Int64) - 1


def _grid(ranges: pl.LazyFrame, step: Any, unit: str | None, *, inclusive: bool) -> pl.LazyFrame:
    """Every ``lo + k·step`` up to ``hi`` (inclusive or not) for each row of ``ranges``."""
    lo, hi = pl.col("__lo"), pl.col("__hi")
    if unit in _UNIT_MONTHS:
        months = int(step) * _UNIT_MONTHS[unit]
        count = (_month_of(hi) - _month_of(lo)) // months + 1
        rows = ranges.with_columns(
            pl.int_ranges(0, count + 1, dtype=pl.Int64).alias("__k")
        ).explode("__k")
        index = _month_of(lo) + pl.col("__k") * months
        year, month = index // 12, index % 12 + 1
        days = pl.date(year, month, 1).dt.month_end().dt.day().cast(pl.Int64)
        day = pl.min_horizontal(lo.dt.day().cast(pl.Int64), days.cum_min().over("__part"))
        since_midnight = lo.dt.epoch("ms") - lo.dt.truncate("1d").dt.epoch("ms")
        value = pl.datetime(year, month, day, time_zone="UTC").dt.cast_time_unit(
            "ms"
        ) + pl.duration(milliseconds=since_midnight)
    else:
        is_date = unit is not None
        width = int(step) * _UNIT_MS[unit] if is_date else step
        lo_n = lo.dt.epoch("ms") if is_date else lo
        hi_n = hi.dt.epoch("ms") if is_date else hi
        count = ((hi_n - lo_n) / width).floor().cast(pl.Int64) + 1
        rows = ranges.with_columns(
            pl.int_ranges(0, count + 1, dtype=pl.Int64).alias("__k")
        ).explode("__k")
        value = lo_n + pl.col("__k") * width
        if is_date:
            value = pl.from_epoch(value, time_unit="ms").dt.replace_time_zone("UTC")
    rows = rows.filter(pl.col("__k").is_not_null()).with_columns(value.alias("__value"))
    return rows.filter(pl.col("__value") <= hi if inclusive else pl.col("__value") < hi)


# -- $fill -------------------------------------------------------------------------------------


def _fill_options(spec: Any) -> tuple[dict[str, Any], dict[str, str], Any, Any]:
    if not isinstance(spec, Mapping):
        raise OperationFailure(
            "The $fill stage specification must be an object", code=FAILED_TO_PARSE
        )
    for key in spec:
        if key not in ("partitionBy", "partitionByFields", "sortBy", "output"):
            msg = f"BSON field '$fill.{key}' is an unknown field."
            raise OperationFailure(msg, code=40415)
    output = spec.get("output")
    if not isinstance(output, Mapping) or not output:
        msg = "BSON field '$fill.output' is missing but a required field"
        raise OperationFailure(msg, code=40414)
    if "partitionBy" in spec and "partitionByFields" in spec:
        msg = "Only one of 'partitionBy' and 'partitionByFields' can be specified for '$fill'"
        raise OperationFailure(msg, code=6050204)
    values: dict[str, Any] = {}
    methods: dict[str, str] = {}
    for name, how in output.items():
        if (
            not isinstance(how, Mapping)
            or len(how) != 1
            or next(iter(how)) not in ("value", "method")
        ):
            msg = "Exactly one of 'value' or 'method' must be specified for each $fill output field"
            raise OperationFailure(msg, code=6050202)
        if "value" in how:
            values[name] = how["value"]
        elif how["method"] in ("locf", "linear"):
            methods[name] = how["method"]
        else:
            msg = f"Method must be either 'locf' or 'linear', got {how['method']!r}"
            raise OperationFailure(msg, code=6050202)
    sort_by = spec.get("sortBy")
    if methods and not sort_by:
        msg = "'sortBy' field is required if any output field specifies a 'method'"
        raise OperationFailure(msg, code=6050203)
    if sort_by is not None and not isinstance(sort_by, Mapping):
        raise OperationFailure("'sortBy' must be an object", code=FAILED_TO_PARSE)
    partition = spec.get("partitionBy")
    if "partitionByFields" in spec:
        names = spec["partitionByFields"]
        if not isinstance(names, list) or not all(
            isinstance(n, str) and not n.startswith("$") for n in names
        ):
            msg = "partitionByFields must be an array of field names not starting with '$'"
            raise OperationFailure(msg, code=6050201)
        partition = [f"${n}" for n in names]
    return values, methods, sort_by, partition


_REPEATED = "There can be no repeated values in the sort field of a $fill with method 'linear'"


def _fill(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    """Fill null and missing fields with a value, the last value seen, or by interpolation."""
    values, methods, sort_by, partition = _fill_options(spec)
    if methods:
        lf = _fill_methods(lf, state, methods, sort_by, partition)
    if values:
        fills = {name: {"$ifNull": [f"${name}", expr]} for name, expr in values.items()}
        lf = apply_stage("$addFields", fills, lf, state)
    return lf


def _fill_methods(
    lf: pl.LazyFrame,
    state: RunState,
    methods: dict[str, str],
    sort_by: Mapping[str, Any],
    partition: Any,
) -> pl.LazyFrame:
    ctx = state.ctx(lf, "$fill")
    part_cols: list[str] = []
    if partition is not None:
        specs = partition if isinstance(partition, list) else [partition]
        for i, part in enumerate(specs):
            part_cols.append(hidden(f"fill_part{i}"))
            lf = lf.with_columns(compile_expr(part, ctx).expr.alias(part_cols[-1]))
    keys, descending, nulls_last = sort_exprs(sort_by, ctx)
    lf = lf.sort(
        [*part_cols, *keys],
        descending=[False] * len(part_cols) + descending,
        nulls_last=[False] * len(part_cols) + nulls_last,
        maintain_order=True,
    )
    ctx = state.ctx(lf, "$fill")
    exprs: list[pl.Expr] = []
    schema = dict(ctx.schema)

    def within(e: pl.Expr) -> pl.Expr:
        return e.over(part_cols) if part_cols else e

    for name, method in methods.items():
        val = field_path(name, ctx)
        if method == "locf":
            filled = within(val.expr.fill_null(strategy="forward"))
            dtype = val.dtype
        else:
            if len(sort_by) != 1:
                msg = "$fill with method 'linear' requires exactly one field in 'sortBy'"
                raise OperationFailure(msg, code=605001)
            by = field_path(next(iter(sort_by)), ctx)
            if not (by.dtype.is_numeric() or isinstance(by.dtype, pl.Datetime)):
                raise ctx.unsupported(f"$fill 'linear' sorted by a field of type {by.dtype}")
            if not (val.dtype.is_numeric() or val.dtype == pl.Null):
                msg = f"$fill 'linear' can only fill numeric values, {name} holds {val.dtype}"
                raise OperationFailure(msg, code=5423508)
            # A filter keeping every row, so the check runs even if a later stage drops the field;
            # aggregated, as Polars pushes row-wise predicates into earlier filters.
            repeated = within(by.expr.is_duplicated()).any()
            lf = lf.filter(~raise_where(repeated, _REPEATED, 6050106))
            filled = within(val.expr.cast(pl.Float64).interpolate_by(by.expr))
            dtype = pl.Float64()
        new, drops = assign(schema, name, Val(expr=filled, dtype=dtype))
        exprs.extend(new)
        schema = {k: v for k, v in schema.items() if k not in drops}
    all_drops = [c for c in ctx.schema if c not in schema]
    return lf.with_columns(exprs).drop([*all_drops, *part_cols])


#: The stages this module provides, by name: ``catalog`` files them in ``pipeline.STAGES``.
STAGES: dict[str, StageFn] = {
    "$densify": _densify,
    "$fill": _fill,
}
