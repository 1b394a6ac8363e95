"""One embedded collection: an immutable frame snapshot, its indexes, and index-sliced scans.

The frame is kept sorted by the first key of the collection's first secondary index (for expenses,
``{userId: 1, date: -1}``), so a pipeline whose first ``$match`` pins that key (and optionally ranges
over the second) reads a slice found by binary search: O(log n + k), whatever other users hold.
Writers build a new frame and swap the reference, so readers never see half a write.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Mapping
from typing import Any

import bson
import polars as pl

from dashboard.store.base import default_index_name, normalize_index_keys
from dashboard.store.embedded import codec
from dashboard.store.embedded.storage import CollectionFiles
from dashboard.store.embedded.values import DATE, bson_rank, dtype_of_python, python_to_polars
from dashboard.store.errors import DuplicateKeyError, OperationFailure

__all__ = ["Collection"]

_TTL_INTERVAL_S = 60.0


class Collection:
    """Documents of one collection held as a Polars frame."""

    def __init__(self, name: str, files: CollectionFiles | None, *, db_name: str) -> None:
        self.name = name
        self.db_name = db_name
        self._files = files
        self._frame: pl.DataFrame | None = None
        self._manifest: dict[str, Any] = {"segments": [], "indexes": []}
        self._load_lock = threading.Lock()
        self._last_ttl = 0.0

    # -- reading -------------------------------------------------------------------------------
    def frame(self) -> pl.DataFrame:
        """The current snapshot (loaded from disk on first use)."""
        frame = self._frame
        if frame is None:
            with self._load_lock:
                if self._frame is None:
                    self._load()
                frame = self._frame
        assert frame is not None
        return frame

    def _load(self) -> None:
        if self._files is None or not self._files.exists():
            self._frame = pl.DataFrame()
            if self._files is not None and self._files.exists():
                self._manifest = self._files.read_manifest()
            return
        frames, manifest = self._files.load()
        self._manifest = manifest
        self._frame = self._sorted(codec.concat(frames))

    @property
    def indexes(self) -> list[dict[str, Any]]:
        self.frame()
        return list(self._manifest.get("indexes", []))

    def text_fields(self) -> tuple[str, ...]:
        for index in self.indexes:
            fields = tuple(f for f, d in index["key"] if d == "text")
            if fields:
                return fields
        return ()

    def cluster_key(self) -> list[tuple[str, int]]:
        """The sort order of the frame: the first secondary, non-text index's keys."""
        for index in self._manifest.get("indexes", []):
            keys = [(f, d) for f, d in index["key"]]
            if keys[0][0] != "_id" and all(d in (1, -1) for _, d in keys):
                return keys
        return []

    def _sorted(self, frame: pl.DataFrame) -> pl.DataFrame:
        keys = [(f, d) for f, d in self.cluster_key() if f in frame.columns]
        if not keys or frame.height < 2:
            return frame
        return frame.sort(
            [f for f, _ in keys],
            descending=[d == -1 for _, d in keys],
            nulls_last=[d == -1 for _, d in keys],
            maintain_order=True,
        )

    def scan(self, first_match: Mapping[str, Any] | None) -> pl.LazyFrame:
        """The frame as a LazyFrame, sliced by the cluster key when ``first_match`` pins it."""
        self.expire()
        frame = self.frame()
        if first_match and frame.height:
            sliced = self._slice(frame, first_match)
            if sliced is not None:
                return sliced.lazy()
        return frame.lazy()

    def _slice(self, frame: pl.DataFrame, query: Mapping[str, Any]) -> pl.DataFrame | None:
        keys = [(f, d) for f, d in self.cluster_key() if f in frame.columns]
        if not keys:
            return None
        field, direction = keys[0]
        bounds = _key_bounds(query, field, frame.schema[field])
        if bounds is None:
            return None
        col = frame.get_column(field)
        ranges = _ranges(col, bounds, descending=direction == -1)
        if len(keys) > 1 and len(ranges) == 1 and bounds.get("eq") is not None:
            second, d2 = keys[1]
            b2 = _key_bounds(query, second, frame.schema[second])
            if b2 is not None:
                start, stop = ranges[0]
                inner = frame.get_column(second).slice(start, stop - start)
                ranges = [
                    (start + a, start + b) for a, b in _ranges(inner, b2, descending=d2 == -1)
                ]
        if len(ranges) == 1:
            start, stop = ranges[0]
            return frame.slice(start, max(0, stop - start))
        parts = [frame.slice(a, b - a) for a, b in ranges if b > a]
        return pl.concat(parts) if parts else frame.clear()

    # -- writing (callers hold the store's write lock) --------------------------------------------
    def insert(self, documents: list[dict[str, Any]]) -> list[Any]:
        docs = []
        for doc in documents:
            if not isinstance(doc, Mapping):
                msg = f"documents must be objects, got {type(doc).__name__}"
                raise TypeError(msg)
            d = dict(doc)
            if "_id" not in d:
                d = {"_id": bson.ObjectId(), **d}
            docs.append(d)
        if not docs:
            msg = "documents must be a non-empty list"
            raise TypeError(msg)
        new = codec.encode(docs)
        old = self.frame()
        combined = codec.concat([old, new]) if old.width else new
        self._check_unique(combined, new_rows=new.height)
        if self._files is not None:
            self._manifest = self._files.append(new, self._manifest)
        self._frame = self._sorted(combined)
        return [d["_id"] for d in docs]

    def replace_all(self, frame: pl.DataFrame) -> None:
        """Commit ``frame`` as the collection's whole content (updates, deletes, $out)."""
        if frame.width:
            self._check_unique(frame, new_rows=frame.height)
        if self._files is not None:
            self._manifest = self._files.replace(frame, self._manifest)
        self._frame = self._sorted(frame)

    def add_index(self, keys: Any, options: Mapping[str, Any]) -> str:
        normalized = normalize_index_keys(keys)
        name = options.get("name") or default_index_name(normalized)
        spec = {
            "name": name,
            "key": [[f, d] for f, d in normalized],
            **{k: v for k, v in options.items() if k in ("unique", "expireAfterSeconds", "sparse")},
        }
        if "text" in [d for _, d in normalized]:
            spec["key"] = [[f, "text"] for f, d in normalized if d == "text"]
        indexes = list(self.indexes)
        for existing in indexes:
            if existing["name"] != name and existing["key"] != spec["key"]:
                continue
            options_differ = any(
                existing.get(k) != spec.get(k) for k in ("unique", "expireAfterSeconds")
            )
            if existing["key"] != spec["key"] or options_differ:
                msg = (
                    f"An existing index has the same {'name' if existing['name'] == name else 'keys'}"
                    f" as the requested index but different options: {existing['name']}"
                )
                raise OperationFailure(msg, code=85)
            return existing["name"]
        if spec["key"][0][1] == "text" and any(d == "text" for ix in indexes for _, d in ix["key"]):
            msg = "too many text indexes for collection"
            raise OperationFailure(msg, code=67)
        frame = self.frame()
        if spec.get("unique") and frame.width:
            self._check_unique_index(frame, spec, new_rows=frame.height)
        indexes.append(spec)
        self._manifest = {**self._manifest, "indexes": indexes}
        if self._files is not None:
            self._files.write_manifest(self._manifest)
        self._frame = self._sorted(frame)
        return name

    def expire(self, *, now: dt.datetime | None = None, force: bool = False) -> int:
        """Delete documents past a TTL index's ``expireAfterSeconds`` (MongoDB checks every 60 s)."""
        mono = time.monotonic()
        if not force and mono - self._last_ttl < _TTL_INTERVAL_S:
            return 0
        self._last_ttl = mono
        frame = self.frame()
        removed = 0
        for index in self._manifest.get("indexes", []):
            ttl = index.get("expireAfterSeconds")
            field = index["key"][0][0]
            if ttl is None or field not in frame.columns:
                continue
            if not isinstance(frame.schema[field], pl.Datetime):
                continue
            cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(seconds=float(ttl))
            expired = pl.col(field).is_not_null() & (pl.col(field) < pl.lit(cutoff, dtype=DATE))
            count = frame.filter(expired).height
            if count:
                frame = frame.filter(~expired)
                removed += count
        if removed:
            self.replace_all(frame)
        return removed

    def drop(self) -> None:
        if self._files is not None:
            self._files.drop()
        self._frame = pl.DataFrame()
        self._manifest = {"segments": [], "indexes": []}

    # -- unique indexes ---------------------------------------------------------------------------
    def _unique_specs(self) -> list[dict[str, Any]]:
        specs = [{"name": "_id_", "key": [["_id", 1]], "unique": True}]
        return specs + [ix for ix in self._manifest.get("indexes", []) if ix.get("unique")]

    def _check_unique(self, frame: pl.DataFrame, *, new_rows: int) -> None:
        for spec in self._unique_specs():
            self._check_unique_index(frame, spec, new_rows=new_rows)

    def _check_unique_index(
        self, frame: pl.DataFrame, spec: dict[str, Any], *, new_rows: int
    ) -> None:
        fields = [f for f, _ in spec["key"]]
        cols = [pl.col(f) if f in frame.columns else pl.lit(None).alias(f) for f in fields]
        keys = frame.select(cols)
        if keys.height < 2:
            return
        dup = keys.is_duplicated()
        if not dup.any():
            return
        first = keys.filter(dup).row(0, named=True)
        shown = ", ".join(f"{k}: {_show(v)}" for k, v in first.items())
        msg = (
            f"E11000 duplicate key error collection: {self.db_name}.{self.name} "
            f"index: {spec['name']} dup key: {{ {shown} }}"
        )
        raise DuplicateKeyError(msg, code=11000, details={"keyValue": first})


