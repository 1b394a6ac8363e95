"""Where a query condition looks: MongoDB's path traversal for filters, compiled to Polars.

A condition on ``a.b.c`` looks at every value the path reaches: through sub-documents, into each
element of arrays of documents (``items.price``), at array indexes (``tags.0``), and, when the value
reached is an array, at the array as a whole *and* at each of its elements. :func:`target` turns a
path into a :class:`Target` holding those candidates as expressions, and the null/missing and
``$exists`` flags MongoDB defines for it (``{"a.b": null}`` matches when ``a`` is missing, is not a
document, or is an array holding a document without ``b``). Split from :mod:`.query` for size.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import bson
import polars as pl

from dashboard.store.embedded.values import (
    PRESENT_PREFIX,
    Ctx,
    bson_rank,
    dtype_of_python,
    lit_val,
    python_to_polars,
)
from dashboard.store.errors import UnsupportedOperation

__all__ = [
    "Pred",
    "Target",
    "any_array",
    "any_value",
    "compare_pred",
    "element_target",
    "eq_pred",
    "in_pred",
    "target",
]

#: Builds a boolean expression from the expression of one candidate value.
Pred = Callable[[pl.Expr], pl.Expr]


@dataclass(frozen=True)
class Target:
    """The candidate values of one path, each kind an expression over the current document.

    ``single``: the value, when the path reaches one non-array value without crossing an array.
    ``array``: the array the path reaches without crossing one (matched whole or element-wise).
    ``values``/``arrays``: after crossing arrays of documents, every value reached (arrays
    flattened one level) and the arrays reached, as lists. ``dtype`` is one candidate's dtype.
    ``nullish`` is true where ``{path: null}`` matches; ``present`` where ``$exists`` is true.
    """

    dtype: pl.DataType
    nullish: pl.Expr
    present: pl.Expr
    single: pl.Expr | None = None
    array: pl.Expr | None = None
    values: pl.Expr | None = None
    arrays: pl.Expr | None = None


def _nothing() -> Target:
    """A path that reaches no value (a missing field, or a field of a non-document)."""
    return Target(dtype=pl.Null(), nullish=pl.lit(True), present=pl.lit(False))


def target(path: str, ctx: Ctx) -> Target:
    """The candidates of ``path`` in the current document (a frame row or a list element)."""
    parts = path.split(".")
    head = parts[0]
    if head not in ctx.schema or head.startswith(PRESENT_PREFIX):
        return _nothing()
    found = _walk(ctx.column(head), ctx.schema[head], parts[1:])
    if len(parts) > 1 or ctx.fields_from_element:
        return found
    presence = PRESENT_PREFIX + head
    present = pl.col(presence).fill_null(False) if presence in ctx.schema else pl.lit(True)
    return replace(found, present=present)


def element_target(dtype: pl.DataType) -> Target:
    """The candidates of ``pl.element()`` itself (inside ``$elemMatch``)."""
    return _walk(pl.element(), dtype, [])


def _walk(expr: pl.Expr, dtype: pl.DataType, parts: list[str]) -> Target:
    if not parts:
        if isinstance(dtype, pl.List):
            has_null = expr.list.eval(pl.element().is_null()).list.any()
            return Target(
                dtype=dtype.inner,
                nullish=(expr.is_null() | has_null).fill_null(True),
                present=expr.is_not_null(),
                array=expr,
            )
        return Target(dtype=dtype, nullish=expr.is_null(), present=expr.is_not_null(), single=expr)
    part, rest = parts[0], parts[1:]
    if isinstance(dtype, pl.Struct):
        fields = {f.name: f.dtype for f in dtype.fields}
        if part not in fields:
            return _nothing()
        return _walk(expr.struct.field(part), fields[part], rest)
    if not isinstance(dtype, pl.List):
        return _nothing()
    inner = dtype.inner
    if part.isdigit():
        if isinstance(inner, pl.Struct) and part in {f.name for f in inner.fields}:
            msg = f"a path component {part!r} that is both an array index and a field name"
            raise UnsupportedOperation(msg)
        return _walk(expr.list.get(int(part), null_on_oob=True), inner, rest)
    if not isinstance(inner, pl.Struct):
        # MongoDB does not look for fields inside arrays of non-documents (or nested arrays).
        return Target(dtype=pl.Null(), nullish=expr.is_null(), present=pl.lit(False))
    return _across(expr, _walk(pl.element(), inner, parts))


def _across(expr: pl.Expr, sub: Target) -> Target:
    """The candidates of an array of documents, given ``sub``, those of one element."""
    values = arrays = None
    if sub.single is not None:
        values = expr.list.eval(sub.single.drop_nulls())
    elif sub.array is not None:
        values = expr.list.eval(sub.array.explode().drop_nulls())
        arrays = expr.list.eval(sub.array.drop_nulls())
    elif sub.values is not None:
        values = expr.list.eval(sub.values.explode().drop_nulls())
        if sub.arrays is not None:
            arrays = expr.list.eval(sub.arrays.explode().drop_nulls())
    some_null = expr.list.eval(pl.element().is_not_null() & sub.nullish).list.any()
    return Target(
        dtype=sub.dtype,
        nullish=(expr.is_null() | some_null).fill_null(True),
        present=expr.list.eval(sub.present).list.any().fill_null(False),
        values=values,
        arrays=arrays,
    )


def any_value(t: Target, pred: Pred | None) -> pl.Expr:
    """True where some candidate value (an array's elements, not the array) satisfies ``pred``."""
    if pred is None:
        return pl.lit(False)
    if t.single is not None:
        return pred(t.single).fill_null(False)
    source = t.array if t.array is not None else t.values
    if source is None:
        return pl.lit(False)
    return source.list.eval(pred(pl.element()).fill_null(False)).list.any().fill_null(False)


def any_array(t: Target, pred: Pred | None) -> pl.Expr:
    """True where some array the path reaches, taken whole, satisfies ``pred``."""
    if pred is None:
        return pl.lit(False)
    if t.array is not None:
        return pred(t.array).fill_null(False)
    if t.arrays is not None:
        return t.arrays.list.eval(pred(pl.element()).fill_null(False)).list.any().fill_null(False)
    return pl.lit(False)


def _rank(dtype: pl.DataType) -> int:
    return 0 if dtype == pl.Null else bson_rank(dtype)


def _value_rank(value: Any) -> int:
    return _rank(dtype_of_python(value))


def eq_pred(dtype: pl.DataType, value: Any) -> Pred | None:
    """Equality with a literal for values of ``dtype`` (None: no value of that type can be equal).

    Documents compare field by field (a field the literal lacks must be null/absent, as nested null
    and missing are one in the engine); arrays element by element, in order.
    """
    if isinstance(value, re.Pattern | bson.Regex):
        return None
    if value is None:
        return lambda e: e.is_null()
    if isinstance(value, Mapping):
        if not isinstance(dtype, pl.Struct):
            return None
        return _struct_eq(dtype, value)
    if isinstance(value, list | tuple):
        if not isinstance(dtype, pl.List):
            return None
        return _list_eq(dtype, list(value))
    return compare_pred(dtype, value, lambda e, lit: e == lit)


def _struct_eq(dtype: pl.Struct, value: Mapping[str, Any]) -> Pred | None:
    fields = {f.name: f.dtype for f in dtype.fields}
    checks: list[tuple[str, Pred | None]] = []
    for key, item in value.items():
        if key not in fields:
            if item is not None:
                return None
            continue
        checks.append((key, eq_pred(fields[key], item)))
    if any(pred is None for _, pred in checks):
        return None
    others = [name for name in fields if name not in value]

    def build(e: pl.Expr) -> pl.Expr:
        out = e.is_not_null()
        for key, pred in checks:
            out = out & pred(e.struct.field(key))  # type: ignore[misc]
        for name in others:
            out = out & e.struct.field(name).is_null()
        return out

    return build


def _list_eq(dtype: pl.List, value: list[Any]) -> Pred | None:
    preds = [eq_pred(dtype.inner, item) for item in value]
    if any(p is None for p in preds):
        return None

    def build(e: pl.Expr) -> pl.Expr:
        out = e.list.len() == len(preds)
        for i, pred in enumerate(preds):
            out = out & pred(e.list.get(i, null_on_oob=True)).fill_null(False)  # type: ignore[misc]
        return out

    return build


def compare_pred(
    dtype: pl.DataType, value: Any, build: Callable[[pl.Expr, pl.Expr], pl.Expr]
) -> Pred | None:
    """``build(candidate, literal)`` for a scalar literal of the candidate's BSON type, else None."""
    if dtype == pl.Null or _value_rank(value) != _rank(dtype):
        return None
    lit = lit_val(value).expr
    if dtype == pl.Categorical or isinstance(dtype, pl.Categorical | pl.Enum):
        return lambda e: build(e.cast(pl.String), lit)
    return lambda e: build(e, lit)


def in_pred(dtype: pl.DataType, values: list[Any]) -> Pred | None:
    """Membership in the scalar ``values`` of the candidate's BSON type (one ``is_in``)."""
    if dtype == pl.Null:
        return None
    rank = _rank(dtype)
    same = [v for v in values if _value_rank(v) == rank]
    if not same:
        return None
    if rank == 3:
        if dtype.is_integer() and all(isinstance(v, int) for v in same):
            series = pl.Series(same, dtype=pl.Int64)
            return lambda e: e.cast(pl.Int64).is_in(series, nulls_equal=False)
        floats = pl.Series([float(v) for v in same], dtype=pl.Float64)
        return lambda e: e.cast(pl.Float64).is_in(floats, nulls_equal=False)
    if rank == 4:
        strings = pl.Series(same, dtype=pl.String)
        return lambda e: e.cast(pl.String).is_in(strings, nulls_equal=False)
    stored = pl.Series([python_to_polars(v) for v in same], dtype=dtype_of_python(same[0]))
    stored = stored.cast(dtype)
    return lambda e: e.is_in(stored, nulls_equal=False)
