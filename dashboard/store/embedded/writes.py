"""Writing a pipeline's results into a collection: ``$out`` (replace) and ``$merge`` (by key).

:func:`write_stage_output` is called by :meth:`EmbeddedStore.write` under the store's write lock,
after the whole pipeline has been collected. ``mode`` is ``"out"`` or
``"merge:<whenMatched>:<whenNotMatched>"`` (``replace|keepExisting|merge|fail`` and
``insert|discard|fail``). The new content is computed in full and committed with
``Collection.replace_all``, which keeps the target's indexes and checks its unique constraints, so a
failing write changes nothing (MongoDB's ``$merge`` may leave earlier writes in place).
"""

from __future__ import annotations

from typing import Any

import bson
import polars as pl

from dashboard.store.embedded import codec
from dashboard.store.embedded.collection import Collection
from dashboard.store.embedded.values import DATE, PRESENT_PREFIX
from dashboard.store.errors import DuplicateKeyError, OperationFailure, UnsupportedOperation

__all__ = ["write_stage_output"]

_EROW = "__engine:existing_row"
_OROW = "__engine:output_row"
_GIVEN = "__engine:id_given"
_SUFFIX = "__engine:new"


def write_stage_output(
    collection: Collection, frame: pl.DataFrame, *, mode: str, on: list[str]
) -> None:
    """Write ``frame`` (a collected pipeline result) into ``collection`` as ``$out``/``$merge``."""
    out = _tidy(_normalized(frame))
    if mode == "out":
        collection.replace_all(_tidy(_with_ids(out)))
        return
    kind, _, rest = mode.partition(":")
    matched, _, not_matched = rest.partition(":")
    if kind != "merge" or not matched or not not_matched:
        msg = f"unknown write mode {mode!r}"
        raise ValueError(msg)
    _merge(collection, out, on, matched=matched, not_matched=not_matched)


# -- shaping the results -----------------------------------------------------------------------


def _normal_dtype(dtype: pl.DataType) -> pl.DataType:
    """The dtype the codec stores a value of ``dtype`` as (Int64, Float64, UTC ms dates…)."""
    if dtype.is_integer():
        return pl.Int64()
    if dtype.is_float():
        return pl.Float64()
    if isinstance(dtype, pl.Datetime | pl.Date):
        return DATE
    if isinstance(dtype, pl.Categorical | pl.Enum):
        return pl.String()
    if isinstance(dtype, pl.List | pl.Array):
        return pl.List(_normal_dtype(dtype.inner))
    if isinstance(dtype, pl.Struct):
        return pl.Struct({f.name: _normal_dtype(f.dtype) for f in dtype.fields})
    return dtype


def _normalized(frame: pl.DataFrame) -> pl.DataFrame:
    """The document columns (with their presence columns) cast to the codec's dtypes."""
    fields = set(codec.user_columns(frame.columns))
    exprs: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        if name.startswith(PRESENT_PREFIX):
            if name[len(PRESENT_PREFIX) :] in fields:
                exprs.append(pl.col(name).fill_null(False).cast(pl.Boolean))
            continue
        target = _normal_dtype(dtype)
        exprs.append(pl.col(name).cast(target) if target != dtype else pl.col(name))
    return frame.select(exprs)


def _tidy(frame: pl.DataFrame) -> pl.DataFrame:
    """Drop presence columns that say nothing (all present) and fields absent from every row."""
    drop: list[str] = []
    for name in frame.columns:
        if not name.startswith(PRESENT_PREFIX):
            continue
        present = frame.get_column(name)
        if present.all():
            drop.append(name)
        elif frame.height and not present.any():
            drop.extend([name, name[len(PRESENT_PREFIX) :]])
    return frame.drop(drop) if drop else frame


def _present(frame: pl.DataFrame | pl.Schema | dict[str, Any], field: str) -> pl.Expr:
    name = codec.presence_name(field)
    return pl.col(name) if name in frame else pl.lit(True)


def _new_ids(count: int) -> pl.Series:
    """``count`` fresh ObjectIds (generated in Python: bson owns the ObjectId algorithm)."""
    return pl.Series("_id", [bson.ObjectId().binary for _ in range(count)], dtype=pl.Binary)


def _with_ids(frame: pl.DataFrame) -> pl.DataFrame:
    """Give an ``_id`` to every document lacking one, as MongoDB does on insert."""
    if "_id" not in frame.columns:
        return frame.with_columns(_new_ids(frame.height)).select(["_id", *frame.columns])
    presence = codec.presence_name("_id")
    if presence not in frame.columns:
        return frame
    lacking = ~frame.get_column(presence)
    count = int(lacking.sum())
    if not count:
        return frame.drop(presence)
    if frame.schema["_id"] not in (pl.Binary, pl.Null):
        msg = (
            "the embedded engine stores one type per field: cannot generate ObjectId _ids next to "
            f"_ids of type {frame.schema['_id']}"
        )
        raise OperationFailure(msg, code=14)
    ids = frame.get_column("_id").cast(pl.Binary).scatter(lacking.arg_true(), _new_ids(count))
    return frame.with_columns(ids.alias("_id")).drop(presence)


# -- $merge ------------------------------------------------------------------------------------


