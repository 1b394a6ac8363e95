"""The embedded engine: MongoDB's query and aggregation language executed in-process on Polars.

``connect("embedded:///abs/dir")`` persists collections under ``dir``; ``connect("memory://")`` keeps
them in memory only. See ``docs/embedded-engine.md`` for what it covers and how it differs, and
``catalog`` for where the operators are listed (importing this package fills the engine's tables).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl
from pymongo.errors import ExecutionTimeout

from dashboard.store import frames
from dashboard.store.base import IndexKeys, Pipeline, Store
from dashboard.store.embedded import (
    catalog,  # noqa: F401  (importing it fills the tables the compilers look names up in)
    codec,
)
from dashboard.store.embedded.collection import Collection
from dashboard.store.embedded.pipeline import RunState, compile_pipeline
from dashboard.store.embedded.query import compile_filter
from dashboard.store.embedded.runtime_errors import raising_checks
from dashboard.store.embedded.storage import CollectionFiles, DataDirLock, remove_temp_files
from dashboard.store.embedded.update import apply_update, check_update, upsert_document
from dashboard.store.embedded.values import Ctx
from dashboard.store.errors import DatabaseUnavailable, OperationFailure
from dashboard.store.timings import CommandTimings

__all__ = ["EmbeddedStore"]


class EmbeddedStore(Store):
    """A :class:`~dashboard.store.base.Store` whose collections are Polars frames."""

    def __init__(
        self, root: Path | None, *, db_name: str = "expense_tracker", max_time_ms: int | None = None
    ) -> None:
        self.root = root
        self.db_name = db_name
        self.max_time_ms = max_time_ms
        self.timings = CommandTimings()
        self._write_lock = threading.RLock()
        self._collections: dict[str, Collection] = {}
        self._lock = DataDirLock(root) if root is not None else None
        if root is not None:
            remove_temp_files(root)
        self.description = (
            f"embedded engine in {root}"
            if root is not None
            else f"embedded engine in memory (#{id(self):x})"
        )

    # -- collections ------------------------------------------------------------------------------
    def _collection(self, name: str) -> Collection:
        if self.root is not None and self._lock is None:
            msg = f"the embedded store on {self.root} is closed"
            raise DatabaseUnavailable(msg)
        if (
            not isinstance(name, str)
            or not name
            or "$" in name
            or "/" in name
            or name.startswith(".")
        ):
            msg = f"Invalid collection name: {name!r}"
            raise OperationFailure(msg, code=73)
        coll = self._collections.get(name)
        if coll is None:
            with self._write_lock:
                coll = self._collections.get(name)
                if coll is None:
                    files = CollectionFiles(self.root, name) if self.root is not None else None
                    coll = Collection(
                        name, files, db_name=self.db_name, write_lock=self._write_lock
                    )
                    self._collections[name] = coll
        return coll

    def list_collection_names(self) -> list[str]:
        names = set(CollectionFiles.names(self.root)) if self.root is not None else set()
        loaded = list(self._collections.items())  # a copy: other threads may add collections
        names |= {n for n, c in loaded if c.frame().width or c.indexes}
        return sorted(names)

    def drop_collection(self, collection: str) -> None:
        with self._write_lock, self.timings.measure("drop", collection):
            self._collection(collection).drop()

    # -- Env for pipelines ------------------------------------------------------------------------
    def scan(self, collection: str) -> pl.LazyFrame:
        return self._collection(collection).scan(None)

    def text_fields(self, collection: str) -> tuple[str, ...]:
        return self._collection(collection).text_fields()

    def write(self, collection: str, frame: pl.DataFrame, *, mode: str, on: list[str]) -> None:
        from dashboard.store.embedded.writes import write_stage_output

        with self._write_lock:
            write_stage_output(self._collection(collection), frame, mode=mode, on=on)

    # -- reading ----------------------------------------------------------------------------------
    def _run(
        self, collection: str, pipeline: Pipeline, *, max_time_ms: int | None
    ) -> tuple[pl.DataFrame, RunState]:
        pipeline = list(pipeline)
        first = pipeline[0].get("$match") if pipeline and isinstance(pipeline[0], Mapping) else None
        lf = self._collection(collection).scan(first if isinstance(first, Mapping) else None)
        state = RunState(env=self, collection=collection)
        with raising_checks():  # a stage may run a sub-query while compiling ($bucketAuto)
            lf = compile_pipeline(pipeline, lf, state)
        frame = _collect(lf, max_time_ms=max_time_ms or self.max_time_ms)
        for write in state.writes:
            write(frame)
        return frame, state

    def aggregate(
        self,
        collection: str,
        pipeline: Pipeline,
        *,
        max_time_ms: int | None = None,
        comment: str | None = None,
    ) -> list[dict[str, Any]]:
        with self.timings.measure("aggregate", collection, comment=comment):
            frame, state = self._run(collection, pipeline, max_time_ms=max_time_ms)
            return [] if state.writes else codec.decode_rows(frame)

    def aggregate_frame(
        self,
        collection: str,
        pipeline: Pipeline,
        *,
        schema: Mapping[str, pl.DataType] | None = None,
        max_time_ms: int | None = None,
        comment: str | None = None,
    ) -> pl.DataFrame:
        with self.timings.measure("aggregate", collection, comment=comment):
            frame, state = self._run(collection, pipeline, max_time_ms=max_time_ms)
            if state.writes:
                frame = frame.clear()
            frame = frame.select(codec.user_columns(frame.columns))
            return frames.conform(frames.object_ids_to_hex(frame), schema)

    def find(
        self,
        collection: str,
        filter: Mapping[str, Any] | None = None,
        *,
        projection: Mapping[str, Any] | None = None,
        sort: Sequence[tuple[str, int]] | None = None,
        skip: int = 0,
        limit: int = 0,
    ) -> list[dict[str, Any]]:
        pipeline: list[dict[str, Any]] = [{"$match": dict(filter or {})}]
        if sort:
            pipeline.append({"$sort": dict(sort)})
        if skip:
            pipeline.append({"$skip": skip})
        if limit:
            pipeline.append({"$limit": limit})
        if projection:
            pipeline.append({"$project": dict(projection)})
        with self.timings.measure("find", collection):
            frame, _ = self._run(collection, pipeline, max_time_ms=None)
            return codec.decode_rows(frame)

    def count_documents(self, collection: str, filter: Mapping[str, Any]) -> int:
        with self.timings.measure("count", collection):
            lf = self._collection(collection).scan(filter)
            if not lf.collect_schema():
                return 0
            ctx = self._ctx(collection, lf)
            counted = lf.filter(compile_filter(filter, ctx)).select(pl.len())
            return _collect(counted, max_time_ms=self.max_time_ms).item()

    def _ctx(self, collection: str, lf: pl.LazyFrame) -> Ctx:
        return Ctx(
            schema=dict(lf.collect_schema()),
            where=collection,
            text_fields=self.text_fields(collection),
            frame=lf,
        )

    # -- writing ----------------------------------------------------------------------------------
    def insert_many(self, collection: str, documents: Sequence[Mapping[str, Any]]) -> list[Any]:
        with self._write_lock, self.timings.measure("insert", collection):
            return self._collection(collection).insert(documents)  # reads them, never mutates

    def update_many(
        self,
        collection: str,
        filter: Mapping[str, Any],
        update: Mapping[str, Any],
        *,
        upsert: bool = False,
    ) -> int:
        with self._write_lock, self.timings.measure("update", collection):
            check_update(update)  # MongoDB rejects a bad update even when nothing matches
            coll = self._collection(collection)
            frame = coll.frame()
            if frame.width:
                ctx = self._ctx(collection, frame.lazy())
                matches = frame.lazy().select(compile_filter(filter, ctx).alias("m"))
                mask = _collect(matches, max_time_ms=self.max_time_ms).get_column("m")
                if mask.len() != frame.height:  # a constant filter such as {}
                    mask = mask.new_from_index(0, frame.height)
                matched = int(mask.sum())
            else:
                matched, mask = 0, pl.Series("m", [], dtype=pl.Boolean)
            if matched == 0:
                if upsert:
                    coll.insert([upsert_document(filter, update)])
                return 0
            with raising_checks():
                new_frame, modified = apply_update(frame, mask, update)
            if modified:
                # An update never changes _id; the order holds unless a cluster-key field changed.
                touched = {p.split(".")[0] for fields in update.values() for p in fields}
                presorted = not touched & {f for f, _ in coll.cluster_key()}
                coll.replace_all(new_frame, check_ids=False, presorted=presorted)
            return modified

    def delete_many(self, collection: str, filter: Mapping[str, Any]) -> int:
        with self._write_lock, self.timings.measure("delete", collection):
            coll = self._collection(collection)
            frame = coll.frame()
            if not frame.width:
                return 0
            ctx = self._ctx(collection, frame.lazy())
            kept = frame.lazy().filter(~compile_filter(filter, ctx))
            keep = _collect(kept, max_time_ms=self.max_time_ms)
            deleted = frame.height - keep.height
            if deleted:
                coll.replace_all(keep, check_ids=False, presorted=True)
            return deleted

    def create_index(self, collection: str, keys: IndexKeys, **options: Any) -> str:
        with self._write_lock, self.timings.measure("createIndexes", collection):
            return self._collection(collection).add_index(keys, options)

    def index_information(self, collection: str) -> dict[str, dict[str, Any]]:
        info: dict[str, dict[str, Any]] = {"_id_": {"key": [("_id", 1)], "v": 2}}
        for ix in self._collection(collection).indexes:
            entry: dict[str, Any] = {"key": [tuple(k) for k in ix["key"]], "v": 2}
            entry.update({k: v for k, v in ix.items() if k not in ("name", "key")})
            info[ix["name"]] = entry
        return info

    def ping(self) -> None:
        if self.root is not None and self._lock is None:
            msg = f"the embedded store on {self.root} is closed"
            raise DatabaseUnavailable(msg)
        if self.root is not None and not self.root.exists():
            msg = f"the data directory {self.root} no longer exists"
            raise DatabaseUnavailable(msg)

    def close(self) -> None:
        """Release the data directory (idempotent); a persisted store refuses use afterwards."""
        with self._write_lock:
            if self._lock is not None:
                self._lock.release()
                self._lock = None
                self._collections.clear()


def _drain(query: Any) -> None:
    """Hold a cancelled background query until Polars is done with it, whatever it ends with."""
    with contextlib.suppress(Exception):  # "query interrupted", or a result nobody wants
        query.fetch_blocking()


def _collect(lf: pl.LazyFrame, *, max_time_ms: int | None) -> pl.DataFrame:
    """Run the query; with a time limit, cancel it when the limit passes (like maxTimeMS)."""
    with raising_checks():
        return _collect_within(lf, max_time_ms=max_time_ms)


def _collect_within(lf: pl.LazyFrame, *, max_time_ms: int | None) -> pl.DataFrame:
    if not max_time_ms:
        return lf.collect(engine="in-memory")
    query = lf.collect(background=True, engine="in-memory")
    deadline = time.monotonic() + max_time_ms / 1000.0
    delay = 0.0002
    while True:
        result = query.fetch()
        # Past the deadline the operation is stopped even if its result came in meanwhile: a
        # sleep that overslept (a loaded machine) must not turn a timeout into a late answer.
        if time.monotonic() >= deadline:
            if result is None:
                query.cancel()
                # Polars still finishes the job and sends its result; a query dropped before
                # that panics its worker thread, which aborts the process. Wait for it elsewhere.
                threading.Thread(
                    target=_drain, args=(query,), name="cancelled-query", daemon=True
                ).start()
            msg = f"operation exceeded time limit ({max_time_ms} ms)"
            raise ExecutionTimeout(msg, code=50)
        if result is not None:
            return result
        time.sleep(delay)
        delay = min(delay * 2, 0.005)
