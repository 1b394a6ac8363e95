"""Documents ↔ Polars frames.

A collection is a frame with one column per top-level field. Nested documents are Structs, arrays are
Lists, ObjectIds are 12-byte Binary values, dates are ``Datetime("ms", "UTC")`` (BSON's precision).
When some documents lack a field, a Boolean presence column ``"$p:<field>"`` says where it exists, so a
missing field stays absent on the way out while an explicit ``null`` comes back as ``None``.

Deliberate limits, each refused with a clear error rather than stored differently: a top-level field
must hold one BSON type across documents (ints and doubles mix into doubles, as Mongoose stores every
Number); inside nested documents and arrays a null and an absent key are both returned as ``None``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import operator
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import bson
import polars as pl

from dashboard.store.embedded.values import (
    DATE,
    PRESENT_PREFIX,
    bson_type,
    dtype_of_python,
    is_number,
    python_to_polars,
)
from dashboard.store.errors import OperationFailure

__all__ = [
    "PRESENT_PREFIX",
    "align",
    "concat",
    "concat_lazy",
    "decode_rows",
    "encode",
    "hidden",
    "is_presence",
    "merge_dtypes",
    "presence_name",
    "user_columns",
]

_MISSING = object()


def presence_name(field: str) -> str:
    return PRESENT_PREFIX + field


def is_presence(column: str) -> bool:
    return column.startswith(PRESENT_PREFIX)


def hidden(name: str) -> str:
    """A helper column name the documents never show (``$$ROOT``, output and ``$project`` skip it).

    Presence columns are left out of documents everywhere, so a helper named like one is invisible
    to the stages a sub-pipeline runs while it is carried along.
    """
    return f"{PRESENT_PREFIX}__engine:{name}"


def user_columns(schema: Mapping[str, pl.DataType] | Iterable[str]) -> list[str]:
    """The document fields of a frame (its presence columns left out)."""
    return [c for c in schema if not is_presence(c)]


def merge_dtypes(a: pl.DataType, b: pl.DataType, *, field: str) -> pl.DataType:
    """The dtype a field takes when values of dtypes ``a`` and ``b`` meet, or a clear error."""
    if a == pl.Null:
        return b
    if b == pl.Null or a == b:
        return a
    if is_number(a) and is_number(b):
        if isinstance(a, pl.Decimal) or isinstance(b, pl.Decimal):
            return pl.Decimal(38, 10)
        return pl.Float64()
    if isinstance(a, pl.Datetime) and isinstance(b, pl.Datetime):
        return DATE
    if isinstance(a, pl.List) and isinstance(b, pl.List):
        return pl.List(merge_dtypes(a.inner, b.inner, field=f"{field}.$"))
    if isinstance(a, pl.Struct) and isinstance(b, pl.Struct):
        fields = {f.name: f.dtype for f in a.fields}
        for f in b.fields:
            prior = fields.get(f.name)
            fields[f.name] = (
                f.dtype
                if prior is None
                else merge_dtypes(prior, f.dtype, field=f"{field}.{f.name}")
            )
        return pl.Struct(fields)
    msg = (
        f"field {field!r} holds {bson_type(a)} in some documents and {bson_type(b)} in others; "
        "the embedded engine stores one type per field (use $convert when writing)"
    )
    raise OperationFailure(msg, code=14)


def encode(documents: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """A frame holding ``documents`` in order (every field's type checked across all of them)."""
    # Loops over every document run in C where they can (dict.fromkeys, map, itemgetter): inserts
    # of many documents spend their time here.
    names = dict.fromkeys(itertools.chain.from_iterable(documents))
    for key in names:
        if not isinstance(key, str):
            msg = f"field names must be strings, got {key!r}"
            raise OperationFailure(msg, code=2)
    columns: dict[str, pl.Series] = {}
    for name in names:
        present: list[bool] | None = None
        try:
            values = list(map(operator.itemgetter(name), documents))
        except KeyError:
            raw = [doc.get(name, _MISSING) for doc in documents]
            present = [v is not _MISSING for v in raw]
            values = [None if v is _MISSING else v for v in raw]
        dtype = _infer(values, field=name)
        if isinstance(dtype, pl.Datetime):
            columns[name] = _epoch_millis(values).cast(dtype).alias(name)
        else:
            columns[name] = pl.Series(name, _to_polars(values, dtype), dtype=dtype, strict=False)
        if present is not None:
            columns[presence_name(name)] = pl.Series(presence_name(name), present, dtype=pl.Boolean)
    return pl.DataFrame(columns, height=len(documents))


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ONE_MS = dt.timedelta(milliseconds=1)
_BINARY = operator.attrgetter("binary")


def _epoch_millis(values: list[Any]) -> pl.Series:
    """Datetimes (naive ones taken as UTC) as epoch milliseconds, floored as BSON/Polars do."""
    return pl.Series(
        [
            None
            if v is None
            else ((v if v.tzinfo is not None else v.replace(tzinfo=dt.UTC)) - _EPOCH) // _ONE_MS
            for v in values
        ],
        dtype=pl.Int64,
    )


def _infer(values: list[Any], *, field: str) -> pl.DataType:
    seen: dict[type, Any] = {}
    for kind in dict.fromkeys(map(type, values)):  # in order of first appearance
        seen[kind] = next(v for v in values if type(v) is kind)
    dtype: pl.DataType = pl.Null()
    for kind, sample in seen.items():
        if kind in (dict, list, tuple):
            for v in values:
                if isinstance(v, kind):
                    dtype = merge_dtypes(dtype, dtype_of_python(v), field=field)
        else:
            dtype = merge_dtypes(dtype, dtype_of_python(sample), field=field)
    return dtype


def _to_polars(values: list[Any], dtype: pl.DataType) -> list[Any]:
    if dtype == pl.Binary:
        try:  # every value an ObjectId (no nulls): one C-level pass
            return list(map(_BINARY, values))
        except AttributeError:
            return [v.binary if isinstance(v, bson.ObjectId) else v for v in values]
    if isinstance(dtype, pl.Datetime):
        return [python_to_polars(v) if isinstance(v, dt.datetime) else v for v in values]
    if isinstance(dtype, pl.Struct | pl.List | pl.Decimal):
        return [python_to_polars(v) for v in values]
    if dtype.is_float():
        return [float(v) if isinstance(v, int | decimal.Decimal) else v for v in values]
    return values


def align(frame: pl.DataFrame, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """``frame`` with the columns of ``schema`` (a merged schema): absent fields become missing."""
    exprs: list[pl.Expr] = []
    for name, dtype in schema.items():
        if name in frame.columns:
            exprs.append(pl.col(name).cast(dtype))
        elif is_presence(name):
            field = name[len(PRESENT_PREFIX) :]
            exprs.append(pl.lit(field in frame.columns, dtype=pl.Boolean).alias(name))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(exprs)


def concat(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """Stack frames whose fields may differ, checking types and keeping missing fields missing."""
    frames = [f for f in frames if f.width or f.height]
    if not frames:
        return pl.DataFrame()
    if len(frames) == 1:
        return frames[0]
    schema = merged_schema([f.schema for f in frames])
    return pl.concat([align(f, schema) for f in frames], how="vertical", rechunk=True)


def merged_schema(schemas: Sequence[Mapping[str, pl.DataType]]) -> dict[str, pl.DataType]:
    """The schema of several frames stacked: merged types, presence wherever a field can be absent."""
    merged: dict[str, pl.DataType] = {}
    for schema in schemas:
        for name, dtype in schema.items():
            if is_presence(name):
                continue
            prior = merged.get(name)
            merged[name] = dtype if prior is None else merge_dtypes(prior, dtype, field=name)
    out: dict[str, pl.DataType] = {}
    for name, dtype in merged.items():
        out[name] = dtype
        if any(name not in s or presence_name(name) in s for s in schemas):
            out[presence_name(name)] = pl.Boolean()
    return out


def _int64(dtype: pl.DataType) -> pl.DataType:
    return pl.Int64() if dtype.is_integer() else dtype


def concat_lazy(frames: Sequence[pl.LazyFrame]) -> pl.LazyFrame:
    """Stack lazy frames whose fields differ, keeping absent fields absent (like :func:`concat`).

    Frames without any column (an empty or absent collection) contribute nothing. Integer columns
    stack as Int64 rather than being widened to doubles.
    """
    pairs = [(f, {k: _int64(v) for k, v in f.collect_schema().items()}) for f in frames]
    pairs = [(f, s) for f, s in pairs if s]
    if not pairs:
        return frames[0] if frames else pl.LazyFrame()
    if len(pairs) == 1:
        return pairs[0][0]
    schema = merged_schema([s for _, s in pairs])
    aligned: list[pl.LazyFrame] = []
    for frame, own in pairs:
        exprs: list[pl.Expr] = []
        for name, dtype in schema.items():
            if name in own:
                exprs.append(pl.col(name).cast(dtype))
            elif name.startswith(PRESENT_PREFIX):
                exprs.append(pl.lit(name[len(PRESENT_PREFIX) :] in own).alias(name))
            else:
                exprs.append(pl.lit(None, dtype=dtype).alias(name))
        aligned.append(frame.select(exprs))
    return pl.concat(aligned, how="vertical")


def decode_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """The documents a frame holds, as pymongo returns them (absent fields left out)."""
    fields = user_columns(frame.columns)
    converters = {name: _converter(frame.schema[name]) for name in fields}
    presence = {
        name: presence_name(name) for name in fields if presence_name(name) in frame.columns
    }
    rows = frame.to_dicts()
    docs: list[dict[str, Any]] = []
    for row in rows:
        doc: dict[str, Any] = {}
        for name in fields:
            p = presence.get(name)
            if p is not None and not row[p]:
                continue
            value = row[name]
            conv = converters[name]
            doc[name] = conv(value) if conv is not None and value is not None else value
        docs.append(doc)
    return docs


def _converter(dtype: pl.DataType) -> Any:
    """A function turning a stored value back into its BSON form, or None when none is needed."""
    if dtype == pl.Binary:
        return bson.ObjectId
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return lambda v: v.replace(tzinfo=dt.UTC)
        return lambda v: v.astimezone(dt.UTC) if v.tzinfo is not dt.UTC else v
    if isinstance(dtype, pl.Struct):
        subs = {f.name: _converter(f.dtype) for f in dtype.fields}
        if all(c is None for c in subs.values()):
            return None
        return lambda v: {
            k: (subs[k](x) if subs.get(k) and x is not None else x) for k, x in v.items()
        }
    if isinstance(dtype, pl.List | pl.Array):
        inner = _converter(dtype.inner)
        if inner is None:
            return None
        return lambda v: [inner(x) if x is not None else None for x in v]
    return None
