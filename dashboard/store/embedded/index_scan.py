"""Index-sliced scans: a collection's frame is sorted by its first secondary index (the cluster key).

A query whose top-level conditions constrain the first key (equality, ``$in``, ranges), and optionally
the second, can only match rows in a few contiguous ranges of the sorted frame. :func:`slice_rows`
finds them (a dict lookup for equality on an ObjectId/string key, binary search otherwise) and returns
that slice, a superset of the matches that the compiled filter then narrows. Split from
:mod:`.collection` for size.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import polars as pl

from dashboard.store.embedded.values import bson_rank, dtype_of_python, python_to_polars
from dashboard.store.errors import OperationFailure

__all__ = ["NARROW_MIN_ROWS", "ClusterKey", "cluster_key", "slice_rows", "sort_by"]

ClusterKey = list[tuple[str, int]]

#: A first-key slice this long is narrowed further by the second key (shorter ones: not worth it).
NARROW_MIN_ROWS = 4096


def cluster_key(manifest: Mapping[str, Any], frame: pl.DataFrame) -> ClusterKey:
    """The first secondary ascending/descending index's keys that ``frame`` has columns for."""
    for index in manifest.get("indexes", []):
        keys = [(f, d) for f, d in index["key"]]
        if keys[0][0] != "_id" and all(d in (1, -1) for _, d in keys):
            present = []
            for f, d in keys:
                if f not in frame.columns:
                    break
                present.append((f, d))
            return present
    return []


def sort_by(frame: pl.DataFrame, cluster: ClusterKey) -> pl.DataFrame:
    """``frame`` in cluster order (stable; nulls where the query slicing expects them)."""
    if not cluster or frame.height < 2:
        return frame
    return frame.sort(
        [f for f, _ in cluster],
        descending=[d == -1 for _, d in cluster],
        nulls_last=[d == -1 for _, d in cluster],
        maintain_order=True,
    )


def slice_rows(
    frame: pl.DataFrame, cluster: ClusterKey, cache: dict[str, Any], query: Mapping[str, Any]
) -> pl.DataFrame | None:
    """A slice of the frame holding every row that can match ``query`` (None: no constraint).

    Equality on a string/ObjectId first key is a dict lookup of the key's row range (built once per
    ``cache``); other constraints binary-search the sorted column. Any one constraint of the query's
    top-level conjunction bounds the matches, so the slice is a superset the filter then narrows.
    """
    key, direction = cluster[0]
    dtype = frame.schema[key]
    bounds = _key_bounds(query, key, dtype)
    if bounds is None:
        return None
    ranges = _run_ranges(frame, cache, key, bounds) if dtype in (pl.Binary, pl.String) else None
    if ranges is None:
        ranges = _ranges(frame.get_column(key), bounds, descending=direction == -1)
    start, stop = ranges[0]
    if (
        len(cluster) > 1
        and len(ranges) == 1
        and bounds.get("eq") is not None
        and stop - start >= NARROW_MIN_ROWS
    ):
        second, d2 = cluster[1]
        b2 = _key_bounds(query, second, frame.schema[second])
        if b2 is not None:
            start, stop = ranges[0]
            inner = frame.get_column(second).slice(start, stop - start)
            ranges = [(start + a, start + b) for a, b in _ranges(inner, b2, descending=d2 == -1)]
    if len(ranges) == 1:
        start, stop = ranges[0]
        return frame.slice(start, max(0, stop - start))
    parts = [frame.slice(a, b - a) for a, b in ranges if b > a]
    return pl.concat(parts) if parts else frame.clear()


def _run_ranges(
    frame: pl.DataFrame, cache: dict[str, Any], key: str, bounds: dict[str, Any]
) -> list[tuple[int, int]] | None:
    """Row ranges for equality/``$in`` on the sorted first key, from a value → range dict."""
    wanted = [bounds["eq"]] if "eq" in bounds else bounds.get("in")
    if wanted is None:
        return None
    runs = cache.get(key)
    if runs is None:
        rle = frame.get_column(key).rle().struct.unnest()
        ends = rle["len"].cum_sum()
        starts = (ends - rle["len"]).to_list()
        runs = dict(
            zip(rle["value"].to_list(), zip(starts, ends.to_list(), strict=True), strict=True)
        )
        cache[key] = runs
    found = sorted(r for v in wanted if (r := runs.get(v)) is not None)
    return found or [(0, 0)]


