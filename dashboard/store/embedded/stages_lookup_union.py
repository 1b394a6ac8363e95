"""``$lookup`` and ``$unionWith``: the stages that read another collection.

``$unionWith`` appends the documents of another collection (through its own pipeline) to the input.
``$lookup`` is a left outer join that adds an array of matching foreign documents.

Every form is planned as (local row, foreign document) pairs, grouped back into one array per local
row. The pairs come from:

* ``localField``/``foreignField``: an equi-join with MongoDB's match rules (an array on either side
  matches by element; null and missing match null and missing);
* ``let`` + ``pipeline`` whose first stage is ``$match: {$expr: ...}`` with ``$eq`` between a
  ``$$variable`` and a foreign field: an equi-join on those equalities with ``$expr``'s rules (null
  and missing differ, arrays compare whole), the rest of the ``$expr`` applied as a filter;
* a pipeline that uses no ``let`` variable: the same array for every document.

After the join, the remaining sub-pipeline stages run on the pairs: stages that keep each document's
other fields (``$match``, ``$sort``, ``$addFields``, ``$unset``, ``$unwind``…) run as they are,
``$project``/``$replaceRoot`` get the pairing re-attached, ``$limit``/``$skip`` count per local row.
Any other stage in a correlated pipeline is refused (``UnsupportedOperation``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from dashboard.store.embedded.codec import concat_lazy, hidden, user_columns
from dashboard.store.embedded.documents import assign
from dashboard.store.embedded.expressions import compile_expr, field_path
from dashboard.store.embedded.pipeline import RunState, StageFn, apply_stage, compile_pipeline
from dashboard.store.embedded.subpipelines import documents_array, sub_pipeline, sub_state
from dashboard.store.embedded.values import DATE, Ctx, Val, bson_rank
from dashboard.store.errors import OperationFailure, UnsupportedOperation

__all__ = ["STAGES"]

FAILED_TO_PARSE = 9

_ROW = hidden("lookup_row")
_FROW = hidden("lookup_foreign_row")
_ARRAY = hidden("lookup_array")
#: Stages that pass every other field of a document through unchanged.
_PASS_THROUGH = ("$match", "$sort", "$addFields", "$set", "$unset", "$unwind")
#: Stages that turn each document into exactly one new document.
_ONE_TO_ONE = ("$project", "$replaceRoot", "$replaceWith")


def _options(spec: Any) -> dict[str, Any]:
    if not isinstance(spec, Mapping):
        msg = "the $lookup specification must be an object"
        raise OperationFailure(msg, code=FAILED_TO_PARSE)
    allowed = ("from", "as", "localField", "foreignField", "let", "pipeline")
    for key in spec:
        if key not in allowed:
            msg = f"unknown argument to $lookup: {key}"
            raise OperationFailure(msg, code=FAILED_TO_PARSE)
    for key in ("from", "as", "localField", "foreignField"):
        if key in spec and not isinstance(spec[key], str):
            msg = f"$lookup argument '{key}: {spec[key]!r}' must be a string"
            raise OperationFailure(msg, code=FAILED_TO_PARSE)
    if "as" not in spec:
        raise OperationFailure("must specify 'as' field for a $lookup", code=FAILED_TO_PARSE)
    if "from" not in spec:
        raise UnsupportedOperation("$lookup without 'from' (a $documents pipeline)")
    if ("localField" in spec) != ("foreignField" in spec):
        msg = "$lookup requires both or neither of 'localField' and 'foreignField' to be specified"
        raise OperationFailure(msg, code=FAILED_TO_PARSE)
    if "localField" not in spec and "pipeline" not in spec:
        msg = (
            "$lookup requires either 'pipeline' or both 'localField' and 'foreignField' to be "
            "specified"
        )
        raise OperationFailure(msg, code=FAILED_TO_PARSE)
    if "let" in spec and "pipeline" not in spec:
        msg = "$lookup with 'let' must also specify 'pipeline'"
        raise OperationFailure(msg, code=FAILED_TO_PARSE)
    let = spec.get("let", {})
    if not isinstance(let, Mapping):
        msg = "$lookup argument 'let' must be an object"
        raise OperationFailure(msg, code=FAILED_TO_PARSE)
    opts = dict(spec)
    opts["let"] = dict(let)
    opts["pipeline"] = sub_pipeline(
        spec.get("pipeline", []), owner="$lookup", forbidden=("$out", "$merge"), code=51047
    )
    return opts


def _lookup(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    """Add the ``as`` array of matching documents from the ``from`` collection."""
    opts = _options(spec)
    foreign = state.env.scan(opts["from"])
    local = lf.with_row_index(_ROW)
    pipeline, let = opts["pipeline"], opts["let"]
    correlated = bool(let) and _uses_variables(pipeline, set(let))
    if "localField" not in opts and not correlated:
        result = compile_pipeline(pipeline, foreign, sub_state(state))
        arrays = documents_array(result, _ARRAY)
        return _attach(local.join(arrays, how="cross", maintain_order="left"), opts["as"])
    local_ctx = state.ctx(local, "$lookup")
    var_vals = {name: compile_expr(expr, local_ctx) for name, expr in let.items()}
    if not foreign.collect_schema():
        arrays = local.select(_ROW).with_columns(pl.lit([], dtype=pl.List(pl.Null)).alias(_ARRAY))
        return _attach(local.join(arrays, on=_ROW, how="left", maintain_order="left"), opts["as"])
    foreign = foreign.with_row_index(_FROW)
    if "localField" in opts:
        pairs = _field_pairs(local, foreign, opts["localField"], opts["foreignField"], state)
        rest = pipeline
    else:
        pairs, rest = _correlated_pairs(
            local, foreign, pipeline, local_ctx.child(**var_vals), state
        )
    docs = pairs.join(foreign, on=_FROW, how="inner", maintain_order="left").drop(_FROW)
    variables: dict[str, Val] = {}
    if var_vals and rest:
        cols: list[pl.Expr] = [pl.col(_ROW)]
        for i, (name, val) in enumerate(var_vals.items()):
            cols.append(val.expr.alias(hidden(f"var{i}")))
            missing = None
            if val.missing is not None:
                cols.append(val.missing.fill_null(False).alias(hidden(f"var{i}_missing")))
                missing = pl.col(hidden(f"var{i}_missing"))
            variables[name] = Val(expr=pl.col(hidden(f"var{i}")), dtype=val.dtype, missing=missing)
        docs = docs.join(local.select(cols), on=_ROW, how="left", maintain_order="left")
    docs = _run_rest(docs, rest, sub_state(state, variables))
    keep = [c for c in docs.collect_schema() if not c.startswith(hidden("var"))]
    arrays = _group_arrays(docs.select(keep))
    return _attach(local.join(arrays, on=_ROW, how="left", maintain_order="left"), opts["as"])


def _uses_variables(spec: Any, names: set[str]) -> bool:
    """Whether a (sub-)pipeline mentions one of the ``$$names``."""
    if isinstance(spec, str):
        return spec.startswith("$$") and spec[2:].split(".")[0] in names
    if isinstance(spec, Mapping):
        return any(_uses_variables(k, names) or _uses_variables(v, names) for k, v in spec.items())
    if isinstance(spec, list | tuple):
        return any(_uses_variables(v, names) for v in spec)
    return False


def _group_arrays(docs: pl.LazyFrame) -> pl.LazyFrame:
    """One array of documents per local row (documents keep their order within the row)."""
    cols = [c for c in user_columns(docs.collect_schema()) if c != _ROW]
    if not cols:  # an array of empty documents cannot be held: refused when there are any
        rows = docs.select(_ROW).unique(maintain_order=True)
        return documents_array(rows.drop(_ROW), _ARRAY).join(rows, how="cross")
    return docs.group_by(_ROW, maintain_order=True).agg(pl.struct(cols).alias(_ARRAY))


def _attach(joined: pl.LazyFrame, as_path: str) -> pl.LazyFrame:
    """Write the array column into the ``as`` field (an empty array where nothing matched)."""
    schema = dict(joined.collect_schema())
    dtype = schema[_ARRAY]
    empty = pl.lit(pl.Series("", [[]], dtype=dtype))
    val = Val(expr=pl.col(_ARRAY).fill_null(empty), dtype=dtype)
    exprs, drops = assign(schema, as_path, val)
    return joined.with_columns(exprs).drop([*drops, _ARRAY, _ROW], strict=False)


# -- join keys ---------------------------------------------------------------------------------


def _key_dtype(a: pl.DataType, b: pl.DataType) -> pl.DataType | None:
    """The dtype two key columns are compared in, or None when no value of one equals the other."""
    if a == pl.Null or b == pl.Null:
        return None
    if isinstance(a, pl.List | pl.Array) or isinstance(b, pl.List | pl.Array):
        raise UnsupportedOperation("$lookup matching arrays against arrays")
    if isinstance(a, pl.Struct) or isinstance(b, pl.Struct):
        if a == b:
            return a
        raise UnsupportedOperation("$lookup matching documents of different shapes")
    if bson_rank(a) != bson_rank(b):
        return None
    if a.is_numeric() or isinstance(a, pl.Decimal):
        return pl.Float64()
    if isinstance(a, pl.Datetime):
        return DATE
    return pl.String() if bson_rank(a) == 4 else a


def _keys(val: Val, dtype: pl.DataType | None, n: int, *, nullish_equal: bool) -> list[pl.Expr]:
    """Key columns ``__k{n}`` (kind) and ``__v{n}`` (value) for the equi-join.

    Kind: 0 missing, 1 null, 2 + BSON rank for a value; with ``nullish_equal`` missing counts as
    null (``localField``/``foreignField`` matching).
    """
    rank = 2 + bson_rank(val.dtype) if val.dtype != pl.Null else 1
    kind = (
        pl.when(val.expr.is_null())
        .then(pl.lit(1, dtype=pl.Int8))
        .otherwise(pl.lit(rank, dtype=pl.Int8))
    )
    if val.missing is not None and not nullish_equal:
        kind = pl.when(val.missing.fill_null(False)).then(pl.lit(0, dtype=pl.Int8)).otherwise(kind)
    if dtype is None:
        value = pl.lit(None, dtype=pl.Null)
    else:
        value = val.expr.cast(dtype)
    return [kind.alias(f"__k{n}"), value.alias(f"__v{n}")]


def _element(val: Val) -> tuple[Val, bool]:
    """The value whose elements are matched: an array's elements, or the value itself."""
    if isinstance(val.dtype, pl.List):
        return Val(expr=val.expr, dtype=val.dtype.inner, missing=None), True
    return val, False


