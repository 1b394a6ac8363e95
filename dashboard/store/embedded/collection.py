"""One embedded collection: an immutable snapshot (frame + manifest), its indexes, index-sliced scans.

The frame is kept sorted by the keys of the collection's first secondary index (for expenses,
``{userId: 1, date: -1}``), so a pipeline whose first ``$match`` pins the first key (and optionally
ranges over the second) reads a slice found by binary search: O(log n + k), whatever other users hold.
Writers (serialised by the store's write lock) build a new frame and swap one snapshot reference, so a
reader sees either the whole write or none of it. Documents past a TTL index's ``expireAfterSeconds``
are deleted by a sweep that runs at most every 60 seconds, like MongoDB's TTL monitor.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import bson
import polars as pl

from dashboard.store.base import default_index_name, normalize_index_keys
from dashboard.store.embedded import codec
from dashboard.store.embedded.expressions import field_path
from dashboard.store.embedded.storage import CollectionFiles
from dashboard.store.embedded.values import (
    DATE,
    Ctx,
    bson_rank,
    dtype_of_python,
    python_to_polars,
)
from dashboard.store.errors import DuplicateKeyError, OperationFailure

__all__ = ["Collection"]

#: MongoDB's TTL monitor runs every 60 seconds.
_TTL_INTERVAL_S = 60.0
_TTL_MAX = 2_147_483_647
#: Inserts append a segment; past this many the collection is rewritten as one sorted segment.
_MAX_SEGMENTS = 16
#: A first-key slice this long is narrowed further by the second key (shorter ones: not worth it).
_NARROW_MIN_ROWS = 4096

ClusterKey = list[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """A committed state: the frame (sorted by ``cluster``) and the manifest it came with."""

    frame: pl.DataFrame
    manifest: dict[str, Any]
    cluster: ClusterKey
    #: Lazily built lookups over this frame (value → row range of the first cluster key).
    cache: dict[str, Any] = field(default_factory=dict)


_EMPTY_MANIFEST: dict[str, Any] = {"segments": [], "indexes": [], "files": {}}


class Collection:
    """Documents of one collection held as a Polars frame."""

    def __init__(
        self,
        name: str,
        files: CollectionFiles | None,
        *,
        db_name: str,
        write_lock: threading.RLock | None = None,
    ) -> None:
        self.name = name
        self.db_name = db_name
        self._files = files
        self._snap: _Snapshot | None = None
        self._load_lock = threading.Lock()
        #: The store's write lock: the TTL sweep takes it like any other writer.
        self._write_lock = write_lock if write_lock is not None else threading.RLock()
        self._last_ttl = float("-inf")

    # -- reading -------------------------------------------------------------------------------
    def snapshot(self) -> _Snapshot:
        """The current committed state (loaded from disk on first use)."""
        snap = self._snap
        if snap is None:
            with self._load_lock:
                if self._snap is None:
                    self._snap = self._load()
                snap = self._snap
        return snap

    def frame(self) -> pl.DataFrame:
        return self.snapshot().frame

    def _load(self) -> _Snapshot:
        if self._files is None:
            return _Snapshot(pl.DataFrame(), dict(_EMPTY_MANIFEST), [])
        frames, manifest = self._files.load()
        frame = codec.concat(frames)
        cluster = _cluster_key(manifest, frame)
        clustered = manifest.get("clustered")
        if not (len(frames) == 1 and clustered == [list(k) for k in cluster]):
            frame = _sort(frame, cluster)
        return _Snapshot(frame, manifest, cluster)

    @property
    def indexes(self) -> list[dict[str, Any]]:
        return list(self.snapshot().manifest.get("indexes", []))

    def text_fields(self) -> tuple[str, ...]:
        for index in self.indexes:
            fields = tuple(f for f, d in index["key"] if d == "text")
            if fields:
                return fields
        return ()

    def cluster_key(self) -> ClusterKey:
        """The sort order of the frame: the first secondary, non-text index's keys."""
        return list(self.snapshot().cluster)

    def scan(self, first_match: Mapping[str, Any] | None) -> pl.LazyFrame:
        """The frame as a LazyFrame, sliced by the cluster key when ``first_match`` pins it."""
        self.expire()
        snap = self.snapshot()
        frame = snap.frame
        if first_match and frame.height and snap.cluster:
            sliced = _slice(snap, first_match)
            if sliced is not None:
                return sliced.lazy()
        return frame.lazy()

    # -- writing (callers hold the store's write lock) --------------------------------------------
    def insert(self, documents: Sequence[Mapping[str, Any]]) -> list[Any]:
        docs: list[Mapping[str, Any]] = []
        ids: list[Any] = []
        supplied = False
        for doc in documents:
            if not isinstance(doc, Mapping):
                msg = f"documents must be objects, got {type(doc).__name__}"
                raise TypeError(msg)
            if "_id" in doc:
                supplied = True
                docs.append(doc)
                ids.append(doc["_id"])
            else:
                oid = bson.ObjectId()
                docs.append({"_id": oid, **doc})
                ids.append(oid)
        if not docs:
            msg = "documents must be a non-empty list"
            raise TypeError(msg)
        new = codec.encode(docs)
        snap = self.snapshot()
        old = snap.frame
        combined = codec.concat([old, new]) if old.width else new
        self._check_unique(combined, snap.manifest, old_rows=old.height, ids_generated=not supplied)
        cluster = _cluster_key(snap.manifest, combined)
        frame = _sort(combined, cluster)
        manifest = snap.manifest
        if self._files is not None:
            if len(manifest.get("segments", [])) + 1 > _MAX_SEGMENTS:
                manifest = self._files.replace(frame, manifest, clustered=cluster)
            else:
                manifest = self._files.append(new, manifest)
        self._snap = _Snapshot(frame, manifest, cluster)
        return ids

    def replace_all(
        self, frame: pl.DataFrame, *, check_ids: bool = True, presorted: bool = False
    ) -> None:
        """Commit ``frame`` as the collection's whole content (updates, deletes, $out).

        ``check_ids=False`` skips the ``_id`` uniqueness check (rows kept from this collection with
        their ids untouched); ``presorted`` says ``frame`` is still in cluster order (a filter of it).
        """
        snap = self.snapshot()
        if frame.width:
            self._check_unique(frame, snap.manifest, old_rows=0, ids_generated=not check_ids)
        cluster = _cluster_key(snap.manifest, frame)
        if not (presorted and cluster == snap.cluster):
            frame = _sort(frame, cluster)
        manifest = snap.manifest
        if self._files is not None:
            manifest = self._files.replace(frame, manifest, clustered=cluster)
        self._snap = _Snapshot(frame, manifest, cluster)

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
        if "expireAfterSeconds" in spec:
            _check_ttl(spec)
        snap = self.snapshot()
        indexes = list(snap.manifest.get("indexes", []))
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
        frame = snap.frame
        if spec.get("unique") and frame.width:
            _check_unique_index(frame, spec, 0, where=f"{self.db_name}.{self.name}")
        manifest = {**snap.manifest, "indexes": [*indexes, spec]}
        cluster = _cluster_key(manifest, frame)
        if cluster != snap.cluster:
            frame = _sort(frame, cluster)
        if self._files is not None:
            self._files.write_manifest(manifest)
        self._snap = _Snapshot(frame, manifest, cluster)
        if "expireAfterSeconds" in spec:
            self._last_ttl = float(
                "-inf"
            )  # MongoDB removes expired documents once the index is built
        return name

    def expire(self, *, now: dt.datetime | None = None, force: bool = False) -> int:
        """Delete documents past a TTL index's ``expireAfterSeconds``; return how many.

        Runs at most every 60 s (MongoDB's TTL monitor interval) unless ``force``. Readers call it on
        every scan; one that finds a write in progress skips the sweep rather than wait.
        """
        mono = time.monotonic()
        if not force and mono - self._last_ttl < _TTL_INTERVAL_S:
            return 0
        if not self._write_lock.acquire(blocking=force):
            return 0
        try:
            self._last_ttl = mono
            snap = self.snapshot()
            frame = snap.frame
            if not frame.height:
                return 0
            cutoff = now or dt.datetime.now(dt.UTC)
            if cutoff.tzinfo is None:
                cutoff = cutoff.replace(tzinfo=dt.UTC)
            expired = [
                e
                for index in snap.manifest.get("indexes", [])
                if (e := _expired(frame, index, cutoff)) is not None
            ]
            if not expired:
                return 0
            mask = frame.select(pl.any_horizontal(expired).alias("x")).get_column("x")
            removed = int(mask.sum())
            if removed:
                self.replace_all(frame.filter(~mask), check_ids=False, presorted=True)
            return removed
        finally:
            self._write_lock.release()

    def drop(self) -> None:
        if self._files is not None:
            self._files.drop()
        self._snap = _Snapshot(pl.DataFrame(), dict(_EMPTY_MANIFEST), [])

    # -- unique indexes ---------------------------------------------------------------------------
    def _check_unique(
        self, frame: pl.DataFrame, manifest: dict[str, Any], *, old_rows: int, ids_generated: bool
    ) -> None:
        """Raise E11000 if ``frame`` breaks a unique index; rows before ``old_rows`` are known good.

        ``ids_generated``: every new ``_id`` is a fresh ``ObjectId()`` (unique by construction).
        """
        where = f"{self.db_name}.{self.name}"
        if not ids_generated:
            _check_unique_index(frame, {"name": "_id_", "key": [["_id", 1]]}, old_rows, where=where)
        for spec in manifest.get("indexes", []):
            if spec.get("unique"):
                _check_unique_index(frame, spec, old_rows, where=where)