def _show(value: Any) -> str:
    if isinstance(value, bytes) and len(value) == 12:
        return f'ObjectId("{value.hex()}")'
    return repr(value).replace("'", '"')


def _key_bounds(query: Mapping[str, Any], field: str, dtype: pl.DataType) -> dict[str, Any] | None:
    """Constraints on ``field`` that ``query`` imposes at top level (or in a top-level $and)."""
    conds: list[Any] = []
    if field in query:
        conds.append(query[field])
    for sub in query.get("$and", []) if isinstance(query.get("$and"), list) else []:
        if isinstance(sub, Mapping) and field in sub:
            conds.append(sub[field])
    if not conds:
        return None
    bounds: dict[str, Any] = {}
    for cond in conds:
        if isinstance(cond, Mapping) and cond and all(str(k).startswith("$") for k in cond):
            for op, value in cond.items():
                if op in ("$eq", "$gt", "$gte", "$lt", "$lte"):
                    if not _comparable(value, dtype):
                        return None
                    bounds[op[1:]] = python_to_polars(value)
                elif op == "$in":
                    if not isinstance(value, list) or not all(_comparable(v, dtype) for v in value):
                        return None
                    bounds["in"] = sorted({python_to_polars(v) for v in value})
                else:
                    return None
        else:
            if not _comparable(cond, dtype):
                return None
            bounds["eq"] = python_to_polars(cond)
    return bounds or None


def _comparable(value: Any, dtype: pl.DataType) -> bool:
    if value is None or isinstance(value, Mapping | list | tuple | bool):
        return False
    if isinstance(dtype, pl.List | pl.Struct) or dtype == pl.Null:
        return False
    try:
        return bson_rank(dtype_of_python(value)) == bson_rank(dtype)
    except OperationFailure:
        return False


def _ranges(col: pl.Series, bounds: dict[str, Any], *, descending: bool) -> list[tuple[int, int]]:
    """Row ranges of a sorted column (nulls at the start when ascending, end when descending)."""
    nulls = col.null_count()
    n = col.len()
    lo_off, body = (nulls, col.slice(nulls)) if not descending else (0, col.slice(0, n - nulls))
    values = body.cast(body.dtype)

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
