"""Shaping query results into Polars frames the same way on every backend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import bson
import polars as pl

__all__ = ["conform", "from_documents", "object_ids_to_hex"]


def _hex_dtype(dtype: pl.DataType) -> pl.DataType:
    if dtype == pl.Binary:
        return pl.String()
    if isinstance(dtype, pl.Struct):
        return pl.Struct({f.name: _hex_dtype(f.dtype) for f in dtype.fields})
    if isinstance(dtype, pl.List):
        return pl.List(_hex_dtype(dtype.inner))
    return dtype


def _hex_expr(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.Binary:
        return expr.bin.encode("hex")
    if isinstance(dtype, pl.Struct) and _hex_dtype(dtype) != dtype:
        return pl.struct(
            [_hex_expr(expr.struct.field(f.name), f.dtype).alias(f.name) for f in dtype.fields]
        )
    if isinstance(dtype, pl.List) and _hex_dtype(dtype) != dtype:
        return expr.list.eval(_hex_expr(pl.element(), dtype.inner))
    return expr


def object_ids_to_hex(frame: pl.DataFrame) -> pl.DataFrame:
    """ObjectIds (12-byte Binary) become their 24-character hex strings, at any depth."""
    exprs = [
        _hex_expr(pl.col(name), dtype).alias(name) if _hex_dtype(dtype) != dtype else pl.col(name)
        for name, dtype in frame.schema.items()
    ]
    return frame.select(exprs) if exprs else frame


def conform(frame: pl.DataFrame, schema: Mapping[str, pl.DataType] | None) -> pl.DataFrame:
    """With a schema: exactly those columns, cast to those dtypes, missing ones as nulls."""
    if schema is None:
        return frame
    exprs = []
    for name, dtype in schema.items():
        if name in frame.columns:
            exprs.append(pl.col(name).cast(dtype, strict=False))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    if not frame.width:
        return pl.DataFrame(schema=dict(schema))
    return frame.select(exprs)


def _plain(value: Any) -> Any:
    if isinstance(value, bson.ObjectId):
        return str(value)
    if isinstance(value, bson.Decimal128):
        return value.to_decimal()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def from_documents(
    documents: Sequence[Mapping[str, Any]], schema: Mapping[str, pl.DataType] | None
) -> pl.DataFrame:
    """A frame from pymongo documents: ObjectIds as hex, every row read for the schema."""
    rows = [{k: _plain(v) for k, v in doc.items()} for doc in documents]
    if schema is not None:
        return (
            pl.DataFrame(rows, schema=dict(schema), strict=False, orient="row")
            if rows
            else pl.DataFrame(schema=dict(schema))
        )
    if not rows:
        return pl.DataFrame()
    return pl.from_dicts(rows, infer_schema_length=None)
