"""The store's buffer of database operation timings, shared by both backends.

The MongoDB backend fills it from a pymongo ``CommandListener``; the embedded engine times each of
its operations itself. The System performance page reads it to show query durations per query name.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from dashboard.core.timings import TimingBuffer

__all__ = ["CommandTiming", "CommandTimings"]


@dataclass(frozen=True, slots=True)
class CommandTiming:
    """One finished database operation."""

    at: datetime
    operation: str
    collection: str
    comment: str | None
    duration_ms: float
    outcome: str  # "ok" or the error's class name


_SCHEMA = {
    "at": pl.Datetime("us", "UTC"),
    "operation": pl.String,
    "collection": pl.String,
    "comment": pl.String,
    "duration_ms": pl.Float64,
    "outcome": pl.String,
}


class CommandTimings(TimingBuffer[CommandTiming]):
    """The last ``maxlen`` database operations of one store."""

    def __init__(self, maxlen: int = 10_000) -> None:
        super().__init__(CommandTiming, _SCHEMA, maxlen=maxlen)

    def measure(
        self, operation: str, collection: str, *, comment: str | None = None
    ) -> AbstractContextManager[None]:
        """Time the body as one ``operation`` on ``collection`` (named by ``comment``)."""
        return self.timed(operation=operation, collection=collection, comment=comment)
