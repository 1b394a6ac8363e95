"""Generic Polars shaping for the dashboards: local dates, gap filling, moving averages, changes.

Pure functions on frames; no I/O. Query results carry UTC instants; these turn them into the user's
local calendar and complete the calendar so an empty day or month shows 0 instead of a hole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

__all__ = [
    "buckets_between",
    "change",
    "fill_buckets",
    "fill_categories",
    "fill_range",
    "moving_average",
    "to_local_date",
]


def to_local_date(
    frame: pl.DataFrame, column: str, tz: str, *, alias: str | None = None
) -> pl.DataFrame:
    """Replace a UTC instant column by the local calendar date it falls on in ``tz``."""
    return frame.with_columns(
        pl.col(column).dt.convert_time_zone(tz).dt.date().alias(alias or column)
    )


def buckets_between(start: dt.date, end: dt.date, unit: str, *, week_start: int = 1) -> pl.Series:
    """Every bucket start (day, week starting on ISO weekday ``week_start``, or month) covering
    ``start``..``end``."""
    if unit == "day":
        first = start
        interval = "1d"
    elif unit == "week":
        first = start - dt.timedelta(days=(start.isoweekday() - week_start) % 7)
        interval = "1w"
    elif unit == "month":
        first = start.replace(day=1)
        interval = "1mo"
    else:
        msg = f"unknown unit {unit!r}; expected day, week or month"
        raise ValueError(msg)
    return pl.date_range(first, end, interval, eager=True).alias("bucket")


def fill_buckets(
    frame: pl.DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    unit: str,
    week_start: int = 1,
    values: Sequence[str] = ("total",),
) -> pl.DataFrame:
    """``frame`` (``bucket: Date`` + value columns) with every bucket present; missing ones are 0."""
    grid = buckets_between(start, end, unit, week_start=week_start).to_frame()
    joined = grid.join(frame, on="bucket", how="left", coalesce=True)
    return joined.with_columns([pl.col(v).fill_null(0) for v in values]).sort("bucket")


def fill_categories(
    frame: pl.DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    unit: str,
    categories: Sequence[str],
    week_start: int = 1,
) -> pl.DataFrame:
    """Long ``bucket, category, total`` with every (bucket, category) pair present (0 if none)."""
    grid = (
        buckets_between(start, end, unit, week_start=week_start)
        .to_frame()
        .join(
            pl.DataFrame({"category": list(categories)}, schema={"category": pl.String}),
            how="cross",
        )
    )
    joined = grid.join(frame, on=["bucket", "category"], how="left", coalesce=True)
    return joined.with_columns(pl.col("total").fill_null(0.0)).sort("bucket", "category")


def fill_range(frame: pl.DataFrame, column: str, values: Sequence[int]) -> pl.DataFrame:
    """``frame`` with a row for each of ``values`` in ``column`` (e.g. all 7 weekdays); others 0."""
    grid = pl.DataFrame({column: list(values)}, schema={column: frame.schema[column]})
    numeric = [c for c in frame.columns if c != column]
    joined = grid.join(frame, on=column, how="left", coalesce=True)
    return joined.with_columns([pl.col(c).fill_null(0) for c in numeric]).sort(column)


def moving_average(
    frame: pl.DataFrame, column: str, *, window: int = 3, alias: str = "moving_avg"
) -> pl.DataFrame:
    """Trailing mean over ``window`` rows (null until a full window exists); rows must be sorted."""
    return frame.with_columns(
        pl.col(column).rolling_mean(window_size=window, min_samples=window).alias(alias)
    )


def change(current: float | None, previous: float | None) -> float | None:
    """Relative change from ``previous`` to ``current`` (0.25 = +25 %); None when undefined."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous)