def _check_unique_index(
    frame: pl.DataFrame, spec: dict[str, Any], old_rows: int, *, where: str
) -> None:
    """Duplicates among the new rows, or between a new row and an old one (nulls/missing equal)."""
    fields = [f for f, _ in spec["key"]]
    cols = [pl.col(f) if f in frame.columns else pl.lit(None).alias(f) for f in fields]
    keys = frame.select(cols)
    if spec.get("sparse"):
        present = [
            pl.col(codec.presence_name(f))
            if codec.presence_name(f) in frame.columns
            else pl.lit(f in frame.columns)
            for f in fields
        ]
        keys = keys.filter(frame.select(pl.any_horizontal(present)).to_series())
        old_rows = 0  # (rare) the filter breaks the old/new split: check every row
    if keys.height < 2:
        return
    key = keys.to_series() if len(fields) == 1 else keys.select(pl.struct(fields)).to_series()
    old, new = key.slice(0, old_rows), key.slice(old_rows)
    dup_new = new.is_duplicated()
    clash = None
    if dup_new.any():
        clash = new.filter(dup_new)[0]
    elif old.len() and new.len():
        hit = old.is_in(new.implode(), nulls_equal=True)
        if hit.any():
            clash = old.filter(hit)[0]
    if clash is None:
        return
    first = dict(clash) if len(fields) > 1 else {fields[0]: clash}
    shown = ", ".join(f"{k}: {_show(v)}" for k, v in first.items())
    msg = f"E11000 duplicate key error collection: {where} index: {spec['name']} dup key: {{ {shown} }}"
    raise DuplicateKeyError(msg, code=11000, details={"keyValue": first})


