"""Report periods as finance writes them: ``2025-10``, ``2025-Q4``, ``2025`` or ``FROM:TO`` dates.

:func:`parse_period` turns such a text into a :class:`ReportPeriod`: the local calendar days in the
reporting time zone (a :class:`~dashboard.periods.Period`), plus the periods it is compared with. A
month is compared with the month before and the same month a year earlier, a quarter with the quarter
before, a year with the year before, and a custom range with the range of the same length just before
it. Anything else is refused with a message that says what is accepted.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dashboard.core.periods import Period

__all__ = [
    "ACCEPTED",
    "PeriodKind",
    "ReportPeriod",
    "parse_period",
    "recent_months",
    "recent_quarters",
]

PeriodKind = Literal["month", "quarter", "year", "custom"]
ACCEPTED = "YYYY-MM, YYYY-Qn, YYYY or FROM:TO dates (YYYY-MM-DD:YYYY-MM-DD)"

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})-[Qq]([1-4])")
_YEAR = re.compile(r"(\d{4})")
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2}):(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True)
class ReportPeriod:
    """A parsed report period: what was asked (``spec``), its kind and its local days."""

    spec: str
    kind: PeriodKind
    period: Period

    @property
    def tz(self) -> str:
        return self.period.tz

    def previous(self) -> Period:
        """The month, quarter or year before; for a custom range, the same length just before."""
        start = self.period.start
        if self.kind == "month":
            return _months(_add_months(start, -1), 1, self.tz)
        if self.kind == "quarter":
            return _months(_add_months(start, -3), 3, self.tz)
        if self.kind == "year":
            return _months(start.replace(year=start.year - 1), 12, self.tz)
        return self.period.previous()

    def year_before(self) -> Period:
        """The same period one year earlier (29 February becomes the 28th)."""
        if self.kind in ("month", "quarter", "year"):
            start = self.period.start
            months = {"month": 1, "quarter": 3, "year": 12}[self.kind]
            return _months(start.replace(year=start.year - 1), months, self.tz)
        return self.period.year_before()

    def label(self) -> str:
        """``October 2025``, ``Q4 2025``, ``2025`` or the day range."""
        start = self.period.start
        if self.kind == "month":
            return f"{start:%B %Y}"
        if self.kind == "quarter":
            return f"Q{(start.month - 1) // 3 + 1} {start.year}"
        if self.kind == "year":
            return str(start.year)
        return self.period.label()

    def filters(self) -> dict[str, str]:
        """What a report over this period covers, for audit entries and document headers."""
        return {
            "period": self.spec,
            "from": self.period.start.isoformat(),
            "to": self.period.end.isoformat(),
            "timezone": self.tz,
            "users": "all",
            "soft_deleted": "excluded",
        }

    def slug(self) -> str:
        """A file-name-safe form of the spec: ``2025-10``, ``2025-01-01_2025-03-15``."""
        return self.spec.replace(":", "_")


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _months(first: dt.date, count: int, tz: str) -> Period:
    last_month = _add_months(first, count - 1)
    last = last_month.replace(day=calendar.monthrange(last_month.year, last_month.month)[1])
    return Period(first, last, tz)


def _check_zone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        msg = f"unknown time zone {tz!r}; expected an IANA name such as UTC or Europe/Paris"
        raise ValueError(msg) from None
    return tz


def _year(text: str, value: str) -> int:
    year = int(value)
    if not 1970 <= year <= 9998:
        msg = f"period {text!r}: the year must be between 1970 and 9998"
        raise ValueError(msg)
    return year


def _day(text: str, value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        msg = f"period {text!r}: {value!r} is not a date (YYYY-MM-DD)"
        raise ValueError(msg) from None
    _year(text, str(day.year))
    return day


def recent_months(today: dt.date, count: int) -> list[str]:
    """The last ``count`` months as report periods, newest first: ``["2026-11", "2026-10", …]``."""
    index = today.year * 12 + today.month - 1
    return [f"{(index - i) // 12}-{(index - i) % 12 + 1:02d}" for i in range(count)]


def recent_quarters(today: dt.date, count: int) -> list[str]:
    """The last ``count`` quarters as report periods, newest first: ``["2026-Q4", …]``."""
    index = today.year * 4 + (today.month - 1) // 3
    return [f"{(index - i) // 4}-Q{(index - i) % 4 + 1}" for i in range(count)]


def parse_period(text: str, *, tz: str = "UTC") -> ReportPeriod:
    """``text`` as a report period in time zone ``tz``; ``ValueError`` with a clear message if not.

    >>> parse_period("2025-Q4").period
    Period(start=datetime.date(2025, 10, 1), end=datetime.date(2025, 12, 31), tz='UTC')
    """
    tz = _check_zone(tz)
    spec = (text or "").strip()
    if match := _MONTH.fullmatch(spec):
        year, month = _year(spec, match[1]), int(match[2])
        if not 1 <= month <= 12:
            msg = f"period {spec!r}: the month must be 01 to 12"
            raise ValueError(msg)
        return ReportPeriod(spec, "month", _months(dt.date(year, month, 1), 1, tz))
    if match := _QUARTER.fullmatch(spec):
        year, quarter = _year(spec, match[1]), int(match[2])
        spec = f"{year}-Q{quarter}"
        return ReportPeriod(spec, "quarter", _months(dt.date(year, 3 * quarter - 2, 1), 3, tz))
    if match := _YEAR.fullmatch(spec):
        return ReportPeriod(spec, "year", _months(dt.date(_year(spec, spec), 1, 1), 12, tz))
    if match := _RANGE.fullmatch(spec):
        start, end = _day(spec, match[1]), _day(spec, match[2])
        if end < start:
            msg = f"period {spec!r}: the end ({end}) is before the start ({start})"
            raise ValueError(msg)
        return ReportPeriod(spec, "custom", Period(start, end, tz))
    msg = f"period {text!r} is not one of {ACCEPTED}"
    raise ValueError(msg)
