"""One embedded collection: an immutable snapshot (frame + manifest), its indexes, index-sliced scans.

The frame is kept sorted by the keys of the collection's first secondary index (for expenses,
``{userId: 1, date: -1}``), so a pipeline whose first ``$match`` pins the first key (and optionally
ranges over the second) reads only a slice (see :mod:`.index_scan`): O(k) for the user's k rows,
whatever other users hold.
Writers (serialised by the store's write lock) build a new frame and swap one snapshot reference, so a
reader sees either the whole write or none of it. Documents past a TTL index's ``expireAfterSeconds``
are deleted by a sweep that runs at most every 60 seconds, like MongoDB's TTL monitor.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import bson
import numpy as np
import polars as pl

from dashboard.store.base import default_index_name, normalize_index_keys
from dashboard.store.embedded import codec
from dashboard.store.embedded.expressions import field_path
from dashboard.store.embedded.index_scan import ClusterKey, cluster_key, slice_rows, sort_by
from dashboard.store.embedded.storage import CollectionFiles
from dashboard.store.embedded.values import DATE, Ctx
from dashboard.store.errors import DuplicateKeyError, OperationFailure

__all__ = ["Collection"]

#: MongoDB's TTL monitor runs every 60 seconds.
_TTL_INTERVAL_S = 60.0
_TTL_MAX = 2_147_483_647
#: Inserts append a segment; past this many the collection is rewritten as one sorted segment.
_MAX_SEGMENTS = 16


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
        single = len(frames) == 1
        if len({tuple(f.schema.items()) for f in frames}) == 1:
            # Same columns everywhere (the usual case): stack without a copy; the sort makes one.
            frame = pl.concat(frames, how="vertical", rechunk=False)
        else:
            frame = codec.concat(frames)
        del frames
        cluster = cluster_key(manifest, frame)
        if single and manifest.get("clustered") == [list(k) for k in cluster]:
            return _Snapshot(frame, manifest, cluster)
        frame = sort_by(frame, cluster) if cluster else frame
        return _Snapshot(frame.rechunk(), manifest, cluster)

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
            sliced = slice_rows(frame, snap.cluster, snap.cache, first_match)
            if sliced is not None:
                return sliced.lazy()
        return frame.lazy()

    # -- writing (callers hold the store's write lock) --------------------------------------------
    def insert(self, documents: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Add ``documents`` (an ``_id`` ObjectId is generated where absent); return their ids."""
        docs = list(documents)
        if not docs:
            msg = "documents must be a non-empty list"
            raise TypeError(msg)
        for doc in docs:
            if not isinstance(doc, Mapping):
                msg = f"documents must be objects, got {type(doc).__name__}"
                raise TypeError(msg)
        without = [i for i, doc in enumerate(docs) if "_id" not in doc]
        raw = new_object_ids(len(without))
        fresh = [bson.ObjectId(b) for b in raw]
        supplied = len(without) < len(docs)
        if not supplied and any(docs):  # usual: encode as given, then put the _id column first
            new = codec.encode(docs).insert_column(0, pl.Series("_id", raw, dtype=pl.Binary))
            ids: list[Any] = fresh
        else:
            for i, oid in zip(without, fresh, strict=True):
                docs[i] = {"_id": oid, **docs[i]}
            new = codec.encode(docs)
            ids = [doc["_id"] for doc in docs]
        snap = self.snapshot()
        old = snap.frame
        combined = codec.concat([old, new]) if old.width else new
        self._check_unique(combined, snap.manifest, old_rows=old.height, ids_generated=not supplied)
        cluster = cluster_key(snap.manifest, combined)
        frame = sort_by(combined, cluster)
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
        cluster = cluster_key(snap.manifest, frame)
        if not (presorted and cluster == snap.cluster):
            frame = sort_by(frame, cluster)
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
        cluster = cluster_key(manifest, frame)
        if cluster != snap.cluster:
            frame = sort_by(frame, cluster)
        if self._files is not None:
            self._files.write_manifest(manifest)
        self._snap = _Snapshot(frame, manifest, cluster)
        if "expireAfterSeconds" in spec:
            # MongoDB removes the expired documents once the index is built: sweep on next read.
            self._last_ttl = float("-inf")
        return name

    def expire(self, *, now: dt.datetime | None = None, force: bool = False) -> int:
        """Delete documents past a TTL index's ``expireAfterSeconds``; return how many.

        Runs at most every 60 s (MongoDB's TTL monitor interval) unless ``force``. Readers call it on
        every scan; one that finds a write in progress skips the sweep rather than wait.
        """
        mono = _clock()
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


def _clock() -> float:
    """Seconds for the TTL interval (a function so tests can move time)."""
    return time.monotonic()


class _ObjectIdSource:
    """Fresh ObjectIds in bulk, laid out as the spec says: 4-byte seconds, 5 random bytes per
    process, a 3-byte counter. ~3x faster than ``bson.ObjectId()`` one at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = -1
        self._random = b""
        self._next = 0

    def __call__(self, n: int) -> list[bytes]:
        with self._lock:
            if self._pid != os.getpid():  # a forked child must not repeat its parent's ids
                self._pid, self._random = os.getpid(), os.urandom(5)
                self._next = int.from_bytes(os.urandom(3), "big")
            start, self._next = self._next, (self._next + n) % _COUNTER_SPAN
            head = (int(time.time()) & 0xFFFFFFFF).to_bytes(4, "big") + self._random
        if n >= _COUNTER_SPAN:  # the counter would repeat within this batch
            return [bson.ObjectId().binary for _ in range(n)]
        rows = np.empty((n, 12), dtype=np.uint8)
        rows[:, :9] = np.frombuffer(head, dtype=np.uint8)
        counter = (np.arange(start, start + n, dtype=np.int64) % _COUNTER_SPAN).astype(">u4")
        rows[:, 9:] = counter.view(np.uint8).reshape(n, 4)[:, 1:]
        data = rows.tobytes()
        return [data[i : i + 12] for i in range(0, 12 * n, 12)]


_COUNTER_SPAN = 1 << 24
new_object_ids = _ObjectIdSource()


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