def _show(value: Any) -> str:
    if isinstance(value, bytes) and len(value) == 12:
        return f'ObjectId("{value.hex()}")'
    return repr(value).replace("'", '"')


# -- clustering and slicing ------------------------------------------------------------------------
def _cluster_key(manifest: Mapping[str, Any], frame: pl.DataFrame) -> ClusterKey:
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


def _sort(frame: pl.DataFrame, cluster: ClusterKey) -> pl.DataFrame:
    if not cluster or frame.height < 2:
        return frame
    return frame.sort(
        [f for f, _ in cluster],
        descending=[d == -1 for _, d in cluster],
        nulls_last=[d == -1 for _, d in cluster],
        maintain_order=True,
    )


def _slice(snap: _Snapshot, query: Mapping[str, Any]) -> pl.DataFrame | None:
    """A slice of the frame holding every row that can match ``query`` (None: no constraint).

    Equality on a string/ObjectId first key is a dict lookup of the key's row range (built once per
    snapshot); other constraints binary-search the sorted column. Any one constraint of the query's
    top-level conjunction bounds the matches, so the slice is a superset the filter then narrows.
    """
    frame, cluster = snap.frame, snap.cluster
    key, direction = cluster[0]
    dtype = frame.schema[key]
    bounds = _key_bounds(query, key, dtype)
    if bounds is None:
        return None
    ranges = _run_ranges(snap, key, bounds) if dtype in (pl.Binary, pl.String) else None
    if ranges is None:
        ranges = _ranges(frame.get_column(key), bounds, descending=direction == -1)
    start, stop = ranges[0]
    if (
        len(cluster) > 1
        and len(ranges) == 1
        and bounds.get("eq") is not None
        and stop - start >= _NARROW_MIN_ROWS
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


def _run_ranges(snap: _Snapshot, key: str, bounds: dict[str, Any]) -> list[tuple[int, int]] | None:
    """Row ranges for equality/``$in`` on the sorted first key, from a value → range dict."""
    wanted = [bounds["eq"]] if "eq" in bounds else bounds.get("in")
    if wanted is None:
        return None
    runs = snap.cache.get(key)
    if runs is None:
        rle = snap.frame.get_column(key).rle().struct.unnest()
        ends = rle["len"].cum_sum()
        starts = (ends - rle["len"]).to_list()
        runs = dict(
            zip(rle["value"].to_list(), zip(starts, ends.to_list(), strict=True), strict=True)
        )
        snap.cache[key] = runs
    found = sorted(r for v in wanted if (r := runs.get(v)) is not None)
    return found or [(0, 0)]


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


# -- TTL -------------------------------------------------------------------------------------------
def _check_ttl(spec: dict[str, Any]) -> None:
    value = spec["expireAfterSeconds"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= _TTL_MAX:
        msg = (
            "TTL index 'expireAfterSeconds' option must be a number within the range "
            f"[0, {_TTL_MAX}], got {value!r}"
        )
        raise OperationFailure(msg, code=67)
    if [f for f, _ in spec["key"]] == ["_id"]:
        msg = "The field 'expireAfterSeconds' is not valid for an _id index specification"
        raise OperationFailure(msg, code=67)


def _expired(frame: pl.DataFrame, index: Mapping[str, Any], now: dt.datetime) -> pl.Expr | None:
    """True where a TTL index expires the document, or None when ``index`` expires nothing.

    The manual: TTL indexes are single-field (a compound index ignores ``expireAfterSeconds``); a
    document expires once its date plus ``expireAfterSeconds`` has passed; for an array the earliest
    date counts; a document whose field is missing or holds no date never expires.
    """
    ttl = index.get("expireAfterSeconds")
    keys = index["key"]
    if ttl is None or len(keys) != 1 or keys[0][1] not in (1, -1):
        return None
    val = field_path(keys[0][0], Ctx(schema=dict(frame.schema), where="TTL monitor"))
    if isinstance(val.dtype, pl.Datetime):
        when = val.expr
    elif isinstance(val.dtype, pl.List) and isinstance(val.dtype.inner, pl.Datetime):
        when = val.expr.list.min()
    else:
        return None
    cutoff = now - dt.timedelta(seconds=float(ttl))
    return (when < pl.lit(cutoff, dtype=DATE)).fill_null(False)