def _field_pairs(
    local: pl.LazyFrame,
    foreign: pl.LazyFrame,
    local_field: str,
    foreign_field: str,
    state: RunState,
) -> pl.LazyFrame:
    """(local row, foreign row) pairs whose ``localField`` and ``foreignField`` match."""
    lval, l_list = _element(field_path(local_field, state.ctx(local, "$lookup")))
    fval, f_list = _element(field_path(foreign_field, state.ctx(foreign, "$lookup")))
    dtype = _key_dtype(lval.dtype, fval.dtype)
    sides: list[pl.LazyFrame] = []
    for frame, row, val, is_list in ((local, _ROW, lval, l_list), (foreign, _FROW, fval, f_list)):
        if is_list:
            keyed = frame.select(pl.col(row), val.expr.alias("__e")).explode("__e")
            elem = Val(expr=pl.col("__e"), dtype=val.dtype)
            keyed = keyed.select(pl.col(row), *_keys(elem, dtype, 0, nullish_equal=True))
        else:
            keyed = frame.select(pl.col(row), *_keys(val, dtype, 0, nullish_equal=True))
        sides.append(keyed)
    pairs = sides[0].join(sides[1], on=["__k0", "__v0"], how="inner", nulls_equal=True)
    return pairs.select(_ROW, _FROW).unique(maintain_order=True).sort([_ROW, _FROW])


