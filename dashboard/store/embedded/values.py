"""Compiled values: a Polars expression plus MongoDB's "missing" flag and a static dtype.

MongoDB distinguishes a field that is ``null`` from one that is absent. Polars has only null, so every
compiled expression is a :class:`Val`: ``expr`` (null where the result is null *or* missing) and
``missing`` (a boolean expression, true where the result is absent; ``None`` when it never is).
Documents keep that distinction in frames with an optional presence column per field (see
:mod:`dashboard.store.embedded.codec`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from dataclasses import dataclass, field, replace
from typing import Any

import bson
import polars as pl

from dashboard.store.errors import OperationFailure, UnsupportedOperation

__all__ = [
    "BSON_TYPES",
    "DATE",
    "NO_CONST",
    "OID",
    "Ctx",
    "Val",
    "bson_rank",
    "bson_type",
    "dtype_of_python",
    "is_number",
    "lit_val",
    "python_to_polars",
    "type_expr",
]

DATE = pl.Datetime("ms", "UTC")
OID = pl.Binary
PRESENT_PREFIX = "$p:"


class _NoConst:
    def __repr__(self) -> str:
        return "NO_CONST"


NO_CONST: Any = _NoConst()


@dataclass(frozen=True, slots=True)
class Val:
    """A compiled expression: value, where it is missing, its dtype, and its constant if known."""

    expr: pl.Expr
    dtype: pl.DataType
    missing: pl.Expr | None = None
    const: Any = NO_CONST

    @property
    def is_const(self) -> bool:
        return self.const is not NO_CONST

    def null_or_missing(self) -> pl.Expr:
        """True where the value is null or absent (MongoDB's "nullish")."""
        return self.expr.is_null()


@dataclass
class Ctx:
    """What an expression is compiled against: the current document's schema and the variables.

    Inside ``list.eval`` (``$filter``, ``$map``, ``$elemMatch``…) ``element`` is the dtype of
    ``pl.element()``; with ``fields_from_element`` the document's fields are that element's struct
    fields rather than frame columns.
    """

    schema: dict[str, pl.DataType]
    variables: dict[str, Val] = field(default_factory=dict)
    where: str = ""
    element: pl.DataType | None = None
    fields_from_element: bool = False
    #: Fields covered by the collection's text index, for ``$text``.
    text_fields: tuple[str, ...] = ()
    #: Rows where the expression being compiled is evaluated at all (``None``: every row). MongoDB
    #: evaluates a ``$cond`` branch, a later ``$and``/``$or``/``$ifNull`` argument… only for some
    #: documents; run-time error checks are limited to these rows (Polars evaluates every branch).
    guard: pl.Expr | None = None
    #: The stage's input frame, for the rare operator that must look at the data while compiling
    #: (a per-document time zone lists its zones); ``None`` where no frame is at hand.
    frame: pl.LazyFrame | None = field(default=None, repr=False, compare=False)

    def guarded(self, cond: pl.Expr) -> Ctx:
        """A context for a subexpression MongoDB evaluates only where ``cond`` also holds."""
        cond = cond.fill_null(False)
        return replace(self, guard=cond if self.guard is None else self.guard & cond)

    def input_frame(self) -> pl.LazyFrame | None:
        """The stage input these expressions read, when the context is its documents (not an
        array element's, nor a schema that differs from the frame's); else ``None``."""
        frame = self.frame
        if frame is None or self.element is not None:
            return None
        return frame if set(frame.collect_schema()) == set(self.schema) else None

    def column(self, name: str) -> pl.Expr:
        """The expression reading top-level field ``name`` of the current document."""
        if self.fields_from_element:
            return pl.element().struct.field(name)
        return pl.col(name)

    def infer(self, expr: pl.Expr) -> pl.DataType:
        """The dtype ``expr`` has over frames of this schema (compile time, no data touched)."""
        try:
            if self.element is None:
                lf = pl.LazyFrame(schema=self.schema)
                return lf.select(expr.alias("__v")).collect_schema()["__v"]
            schema = {**self.schema, "__el": pl.List(self.element)}
            if self.fields_from_element:
                schema = {"__el": pl.List(self.element)}
            lf = pl.LazyFrame(schema=schema)
            out = lf.select(pl.col("__el").list.eval(expr).alias("__v")).collect_schema()["__v"]
            return out.inner  # type: ignore[union-attr]
        except pl.exceptions.PolarsError as exc:
            msg = f"cannot type expression{self._place()}: {exc}"
            raise OperationFailure(msg) from exc

    def val(
        self, expr: pl.Expr, *, missing: pl.Expr | None = None, dtype: pl.DataType | None = None
    ) -> Val:
        return Val(
            expr=expr, dtype=dtype if dtype is not None else self.infer(expr), missing=missing
        )

    def unsupported(self, operator: str) -> UnsupportedOperation:
        return UnsupportedOperation(operator, where=self.where)

    def child(self, **variables: Val) -> Ctx:
        return replace(self, variables={**self.variables, **variables})

    def in_element(self, element: pl.DataType, *, fields_from_element: bool = False) -> Ctx:
        """A context for compiling inside ``list.eval`` over elements of dtype ``element``."""
        schema = self.schema
        if fields_from_element and isinstance(element, pl.Struct):
            schema = {f.name: f.dtype for f in element.fields}
        return replace(
            self,
            schema=schema,
            element=element,
            fields_from_element=fields_from_element,
            guard=None,  # a row-level guard cannot be read inside list.eval
        )

    def _place(self) -> str:
        return f" in {self.where}" if self.where else ""


def bson_rank(dtype: pl.DataType) -> int:
    """MongoDB's comparison order of BSON types, for a Polars dtype (Binary holds ObjectIds).

    MinKey 1 < Null 2 < Numbers 3 < String 4 < Object 5 < Array 6 < BinData 7 < ObjectId 8
    < Boolean 9 < Date 10 < Timestamp 11 < Regex 12 < MaxKey 13.
    """
    if dtype == pl.Null:
        return 2
    if is_number(dtype):
        return 3
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Categorical | pl.Enum):
        return 4
    if isinstance(dtype, pl.Struct):
        return 5
    if isinstance(dtype, pl.List | pl.Array):
        return 6
    if dtype == pl.Binary:
        return 8
    if dtype == pl.Boolean:
        return 9
    if isinstance(dtype, pl.Datetime | pl.Date):
        return 10
    msg = f"no BSON type for Polars dtype {dtype}"
    raise UnsupportedOperation(msg)


