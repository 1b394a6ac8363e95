"""What a query function returns: the collection, the pipeline, and how to shape its frame."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

__all__ = ["Query"]


@dataclass(frozen=True)
class Query:
    """A named aggregation: pure data, so it can be unit-tested by looking at it or running it.

    ``name`` is the query's dotted name (``spending.by_category``): it is sent as the MongoDB
    ``comment`` (so slow queries can be found in the profiler) and starts the cache key.
    """

    name: str
    collection: str
    pipeline: list[dict[str, Any]]
    schema: Mapping[str, pl.DataType] | None = None
    #: Cache lifetime family: "statistics", "profile" or "recent".
    family: str = "statistics"
    #: Cache scope: "user:<id>" for one user's data, "global" for queries over everyone.
    scope: str = "global"
    meta: Mapping[str, Any] = field(default_factory=dict)
