"""More pipeline stages: ``$unwind``, ``$facet``, ``$unionWith``, ``$out`` and ``$merge``.

The other families live in their own modules, imported at the bottom so that importing this one
registers them all: ``stages_bucket`` (``$bucket``, ``$bucketAuto``), ``stages_join`` (``$lookup``)
and ``stages_fill`` (``$densify``, ``$fill``). The helpers here (lazy stacking of frames whose
fields differ, sub-pipeline checks, hidden helper columns) are shared by those modules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from dashboard.store.embedded.codec import merged_schema, user_columns
from dashboard.store.embedded.documents import assign
from dashboard.store.embedded.expressions import field_path
from dashboard.store.embedded.pipeline import RunState, compile_pipeline, stage
from dashboard.store.embedded.registry import import_families
from dashboard.store.embedded.runtime_errors import refuse_where, with_checks
from dashboard.store.embedded.values import PRESENT_PREFIX, Val
from dashboard.store.errors import OperationFailure, UnsupportedOperation

__all__ = [
    "concat_lazy",
    "documents_array",
    "hidden",
    "sub_pipeline",
    "sub_state",
]

FAILED_TO_PARSE = 9


def hidden(name: str) -> str:
    """A helper column name the documents never show (``$$ROOT``, output and ``$project`` skip it).

    Presence columns are left out of documents everywhere, so a helper named like one is invisible
    to the stages a sub-pipeline runs while it is carried along.
    """
    return f"{PRESENT_PREFIX}__engine:{name}"


def sub_state(state: RunState, variables: Mapping[str, Val] | None = None) -> RunState:
    """A run state for a sub-pipeline: same store and variables, its own (empty) write list."""
    return RunState(
        env=state.env,
        collection=state.collection,
        variables={**state.variables, **(variables or {})},
    )


def sub_pipeline(
    pipeline: Any, *, owner: str, forbidden: Sequence[str], code: int
) -> list[Mapping[str, Any]]:
    """Validate a nested pipeline: a list of stage documents without the ``forbidden`` stages."""
    if not isinstance(pipeline, list | tuple):
        msg = f"{owner} pipeline must be an array of stage documents"
        raise OperationFailure(msg, code=14)
    for spec in pipeline:
        if not isinstance(spec, Mapping):
            msg = f"{owner} pipeline must be an array of stage documents"
            raise OperationFailure(msg, code=14)
        for name in spec:
            if name in forbidden:
                msg = f"{name} is not allowed to be used within a {owner} stage"
                raise OperationFailure(msg, code=code)
    return list(pipeline)


def _int64(dtype: pl.DataType) -> pl.DataType:
    return pl.Int64() if dtype.is_integer() else dtype


def concat_lazy(frames: Sequence[pl.LazyFrame]) -> pl.LazyFrame:
    """Stack lazy frames whose fields differ, keeping absent fields absent (see ``codec.concat``).

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


def documents_array(lf: pl.LazyFrame, name: str) -> pl.LazyFrame:
    """One row holding every document of ``lf`` as an array (a List of Structs) in column ``name``.

    Inside the array a missing field reads as null (the codec's documented limit for nested values).
    """
    cols = user_columns(lf.collect_schema())
    if not cols:
        what = "arrays of documents that have no field (empty documents)"
        count = with_checks(pl.len(), refuse_where(pl.len() > 0, what, fold=True)).alias("__n")
        empty = pl.lit([], dtype=pl.List(pl.Null))
        return lf.select(count).select(pl.when(pl.col("__n") == 0).then(empty).alias(name))
    return lf.select(pl.struct(cols).implode().alias(name))


# -- $unwind -----------------------------------------------------------------------------------


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


@stage("$unwind")
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


@stage("$facet")
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


# -- $unionWith --------------------------------------------------------------------------------


