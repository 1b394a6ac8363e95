"""Aggregation pipelines compiled stage by stage onto one Polars ``LazyFrame``.

Each stage is a function ``(spec, frame, env) -> frame`` registered in :data:`STAGES` with
:func:`stage`. Core stages live here; the others in ``stages_unwind``, ``stages_facet_bucket``
(``$facet``, ``$bucket``, ``$bucketAuto``), ``stages_lookup_union`` (``$lookup``, ``$unionWith``),
``stages_fill`` (``$densify``, ``$fill``), ``stages_merge_out`` (``$merge``, ``$out``) and ``windows``
(``$setWindowFields``). The frame's schema is read before each stage, so every stage compiles against
the exact document shape the previous one produced.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import polars as pl

from dashboard.store.embedded.codec import is_presence, presence_name, user_columns
from dashboard.store.embedded.documents import assign, drop_fields
from dashboard.store.embedded.expressions import compile_expr, field_path
from dashboard.store.embedded.group import compile_group
from dashboard.store.embedded.query import compile_filter, text_conditions
from dashboard.store.embedded.registry import import_families, registrar
from dashboard.store.embedded.runtime_errors import raise_where
from dashboard.store.embedded.values import Ctx, Val, type_expr
from dashboard.store.errors import OperationFailure

__all__ = ["STAGES", "Env", "compile_pipeline", "sort_exprs", "stage"]


class Env(Protocol):
    """What stages that reach outside the current frame need from the store."""

    def scan(self, collection: str) -> pl.LazyFrame: ...

    def write(self, collection: str, frame: pl.DataFrame, *, mode: str, on: list[str]) -> None: ...

    def text_fields(self, collection: str) -> tuple[str, ...]: ...


@dataclass
class RunState:
    """Per-run facts the stages share: the store, the source collection and ``let`` variables."""

    env: Env
    collection: str
    variables: dict[str, Val] = field(default_factory=dict)
    #: Set by ``$out``/``$merge``: the frame is written there and the pipeline returns nothing.
    writes: list[Callable[[pl.DataFrame], None]] = field(default_factory=list)

    def ctx(self, lf: pl.LazyFrame, where: str) -> Ctx:
        return Ctx(
            schema=dict(lf.collect_schema()),
            variables=dict(self.variables),
            where=where,
            text_fields=self.env.text_fields(self.collection),
        )


StageFn = Callable[[Any, pl.LazyFrame, RunState], pl.LazyFrame]
STAGES: dict[str, StageFn] = {}


#: ``@stage("$name", …)``: register a stage implementation under its names.
stage = registrar(STAGES)


def compile_pipeline(
    pipeline: Sequence[Mapping[str, Any]], lf: pl.LazyFrame, state: RunState
) -> pl.LazyFrame:
    """Apply every stage of ``pipeline`` to ``lf``."""
    if not isinstance(pipeline, Sequence) or isinstance(pipeline, str | bytes):
        msg = "pipeline must be a list of stage documents"
        raise OperationFailure(msg, code=14)
    for i, spec in enumerate(pipeline):
        if not isinstance(spec, Mapping) or len(spec) != 1:
            msg = "A pipeline stage specification object must contain exactly one field."
            raise OperationFailure(msg, code=40323)
        ((name, arg),) = spec.items()
        fn = STAGES.get(name)
        if fn is None:
            if isinstance(name, str) and name.startswith("$"):
                from dashboard.store.errors import UnsupportedOperation

                raise UnsupportedOperation(f"stage {name}", where=f"pipeline stage {i}")
            msg = f"Unrecognized pipeline stage name: '{name}'"
            raise OperationFailure(msg, code=40324)
        if state.writes and i:
            msg = f"{name} cannot follow $out or $merge: they must be the last stage"
            raise OperationFailure(msg, code=40601)
        if name == "$match" and i and text_conditions(arg):
            msg = "$match with $text is only allowed as the first pipeline stage"
            raise OperationFailure(msg, code=17313)
        lf = fn(arg, lf, state)
    return lf


@stage("$match")
def _match(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    ctx = state.ctx(lf, "$match")
    return lf.filter(compile_filter(spec, ctx))


@stage("$addFields", "$set")
def _add_fields(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    if not isinstance(spec, Mapping):
        msg = "$addFields specification stage must be an object"
        raise OperationFailure(msg, code=40272)
    ctx = state.ctx(lf, "$addFields")
    exprs: list[pl.Expr] = []
    drops: list[str] = []
    schema = dict(ctx.schema)
    for path, value in _flatten_spec(spec):
        val = compile_expr(value, ctx)
        new, drop = assign(schema, path, val)
        exprs.extend(new)
        drops.extend(drop)
    lf = lf.with_columns(exprs)
    return lf.drop(drops) if drops else lf


def _flatten_spec(spec: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """``{a: {b: expr}}`` → ``[("a.b", expr)]`` (objects that are not operator expressions nest)."""
    out: list[tuple[str, Any]] = []
    for key, value in spec.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and not any(str(k).startswith("$") for k in value):
            out.extend(_flatten_spec(value, path + "."))
        else:
            out.append((path, value))
    return out


@stage("$unset")
def _unset(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    paths = [spec] if isinstance(spec, str) else list(spec)
    if not all(isinstance(p, str) and p for p in paths):
        msg = "$unset specification must be a string or an array of strings"
        raise OperationFailure(msg, code=31002)
    schema = dict(lf.collect_schema())
    return select_fields(lf, drop_fields(schema, paths))


@stage("$project")
def _project(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    if not isinstance(spec, Mapping) or not spec:
        msg = "$project requires at least one output field"
        raise OperationFailure(msg, code=51272)
    ctx = state.ctx(lf, "$project")
    items = _flatten_spec(spec)
    id_excluded = any(p == "_id" and _is_false(v) for p, v in items)
    rest = [(p, v) for p, v in items if p != "_id"]
    exclusions = [p for p, v in rest if _is_false(v)]
    inclusions = [(p, v) for p, v in rest if not _is_false(v)]
    if exclusions and inclusions:
        msg = f"Invalid $project :: caused by :: Cannot do exclusion on field {exclusions[0]} in inclusion projection"
        raise OperationFailure(msg, code=31254)
    if exclusions or (not inclusions and id_excluded):
        paths = exclusions + (["_id"] if id_excluded else [])
        return select_fields(lf, drop_fields(ctx.schema, paths))
    id_item = next(((p, v) for p, v in items if p == "_id" and not _is_false(v)), None)
    out_schema: dict[str, pl.DataType] = {}
    exprs: list[pl.Expr] = []
    if not id_excluded:
        if id_item is not None and not _is_true(id_item[1]):
            val = compile_expr(id_item[1], ctx)
        else:
            val = field_path("_id", ctx)
        if not (val.missing is not None and val.dtype == pl.Null):
            new, _ = assign(out_schema, "_id", val)
            exprs.extend(new)
            out_schema["_id"] = val.dtype
    tree: dict[str, Any] = {}
    for path, value in inclusions:
        node = tree
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                msg = f"Invalid $project :: caused by :: Path collision at {path}"
                raise OperationFailure(msg, code=31250)
        node[parts[-1]] = ("leaf", path, value)
    for name, node in tree.items():
        val = _project_node(name, node, ctx)
        if val is None:
            continue
        new, _ = assign(out_schema, name, val)
        exprs.extend(new)
    return select_fields(lf, exprs)


#: A column that keeps a row alive when a document has no fields left ({}): not a field itself.
EMPTY_DOCUMENT_MARKER = "$p:$doc"


def select_fields(lf: pl.LazyFrame, exprs: list[pl.Expr]) -> pl.LazyFrame:
    """The documents reduced to ``exprs``, one per input document.

    ``with_columns`` then ``select`` keeps the row count when every expression is a constant (a
    bare ``select`` of literals would give one row), and a marker column keeps documents that
    end up with no fields at all.
    """
    if not exprs:
        exprs = [pl.lit(True).alias(EMPTY_DOCUMENT_MARKER)]
    names = [e.meta.output_name() for e in exprs]
    return lf.with_columns(exprs).select(names)


def _project_node(path: str, node: Any, ctx: Ctx) -> Val | None:
    """The value of one output field of an inclusion projection (None: leave the field out)."""
    if isinstance(node, tuple):
        _, full, value = node
        if _is_true(value):
            val = field_path(full, ctx)
            if val.dtype == pl.Null and val.missing is not None:
                return None
            return val
        return compile_expr(value, ctx)
    source = field_path(path, ctx)
    fields: list[pl.Expr] = []
    for name, child in node.items():
        val = _project_node(f"{path}.{name}", child, ctx)
        if val is not None:
            fields.append(val.expr.alias(name))
    if not fields:
        return None
    built = pl.struct(fields)
    if isinstance(source.dtype, pl.Struct):
        built = pl.when(source.expr.is_null()).then(None).otherwise(built)
        return ctx.val(built, missing=source.missing)
    return ctx.val(built)


def _is_false(value: Any) -> bool:
    return value is False or (
        isinstance(value, int | float) and not isinstance(value, bool) and value == 0
    )


def _is_true(value: Any) -> bool:
    return value is True or (
        isinstance(value, int | float) and not isinstance(value, bool) and value != 0
    )


@stage("$group")
def _group(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    if not isinstance(spec, Mapping):
        msg = "a group's fields must be specified in an object"
        raise OperationFailure(msg, code=15947)
    return compile_group(spec, lf, state.ctx(lf, "$group"))


def sort_exprs(spec: Mapping[str, Any], ctx: Ctx) -> tuple[list[pl.Expr], list[bool], list[bool]]:
    """Sort keys in MongoDB's order: null and missing (equivalent), then values (reversed for -1).

    The manual's BSON comparison order: "a sort on the a field in documents { } and { a: null }
    would treat the documents as equivalent in sort order", so a missing field sorts as null.
    """
    exprs: list[pl.Expr] = []
    descending: list[bool] = []
    nulls_last: list[bool] = []
    for path, direction in spec.items():
        if isinstance(direction, Mapping) and direction.get("$meta") == "textScore":
            raise ctx.unsupported("$sort by {$meta: 'textScore'}")
        if direction not in (1, -1):
            msg = f"$sort key ordering must be 1 (for ascending) or -1 (for descending), got {direction!r}"
            raise OperationFailure(msg, code=15975)
        val = field_path(path, ctx)
        desc = direction == -1
        key = val.expr
        if isinstance(val.dtype, pl.List):
            key = key.list.max() if desc else key.list.min()
        exprs.append(key)
        descending.append(desc)
        nulls_last.append(desc)
    return exprs, descending, nulls_last


@stage("$sort")
def _sort(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    if not isinstance(spec, Mapping) or not spec:
        msg = "$sort stage must have at least one sort key"
        raise OperationFailure(msg, code=15976)
    exprs, descending, nulls_last = sort_exprs(spec, state.ctx(lf, "$sort"))
    return lf.sort(exprs, descending=descending, nulls_last=nulls_last, maintain_order=True)


def _non_negative(name: str, value: Any, *, positive: bool) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        msg = f"invalid argument to {name} stage: Expected an integer: {name}: {value!r}"
        raise OperationFailure(msg, code=15958)
    if value < 0 or (positive and value == 0):
        msg = f"invalid argument to {name} stage: the number must be {'positive' if positive else 'non-negative'}"
        raise OperationFailure(msg, code=15958)
    return int(value)


@stage("$limit")
def _limit(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    return lf.head(_non_negative("$limit", spec, positive=True))


@stage("$skip")
def _skip(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    return lf.slice(_non_negative("$skip", spec, positive=False))


@stage("$count")
def _count(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    if not isinstance(spec, str) or not spec or spec.startswith("$") or "." in spec:
        msg = "the count field must be a non-empty string, not start with '$' and not contain '.'"
        raise OperationFailure(msg, code=40156)
    counted = lf.select(pl.len().cast(pl.Int64).alias(spec))
    return counted.filter(pl.col(spec) > 0)


@stage("$sortByCount")
def _sort_by_count(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    grouped = compile_group({"_id": spec, "count": {"$sum": 1}}, lf, state.ctx(lf, "$sortByCount"))
    return grouped.sort("count", descending=True, maintain_order=True)


@stage("$replaceRoot", "$replaceWith")
def _replace_root(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    new_root = spec.get("newRoot") if isinstance(spec, Mapping) and "newRoot" in spec else spec
    ctx = state.ctx(lf, "$replaceRoot")
    val = compile_expr(new_root, ctx)
    is_object = isinstance(val.dtype, pl.Struct)
    bad = val.expr.is_null() if is_object else pl.lit(True)
    root, failed, kind = "__root", "__root_failed", "__root_type"
    frame = lf.with_columns(val.expr.alias(root), bad.alias(failed), type_expr(val).alias(kind))
    # Checked over the documents reaching the stage (an empty input never fails), as an aggregate:
    # Polars pushes row-wise predicates into earlier filters, which would check removed documents.
    first = pl.col(kind).filter(pl.col(failed)).first()
    check = raise_where(pl.col(failed).any(), _new_root_message, 40228, first)
    frame = frame.filter(~pl.col(failed) | check)
    if not is_object:
        return frame.select(pl.col(failed).alias(EMPTY_DOCUMENT_MARKER))
    return frame.select(pl.col(root).struct.unnest())


def _new_root_message(kind: str) -> str:
    """MongoDB's message for a new root of type ``kind`` (``missing``, ``null``, ``string``…)."""
    shown = {"missing": "MISSING", "null": "null"}.get(kind)
    value = f"was: {shown}. Type of resulting value: '{kind}'" if shown else f"was of type '{kind}'"
    return f"'newRoot' expression must evaluate to an object, but resulting value {value}."


# The stage families kept in their own modules (each optional while it is being built).
import_families(
    "stages_unwind",
    "stages_facet_bucket",
    "stages_lookup_union",
    "stages_fill",
    "stages_merge_out",
    "windows",
    optional=True,
)
__all__ += ["RunState", "is_presence", "presence_name", "user_columns"]