def _join_conditions(expr: Any, names: set[str]) -> tuple[list[tuple[str, str]], list[Any]]:
    """Split an ``$expr`` into ``$eq`` join conditions (``$$var…``, ``$field``) and the rest."""
    if isinstance(expr, Mapping) and list(expr) == ["$and"] and isinstance(expr["$and"], list):
        conjuncts = list(expr["$and"])
    else:
        conjuncts = [expr]
    conditions: list[tuple[str, str]] = []
    rest: list[Any] = []
    for conj in conjuncts:
        args = conj.get("$eq") if isinstance(conj, Mapping) and list(conj) == ["$eq"] else None
        if isinstance(args, list) and len(args) == 2 and all(isinstance(a, str) for a in args):
            var = next(
                (a for a in args if a.startswith("$$") and a[2:].split(".")[0] in names), None
            )
            other = next((a for a in args if a != var), None)
            if (
                var is not None
                and other is not None
                and other.startswith("$")
                and not other.startswith("$$")
            ):
                conditions.append((var, other))
                continue
        rest.append(conj)
    return conditions, rest


def _correlated_pairs(
    local: pl.LazyFrame,
    foreign: pl.LazyFrame,
    pipeline: list[Mapping[str, Any]],
    local_ctx: Ctx,
    state: RunState,
) -> tuple[pl.LazyFrame, list[Mapping[str, Any]]]:
    """Pairs for a ``let`` pipeline starting with ``$match: {$expr: {$eq: [$$var, $field]}}``."""
    first = pipeline[0] if pipeline else {}
    match = first.get("$match") if list(first) == ["$match"] else None
    if not isinstance(match, Mapping) or "$expr" not in match:
        raise UnsupportedOperation(
            "$lookup with a correlated pipeline that does not start with "
            "{$match: {$expr: {$eq: ['$$<variable>', '$<field>']}}}"
        )
    conditions, others = _join_conditions(match["$expr"], set(local_ctx.variables))
    if not conditions:
        raise UnsupportedOperation(
            "$lookup with a correlated pipeline whose $match $expr has no $eq between a "
            "variable and a foreign field"
        )
    foreign_ctx = state.ctx(foreign, "$lookup")
    local_keys: list[pl.Expr] = [pl.col(_ROW)]
    foreign_keys: list[pl.Expr] = [pl.col(_FROW)]
    on: list[str] = []
    for n, (var, field) in enumerate(conditions):
        lval = compile_expr(var, local_ctx)
        fval = compile_expr(field, foreign_ctx)
        if isinstance(lval.dtype, pl.List) or isinstance(fval.dtype, pl.List):
            raise UnsupportedOperation("$lookup correlated on array values")
        dtype = _key_dtype(lval.dtype, fval.dtype)
        local_keys += _keys(lval, dtype, n, nullish_equal=False)
        foreign_keys += _keys(fval, dtype, n, nullish_equal=False)
        on += [f"__k{n}", f"__v{n}"]
    pairs = local.select(local_keys).join(
        foreign.select(foreign_keys), on=on, how="inner", nulls_equal=True
    )
    pairs = pairs.select(_ROW, _FROW).sort([_ROW, _FROW])
    rest_match = {k: v for k, v in match.items() if k != "$expr"}
    if others:
        rest_match["$expr"] = {"$and": others} if len(others) > 1 else others[0]
    rest = ([{"$match": rest_match}] if rest_match else []) + list(pipeline[1:])
    return pairs, rest


