"""``$unwind``: one document per element of an array field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from dashboard.store.embedded.codec import hidden
from dashboard.store.embedded.documents import assign
from dashboard.store.embedded.expressions import field_path
from dashboard.store.embedded.pipeline import RunState, StageFn
from dashboard.store.embedded.values import Val
from dashboard.store.errors import OperationFailure

__all__ = ["STAGES"]


def _unwind_options(spec: Any) -> tuple[str, str | None, bool]:
    if isinstance(spec, str):
        if not spec.startswith("$") or len(spec) < 2:
            msg = f"path option to $unwind stage should be prefixed with a '$': {spec}"
            raise OperationFailure(msg, code=28818)
        return spec[1:], None, False
    if not isinstance(spec, Mapping):
        msg = "expected either a string or an object as specification for $unwind stage"
        raise OperationFailure(msg, code=15981)
    path, index, preserve = spec.get("path"), spec.get("includeArrayIndex"), False
    for key, value in spec.items():
        if key == "preserveNullAndEmptyArrays":
            if not isinstance(value, bool):
                msg = "expected a boolean for the preserveNullAndEmptyArrays option to $unwind"
                raise OperationFailure(msg, code=28809)
            preserve = value
        elif key == "includeArrayIndex":
            if not isinstance(value, str) or not value:
                msg = "expected a non-empty string for the includeArrayIndex option to $unwind"
                raise OperationFailure(msg, code=28810)
            if value.startswith("$"):
                msg = (
                    "includeArrayIndex option to $unwind stage should not be prefixed with a "
                    f"'$': {value}"
                )
                raise OperationFailure(msg, code=28822)
        elif key != "path":
            msg = f"unrecognized option to $unwind stage: {key}"
            raise OperationFailure(msg, code=28811)
    if path is None:
        raise OperationFailure("no path specified to $unwind stage", code=28812)
    if not isinstance(path, str) or not path.startswith("$") or len(path) < 2:
        msg = f"path option to $unwind stage should be prefixed with a '$': {path}"
        raise OperationFailure(msg, code=28818)
    return path[1:], index, preserve


def _through_documents(path: str, schema: Mapping[str, pl.DataType]) -> bool:
    """Whether ``path`` exists through sub-documents only ($unwind does not cross arrays)."""
    parts = path.split(".")
    dtype = schema.get(parts[0])
    for part in parts[1:]:
        if not isinstance(dtype, pl.Struct):
            return False
        dtype = {f.name: f.dtype for f in dtype.fields}.get(part)
    return dtype is not None


def _unwind(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    """One document per array element; non-arrays count as one element; null/missing/[] dropped."""
    path, index_field, preserve = _unwind_options(spec)
    ctx = state.ctx(lf, "$unwind")
    val = field_path(path, ctx) if _through_documents(path, ctx.schema) else None
    value, index = hidden("unwind"), hidden("unwind_index")
    if val is None or val.dtype == pl.Null:
        if not preserve:
            return lf.filter(pl.lit(False))
        if index_field is None:
            return lf
        new, drop = assign(dict(ctx.schema), index_field, ctx.val(pl.lit(None, dtype=pl.Int64)))
        return lf.with_columns(new).drop(drop)
    missing = val.missing if val.missing is not None else pl.lit(False)
    if isinstance(val.dtype, pl.List):
        length = val.expr.list.len()
        keep = length.fill_null(0) > 0
        lf = lf.with_columns(
            val.expr.alias(value),
            pl.int_ranges(0, length, dtype=pl.Int64).alias(index),
            (~missing.fill_null(False) & (length == 0).fill_null(False)).alias(hidden("empty")),
        )
        if not preserve:
            lf = lf.filter(keep)
        lf = lf.explode([value, index], empty_as_null=True, keep_nulls=True)
        inner = val.dtype.inner
        gone = pl.col(hidden("empty")) | missing.fill_null(False)
    else:
        keep = val.expr.is_not_null()
        lf = lf.with_columns(val.expr.alias(value), pl.lit(None, dtype=pl.Int64).alias(index))
        if not preserve:
            lf = lf.filter(keep)
        lf = lf.with_columns(pl.lit(False).alias(hidden("empty")))
        inner = val.dtype
        gone = missing.fill_null(False)
    schema = dict(lf.collect_schema())
    out = Val(expr=pl.col(value), dtype=inner, missing=gone if preserve else None)
    exprs, drops = assign(schema, path, out)
    lf = lf.with_columns(exprs).drop(drops)
    if index_field is not None:
        schema = dict(lf.collect_schema())
        new, drop = assign(schema, index_field, Val(expr=pl.col(index), dtype=pl.Int64()))
        lf = lf.with_columns(new).drop(drop)
    return lf.drop([value, index, hidden("empty")])


#: The stages this module provides, by name: ``catalog`` files them in ``pipeline.STAGES``.
STAGES: dict[str, StageFn] = {
    "$unwind": _unwind,
}
