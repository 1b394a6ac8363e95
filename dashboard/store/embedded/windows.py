"""``$setWindowFields``: window functions over sorted partitions, compiled to Polars.

The stage evaluates ``partitionBy`` and the ``sortBy`` keys into columns and stable-sorts by
(partition, sortBy) — the order MongoDB returns the documents in — then numbers the rows. Every
window becomes a half-open interval ``[s, e)`` of row positions inside the current document's
partition: document windows by arithmetic on positions, range windows by ``search_sorted`` within
the partition. :func:`compute` looks each output's window function up by name in
:data:`WINDOW_FUNCTIONS`, a table that ``catalog`` fills from :mod:`.window_functions`, where the
functions compute their values from those intervals:

- ``$count``, ``$first``, ``$last``, ``$shift``, the rank operators, ``$derivative``,
  ``$integral``, ``$expMovingAvg``: gathers and per-partition scans, O(n);
- ``$sum``/``$avg``/``$min``/``$max`` over windows with one unbounded side (running totals) and
  integer ``$sum``/``$avg`` over any window: per-partition cumulative sums or extrema, O(n);
- a window covering the whole partition: ``group_by(partition)`` with the ``$group`` accumulator;
- any other window: its members are gathered (``int_ranges`` + ``explode``) and aggregated with the
  ``$group`` accumulator, O(total window size) in Polars.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from dashboard.store.embedded.documents import assign
from dashboard.store.embedded.expr_date import UNITS
from dashboard.store.embedded.expressions import compile_expr, field_path
from dashboard.store.embedded.pipeline import RunState, StageFn, sort_exprs
from dashboard.store.embedded.runtime_errors import raise_where, with_checks
from dashboard.store.embedded.values import Ctx, Val, bson_type, is_number
from dashboard.store.errors import OperationFailure

__all__ = [
    "END",
    "PID",
    "POS",
    "STAGES",
    "START",
    "WINDOW_FUNCTIONS",
    "Frame",
    "Window",
    "WindowFunctionFn",
    "compute",
    "window_interval",
]

POS, PID, START, END, PART = "__w:pos", "__w:pid", "__w:start", "__w:end", "__w:part"
_FAILED_TO_PARSE, _TYPE_MISMATCH = 9, 14


@dataclass(frozen=True)
class Window:
    """A parsed ``window``: bounds relative to the current document (None = unbounded)."""

    kind: str  # "documents" or "range"
    lo: float | None
    hi: float | None
    unit: str | None
    explicit: bool

    @property
    def whole(self) -> bool:
        return self.lo is None and self.hi is None


@dataclass
class Frame:
    """What the operators compile against: the document context and the sort keys' columns."""

    ctx: Ctx
    keys: list[str]
    descending: list[bool]
    key_vals: list[Val]

    @property
    def has_sort(self) -> bool:
        return bool(self.keys)


#: A window function: ``(name, argument, window, frame, out, lf)`` → ``lf`` with column ``out``.
WindowFunctionFn = Callable[[str, Any, Window, Frame, str, pl.LazyFrame], pl.LazyFrame]

#: Every window function by name: filled by ``catalog`` from :mod:`.window_functions`.
WINDOW_FUNCTIONS: dict[str, WindowFunctionFn] = {}

_RANK = frozenset({"$rank", "$denseRank", "$documentNumber"})
#: Window functions that take no ``window`` field.
_IMPLICIT = _RANK | {"$shift", "$expMovingAvg"}
#: Window functions that need a ``sortBy``.
_ORDERED = _RANK | {"$shift", "$first", "$last", "$expMovingAvg", "$derivative", "$integral"}


def compute(
    op: str, arg: Any, window: Window, frame: Frame, out: str, lf: pl.LazyFrame
) -> pl.LazyFrame:
    """``lf`` with column ``out``: window function ``op`` evaluated for every document."""
    if op in _IMPLICIT and window.explicit:
        msg = f"{op} does not accept a 'window' field"
        raise OperationFailure(msg, code=5371601)
    if op in _ORDERED and not frame.has_sort:
        msg = f"{op} must be specified with a top level sortBy expression"
        raise OperationFailure(msg, code=5371602)
    if window.explicit and not window.whole and not frame.has_sort:
        kind = "Document" if window.kind == "documents" else "Range"
        msg = f"{kind}-based bounds require a sortBy"
        raise OperationFailure(msg, code=5339901)
    fn = WINDOW_FUNCTIONS.get(op)
    if fn is not None:
        return fn(op, arg, window, frame, out, lf)
    if op.startswith("$"):
        raise frame.ctx.unsupported(f"window function {op}")
    msg = f"Unrecognized window function, {op}"
    raise OperationFailure(msg, code=5397500)


