"""Writing fields into the current document: top-level columns, dotted paths into structs, removal.

Shared by the stages that write a field (``$project``, ``$addFields``/``$set``, ``$group``, ``$lookup``,
``$unwind``, ``$setWindowFields``, ``$fill``), so that missing values keep their presence column
everywhere. A dotted path here goes through sub-documents only and replaces whatever else it meets;
``field_trees`` applies the paths of ``$project``, ``$addFields`` and ``$unset`` through arrays.
"""

from __future__ import annotations

import polars as pl

from dashboard.store.embedded.values import PRESENT_PREFIX, Val

__all__ = ["assign", "presence_columns"]


def presence_columns(name: str, val: Val) -> list[pl.Expr]:
    """The value column and, when it can be missing, its presence column."""
    out = [_as_column(val).alias(name)]
    if val.missing is not None:
        out.append((~val.missing.fill_null(True)).alias(PRESENT_PREFIX + name))
    return out


def _as_column(val: Val) -> pl.Expr:
    return val.expr


def assign(schema: dict[str, pl.DataType], path: str, val: Val) -> tuple[list[pl.Expr], list[str]]:
    """Expressions that set ``path`` to ``val`` (``with_columns``) and columns that must be dropped."""
    parts = path.split(".")
    head = parts[0]
    if len(parts) == 1:
        exprs = presence_columns(head, val)
        drop = []
        if val.missing is None and PRESENT_PREFIX + head in schema:
            drop.append(PRESENT_PREFIX + head)
        return exprs, drop
    existing = schema.get(head)
    base = pl.col(head) if isinstance(existing, pl.Struct) else None
    expr = _set_nested(base, existing if isinstance(existing, pl.Struct) else None, parts[1:], val)
    exprs = [expr.alias(head)]
    drop = [PRESENT_PREFIX + head] if PRESENT_PREFIX + head in schema else []
    return exprs, drop


def _set_nested(
    base: pl.Expr | None, dtype: pl.Struct | None, parts: list[str], val: Val
) -> pl.Expr:
    name = parts[0]
    if len(parts) == 1:
        new = val.expr.alias(name)
    else:
        inner_dtype = None
        inner_base = None
        if dtype is not None:
            fields = {f.name: f.dtype for f in dtype.fields}
            if isinstance(fields.get(name), pl.Struct):
                inner_dtype = fields[name]
                inner_base = base.struct.field(name) if base is not None else None
        new = _set_nested(inner_base, inner_dtype, parts[1:], val).alias(name)
    if base is None or dtype is None:
        return pl.struct([new])
    updated = base.struct.with_fields(new)
    others = [pl.lit(None, dtype=f.dtype).alias(f.name) for f in dtype.fields if f.name != name]
    created = pl.struct([*others, new]).struct.with_fields(new)
    return pl.when(base.is_null()).then(created).otherwise(updated)
