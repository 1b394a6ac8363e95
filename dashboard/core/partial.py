"""The one rule for buckets that are not over yet or that the data only partly covers.

A day, week, month, quarter or year bucket is *partial* when it ends after ``last_day`` (today, or
the period's last day: it is still filling up) or starts before ``data_start`` (the data begins
inside it). Charts draw partial buckets differently (hatched bars, dashed line ends) and say why in a
note; rates leave them out. Buckets are identified by their first day.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import polars as pl

from dashboard.core.periods import Period, local_today

__all__ = [
    "PARTIAL_NOTE",
    "Unit",
    "bucket_end",
    "last_complete_day",
    "mark_partial",
    "partial_note",
]

Unit = Literal["day", "week", "month", "quarter", "year"]
#: How far each bucket reaches, as a Polars offset: its last day is the day before that.
_LENGTHS = {"day": "1d", "week": "1w", "month": "1mo", "quarter": "3mo", "year": "1y"}

PARTIAL_NOTE = "Hatched bars and dashed segments are partial: {why}."


def _end_expr(first: pl.Expr, unit: Unit) -> pl.Expr:
    if unit not in _LENGTHS:
        msg = f"unknown unit {unit!r}; expected day, week, month, quarter or year"
        raise ValueError(msg)
    return first.dt.offset_by(_LENGTHS[unit]) - pl.duration(days=1)


def bucket_end(first: dt.date, unit: Unit) -> dt.date:
    """The last day of the bucket that starts on ``first``."""
    return pl.select(_end_expr(pl.lit(first), unit)).item()


def mark_partial(
    frame: pl.DataFrame,
    column: str,
    *,
    unit: Unit,
    last_day: dt.date,
    data_start: dt.date | None = None,
) -> pl.DataFrame:
    """``frame`` with a Boolean ``partial`` column: the bucket starting on ``column`` (a date) ends
    after ``last_day`` or starts before ``data_start``."""
    if frame[column].dtype != pl.Date:
        msg = f"mark_partial: column {column!r} must hold dates, not {frame[column].dtype}"
        raise TypeError(msg)
    partial = _end_expr(pl.col(column), unit) > pl.lit(last_day)
    if data_start is not None:
        partial = partial | (pl.col(column) < pl.lit(data_start))
    return frame.with_columns(partial=partial.fill_null(False))


def partial_note(
    frame: pl.DataFrame,
    column: str,
    *,
    unit: Unit,
    last_day: dt.date,
    data_start: dt.date | None = None,
) -> str | None:
    """A sentence naming why the frame's partial buckets are partial (None when none is)."""
    if "partial" not in frame.columns or not frame["partial"].any():
        return None
    reasons = []
    firsts = frame.filter(pl.col("partial"))[column].to_list()
    if any(bucket_end(first, unit) > last_day for first in firsts):
        reasons.append(f"the {unit} is not over yet (data up to {last_day:%d %b %Y})")
    if data_start is not None and any(first < data_start for first in firsts):
        reasons.append(f"the figures start on {data_start:%d %b %Y}")
    return PARTIAL_NOTE.format(why=" and ".join(reasons))


def last_complete_day(period: Period, *, today: dt.date | None = None) -> dt.date:
    """The ``last_day`` for :func:`mark_partial`: the period's last day, or yesterday (in the
    period's time zone) while the period is still running, as today is not over yet."""
    today = today or local_today(period.tz)
    return min(period.end, today - dt.timedelta(days=1))
