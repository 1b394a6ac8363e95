"""The MongoDB backend: pymongo with short timeouts, named queries and per-command timings.

Frames are built from cursor batches with an explicit schema rather than with pymongoarrow: on our
stack pymongoarrow 1.15 pins pyarrow 25 and warns of binary incompatibility (see
``docs/architecture.md``), while batches + ``pl.DataFrame(schema=...)`` keep every dtype exact and
never infer from the first rows only.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pymongo
from pymongo import MongoClient, monitoring
from pymongo.errors import ConnectionFailure, PyMongoError
from pymongo.read_preferences import ReadPreference

from dashboard.core.settings import describe_uri
from dashboard.store import frames
from dashboard.store.base import IndexKeys, Pipeline, Store, normalize_index_keys
from dashboard.store.errors import DatabaseUnavailable
from dashboard.store.timings import CommandTiming, CommandTimings

__all__ = ["CommandRecorder", "MongoStore"]

_READ_PREFERENCES = {
    "primary": ReadPreference.PRIMARY,
    "primaryPreferred": ReadPreference.PRIMARY_PREFERRED,
    "secondary": ReadPreference.SECONDARY,
    "secondaryPreferred": ReadPreference.SECONDARY_PREFERRED,
    "nearest": ReadPreference.NEAREST,
}
_IGNORED_COMMANDS = frozenset({"hello", "ismaster", "isMaster", "ping", "saslStart", "saslContinue",
                               "endSessions", "buildInfo", "getMore", "killCursors"})  # fmt: skip


class CommandRecorder(monitoring.CommandListener):
    """Records each command's name, collection, comment, duration and outcome into a buffer.

    ``getMore`` time is added to the command that opened the cursor, so an aggregate's duration is
    its whole fetch.
    """

    def __init__(self, buffer: CommandTimings) -> None:
        self.buffer = buffer
        self._pending: dict[int, tuple[str, str, str | None]] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in _IGNORED_COMMANDS:
            return
        command = event.command
        collection = command.get(event.command_name)
        comment = command.get("comment")
        self._pending[event.request_id] = (
            event.command_name,
            collection if isinstance(collection, str) else "",
            str(comment) if comment is not None else None,
        )

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._finish(event.request_id, event.duration_micros, "ok")

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        failure = event.failure or {}
        outcome = str(failure.get("codeName") or "failed")
        self._finish(event.request_id, event.duration_micros, outcome)

    def _finish(self, request_id: int, duration_micros: int, outcome: str) -> None:
        pending = self._pending.pop(request_id, None)
        if pending is None:
            return
        name, collection, comment = pending
        self.buffer.record(
            CommandTiming(
                at=datetime.now(UTC),
                operation=name,
                collection=collection,
                comment=comment,
                duration_ms=duration_micros / 1000.0,
                outcome=outcome,
            )
        )


class MongoStore(Store):
    """A :class:`~dashboard.store.base.Store` on a MongoDB deployment."""

    def __init__(
        self,
        uri: str,
        *,
        db_name: str = "expense_tracker",
        read_preference: str = "secondaryPreferred",
        max_time_ms: int = 15_000,
        server_selection_timeout_ms: int = 3_000,
        max_pool_size: int = 50,
        appname: str = "spendlens",
    ) -> None:
        self.timings = CommandTimings()
        self.max_time_ms = max_time_ms
        self._client: MongoClient[dict[str, Any]] = MongoClient(
            uri,
            tz_aware=True,
            appname=appname,
            serverSelectionTimeoutMS=server_selection_timeout_ms,
            connectTimeoutMS=server_selection_timeout_ms,
            socketTimeoutMS=max(30_000, max_time_ms + 5_000),
            maxPoolSize=max_pool_size,
            event_listeners=[CommandRecorder(self.timings)],
        )
        self._db = self._client.get_database(db_name)
        self._read_db = self._client.get_database(
            db_name, read_preference=_READ_PREFERENCES[read_preference]
        )
        self.description = f"MongoDB at {describe_uri(uri)} (database {db_name})"

    def _write_limit(self) -> contextlib.AbstractContextManager[None]:
        """The time limit for a write: pymongo's client-side operation timeout (CSOT), as
        ``maxTimeMS`` is for reads."""
        if not self.max_time_ms:
            return contextlib.nullcontext()
        return pymongo.timeout(self.max_time_ms / 1000.0)

    def _guard(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConnectionFailure as exc:
            msg = f"MongoDB is unreachable: {exc}"
            raise DatabaseUnavailable(msg) from exc

    def aggregate(
        self,
        collection: str,
        pipeline: Pipeline,
        *,
        max_time_ms: int | None = None,
        comment: str | None = None,
    ) -> list[dict[str, Any]]:
        cursor = self._guard(
            self._read_db[collection].aggregate,
            list(pipeline),
            allowDiskUse=True,
            maxTimeMS=max_time_ms or self.max_time_ms,
            comment=comment,
            batchSize=1000,
        )
        return self._guard(list, cursor)

    def aggregate_frame(
        self,
        collection: str,
        pipeline: Pipeline,
        *,
        schema: Mapping[str, pl.DataType] | None = None,
        max_time_ms: int | None = None,
        comment: str | None = None,
    ) -> pl.DataFrame:
        docs = self.aggregate(collection, pipeline, max_time_ms=max_time_ms, comment=comment)
        return frames.from_documents(docs, schema)

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
        cursor = self._read_db[collection].find(
            dict(filter or {}),
            projection=dict(projection) if projection else None,
            sort=list(sort) if sort else None,
            skip=skip,
            limit=limit,
            max_time_ms=self.max_time_ms,
        )
        return self._guard(list, cursor)

    def count_documents(self, collection: str, filter: Mapping[str, Any]) -> int:
        return self._guard(
            self._read_db[collection].count_documents, dict(filter), maxTimeMS=self.max_time_ms
        )

    def insert_many(self, collection: str, documents: Sequence[Mapping[str, Any]]) -> list[Any]:
        docs = [dict(d) for d in documents]
        with self._write_limit():
            result = self._guard(self._db[collection].insert_many, docs, ordered=True)
        return list(result.inserted_ids)

    def update_many(
        self,
        collection: str,
        filter: Mapping[str, Any],
        update: Mapping[str, Any],
        *,
        upsert: bool = False,
    ) -> int:
        with self._write_limit():
            result = self._guard(
                self._db[collection].update_many, dict(filter), dict(update), upsert=upsert
            )
        return int(result.modified_count)

    def delete_many(self, collection: str, filter: Mapping[str, Any]) -> int:
        with self._write_limit():
            return int(self._guard(self._db[collection].delete_many, dict(filter)).deleted_count)

    def create_index(self, collection: str, keys: IndexKeys, **options: Any) -> str:
        normalized = [(f, d if d != "text" else "text") for f, d in normalize_index_keys(keys)]
        return str(self._guard(self._db[collection].create_index, normalized, **options))

    def index_information(self, collection: str) -> dict[str, dict[str, Any]]:
        return dict(self._guard(self._db[collection].index_information))

    def list_collection_names(self) -> list[str]:
        return sorted(self._guard(self._db.list_collection_names))

    def drop_collection(self, collection: str) -> None:
        self._guard(self._db.drop_collection, collection)

    def ping(self) -> None:
        started = time.perf_counter()
        try:
            self._client.admin.command("ping")
        except PyMongoError as exc:
            waited = time.perf_counter() - started
            msg = f"MongoDB did not answer a ping within {waited:.1f} s: {exc}"
            raise DatabaseUnavailable(msg) from exc

    def close(self) -> None:
        self._client.close()