@stage("$unionWith")
def _union_with(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    """The input documents followed by those of another collection (through its own pipeline)."""
    if isinstance(spec, str):
        coll, pipeline = spec, []
    elif isinstance(spec, Mapping):
        unknown = [k for k in spec if k not in ("coll", "pipeline")]
        if unknown:
            msg = f"BSON field '$unionWith.{unknown[0]}' is an unknown field."
            raise OperationFailure(msg, code=40415)
        if "coll" not in spec:
            msg = "BSON field '$unionWith.coll' is missing but a required field"
            raise OperationFailure(msg, code=40414)
        coll, pipeline = spec["coll"], spec.get("pipeline", [])
    else:
        msg = "the $unionWith stage specification must be an object or string"
        raise OperationFailure(msg, code=FAILED_TO_PARSE)
    if not isinstance(coll, str):
        msg = "$unionWith 'coll' must be a string"
        raise OperationFailure(msg, code=FAILED_TO_PARSE)
    stages = sub_pipeline(pipeline, owner="$unionWith", forbidden=("$out", "$merge"), code=31441)
    other = compile_pipeline(stages, state.env.scan(coll), sub_state(state))
    return concat_lazy([lf, other])


# -- $out and $merge ---------------------------------------------------------------------------


def _target(spec: Any, state: RunState, stage_name: str) -> str:
    """The collection a ``$out``/``$merge`` writes to (``"name"`` or ``{db, coll}``)."""
    if isinstance(spec, str) and spec:
        return spec
    if isinstance(spec, Mapping) and isinstance(spec.get("coll"), str) and spec["coll"]:
        db = spec.get("db")
        if db is not None and db != getattr(state.env, "db_name", db):
            raise UnsupportedOperation(f"{stage_name} into another database ({db})")
        return str(spec["coll"])
    msg = f"{stage_name} requires a collection name: a string or {{db: <db>, coll: <coll>}}"
    raise OperationFailure(msg, code=FAILED_TO_PARSE)


@stage("$out")
def _out(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    """Replace the target collection with the results (its indexes are kept); return nothing."""
    target = _target(spec, state, "$out")
    env = state.env
    state.writes.append(lambda frame: env.write(target, frame, mode="out", on=["_id"]))
    return lf


_WHEN_MATCHED = ("replace", "keepExisting", "merge", "fail")
_WHEN_NOT_MATCHED = ("insert", "discard", "fail")


@stage("$merge")
def _merge(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    """Merge the results into a collection by the ``on`` fields (see :mod:`.writes`)."""
    if isinstance(spec, str):
        spec = {"into": spec}
    if not isinstance(spec, Mapping) or "into" not in spec:
        msg = "BSON field '$merge.into' is missing but a required field"
        raise OperationFailure(msg, code=40414)
    for key in spec:
        if key not in ("into", "on", "let", "whenMatched", "whenNotMatched"):
            msg = f"BSON field '$merge.{key}' is an unknown field."
            raise OperationFailure(msg, code=40415)
    target = _target(spec["into"], state, "$merge")
    on_spec = spec.get("on", "_id")
    on = [on_spec] if isinstance(on_spec, str) else on_spec
    if not isinstance(on, list | tuple) or not on or not all(isinstance(f, str) and f for f in on):
        msg = "BSON field '$merge.on' must be a string or a non-empty array of strings"
        raise OperationFailure(msg, code=51186)
    if len(set(on)) != len(on):
        msg = "Found a duplicate field in the $merge 'on' field list"
        raise OperationFailure(msg, code=51188)
    matched = spec.get("whenMatched", "merge")
    not_matched = spec.get("whenNotMatched", "insert")
    if isinstance(matched, list | tuple):
        raise UnsupportedOperation("$merge with a whenMatched pipeline")
    if "let" in spec:
        raise UnsupportedOperation("$merge with let variables")
    if matched not in _WHEN_MATCHED:
        msg = f"Enumeration value '{matched}' for field '$merge.whenMatched' is not a valid value."
        raise OperationFailure(msg, code=2)
    if not_matched not in _WHEN_NOT_MATCHED:
        msg = (
            f"Enumeration value '{not_matched}' for field '$merge.whenNotMatched' is not a valid "
            "value."
        )
        raise OperationFailure(msg, code=2)
    mode = f"merge:{matched}:{not_matched}"
    env, fields = state.env, list(on)
    state.writes.append(lambda frame: env.write(target, frame, mode=mode, on=fields))
    return lf


# The stage families kept in their own modules (each optional while it is being built).
import_families("stages_bucket", "stages_join", "stages_fill", optional=True)