#: MongoDB's BSON type numbers and their string aliases (``$type``, ``$convert``'s ``to``).
BSON_TYPES: dict[int, str] = {
    1: "double", 2: "string", 3: "object", 4: "array", 5: "binData", 6: "undefined",
    7: "objectId", 8: "bool", 9: "date", 10: "null", 11: "regex", 12: "dbPointer",
    13: "javascript", 14: "symbol", 15: "javascriptWithScope", 16: "int", 17: "timestamp",
    18: "long", 19: "decimal", -1: "minKey", 127: "maxKey",
}  # fmt: skip


def is_number(dtype: pl.DataType) -> bool:
    """A BSON number (int, long, double, decimal); booleans are not numbers in MongoDB."""
    return dtype.is_numeric() or isinstance(dtype, pl.Decimal)


def bson_type(dtype: pl.DataType) -> str:
    """The BSON type name (as ``$type`` and MongoDB's messages spell it) of values of ``dtype``.

    Integer columns are ``Int64``, but pymongo stores a Python int that fits 32 bits as an int32, so
    a statically typed name says "int"; ``$type`` and ``$convert`` tell "int" from "long" row by row.
    """
    if dtype == pl.Null:
        return "null"
    if dtype == pl.Boolean:
        return "bool"
    if dtype.is_integer():
        return "int"
    if dtype.is_float():
        return "double"
    if isinstance(dtype, pl.Decimal):
        return "decimal"
    if dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum):
        return "string"
    if dtype == pl.Binary:
        return "objectId"
    if isinstance(dtype, pl.Datetime | pl.Date):
        return "date"
    if isinstance(dtype, pl.Struct):
        return "object"
    if isinstance(dtype, pl.List | pl.Array):
        return "array"
    return str(dtype)


