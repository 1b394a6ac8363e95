"""The one interface every data access in Spendlens goes through.

Two backends implement it: :mod:`dashboard.store.mongo` (production, pymongo) and
:mod:`dashboard.store.embedded` (the same pipelines executed in-process on Polars). Documents go in and
come out as pymongo returns them with ``tz_aware=True``: ``bson.ObjectId`` ids, timezone-aware UTC
datetimes, ints as ints, floats as floats, missing fields absent.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from dashboard.store.timings import CommandTimings

__all__ = ["IndexKeys", "Pipeline", "Store", "normalize_index_keys"]

Pipeline = Sequence[Mapping[str, Any]]
IndexKeys = str | Sequence[tuple[str, int | str]] | Mapping[str, int | str]


def normalize_index_keys(keys: IndexKeys) -> list[tuple[str, int | str]]:
    """Index keys in pymongo's list-of-pairs form: ``"a"`` → ``[("a", 1)]``."""
    if isinstance(keys, str):
        return [(keys, 1)]
    items = list(keys.items()) if isinstance(keys, Mapping) else list(keys)
    out: list[tuple[str, int | str]] = []
    for item in items:
        field, direction = item
        if direction not in (1, -1, "text", "hashed", "2dsphere"):
            msg = f"index key {field!r}: direction must be 1, -1 or 'text', got {direction!r}"
            raise ValueError(msg)
        out.append((str(field), direction))
    if not out:
        msg = "an index needs at least one key"
        raise ValueError(msg)
    return out


def default_index_name(keys: list[tuple[str, int | str]]) -> str:
    """MongoDB's default index name: ``userId_1_date_-1``."""
    return "_".join(f"{field}_{direction}" for field, direction in keys)


class Store(ABC):
    """A database: named collections of documents, queried with MongoDB's language."""

    #: What the home page shows, e.g. "MongoDB at db.example:27017/expense_tracker".
    description: str
    #: Timings of every operation this store ran (bounded).
    timings: CommandTimings
    #: The time limit of every operation, reads and writes (``MONGODB_MAX_TIME_MS``), unless a
    #: call gives its own; None: no limit. Set once, by :func:`~dashboard.store.connect`.
    max_time_ms: int | None = None

    @abstractmethod
    def aggregate(
        self,
        collection: str,
        pipeline: Pipeline,
        *,
        max_time_ms: int | None = None,
        comment: str | None = None,
    ) -> list[dict[str, Any]]:
        """Run an aggregation pipeline and return its documents."""

    @abstractmethod
    def aggregate_frame(
        self,
        collection: str,
        pipeline: Pipeline,
        *,
        schema: Mapping[str, pl.DataType] | None = None,
        max_time_ms: int | None = None,
        comment: str | None = None,
    ) -> pl.DataFrame:
        """Run a pipeline and return a frame; ObjectIds become 24-character hex strings.

        With ``schema`` the frame has exactly those columns and dtypes (missing fields are null), so an
        empty result still has the right shape.
        """

    @abstractmethod
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
        """Documents matching ``filter``, as pymongo's ``find`` returns them."""

    @abstractmethod
    def count_documents(self, collection: str, filter: Mapping[str, Any]) -> int:
        """How many documents match ``filter``."""

    @abstractmethod
    def insert_many(self, collection: str, documents: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Insert documents (adding ``_id`` where absent) and return their ids in order."""

    @abstractmethod
    def update_many(
        self,
        collection: str,
        filter: Mapping[str, Any],
        update: Mapping[str, Any],
        *,
        upsert: bool = False,
    ) -> int:
        """Apply an update document to every match; return the modified count."""

    @abstractmethod
    def delete_many(self, collection: str, filter: Mapping[str, Any]) -> int:
        """Delete every match; return the deleted count."""

    @abstractmethod
    def create_index(self, collection: str, keys: IndexKeys, **options: Any) -> str:
        """Create an index if it does not exist (idempotent); return its name."""

    @abstractmethod
    def index_information(self, collection: str) -> dict[str, dict[str, Any]]:
        """Indexes of a collection as pymongo's ``index_information`` returns them."""

    @abstractmethod
    def list_collection_names(self) -> list[str]:
        """Names of the collections that exist."""

    @abstractmethod
    def drop_collection(self, collection: str) -> None:
        """Remove a collection with its documents and indexes."""

    @abstractmethod
    def ping(self) -> None:
        """Raise :class:`~dashboard.store.errors.DatabaseUnavailable` when the database is unreachable."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections, files and locks."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