def _set_window_fields(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    spec = _check_spec(spec)
    ctx = state.ctx(lf, "$setWindowFields")
    user = dict(ctx.schema)
    lf, frame = _partition_and_sort(spec, lf, ctx)
    outputs = list(spec["output"].items())
    for i, (path, out_spec) in enumerate(outputs):
        op, arg, window = _parse_output(str(path), out_spec)
        lf = compute(op, arg, window, frame, f"__w:out{i}", lf)
    order = list(user)
    for i, (path, _) in enumerate(outputs):
        col = f"__w:out{i}"
        val = Val(expr=pl.col(col), dtype=lf.collect_schema()[col], missing=None)
        exprs, drop = assign(user, str(path), val)
        lf = lf.with_columns(exprs)
        schema = lf.collect_schema()
        head = str(path).split(".")[0]
        user[head] = schema[head]
        if head not in order:
            order.append(head)
        for name in drop:
            user.pop(name, None)
            if name in order:
                order.remove(name)
    return lf.select(order)


def _check_spec(spec: Any) -> Mapping[str, Any]:
    if not isinstance(spec, Mapping):
        msg = "the $setWindowFields stage specification must be an object"
        raise OperationFailure(msg, code=_FAILED_TO_PARSE)
    for key in spec:
        if key not in ("partitionBy", "sortBy", "output"):
            msg = f"BSON field '$setWindowFields.{key}' is an unknown field."
            raise OperationFailure(msg, code=40415)
    if "output" not in spec:
        msg = "BSON field '$setWindowFields.output' is missing but a required field"
        raise OperationFailure(msg, code=40414)
    if not isinstance(spec["output"], Mapping):
        msg = "BSON field '$setWindowFields.output' is the wrong type, expected type 'object'"
        raise OperationFailure(msg, code=_TYPE_MISMATCH)
    sort_by = spec.get("sortBy")
    if sort_by is not None and (not isinstance(sort_by, Mapping) or not sort_by):
        msg = "BSON field '$setWindowFields.sortBy' must be a non-empty object"
        raise OperationFailure(msg, code=_TYPE_MISMATCH)
    return spec


def _partition_and_sort(
    spec: Mapping[str, Any], lf: pl.LazyFrame, ctx: Ctx
) -> tuple[pl.LazyFrame, Frame]:
    """Sort by (partition, sortBy) keeping ties in document order; add positions and bounds."""
    cols: list[pl.Expr] = []
    by: list[str] = []
    descending: list[bool] = []
    nulls_last: list[bool] = []
    if "partitionBy" in spec:
        part = compile_expr(spec["partitionBy"], ctx)
        if isinstance(part.dtype, pl.List):
            raise ctx.unsupported("a partitionBy expression that evaluates to an array")
        cols.append(part.expr.alias(PART))
        by.append(PART)
        descending.append(False)
        nulls_last.append(False)
    keys: list[str] = []
    key_vals: list[Val] = []
    key_desc: list[bool] = []
    if spec.get("sortBy"):
        exprs, desc, last = sort_exprs(spec["sortBy"], ctx)
        for k, (expr, d, nl, path) in enumerate(
            zip(exprs, desc, last, spec["sortBy"], strict=True)
        ):
            name = f"__w:sk{k}"
            cols.append(expr.alias(name))
            keys.append(name)
            key_desc.append(d)
            key_vals.append(field_path(str(path), ctx))
            by.append(name)
            descending.append(d)
            nulls_last.append(nl)
    if cols:
        lf = lf.with_columns(cols)
    if by:
        lf = lf.sort(by, descending=descending, nulls_last=nulls_last, maintain_order=True)
    pid = pl.col(PART).rle_id() if "partitionBy" in spec else pl.lit(0, dtype=pl.UInt32)
    lf = lf.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias(POS), pid.alias(PID))
    lf = lf.with_columns(
        pl.col(POS).min().over(PID).alias(START), (pl.col(POS).max().over(PID) + 1).alias(END)
    )
    return lf, Frame(ctx=ctx, keys=keys, descending=key_desc, key_vals=key_vals)


def _parse_output(path: str, spec: Any) -> tuple[str, Any, Window]:
    if not path or path.startswith("$"):
        msg = f"FieldPath field names may not start with '$'. Given: {path!r}"
        raise OperationFailure(msg, code=16410)
    if not isinstance(spec, Mapping):
        msg = f"The field '{path}' must be an object"
        raise OperationFailure(msg, code=_FAILED_TO_PARSE)
    ops = [k for k in spec if isinstance(k, str) and k.startswith("$")]
    others = [k for k in spec if k not in ops and k != "window"]
    if others:
        msg = f"'{others[0]}' is not a valid window function field; expected a window operator or 'window'"
        raise OperationFailure(msg, code=_FAILED_TO_PARSE)
    if len(ops) != 1:
        msg = f"Expected exactly one window function for output field '{path}', found {len(ops)}"
        raise OperationFailure(msg, code=_FAILED_TO_PARSE)
    op = ops[0]
    return op, spec[op], _parse_window(spec.get("window"), "window" in spec)


