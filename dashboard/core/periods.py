"""Reporting periods in the user's time zone: presets, comparison periods, UTC bounds for queries.

A :class:`Period` is a range of local calendar days ``[start, end]`` (both included). Queries need
UTC instants: local midnight of ``start`` up to (not including) local midnight after ``end``, which
:meth:`Period.utc_bounds` computes with the zone's real offsets, so a DST change inside the period
is handled.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["DEFAULT_PRESET", "PRESETS", "Period", "local_today", "period_for", "zone"]

#: URL value → label. Order is the order shown.
PRESETS: dict[str, str] = {
    "this-month": "This month",
    "last-month": "Last month",
    "last-30-days": "Last 30 days",
    "last-90-days": "Last 90 days",
    "quarter-to-date": "Quarter to date",
    "year-to-date": "Year to date",
    "last-12-months": "Last 12 months",
    "custom": "Custom range",
}
DEFAULT_PRESET = "last-12-months"


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; UTC when the name is unknown (a user record with a bad zone)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_today(tz: str, *, now: dt.datetime | None = None) -> dt.date:
    """Today's date where the user is."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(zone(tz)).date()


def _shift_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year + years, day=28)


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """Local calendar days ``start``..``end`` (inclusive) in time zone ``tz``."""

    start: dt.date
    end: dt.date
    tz: str = "UTC"

    def __post_init__(self) -> None:
        if self.end < self.start:
            msg = f"a period cannot end ({self.end}) before it starts ({self.start})"
            raise ValueError(msg)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """``[start, end)`` as UTC instants: local midnight to local midnight after the last day."""
        tz = zone(self.tz)
        lo = dt.datetime.combine(self.start, dt.time(), tzinfo=tz).astimezone(dt.UTC)
        hi = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=tz)
        return lo, hi.astimezone(dt.UTC)

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(
            self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1), self.tz
        )

    def year_before(self) -> Period:
        """The same calendar days one year earlier."""
        return Period(_shift_years(self.start, -1), _shift_years(self.end, -1), self.tz)

    def label(self) -> str:
        if self.start == self.end:
            return f"{self.start:%d %b %Y}"
        return f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"


def period_for(
    preset: str,
    *,
    today: dt.date,
    tz: str,
    custom: tuple[dt.date, dt.date] | None = None,
) -> Period:
    """The period a preset means on ``today`` (local date); ``custom`` for the custom range."""
    if preset == "this-month":
        return Period(_month_start(today), today, tz)
    if preset == "last-month":
        start = _add_months(today, -1)
        return Period(start, _month_start(today) - dt.timedelta(days=1), tz)
    if preset == "last-30-days":
        return Period(today - dt.timedelta(days=29), today, tz)
    if preset == "last-90-days":
        return Period(today - dt.timedelta(days=89), today, tz)
    if preset == "quarter-to-date":
        first_month = (today.month - 1) // 3 * 3 + 1
        return Period(dt.date(today.year, first_month, 1), today, tz)
    if preset == "year-to-date":
        return Period(dt.date(today.year, 1, 1), today, tz)
    if preset == "last-12-months":
        return Period(_add_months(today, -11), today, tz)
    if preset == "custom":
        if custom is None:
            msg = "a custom period needs a start and an end date"
            raise ValueError(msg)
        start, end = custom
        return Period(min(start, end), max(start, end), tz)
    msg = f"unknown period {preset!r}; expected one of {', '.join(PRESETS)}"
    raise ValueError(msg)
