"""A period's expense rows for export, read in chunks so memory stays bounded.

The plan comes first: :func:`queries.finance.hourly_counts` gives the number of live expenses per UTC
hour (a few thousand small rows for a year), which is the total for the progress bar and the Excel
row limit, and cuts the period into time windows of about ``chunk_rows`` expenses each. Each window
is then one :func:`queries.finance.export_rows` pipeline (sorted by date, then id), sent to the store
directly, not through the result cache. Only one window's rows are in memory at a time, and a window
filters the collection to a small slice, so neither the app nor the database sorts the whole period.
Rows come out by date; the user's name is joined in Polars from :func:`queries.finance.usernames`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import polars as pl

from dashboard.core.identity import AuthUser
from dashboard.core.periods import Period
from dashboard.data import expenses
from dashboard.data.runner import Runner
from dashboard.views.finance import MONEY, name_users
from queries import finance

__all__ = ["CHUNK_ROWS", "ROW_COLUMNS", "Progress", "RowPlan", "iter_rows", "plan_rows"]

#: Expenses per chunk: about 15 MB of frame, a few tens of milliseconds per pipeline.
CHUNK_ROWS = 100_000
#: The exported columns, in order.
ROW_COLUMNS = (
    "date", "user", "category", "amount", "currency", "description", "expense_id", "user_id",
)  # fmt: skip
#: ``progress(label, done, total)``, as :class:`dashboard.progress.TerminalProgress` takes it.
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class RowPlan:
    """The period's row count and its UTC windows ``[start, end)``, each about one chunk."""

    total: int
    windows: tuple[tuple[dt.datetime, dt.datetime], ...]


def plan_rows(
    runner: Runner, user: AuthUser, period: Period, *, chunk_rows: int = CHUNK_ROWS
) -> RowPlan:
    """How many live expenses the period has, and the time windows to read them in."""
    if chunk_rows <= 0:
        msg = f"chunk_rows must be above 0, got {chunk_rows}"
        raise ValueError(msg)
    counts = runner.frame(finance.hourly_counts(user, period))
    lo, hi = period.utc_bounds()
    windows: list[tuple[dt.datetime, dt.datetime]] = []
    start, size = lo, 0
    for hour, count in counts.iter_rows():
        if size and size + count > chunk_rows:
            windows.append((start, hour))
            start, size = hour, 0
        size += count
    if size:
        windows.append((start, hi))
    return RowPlan(total=int(counts["count"].sum() or 0), windows=tuple(windows))


def _shape(frame: pl.DataFrame, names: pl.DataFrame, tz: str) -> pl.DataFrame:
    local = frame.with_columns(
        pl.col("date").dt.convert_time_zone(tz),
        (pl.col("cents").cast(MONEY) / 100).cast(MONEY).alias("amount"),
    )
    return name_users(local, names).select(ROW_COLUMNS)


def iter_rows(
    runner: Runner,
    user: AuthUser,
    period: Period,
    *,
    plan: RowPlan | None = None,
    progress: Progress | None = None,
) -> Iterator[pl.DataFrame]:
    """The period's live expenses as frames of :data:`ROW_COLUMNS`, one per window, by date.

    ``date`` is in the period's time zone, ``amount`` a ``Decimal(38, 2)``, ids are hex strings.
    """
    plan = plan or plan_rows(runner, user, period)
    names = runner.frame(finance.usernames(user))
    done = 0
    if progress is not None:
        progress("rows", 0, plan.total)
    if not plan.windows:  # still one (empty) chunk, so every file gets its header
        yield _shape(pl.DataFrame(schema=finance.EXPORT_SCHEMA), names, period.tz)
    for window in plan.windows:
        frame = expenses.export_window(runner.store, user, period, window)
        yield _shape(frame, names, period.tz)
        done += frame.height  # after the writer has taken the chunk: progress is rows written
        if progress is not None:
            progress("rows", done, max(plan.total, done))