def _parse_window(spec: Any, explicit: bool) -> Window:
    if not explicit:
        return Window("documents", None, None, None, explicit=False)
    if not isinstance(spec, Mapping):
        msg = "'window' field must be an object"
        raise OperationFailure(msg, code=_FAILED_TO_PARSE)
    for key in spec:
        if key not in ("documents", "range", "unit"):
            msg = f"'window' field has an unexpected subfield: {key}"
            raise OperationFailure(msg, code=_FAILED_TO_PARSE)
    if "documents" in spec and "range" in spec:
        msg = "Window bounds can specify either 'documents' or 'range', not both"
        raise OperationFailure(msg, code=_FAILED_TO_PARSE)
    unit = spec.get("unit")
    if "documents" in spec:
        if unit is not None:
            msg = "Window bounds can specify either 'documents' or 'unit', not both"
            raise OperationFailure(msg, code=_FAILED_TO_PARSE)
        lo, hi = _bounds(spec["documents"], "documents", integral=True)
        return Window("documents", lo, hi, None, explicit=True)
    if "range" not in spec:
        msg = "'window' field that specifies 'unit' must also specify 'range'"
        raise OperationFailure(msg, code=_FAILED_TO_PARSE)
    if unit is not None and unit not in UNITS:
        msg = f"unknown time unit value: {unit}"
        raise OperationFailure(msg, code=_FAILED_TO_PARSE)
    lo, hi = _bounds(spec["range"], "range", integral=unit is not None)
    return Window("range", lo, hi, unit, explicit=True)


def _bounds(spec: Any, kind: str, *, integral: bool) -> tuple[float | None, float | None]:
    if not isinstance(spec, list | tuple) or len(spec) != 2:
        msg = f"Window bounds must be a 2-element array: {kind}: {spec!r}"
        raise OperationFailure(msg, code=_FAILED_TO_PARSE)
    out: list[float | None] = []
    for bound in spec:
        if bound == "unbounded":
            out.append(None)
        elif bound == "current":
            out.append(0)
        elif isinstance(bound, bool) or not isinstance(bound, int | float):
            msg = f"Numeric '{kind}' window bounds must be a number, 'current' or 'unbounded': {bound!r}"
            raise OperationFailure(msg, code=_FAILED_TO_PARSE)
        elif integral and not float(bound).is_integer():
            what = "'documents'" if kind == "documents" else "time-range"
            msg = f"{what} window bounds must be whole numbers: {bound!r}"
            raise OperationFailure(msg, code=_FAILED_TO_PARSE)
        else:
            out.append(int(bound) if integral else bound)
    lo, hi = out
    if lo is not None and hi is not None and lo > hi:
        msg = "Lower bound must not exceed upper bound"
        raise OperationFailure(msg, code=_FAILED_TO_PARSE)
    return lo, hi


def window_interval(window: Window, frame: Frame) -> tuple[pl.Expr, pl.Expr]:
    """``[s, e)``: the positions of the window of each row (an empty window has s == e)."""
    start, end, pos = pl.col(START), pl.col(END), pl.col(POS)
    if window.kind == "documents":
        s = start if window.lo is None else (pos + int(window.lo)).clip(start, end)
        e = end if window.hi is None else (pos + int(window.hi) + 1).clip(start, end)
        return s, pl.max_horizontal(s, e)
    if len(frame.keys) != 1 or frame.descending[0]:
        msg = "Range-based bounds require sortBy a single field, with an ascending sort order"
        raise OperationFailure(msg, code=5339902)
    key = pl.col(frame.keys[0])
    dtype = frame.key_vals[0].dtype
    if window.unit is None:
        if not is_number(dtype):
            msg = f"Invalid range: Expected the sortBy field to be a number, but it was {bson_type(dtype)}"
            raise OperationFailure(msg, code=5429413)
        value = key.cast(pl.Float64)
        lo_at = None if window.lo is None else value + float(window.lo)
        hi_at = None if window.hi is None else value + float(window.hi)
        message, code = (
            "Invalid range: Expected the sortBy field to be a number, but it was null",
            5429413,
        )
    else:
        if not isinstance(dtype, pl.Datetime):
            msg = f"Invalid range: Expected the sortBy field to be a Date, but it was {bson_type(dtype)}"
            raise OperationFailure(msg, code=5429513)
        value = key
        lo_at = None if window.lo is None else key.dt.offset_by(_duration(window.lo, window.unit))
        hi_at = None if window.hi is None else key.dt.offset_by(_duration(window.hi, window.unit))
        message, code = (
            "Invalid range: Expected the sortBy field to be a Date, but it was null",
            5429513,
        )
    s = start if lo_at is None else start + value.search_sorted(lo_at, side="left").over(PID)
    e = end if hi_at is None else start + value.search_sorted(hi_at, side="right").over(PID)
    s = with_checks(s.cast(pl.Int64), raise_where(key.is_null(), message, code))
    return s, pl.max_horizontal(s, e.cast(pl.Int64))


def _duration(amount: float, unit: str) -> str:
    n = int(amount)
    codes = {"year": (n, "y"), "quarter": (3 * n, "mo"), "month": (n, "mo"), "week": (n, "w")}
    codes |= {"day": (n, "d"), "hour": (n, "h"), "minute": (n, "m"), "second": (n, "s")}
    count, code = codes.get(unit, (n, "ms"))
    return f"{count}{code}"


#: The stages this module provides, by name: ``catalog`` files them in ``pipeline.STAGES``.
STAGES: dict[str, StageFn] = {
    "$setWindowFields": _set_window_fields,
}
