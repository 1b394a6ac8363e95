"""A bounded, thread-safe buffer of database operation timings shared by every backend.

The MongoDB backend fills it from a pymongo ``CommandListener``; the embedded engine times each of its
operations itself. The performance page reads it to show query durations per query name.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import polars as pl

__all__ = ["CommandTiming", "TimingBuffer"]


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


class TimingBuffer:
    """Keeps the last ``maxlen`` operation timings; older ones fall off the end."""

    def __init__(self, maxlen: int = 10_000) -> None:
        self._items: deque[CommandTiming] = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    @property
    def maxlen(self) -> int:
        return self._items.maxlen or 0

    def record(self, timing: CommandTiming) -> None:
        with self._lock:
            self._items.append(timing)

    @contextmanager
    def measure(
        self, operation: str, collection: str, *, comment: str | None = None
    ) -> Iterator[None]:
        """Time the body and record it, with the exception's class name as outcome if it raises."""
        started = time.perf_counter()
        outcome = "ok"
        try:
            yield
        except BaseException as exc:
            outcome = type(exc).__name__
            raise
        finally:
            self.record(
                CommandTiming(
                    at=datetime.now(UTC),
                    operation=operation,
                    collection=collection,
                    comment=comment,
                    duration_ms=(time.perf_counter() - started) * 1000.0,
                    outcome=outcome,
                )
            )

    def snapshot(self) -> list[CommandTiming]:
        with self._lock:
            return list(self._items)

    def frame(self) -> pl.DataFrame:
        """The buffer as a frame (one row per operation), for the performance page."""
        rows = [asdict(t) for t in self.snapshot()]
        return pl.DataFrame(rows, schema=_SCHEMA)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
