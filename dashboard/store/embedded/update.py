"""Updates (``update_many``): ``$set $unset $inc $push $currentDate $setOnInsert`` and upserts.

An update is applied to the whole frame at once: each ``(operator, path)`` becomes column expressions
that take effect only where the filter matched (``mask``), so one update over many documents is one
vectorised pass per path. Paths may be top-level or dotted into sub-documents (missing parents are
created, as MongoDB does); paths into arrays (``a.0``, ``a.$``) are refused. The modified count is
the number of matched documents whose content actually changed, as MongoDB's ``nModified``.
Errors follow MongoDB's: ``_id`` is immutable (66), paths may not overlap (40), ``$inc`` needs
numbers (14), ``$push`` an array (2), a field cannot be created inside a non-document (28).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from dashboard.store.embedded.codec import merge_dtypes
from dashboard.store.embedded.expressions import field_path
from dashboard.store.embedded.values import PRESENT_PREFIX, Ctx, Val, bson_type, lit_val
from dashboard.store.errors import OperationFailure, UnsupportedOperation

__all__ = ["apply_update", "check_update", "upsert_document"]

_OPERATORS = ("$set", "$unset", "$inc", "$push", "$currentDate", "$setOnInsert")
_REFUSED = frozenset({
    "$rename", "$mul", "$min", "$max", "$addToSet", "$pop", "$pull", "$pullAll", "$bit",
})  # fmt: skip
_MASK = "__update_mask"
_CHANGED = "__update_changed"

Operation = tuple[str, str, Any]


def check_update(update: Any) -> list[Operation]:
    """The ``(operator, path, argument)`` triples of ``update``, validated as MongoDB does."""
    if isinstance(update, list | tuple):
        raise UnsupportedOperation("pipeline-style updates", where="update_many")
    if not isinstance(update, Mapping) or not update:
        raise OperationFailure("update document must be a non-empty object", code=9)
    ops: list[Operation] = []
    for op, fields in update.items():
        if not isinstance(op, str) or not op.startswith("$"):
            raise OperationFailure("update only works with $ operators", code=9)
        if op in _REFUSED:
            raise UnsupportedOperation(f"update operator {op}", where="update_many")
        if op not in _OPERATORS:
            msg = (
                f"Unknown modifier: {op}. Expected a valid update modifier or pipeline-style "
                "update specified as an array"
            )
            raise OperationFailure(msg, code=9)
        if not isinstance(fields, Mapping):
            msg = f"Modifiers operate on fields but we found type {type(fields).__name__} instead"
            raise OperationFailure(msg, code=9)
        for path, arg in fields.items():
            _check_path(op, path)
            ops.append((op, path, _check_argument(op, path, arg)))
    _check_conflicts([path for _, path, _ in ops])
    return ops


def _check_path(op: str, path: Any) -> None:
    if not isinstance(path, str) or not path:
        raise OperationFailure("An empty update path is not valid.", code=56)
    parts = path.split(".")
    if any(not p for p in parts):
        msg = f"The update path '{path}' contains an empty field name, which is not allowed."
        raise OperationFailure(msg, code=56)
    if any(p.startswith("$") for p in parts):
        raise UnsupportedOperation(f"positional update path {path!r}", where="update_many")
    if parts[0] == "_id" and (op not in ("$set", "$setOnInsert") or len(parts) > 1):
        msg = "Performing an update on the path '_id' would modify the immutable field '_id'"
        raise OperationFailure(msg, code=66)


def _check_argument(op: str, path: str, arg: Any) -> Any:
    if op == "$inc" and (isinstance(arg, bool) or not isinstance(arg, int | float)):
        msg = f"Cannot increment with non-numeric argument: {{{path}: {arg!r}}}"
        raise OperationFailure(msg, code=14)
    if op == "$currentDate":
        if isinstance(arg, bool) or arg == {"$type": "date"}:
            return True
        if arg == {"$type": "timestamp"}:
            raise UnsupportedOperation("$currentDate with $type 'timestamp'", where="update_many")
        msg = "The '$type' string field is required to be 'date' or 'timestamp': {$currentDate: {field : {$type: 'date'}}}"
        raise OperationFailure(msg, code=2)
    if op == "$push":
        return _push_items(arg)
    return arg


def _push_items(arg: Any) -> list[Any]:
    if not (isinstance(arg, Mapping) and "$each" in arg):
        return [arg]
    for key in arg:
        if key in ("$slice", "$sort", "$position"):
            raise UnsupportedOperation(f"$push with {key}", where="update_many")
        if key != "$each":
            msg = f"Unrecognized clause in $push: {key}"
            raise OperationFailure(msg, code=2)
    items = arg["$each"]
    if not isinstance(items, list | tuple):
        msg = f"The argument to $each in $push must be an array but it was of type: {type(items).__name__}"
        raise OperationFailure(msg, code=2)
    return list(items)


def _check_conflicts(paths: list[str]) -> None:
    for i, a in enumerate(paths):
        for b in paths[i + 1 :]:
            short, long = (a, b) if len(a) <= len(b) else (b, a)
            if long == short or long.startswith(short + "."):
                msg = f"Updating the path '{long}' would create a conflict at '{short}'"
                raise OperationFailure(msg, code=40)


def apply_update(
    frame: pl.DataFrame, mask: pl.Series, update: Mapping[str, Any]
) -> tuple[pl.DataFrame, int]:
    """The frame with ``update`` applied where ``mask`` is true, and how many documents changed."""
    ops = check_update(update)
    now = dt.datetime.now(dt.UTC)
    work = frame.with_columns(mask.fill_null(False).alias(_MASK), pl.lit(False).alias(_CHANGED))
    for op, path, arg in ops:
        if op == "$setOnInsert":
            continue
        work = _apply(work, op, path, arg, now)
    modified = int(work.get_column(_CHANGED).sum())
    return work.drop(_MASK, _CHANGED), modified


def _apply(work: pl.DataFrame, op: str, path: str, arg: Any, now: dt.datetime) -> pl.DataFrame:
    schema = dict(work.schema)
    ctx = Ctx(schema=schema, where=f"update {op} {path}")
    current = field_path(path, ctx)
    present = pl.lit(True) if current.missing is None else ~current.missing.fill_null(True)
    mask = pl.col(_MASK)
    if op == "$unset":
        if current.dtype == pl.Null and current.missing is not None and path not in schema:
            return work
        new = Val(expr=pl.lit(None, dtype=current.dtype), dtype=current.dtype)
        changed = mask & present
        return _write(work, path, new, current, changed, unset=True)
    if op == "$set" and path == "_id":
        _check_same_id(work, arg)
    if "." in path:
        _check_parents(work, path)
    if op == "$inc":
        new = _inc(work, path, arg, current, present, ctx)
    elif op == "$push":
        new = _push(work, path, arg, current, present, ctx)
    elif op == "$currentDate":
        new = lit_val(now)
    else:
        new = lit_val(arg)
    dtype = merge_dtypes(current.dtype, new.dtype, field=path)
    old = _conform(current.expr, current.dtype, dtype)
    value = _conform(new.expr, new.dtype, dtype)
    changed = mask & (~present | ~old.eq_missing(value).fill_null(False))
    return _write(work, path, Val(expr=value, dtype=dtype), current, changed, unset=False)


def _check_same_id(work: pl.DataFrame, value: Any) -> None:
    ctx = Ctx(schema=dict(work.schema))
    current = field_path("_id", ctx)
    new = lit_val(value)
    if current.dtype == new.dtype or (current.dtype.is_numeric() and new.dtype.is_numeric()):
        differs = (pl.col(_MASK) & ~current.expr.eq_missing(new.expr)).any()
        if not work.select(differs).item():
            return
    elif not work.get_column(_MASK).any():
        return
    msg = "Performing an update on the path '_id' would modify the immutable field '_id'"
    raise OperationFailure(msg, code=66)


def _check_parents(work: pl.DataFrame, path: str) -> None:
    """MongoDB creates missing parents of a dotted path but fails on a non-document parent."""
    parts = path.split(".")
    ctx = Ctx(schema=dict(work.schema))
    for i in range(1, len(parts)):
        parent = ".".join(parts[:i])
        val = field_path(parent, ctx)
        if isinstance(val.dtype, pl.Struct):
            continue
        exists = ~val.missing.fill_null(True) if val.missing is not None else pl.lit(True)
        if val.dtype == pl.Null and i > 1:
            return  # a nested null is an absent field in the engine: created below
        child, kind = parts[i], bson_type(val.dtype)
        if isinstance(val.dtype, pl.List) and child.isdigit():
            raise UnsupportedOperation(f"updating array element {path!r}", where="update_many")

        def message(doc_id: str, child: str = child, kind: str = kind, parent: str = parent) -> str:
            return f"Cannot create field '{child}' in element {{{parent}: <{kind}>}} ({{_id: {doc_id}}})"

        _fail_where(work, exists, message, 28)
        if val.dtype != pl.Null:
            raise UnsupportedOperation(
                f"creating {path!r} where {parent!r} holds {kind} values", where="update_many"
            )
        return


def _fail_where(
    work: pl.DataFrame, condition: pl.Expr, message: Callable[[str], str], code: int
) -> None:
    """Raise ``message(_id)`` for the first matched document meeting ``condition``, if any."""
    hits = work.filter(pl.col(_MASK) & condition)
    if hits.height:
        doc_id = hits.get_column("_id")[0] if "_id" in hits.columns else None
        shown = f'ObjectId("{doc_id.hex()}")' if isinstance(doc_id, bytes) else repr(doc_id)
        raise OperationFailure(message(shown), code=code)


def _inc(work: pl.DataFrame, path: str, arg: Any, current: Val, present: pl.Expr, ctx: Ctx) -> Val:
    numeric = current.dtype == pl.Null or current.dtype.is_numeric()
    kind = "null" if numeric else bson_type(current.dtype)
    name = path.split(".")[-1]

    def message(doc_id: str) -> str:
        return (
            f"Cannot apply $inc to a value of non-numeric type. {{_id: {doc_id}}} has the field "
            f"'{name}' of non-numeric type {kind}"
        )

    if not numeric:
        _fail_where(work, present, message, 14)
    elif "." not in path:
        _fail_where(work, present & current.expr.is_null(), message, 14)
    inc = lit_val(arg)
    base = current.expr if current.dtype != pl.Null else pl.lit(None, dtype=inc.dtype)
    total = pl.when(base.is_null()).then(inc.expr).otherwise(base + inc.expr)
    return ctx.val(total)


def _push(
    work: pl.DataFrame, path: str, items: list[Any], current: Val, present: pl.Expr, ctx: Ctx
) -> Val:
    name = path.split(".")[-1]
    is_list = isinstance(current.dtype, pl.List) or current.dtype == pl.Null
    kind = "null" if is_list else bson_type(current.dtype)

    def message(doc_id: str) -> str:
        return f"The field '{name}' must be an array but is of type {kind} in document {{_id: {doc_id}}}"

    if not is_list:
        _fail_where(work, present, message, 2)
    elif "." not in path:
        _fail_where(work, present & current.expr.is_null(), message, 2)
    add = lit_val(items)
    if current.dtype == pl.Null:
        return add
    dtype = merge_dtypes(current.dtype, add.dtype, field=path)
    base = _conform(current.expr, current.dtype, dtype).fill_null(pl.lit([], dtype=dtype))
    return Val(expr=pl.concat_list([base, _conform(add.expr, add.dtype, dtype)]), dtype=dtype)


def _conform(expr: pl.Expr, src: pl.DataType, dst: pl.DataType) -> pl.Expr:
    """``expr`` (of dtype ``src``) as ``dst``: a merged dtype, so documents may gain null fields."""
    if src == dst:
        return expr
    if isinstance(src, pl.Struct) and isinstance(dst, pl.Struct):
        have = {f.name: f.dtype for f in src.fields}
        fields = [
            (
                _conform(expr.struct.field(f.name), have[f.name], f.dtype)
                if f.name in have
                else pl.lit(None, dtype=f.dtype)
            ).alias(f.name)
            for f in dst.fields
        ]
        return pl.when(expr.is_null()).then(None).otherwise(pl.struct(fields))
    if isinstance(src, pl.List) and isinstance(dst, pl.List):
        return expr.list.eval(_conform(pl.element(), src.inner, dst.inner))
    return expr.cast(dst)


def _write(
    work: pl.DataFrame, path: str, new: Val, current: Val, changed: pl.Expr, *, unset: bool
) -> pl.DataFrame:
    """Store ``new`` at ``path`` in the matched documents (or remove it there, ``unset``)."""
    mask = pl.col(_MASK)
    parts = path.split(".")
    head = parts[0]
    schema = dict(work.schema)
    presence = PRESENT_PREFIX + head
    old_present = pl.col(presence) if presence in schema else pl.lit(head in schema)
    if len(parts) == 1:
        old = _conform(current.expr, current.dtype, new.dtype)
        value = pl.when(mask).then(new.expr).otherwise(old)
        now_present = old_present & ~mask if unset else old_present | mask
    else:
        leaf = (
            pl.when(mask).then(new.expr).otherwise(_conform(current.expr, current.dtype, new.dtype))
        )
        head_dtype = schema.get(head)
        value = _rebuild(
            pl.col(head) if head in schema else None, head_dtype, parts[1:], leaf, unset
        )
        value = pl.when(~mask & ~old_present).then(None).otherwise(value)
        now_present = old_present if unset else old_present | mask
    work = work.with_columns(
        value.alias(head), now_present.alias(presence), (pl.col(_CHANGED) | changed).alias(_CHANGED)
    )
    flags = work.get_column(presence)
    if flags.all():
        return work.drop(presence)
    if not flags.any():
        return work.drop(head, presence)
    return work


def _rebuild(
    base: pl.Expr | None, dtype: pl.DataType | None, parts: list[str], leaf: pl.Expr, unset: bool
) -> pl.Expr:
    """The sub-document ``base`` with the field at ``parts`` set to ``leaf`` (parents created)."""
    if dtype == pl.Null:
        base, dtype = None, None  # a field that is null everywhere: create the document
    if dtype is not None and not isinstance(dtype, pl.Struct):
        raise _not_a_document(parts)
    fields = {f.name: f.dtype for f in dtype.fields} if dtype is not None else {}
    name = parts[0]
    if len(parts) == 1:
        new = leaf
    else:
        child_dtype = fields.get(name)
        child = base.struct.field(name) if base is not None and name in fields else None
        new = _rebuild(child, child_dtype, parts[1:], leaf, unset)
    exprs = [
        (new if f == name else base.struct.field(f)).alias(f)  # type: ignore[union-attr]
        for f in fields
    ]
    if name not in fields:
        exprs.append(new.alias(name))
    built = pl.struct(exprs)
    if base is None:
        return pl.when(pl.col(_MASK) & pl.lit(not unset)).then(built).otherwise(None)
    keep_null = base.is_null() & (~pl.col(_MASK) | pl.lit(unset))
    return pl.when(keep_null).then(None).otherwise(built)


def _not_a_document(parts: list[str]) -> OperationFailure:
    msg = f"Cannot create field '{parts[0]}' in a value that is not a document"
    return OperationFailure(msg, code=28)


# -- upserts ------------------------------------------------------------------------------------


def upsert_document(filter: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """The document an upsert inserts: the filter's equality conditions, then the update applied."""
    ops = check_update(update)
    doc: dict[str, Any] = {}
    _seed(filter or {}, doc)
    now = dt.datetime.now(dt.UTC)
    for op, path, arg in ops:
        parts = path.split(".")
        if op == "$unset":
            _py_unset(doc, parts)
        elif op in ("$set", "$setOnInsert"):
            _py_set(doc, parts, arg)
        elif op == "$currentDate":
            _py_set(doc, parts, now)
        elif op == "$inc":
            prior = _py_get(doc, parts)
            if prior is not None and (
                isinstance(prior, bool) or not isinstance(prior, int | float)
            ):
                msg = f"Cannot apply $inc to a value of non-numeric type. {{_id: {doc.get('_id')!r}}} has the field '{parts[-1]}' of non-numeric type {type(prior).__name__}"
                raise OperationFailure(msg, code=14)
            _py_set(doc, parts, arg if prior is None else prior + arg)
        elif op == "$push":
            prior = _py_get(doc, parts)
            if prior is not None and not isinstance(prior, list):
                msg = f"The field '{parts[-1]}' must be an array but is of type {type(prior).__name__}"
                raise OperationFailure(msg, code=2)
            _py_set(doc, parts, [*(prior or []), *arg])
    return doc


def _seed(query: Mapping[str, Any], doc: dict[str, Any]) -> None:
    """Copy the equality conditions of ``query`` (and of its ``$and``) into ``doc``."""
    for key, value in query.items():
        if key == "$and" and isinstance(value, list | tuple):
            for sub in value:
                if isinstance(sub, Mapping):
                    _seed(sub, doc)
            continue
        if not isinstance(key, str) or key.startswith("$"):
            continue
        if isinstance(value, Mapping) and value and str(next(iter(value))).startswith("$"):
            if "$eq" in value:
                value = value["$eq"]
            elif isinstance(value.get("$in"), list | tuple) and len(value["$in"]) == 1:
                value = value["$in"][0]
            else:
                continue
        if hasattr(value, "pattern"):  # a regex is a condition, not a value
            continue
        _py_set(doc, key.split("."), value)


def _py_get(doc: Mapping[str, Any], parts: list[str]) -> Any:
    node: Any = doc
    for part in parts:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _py_set(doc: dict[str, Any], parts: list[str], value: Any) -> None:
    node = doc
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise _not_a_document([part])
        node = child
    node[parts[-1]] = value


def _py_unset(doc: dict[str, Any], parts: list[str]) -> None:
    node: Any = doc
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(parts[-1], None)