def _check_on(collection: Collection, out: pl.DataFrame, on: list[str]) -> None:
    """``on`` needs a unique index over exactly those fields and a scalar value in every result."""
    if any("." in f for f in on):
        raise UnsupportedOperation("$merge 'on' fields inside sub-documents")
    if on != ["_id"]:
        wanted = set(on)
        unique = [
            ix
            for ix in collection.indexes
            if ix.get("unique") and {f for f, _ in ix["key"]} == wanted
        ]
        if not unique:
            msg = (
                "Cannot find index to verify that join fields will be unique: $merge needs a "
                f"unique index on {on} in {collection.db_name}.{collection.name}"
            )
            raise OperationFailure(msg, code=51183)
    for field in on:
        if field == "_id" or not out.height:
            continue
        bad = field not in out.columns or isinstance(out.schema[field], pl.List)
        if not bad:
            column = out.get_column(field)
            bad = column.null_count() > 0 or not bool(out.select(_present(out, field).all()).item())
        if bad:
            msg = (
                "$merge write error: 'on' field cannot be missing, null, undefined or an array: "
                f"{field}"
            )
            raise OperationFailure(msg, code=51132)


def _dedupe(out: pl.DataFrame, on: list[str], matched: str) -> pl.DataFrame:
    """Results sharing an ``on`` key, as if written one after another."""
    if out.height < 2 or not out.select(on).is_duplicated().any():
        return out
    if matched == "replace":
        return out.unique(subset=on, keep="last", maintain_order=True)
    if matched == "keepExisting":
        return out.unique(subset=on, keep="first", maintain_order=True)
    if matched == "fail":
        dup = out.filter(out.select(on).is_duplicated()).select(on).row(0, named=True)
        raise DuplicateKeyError(f"E11000 duplicate key error: dup key: {dup}", code=11000)
    fields = [c for c in codec.user_columns(out.columns) if c not in on]
    aggs: list[pl.Expr] = []
    for field in fields:
        present = _present(out, field)
        aggs.append(pl.col(field).filter(present).last().alias(field))
        if codec.presence_name(field) in out.columns:
            aggs.append(present.any().alias(codec.presence_name(field)))
    return out.group_by(on, maintain_order=True).agg(aggs).select(out.columns)


def _merge(
    collection: Collection, out: pl.DataFrame, on: list[str], *, matched: str, not_matched: str
) -> None:
    _check_on(collection, out, on)
    given = _present(out, "_id") if "_id" in out.columns else pl.lit(False)
    out = out.with_columns(given.alias(_GIVEN))
    out = _dedupe(_with_ids(out), on, matched)
    existing = collection.frame()
    if existing.width:
        schema = codec.merged_schema([existing.schema, out.drop(_GIVEN).schema])
        ex = codec.align(existing, schema).with_row_index(_EROW)
        new = codec.align(out.drop(_GIVEN), schema).with_columns(out.get_column(_GIVEN))
    else:
        schema = dict(out.drop(_GIVEN).schema)
        ex = pl.DataFrame(schema=schema).with_row_index(_EROW)
        new = out
    new = new.with_row_index(_OROW)
    pairs = ex.select([_EROW, *on]).join(
        new.select([_OROW, *on]), on=on, how="inner", nulls_equal=True
    )
    if pairs.height and matched == "fail":
        key = pairs.select(on).row(0, named=True)
        msg = (
            f"E11000 duplicate key error collection: {collection.db_name}.{collection.name} "
            f"dup key: {key}"
        )
        raise DuplicateKeyError(msg, code=11000, details={"keyValue": key})
    unmatched = new.join(pairs.select(_OROW), on=_OROW, how="anti")
    if unmatched.height and not_matched == "fail":
        msg = (
            "$merge could not find a matching document in the target collection for at least one "
            "document in the source collection"
        )
        raise OperationFailure(msg, code=13113)
    updated = ex.drop(_EROW)
    if pairs.height and matched in ("replace", "merge"):
        updated = _update_matched(ex, new, pairs.select([_EROW, _OROW]), schema, matched)
    parts = [updated]
    if not_matched == "insert" and unmatched.height:
        parts.append(unmatched.select(list(schema)))
    collection.replace_all(_tidy(codec.concat(parts)))


def _update_matched(
    ex: pl.DataFrame,
    new: pl.DataFrame,
    pairs: pl.DataFrame,
    schema: dict[str, pl.DataType],
    matched: str,
) -> pl.DataFrame:
    """Existing documents with their matching results applied (replaced or merged in)."""
    renamed = new.rename({c: c + _SUFFIX for c in new.columns if c != _OROW})
    joined = (
        ex.join(pairs, on=_EROW, how="left", maintain_order="left")
        .join(renamed, on=_OROW, how="left", maintain_order="left")
        .with_columns(pl.col(_OROW).is_not_null().alias("__engine:matched"))
    )
    hit = pl.col("__engine:matched")
    id_given = hit & pl.col(_GIVEN + _SUFFIX).fill_null(False)
    changed = joined.select((id_given & pl.col("_id").ne_missing(pl.col("_id" + _SUFFIX))).any())
    if changed.item():
        msg = (
            "$merge failed to update the matching document, did you attempt to modify the _id or "
            "the shard key? :: caused by :: Performing an update on the path '_id' would modify "
            "the immutable field '_id'"
        )
        raise OperationFailure(msg, code=66)
    exprs: list[pl.Expr] = []
    for name in schema:
        if name.startswith(PRESENT_PREFIX):
            continue
        old, incoming = pl.col(name), pl.col(name + _SUFFIX)
        old_p = _present(schema, name)
        new_p = (
            pl.col(codec.presence_name(name) + _SUFFIX)
            if codec.presence_name(name) in schema
            else pl.lit(True)
        )
        if name == "_id":
            exprs.append(old.alias(name))
            continue
        if matched == "replace":
            value = pl.when(hit).then(incoming).otherwise(old)
            present = pl.when(hit).then(new_p).otherwise(old_p)
        else:
            take = hit & new_p
            value = pl.when(take).then(incoming).otherwise(old)
            present = old_p | take
        exprs.append(value.alias(name))
        if codec.presence_name(name) in schema:
            exprs.append(present.alias(codec.presence_name(name)))
    return joined.select(exprs).select(list(schema))
