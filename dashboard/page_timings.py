"""A bounded, thread-safe buffer of page script durations, filled by the app shell, and the
per-name summary (p50/p95) the System performance page draws from it and from the store's timings.

``dashboard.shell`` times every ``page.run()`` with :meth:`PageTimingBuffer.measure` on the
process-wide :data:`PAGE_TIMINGS`; the System performance page reads it to compare page durations
with the scaling notes' "page load < 2 s". The duration is the server-side script run (queries,
shaping, figure building), not the browser's rendering. Like the store's
:class:`~dashboard.store.timings.TimingBuffer`, it covers this process only.
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

__all__ = [
    "PAGE_LOAD_TARGET_MS",
    "PAGE_TIMINGS",
    "PageTiming",
    "PageTimingBuffer",
    "page_durations",
    "page_load_p95",
    "summarize",
]

#: Streamlit's control-flow exceptions are how a page ends on purpose, not failures.
_CONTROL_FLOW = {"StopException": "stopped", "RerunException": "rerun"}
#: The scaling notes' "page load < 2 s".
PAGE_LOAD_TARGET_MS = 2000.0


@dataclass(frozen=True, slots=True)
class PageTiming:
    """One page script run."""

    at: datetime
    page: str
    duration_ms: float
    #: "ok", "stopped" (st.stop), "rerun" (st.rerun, st.switch_page) or the error's class name.
    outcome: str


_SCHEMA = {
    "at": pl.Datetime("us", "UTC"),
    "page": pl.String,
    "duration_ms": pl.Float64,
    "outcome": pl.String,
}


class PageTimingBuffer:
    """Keeps the last ``maxlen`` page runs; older ones fall off the end."""

    def __init__(self, maxlen: int = 5_000) -> None:
        self._items: deque[PageTiming] = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    @property
    def maxlen(self) -> int:
        return self._items.maxlen or 0

    def record(self, timing: PageTiming) -> None:
        with self._lock:
            self._items.append(timing)

    @contextmanager
    def measure(self, page: str) -> Iterator[None]:
        """Time the body as a run of ``page``; an exception is recorded by its class and re-raised."""
        started = time.perf_counter()
        outcome = "ok"
        try:
            yield
        except BaseException as exc:
            name = type(exc).__name__
            outcome = _CONTROL_FLOW.get(name, name)
            raise
        finally:
            self.record(
                PageTiming(
                    at=datetime.now(UTC),
                    page=page,
                    duration_ms=(time.perf_counter() - started) * 1000.0,
                    outcome=outcome,
                )
            )

    def snapshot(self) -> list[PageTiming]:
        with self._lock:
            return list(self._items)

    def frame(self) -> pl.DataFrame:
        """The buffer as a frame (one row per page run), oldest first."""
        return pl.DataFrame([asdict(t) for t in self.snapshot()], schema=_SCHEMA)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


#: The buffer of this process, shared by every session.
PAGE_TIMINGS = PageTimingBuffer()


def _discrete(column: str, p: float) -> pl.Expr:
    """MongoDB's discrete percentile (as the pipelines'): the ``ceil(p·n)``-th smallest value."""
    values = pl.col(column).drop_nulls().sort()
    index = (values.len().cast(pl.Float64) * p).ceil().cast(pl.Int64) - 1
    return values.get(index.clip(lower_bound=0), null_on_oob=True)


def summarize(timings: pl.DataFrame, *, by: str, count: str) -> pl.DataFrame:
    """``by, <count>, p50_ms, p95_ms, errors`` per value of ``by``, slowest p95 first.

    ``timings`` has ``duration_ms`` and ``outcome`` (this buffer's frame or the store's
    :class:`~dashboard.store.timings.TimingBuffer` frame); an outcome other than ``ok``,
    ``stopped`` or ``rerun`` is an error.
    """
    return (
        timings.group_by(by)
        .agg(
            pl.len().cast(pl.Int64).alias(count),
            _discrete("duration_ms", 0.5).alias("p50_ms"),
            _discrete("duration_ms", 0.95).alias("p95_ms"),
            (~pl.col("outcome").is_in(["ok", *_CONTROL_FLOW.values()]))
            .sum()
            .cast(pl.Int64)
            .alias("errors"),
        )
        .sort(["p95_ms", by], descending=[True, False], nulls_last=True)
    )


def page_durations(timings: pl.DataFrame) -> pl.DataFrame:
    """Per page: ``page, views, p50_ms, p95_ms, errors, breach`` (p95 at or over 2 s)."""
    return summarize(timings, by="page", count="views").with_columns(
        (pl.col("p95_ms") >= PAGE_LOAD_TARGET_MS).fill_null(False).alias("breach")
    )


def page_load_p95(timings: pl.DataFrame) -> float | None:
    """The p95 of every recorded page run (None before the first)."""
    return timings.select(_discrete("duration_ms", 0.95)).item() if timings.height else None