def type_expr(v: Val) -> pl.Expr:
    """The BSON type name of ``v`` row by row: ``missing``, ``null`` or its static type."""
    name = pl.when(v.expr.is_null()).then(pl.lit("null")).otherwise(pl.lit(bson_type(v.dtype)))
    if v.missing is not None:
        name = pl.when(v.missing.fill_null(False)).then(pl.lit("missing")).otherwise(name)
    return name


def dtype_of_python(value: Any) -> pl.DataType:
    """The Polars dtype a Python/BSON value is stored as."""
    if value is None:
        return pl.Null()
    if isinstance(value, bool):
        return pl.Boolean()
    if isinstance(value, int):
        return pl.Int64()
    if isinstance(value, float):
        return pl.Float64()
    if isinstance(value, decimal.Decimal | bson.Decimal128):
        return pl.Decimal(38, 10)
    if isinstance(value, str):
        return pl.String()
    if isinstance(value, bson.ObjectId):
        return pl.Binary()
    if isinstance(value, dt.datetime):
        return DATE
    if isinstance(value, dict):
        return pl.Struct({str(k): dtype_of_python(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        inner: pl.DataType = pl.Null()
        for item in value:
            inner = _merge_literal(inner, dtype_of_python(item))
        return pl.List(inner)
    msg = f"value of type {type(value).__name__}"
    raise UnsupportedOperation(msg)


def _merge_literal(a: pl.DataType, b: pl.DataType) -> pl.DataType:
    if a == pl.Null:
        return b
    if b == pl.Null or a == b:
        return a
    if a.is_numeric() and b.is_numeric():
        return pl.Float64()
    if isinstance(a, pl.Struct) and isinstance(b, pl.Struct):
        # Sub-documents of one array may differ in keys or hold nulls: union their fields.
        fields = {f.name: f.dtype for f in a.fields}
        for f in b.fields:
            prior = fields.get(f.name)
            fields[f.name] = f.dtype if prior is None else _merge_literal(prior, f.dtype)
        return pl.Struct(fields)
    if isinstance(a, pl.List) and isinstance(b, pl.List):
        return pl.List(_merge_literal(a.inner, b.inner))
    msg = f"an array mixing {a} and {b}"
    raise UnsupportedOperation(msg)


def python_to_polars(value: Any) -> Any:
    """Convert a BSON value to what Polars stores (ObjectId → bytes, naive datetime → UTC)."""
    if isinstance(value, bson.ObjectId):
        return value.binary
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)
    if isinstance(value, bson.Decimal128):
        return value.to_decimal()
    if isinstance(value, dict):
        return {str(k): python_to_polars(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [python_to_polars(v) for v in value]
    if isinstance(value, re.Pattern):
        raise UnsupportedOperation("a compiled regular expression as a value")
    return value


def lit_val(value: Any) -> Val:
    """A constant as a compiled value."""
    dtype = dtype_of_python(value)
    stored = python_to_polars(value)
    if isinstance(dtype, pl.List | pl.Struct):
        # A one-row Series literal is not broadcast to the frame's height; its first value is.
        expr = pl.lit(pl.Series("", [stored], dtype=dtype)).first()
    elif isinstance(stored, dt.datetime):
        # Epoch milliseconds (floored, as Polars converts) cast to DATE: the same literal, built
        # ~15x faster than pl.lit(datetime), which matters for per-query compile time.
        millis = (stored - _EPOCH) // _ONE_MS
        expr = pl.lit(millis, dtype=pl.Int64).cast(dtype)
    else:
        expr = pl.lit(stored, dtype=dtype)
    return Val(expr=expr, dtype=dtype, missing=None, const=value)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ONE_MS = dt.timedelta(milliseconds=1)
