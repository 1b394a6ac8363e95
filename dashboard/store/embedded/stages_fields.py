"""The stages that reshape each document, one document out for each one in: ``$addFields``/``$set``,
``$unset``, ``$project`` and ``$replaceRoot``/``$replaceWith``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from dashboard.store.embedded.documents import assign
from dashboard.store.embedded.expressions import compile_expr, field_path, missing_val
from dashboard.store.embedded.field_trees import (
    Computed,
    Leaf,
    Mode,
    Tree,
    build_tree,
    conflicts,
    exclude_fields,
    has_computed,
    reshape,
)
from dashboard.store.embedded.pipeline import RunState, StageFn
from dashboard.store.embedded.runtime_errors import raise_where, unsupported_where
from dashboard.store.embedded.values import Ctx, Val, type_expr
from dashboard.store.errors import OperationFailure

__all__ = ["EMPTY_DOCUMENT_MARKER", "STAGES", "select_fields"]


def _add_fields(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    if not isinstance(spec, Mapping):
        msg = "$addFields specification stage must be an object"
        raise OperationFailure(msg, code=40272)
    ctx = state.ctx(lf, "$addFields")
    items = _flatten_spec(spec)
    # Every value is computed from the input document (manual, $addFields), then written.
    values = [compile_expr(value, ctx) for _, value in items]
    leaves: list[tuple[str, Leaf]] = [(p, Computed(i)) for i, (p, _) in enumerate(items)]
    tree = build_tree(leaves, "$addFields")
    exprs: list[pl.Expr] = []
    drops: list[str] = []
    schema = dict(ctx.schema)
    for name, node in tree.items():
        if isinstance(node, Computed):
            val = values[node.slot]
        else:
            val = _through(name, node, "add", dict(enumerate(values)), ctx)
        new, drop = assign(schema, name, val)
        exprs.extend(new)
        drops.extend(drop)
    lf = lf.with_columns(exprs)
    return lf.drop(drops) if drops else lf


def _through(name: str, tree: Tree, mode: Mode, env: dict[int, Val], ctx: Ctx) -> Val:
    """Top-level field ``name`` with ``tree`` applied through its documents and arrays (missing
    where an inclusion leaves it out)."""
    src = field_path(name, ctx)
    dtype = ctx.schema.get(name)
    expr = reshape(src.expr, dtype, tree, mode, env)
    if expr is None:
        return missing_val()
    bad = conflicts(src.expr, dtype, tree, mode)
    expr = unsupported_where(ctx, bad, expr, _DOCUMENT_FOR_ARRAY)
    missing = None if mode == "add" or has_computed(tree) else expr.is_null()
    return ctx.val(expr, missing=missing)


_DOCUMENT_FOR_ARRAY = (
    "a computed dotted path meeting a null or missing value where other documents hold an array "
    "(MongoDB writes a document there)"
)


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


def _unset(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    paths = [spec] if isinstance(spec, str) else list(spec)
    if not all(isinstance(p, str) and p for p in paths):
        msg = "$unset specification must be a string or an array of strings"
        raise OperationFailure(msg, code=31002)
    schema = dict(lf.collect_schema())
    return select_fields(lf, exclude_fields(schema, list(dict.fromkeys(paths)), "$unset"))


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
        return select_fields(lf, exclude_fields(ctx.schema, paths, "$project"))
    id_item = next(((p, v) for p, v in items if p == "_id" and not _is_false(v)), None)
    values: list[Val] = []
    leaves: list[tuple[str, Leaf]] = []
    for path, value in inclusions:
        if _is_true(value):
            leaves.append((path, True))
        else:
            leaves.append((path, Computed(len(values))))
            values.append(compile_expr(value, ctx))
    tree = build_tree(leaves, "$project")
    out_schema: dict[str, pl.DataType] = {}
    exprs: list[pl.Expr] = []
    if not id_excluded and "_id" not in tree:  # {"_id.x": 1} projects _id's field only
        if id_item is not None and not _is_true(id_item[1]):
            val = compile_expr(id_item[1], ctx)
        else:
            val = field_path("_id", ctx)
        if not (val.missing is not None and val.dtype == pl.Null):
            new, _ = assign(out_schema, "_id", val)
            exprs.extend(new)
            out_schema["_id"] = val.dtype
    for name, node in tree.items():
        if node is True:
            val = field_path(name, ctx)
        elif isinstance(node, Computed):
            val = values[node.slot]
        else:
            val = _through(name, node, "include", dict(enumerate(values)), ctx)
        if not isinstance(node, Computed) and _absent(val):
            continue
        new, _ = assign(out_schema, name, val)
        exprs.extend(new)
    return select_fields(lf, exprs)


def _absent(val: Val) -> bool:
    """Missing in every document: left out of an inclusion's output."""
    return val.dtype == pl.Null and val.missing is not None


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


def _is_false(value: Any) -> bool:
    return value is False or (
        isinstance(value, int | float) and not isinstance(value, bool) and value == 0
    )


def _is_true(value: Any) -> bool:
    return value is True or (
        isinstance(value, int | float) and not isinstance(value, bool) and value != 0
    )


def _replace_root(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    new_root = spec.get("newRoot") if isinstance(spec, Mapping) and "newRoot" in spec else spec
    ctx = state.ctx(lf, "$replaceRoot")
    if isinstance(new_root, Mapping) and not any(str(k).startswith("$") for k in new_root):
        return _literal_root(new_root, lf, ctx)
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


def _literal_root(spec: Mapping[str, Any], lf: pl.LazyFrame, ctx: Ctx) -> pl.LazyFrame:
    """A new root written as an object: each field a top-level field, left out of the documents
    where its expression is missing (an object expression drops missing fields)."""
    out_schema: dict[str, pl.DataType] = {}
    exprs: list[pl.Expr] = []
    for name, value in spec.items():
        if "." in str(name):
            msg = f"FieldPath field names may not contain '.'. Consider using $getField: {name!r}"
            raise OperationFailure(msg, code=16412)
        val = compile_expr(value, ctx)
        if val.dtype == pl.Null and val.missing is not None:
            continue  # missing in every document
        new, _ = assign(out_schema, str(name), val)
        exprs.extend(new)
        out_schema[str(name)] = val.dtype
    return select_fields(lf, exprs)


def _new_root_message(kind: str) -> str:
    """MongoDB's message for a new root of type ``kind`` (``missing``, ``null``, ``string``…)."""
    shown = {"missing": "MISSING", "null": "null"}.get(kind)
    value = f"was: {shown}. Type of resulting value: '{kind}'" if shown else f"was of type '{kind}'"
    return f"'newRoot' expression must evaluate to an object, but resulting value {value}."


#: The stages this module provides, by name: ``catalog`` files them in ``pipeline.STAGES``.
STAGES: dict[str, StageFn] = {
    "$addFields": _add_fields,
    "$set": _add_fields,
    "$unset": _unset,
    "$project": _project,
    "$replaceRoot": _replace_root,
    "$replaceWith": _replace_root,
}
