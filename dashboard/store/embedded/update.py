"""Update documents (``update_many``): ``$set $unset $inc $push $currentDate`` and upserts.

An update is compiled against the whole frame: each operator becomes column expressions applied only
where the filter matched, so one update over many rows is one vectorised pass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import polars as pl

from dashboard.store.embedded import codec
from dashboard.store.embedded.documents import assign, drop_fields
from dashboard.store.embedded.expressions import field_path
from dashboard.store.embedded.values import DATE, Ctx, Val, lit_val
from dashboard.store.errors import OperationFailure, UnsupportedOperation

__all__ = ["apply_update", "upsert_document"]

_SUPPORTED = ("$set", "$unset", "$inc", "$push", "$currentDate", "$setOnInsert")


def _check(update: Mapping[str, Any]) -> None:
    if not isinstance(update, Mapping) or not update:
        msg = "update document must be a non-empty object"
        raise OperationFailure(msg, code=9)
    for op, fields in update.items():
        if not str(op).startswith("$"):
            msg = "update only works with $ operators"
            raise OperationFailure(msg, code=9)
        if op not in _SUPPORTED:
            raise UnsupportedOperation(f"update operator {op}", where="update_many")
        if not isinstance(fields, Mapping):
            msg = f"Modifiers operate on fields but we found type {type(fields).__name__} instead"
            raise OperationFailure(msg, code=9)
        for path in fields:
            if path == "_id" and op != "$setOnInsert":
                msg = (
                    "Performing an update on the path '_id' would modify the immutable field '_id'"
                )
                raise OperationFailure(msg, code=66)


def apply_update(
    frame: pl.DataFrame, mask: pl.Series, update: Mapping[str, Any]
) -> tuple[pl.DataFrame, int]:
    """The frame with ``update`` applied to the rows where ``mask`` is true, and the modified count."""
    _check(update)
    now = dt.datetime.now(dt.UTC)
    before = frame
    work = frame.with_columns(mask.alias("__m"))
    for op, fields in update.items():
        if op == "$setOnInsert":
            continue
        for path, value in fields.items():
            schema = dict(work.schema)
            ctx = Ctx(schema=schema, where=f"{op} {path}")
            current = field_path(path, ctx)
            if op == "$unset":
                new_frame = work.select(drop_fields(schema, [path]))
                cols = [c for c in new_frame.columns if c != "__m"]
                restored = []
                for c in cols:
                    restored.append(
                        pl.when(pl.col("__m"))
                        .then(pl.col(c))
                        .otherwise(work[c] if False else pl.col(c))
                    )
                work = _unset_where(work, path)
                continue
            new_val = _new_value(op, value, current, now, ctx)
            target = Val(
                expr=pl.when(pl.col("__m"))
                .then(new_val.expr)
                .otherwise(
                    current.expr.cast(new_val.dtype)
                    if current.dtype != pl.Null
                    else pl.lit(None, dtype=new_val.dtype)
                ),
                dtype=new_val.dtype,
                missing=None if current.missing is None else (~pl.col("__m") & current.missing),
            )
            exprs, drop = assign(schema, path, target)
            work = work.with_columns(exprs)
            if drop:
                work = work.drop(drop)
    result = work.drop("__m")
    modified = _count_modified(before, result, mask)
    return result, modified


def _unset_where(work: pl.DataFrame, path: str) -> pl.DataFrame:
    head = path.split(".")[0]
    if head not in work.columns:
        return work
    if "." in path:
        schema = dict(work.schema)
        dropped = work.select(drop_fields(schema, [path]))
        return (
            work.with_columns(
                pl.when(pl.col("__m")).then(dropped[head]).otherwise(pl.col(head)).alias(head)
            )
            if dropped.schema[head] == work.schema[head]
            else _rebuild(work, dropped, head)
        )
    presence = codec.presence_name(head)
    present = pl.col(presence) if presence in work.columns else pl.lit(True)
    return work.with_columns(
        pl.when(pl.col("__m")).then(None).otherwise(pl.col(head)).alias(head),
        (present & ~pl.col("__m")).alias(presence),
    )


def _rebuild(work: pl.DataFrame, dropped: pl.DataFrame, head: str) -> pl.DataFrame:
    msg = f"$unset of {head!r} sub-fields on only some documents"
    raise UnsupportedOperation(msg, where="update_many")


def _new_value(op: str, value: Any, current: Val, now: dt.datetime, ctx: Ctx) -> Val:
    if op == "$set":
        return lit_val(value)
    if op == "$inc":
        if isinstance(value, bool) or not isinstance(value, int | float):
            msg = f"Cannot increment with non-numeric argument: {{{ctx.where.split()[-1]}: {value!r}}}"
            raise OperationFailure(msg, code=14)
        if current.dtype != pl.Null and not current.dtype.is_numeric():
            msg = f"Cannot apply $inc to a value of non-numeric type ({ctx.where})"
            raise OperationFailure(msg, code=14)
        inc = lit_val(value)
        base = current.expr.fill_null(0) if current.dtype != pl.Null else pl.lit(0)
        return ctx.val(base + inc.expr)
    if op == "$currentDate":
        if value not in (True, {"$type": "date"}):
            raise UnsupportedOperation("$currentDate other than a date", where="update_many")
        return Val(expr=pl.lit(now, dtype=DATE), dtype=DATE)
    if op == "$push":
        if isinstance(value, Mapping) and "$each" in value:
            items = list(value["$each"])
        else:
            items = [value]
        add = lit_val(items)
        if current.dtype == pl.Null:
            return add
        if not isinstance(current.dtype, pl.List):
            msg = f"The field '{ctx.where.split()[-1]}' must be an array"
            raise OperationFailure(msg, code=2)
        return ctx.val(
            pl.concat_list([current.expr.fill_null(pl.lit([], dtype=current.dtype)), add.expr])
        )
    raise UnsupportedOperation(f"update operator {op}", where="update_many")


def _count_modified(before: pl.DataFrame, after: pl.DataFrame, mask: pl.Series) -> int:
    if before.columns != after.columns or before.schema != after.schema:
        common = [
            c for c in before.columns if c in after.columns and before.schema[c] == after.schema[c]
        ]
        if len(common) != len(after.columns):
            return int(mask.sum())
    changed = pl.Series([False] * before.height)
    for c in after.columns:
        a, b = before[c], after[c]
        changed = (
            changed | ~(a.eq_missing(b)).fill_null(False)
            if a.dtype == b.dtype
            else changed | pl.Series([True] * before.height)
        )
    return int((changed & mask).sum())


def upsert_document(filter: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """The document an upsert inserts: the filter's equality fields, then the update applied."""
    _check(update)
    doc: dict[str, Any] = {}
    for key, value in filter.items():
        if key.startswith("$") or "." in key:
            continue
        if isinstance(value, Mapping) and any(str(k).startswith("$") for k in value):
            if "$eq" in value:
                doc[key] = value["$eq"]
            continue
        doc[key] = value
    now = dt.datetime.now(dt.UTC)
    for op, fields in update.items():
        for path, value in fields.items():
            if "." in path:
                raise UnsupportedOperation("upsert with a dotted update path", where="update_many")
            if op in ("$set", "$setOnInsert"):
                doc[path] = value
            elif op == "$inc":
                doc[path] = doc.get(path, 0) + value
            elif op == "$currentDate":
                doc[path] = now
            elif op == "$push":
                items = (
                    list(value["$each"])
                    if isinstance(value, Mapping) and "$each" in value
                    else [value]
                )
                doc[path] = [*doc.get(path, []), *items]
            elif op == "$unset":
                doc.pop(path, None)
    return doc