def _key_bounds(query: Mapping[str, Any], field: str, dtype: pl.DataType) -> dict[str, Any] | None:
    """The tightest constraints on ``field`` that ``query`` imposes at top level and in a top-level
    ``$and`` (None: none usable).

    Every condition there must hold, so any of them bounds the matches: an operator that cannot
    bound a sorted column (``$type``, ``$not``, ``$ne``…) or a value of another type is skipped and
    left to the filter, and of several bounds the tightest is kept (a period's dates inside a
    validity rule's wider range).
    """
    conds: list[Any] = []
    if field in query:
        conds.append(query[field])
    for sub in query.get("$and", []) if isinstance(query.get("$and"), list) else []:
        if isinstance(sub, Mapping) and field in sub:
            conds.append(sub[field])
    lows: list[tuple[Any, bool]] = []
    highs: list[tuple[Any, bool]] = []
    bounds: dict[str, Any] = {}
    for cond in conds:
        if not (isinstance(cond, Mapping) and cond and all(str(k).startswith("$") for k in cond)):
            if _comparable(cond, dtype):
                bounds.setdefault("eq", python_to_polars(cond))
            continue
        for op, value in cond.items():
            if op == "$in":
                if isinstance(value, list) and all(_comparable(v, dtype) for v in value):
                    bounds.setdefault("in", sorted({python_to_polars(v) for v in value}))
            elif op in _RANGE and _comparable(value, dtype):
                side, inclusive = _RANGE[op]
                if side == "eq":
                    bounds.setdefault("eq", python_to_polars(value))
                else:
                    (lows if side == "low" else highs).append((python_to_polars(value), inclusive))
    if lows:
        # The highest low bound; at equal values the exclusive one ($gt) is the tighter.
        value, inclusive = max(lows, key=lambda b: (b[0], not b[1]))
        bounds["gte" if inclusive else "gt"] = value
    if highs:
        value, inclusive = min(highs, key=lambda b: (b[0], b[1]))
        bounds["lte" if inclusive else "lt"] = value
    return bounds or None


#: Comparison operators that bound a sorted column: which side, and whether inclusive.
_RANGE: dict[str, tuple[str, bool]] = {
    "$eq": ("eq", True),
    "$gt": ("low", False),
    "$gte": ("low", True),
    "$lt": ("high", False),
    "$lte": ("high", True),
}


def _comparable(value: Any, dtype: pl.DataType) -> bool:
    if value is None or isinstance(value, Mapping | list | tuple | bool):
        return False
    if isinstance(dtype, pl.List | pl.Struct) or dtype == pl.Null:
        return False
    try:
        return bson_rank(dtype_of_python(value)) == bson_rank(dtype)
    except OperationFailure:
        return False


_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1


def _int_bound(op: str, value: Any) -> tuple[str, int] | None:
    """An integer bound that selects the same integers as ``op value`` for a double ``value``
    (``$lt 2.5`` is ``$lte 2``), or None when no integer can satisfy it."""
    if not isinstance(value, float):
        return op, value
    if math.isnan(value):
        return None
    if math.isinf(value):
        value = _I64_MAX + 1 if value > 0 else _I64_MIN - 1
        exact = True
    else:
        exact = value.is_integer()
    if op in ("eq", "in"):
        return (op, int(value)) if exact and _I64_MIN <= value <= _I64_MAX else None
    if op in ("gt", "gte"):
        first = math.floor(value) + 1 if op == "gt" or not exact else int(value)
        return ("gte", max(first, _I64_MIN)) if first <= _I64_MAX else None
    last = math.ceil(value) - 1 if op == "lt" or not exact else int(value)
    return ("lte", min(last, _I64_MAX)) if last >= _I64_MIN else None


def _integer_bounds(bounds: dict[str, Any]) -> dict[str, Any] | None:
    """``bounds`` on an integer column with double values made integer (None: nothing matches)."""
    out: dict[str, Any] = {}
    for op, value in bounds.items():
        if op == "in":
            found = [b[1] for b in (_int_bound("in", v) for v in value) if b is not None]
            out["in"] = found
            continue
        bound = _int_bound(op, value)
        if bound is None:
            return None
        new_op, new_value = bound
        out[new_op] = new_value
    return out


def _ranges(col: pl.Series, bounds: dict[str, Any], *, descending: bool) -> list[tuple[int, int]]:
    """Row ranges of a sorted column (nulls at the start when ascending, end when descending)."""
    if col.dtype.is_integer():
        integer = _integer_bounds(bounds)
        if integer is None or integer.get("in") == []:
            return [(0, 0)]
        bounds = integer
    nulls = col.null_count()
    n = col.len()
    lo_off, values = (nulls, col.slice(nulls)) if not descending else (0, col.slice(0, n - nulls))

    def pos(value: Any, side: str) -> int:
        lit = pl.Series([value]).cast(values.dtype)
        return lo_off + int(values.search_sorted(lit, side=side, descending=descending)[0])

    if "in" in bounds:
        out = []
        for v in bounds["in"]:
            a, b = pos(v, "left"), pos(v, "right")
            if b > a:
                out.append((a, b))
        out.sort()
        return out or [(0, 0)]
    if "eq" in bounds:
        return [(pos(bounds["eq"], "left"), pos(bounds["eq"], "right"))]
    start, stop = lo_off, lo_off + values.len()
    low_inclusive = "gte" in bounds
    low = bounds.get("gte", bounds.get("gt"))
    high_inclusive = "lte" in bounds
    high = bounds.get("lte", bounds.get("lt"))
    if not descending:
        if low is not None:
            start = pos(low, "left" if low_inclusive else "right")
        if high is not None:
            stop = pos(high, "right" if high_inclusive else "left")
    else:
        if high is not None:
            start = pos(high, "left" if high_inclusive else "right")
        if low is not None:
            stop = pos(low, "right" if low_inclusive else "left")
    return [(start, max(start, stop))]