# -- the rest of the sub-pipeline, per local row -----------------------------------------------


def _run_rest(docs: pl.LazyFrame, stages: list[Mapping[str, Any]], state: RunState) -> pl.LazyFrame:
    """Apply the sub-pipeline's remaining stages to (local row, foreign document) pairs."""
    for spec in stages:
        ((name, arg),) = spec.items()
        helpers = [c for c in docs.collect_schema() if c.startswith(hidden(""))]
        if name in _PASS_THROUGH:
            docs = apply_stage(name, arg, docs, state)
        elif name in _ONE_TO_ONE:
            out = apply_stage(name, arg, docs, state)
            out = out.drop([c for c in helpers if c in out.collect_schema()])
            docs = pl.concat([docs.select(helpers), out], how="horizontal")
        elif name in ("$limit", "$skip"):
            if (
                isinstance(arg, bool)
                or not isinstance(arg, int)
                or arg < 0
                or (name == "$limit" and arg == 0)
            ):
                apply_stage(name, arg, docs, state)  # raises MongoDB's error for the bad argument
            position = pl.int_range(pl.len()).over(_ROW)
            docs = docs.filter(position < arg if name == "$limit" else position >= arg)
        else:
            raise UnsupportedOperation(f"{name} inside a correlated $lookup pipeline")
    return docs


# -- $unionWith --------------------------------------------------------------------------------


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


#: The stages this module provides, by name: ``catalog`` files them in ``pipeline.STAGES``.
STAGES: dict[str, StageFn] = {
    "$lookup": _lookup,
    "$unionWith": _union_with,
}
