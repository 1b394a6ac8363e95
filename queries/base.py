"""What a query function returns: the collection, the pipeline, whose data it reads (its cache
scope) and how long its result may be cached."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

__all__ = ["FAMILIES", "GLOBAL", "Family", "Query"]

#: Cache lifetime families (the scaling notes: statistics 30 min, profiles 1 h, recent activity
#: 5 min). ``live`` reads are never cached: admin tables that must show a change at once.
Family = Literal["statistics", "profile", "recent", "live"]
FAMILIES: tuple[Family, ...] = ("statistics", "profile", "recent", "live")
#: The scope of queries over everyone's data (cleared by any write that changes those figures).
GLOBAL = "global"
_USER_SCOPE = re.compile(r"user:[0-9a-f]{24}")


@dataclass(frozen=True, kw_only=True)
class Query:
    """A named aggregation: pure data, so it can be unit-tested by looking at it or running it.

    ``name`` is the query's dotted name (``spending.by_category``): it is sent as the MongoDB
    ``comment`` (so slow queries can be found in the profiler) and starts the cache key.
    ``scope`` has no default: a query over one user's data says ``user:<id>`` (the user's
    :attr:`~dashboard.core.identity.AuthUser.scope`), so a write to that user's data clears it; a
    query over everyone's says :data:`GLOBAL`.
    """

    name: str
    collection: str
    pipeline: list[dict[str, Any]]
    scope: str
    schema: Mapping[str, pl.DataType] | None = None
    family: Family = "statistics"
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.scope != GLOBAL and not _USER_SCOPE.fullmatch(self.scope):
            msg = f"query {self.name}: scope must be {GLOBAL!r} or 'user:<id>', got {self.scope!r}"
            raise ValueError(msg)
        if self.family not in FAMILIES:
            msg = f"query {self.name}: family must be one of {', '.join(FAMILIES)}"
            raise ValueError(msg)
