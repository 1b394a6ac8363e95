"""One bounded, thread-safe buffer of timed runs, and the per-name percentile summary of them.

Spendlens keeps two such buffers per process, both of this class: the store's database operations
(:class:`dashboard.store.timings.CommandTimings`) and the shell's page script runs
(:class:`dashboard.app.page_timings.PageTimings`). The System performance page summarises both with
:func:`summarize`, using MongoDB's discrete percentile so its figures read like the pipelines'.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import polars as pl

__all__ = ["CONTROL_FLOW", "TimingBuffer", "discrete_percentile", "summarize"]

T = TypeVar("T")

#: Streamlit's control-flow exceptions are how a page ends on purpose, not failures.
CONTROL_FLOW = {"StopException": "stopped", "RerunException": "rerun"}


class TimingBuffer(Generic[T]):
    """Keeps the last ``maxlen`` records (dataclasses with ``at``, ``duration_ms`` and ``outcome``
    fields); older ones fall off the end. ``schema`` is the frame's schema, so an empty buffer
    still gives the right columns."""

    def __init__(
        self,
        record_type: Callable[..., T],
        schema: Mapping[str, pl.DataType],
        *,
        maxlen: int,
        outcomes: Mapping[str, str] | None = None,
    ) -> None:
        self._record_type = record_type
        self._schema = dict(schema)
        self._outcomes = dict(outcomes or {})
        self._items: deque[T] = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    @property
    def maxlen(self) -> int:
        return self._items.maxlen or 0

    def record(self, item: T) -> None:
        with self._lock:
            self._items.append(item)

    @contextmanager
    def timed(self, **fields: Any) -> Iterator[None]:
        """Time the body and record it with ``fields``; an exception is recorded by its class name
        (or the name ``outcomes`` gives it) and re-raised."""
        started = time.perf_counter()
        outcome = "ok"
        try:
            yield
        except BaseException as exc:
            name = type(exc).__name__
            outcome = self._outcomes.get(name, name)
            raise
        finally:
            self.record(
                self._record_type(
                    at=datetime.now(UTC),
                    duration_ms=(time.perf_counter() - started) * 1000.0,
                    outcome=outcome,
                    **fields,
                )
            )

    def snapshot(self) -> list[T]:
        with self._lock:
            return list(self._items)

    def frame(self) -> pl.DataFrame:
        """The buffer as a frame, one row per record, oldest first."""
        return pl.DataFrame([asdict(t) for t in self.snapshot()], schema=self._schema)  # type: ignore[call-overload]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


def discrete_percentile(column: str, p: float) -> pl.Expr:
    """MongoDB's discrete percentile (as the pipelines'): the ``ceil(p·n)``-th smallest value."""
    values = pl.col(column).drop_nulls().sort()
    index = (values.len().cast(pl.Float64) * p).ceil().cast(pl.Int64) - 1
    return values.get(index.clip(lower_bound=0), null_on_oob=True)


def summarize(timings: pl.DataFrame, *, by: str, count: str) -> pl.DataFrame:
    """``by, <count>, p50_ms, p95_ms, errors`` per value of ``by``, slowest p95 first.

    ``timings`` has ``duration_ms`` and ``outcome`` (a buffer's frame); an outcome other than
    ``ok``, ``stopped`` or ``rerun`` is an error.
    """
    return (
        timings.group_by(by)
        .agg(
            pl.len().cast(pl.Int64).alias(count),
            discrete_percentile("duration_ms", 0.5).alias("p50_ms"),
            discrete_percentile("duration_ms", 0.95).alias("p95_ms"),
            (~pl.col("outcome").is_in(["ok", *CONTROL_FLOW.values()]))
            .sum()
            .cast(pl.Int64)
            .alias("errors"),
        )
        .sort(["p95_ms", by], descending=[True, False], nulls_last=True)
    )
