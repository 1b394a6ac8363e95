"""The one period model: local calendar days in a time zone, the presets every page offers, and the
report periods finance writes (``2025-10``, ``2025-Q4``, ``2025``, ``FROM:TO``).

A :class:`Period` is a range of local calendar days ``[start, end]`` (both included) in a validated
IANA zone. Queries need UTC instants: local midnight of ``start`` up to (not including) local
midnight after ``end``, which :meth:`Period.utc_bounds` computes with the zone's real offsets, so a
DST change inside the period is handled. Its ``kind`` says what it is compared with: a range of
``days`` with the same number of days just before; a ``month``, ``quarter`` or ``year`` with the
calendar unit before (:meth:`Period.previous`), and every kind with the same days a year earlier.

Pages choose periods from a :class:`PeriodMenu` (which :data:`PRESETS` a page offers, its default
and its widget keys); :func:`dashboard.ui.filters.period_picker` draws any menu. Invalid values are
refused where they enter (``ValueError`` with a message that says what is accepted), never
replaced silently.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

__all__ = [
    "ACCEPTED",
    "PRESETS",
    "REPORT_PERIODS",
    "SPENDING_PERIODS",
    "SYSTEM_PERIODS",
    "Period",
    "PeriodKind",
    "PeriodMenu",
    "Preset",
    "add_months",
    "check_zone",
    "local_today",
    "month_period",
    "parse_period",
    "period_for",
    "recent_specs",
]

PeriodKind = Literal["days", "month", "quarter", "year"]
#: What :func:`parse_period` accepts, for error messages and help texts.
ACCEPTED = "YYYY-MM, YYYY-Qn, YYYY or FROM:TO dates (YYYY-MM-DD:YYYY-MM-DD)"
_MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_zone(name: object) -> str:
    """``name`` if it is an IANA time zone (``Europe/Paris``, ``UTC``), else ``ValueError``."""
    if not isinstance(name, str) or name not in _zones():
        msg = f"unknown time zone {name!r}; expected an IANA name such as UTC or Europe/Paris"
        raise ValueError(msg)
    return name


def local_today(tz: str, *, now: dt.datetime | None = None) -> dt.date:
    """Today's date in time zone ``tz`` (``ValueError`` for an unknown zone)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(check_zone(tz))).date()


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``day``'s month (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _shift_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year + years, day=28)


def _last_day(first: dt.date, months: int) -> dt.date:
    last_month = add_months(first, months - 1)
    return last_month.replace(day=calendar.monthrange(last_month.year, last_month.month)[1])


@dataclass(frozen=True)
class Period:
    """Local calendar days ``start``..``end`` (inclusive) in time zone ``tz``.

    ``kind`` is ``"days"`` for a range of days, or the calendar unit (``"month"``, ``"quarter"``,
    ``"year"``) the days make up exactly; it decides :meth:`previous`, :meth:`label` and
    :attr:`spec`.
    """

    start: dt.date
    end: dt.date
    tz: str = "UTC"
    kind: PeriodKind = "days"

    def __post_init__(self) -> None:
        if self.end < self.start:
            msg = f"a period cannot end ({self.end}) before it starts ({self.start})"
            raise ValueError(msg)
        check_zone(self.tz)
        if self.kind != "days":
            months = _MONTHS_IN.get(self.kind)
            aligned = months is not None and self.start.day == 1
            if months == 3:
                aligned = aligned and self.start.month % 3 == 1
            if months == 12:
                aligned = aligned and self.start.month == 1
            if not aligned or self.end != _last_day(self.start, months or 1):
                msg = f"{self.start}..{self.end} is not one calendar {self.kind}"
                raise ValueError(msg)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """``[start, end)`` as UTC instants: local midnight to local midnight after the last day."""
        tz = ZoneInfo(self.tz)
        lo = dt.datetime.combine(self.start, dt.time(), tzinfo=tz).astimezone(dt.UTC)
        hi = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=tz)
        return lo, hi.astimezone(dt.UTC)

    def previous(self) -> Period:
        """The calendar unit before (a month, quarter or year); for days, the same number of days
        just before."""
        if self.kind == "days":
            start = self.start - dt.timedelta(days=self.days)
            return Period(start, self.start - dt.timedelta(days=1), self.tz)
        return _calendar(add_months(self.start, -_MONTHS_IN[self.kind]), self.kind, self.tz)

    def year_before(self) -> Period:
        """The same days one year earlier (29 February becomes the 28th)."""
        if self.kind == "days":
            return Period(_shift_years(self.start, -1), _shift_years(self.end, -1), self.tz)
        return _calendar(self.start.replace(year=self.start.year - 1), self.kind, self.tz)

    def days_label(self) -> str:
        """``01 Oct 2025 – 31 Oct 2025`` (one date when the period is one day)."""
        if self.start == self.end:
            return f"{self.start:%d %b %Y}"
        return f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"

    def label(self) -> str:
        """``October 2025``, ``Q4 2025``, ``2025``, or the day range."""
        if self.kind == "month":
            return f"{self.start:%B %Y}"
        if self.kind == "quarter":
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        if self.kind == "year":
            return str(self.start.year)
        return self.days_label()

    @property
    def spec(self) -> str:
        """The period as :func:`parse_period` reads it: ``2025-10``, ``2025-Q4``, ``2025`` or
        ``2025-01-01:2025-03-15``."""
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start:%Y-%m-%d}:{self.end:%Y-%m-%d}"

    def slug(self) -> str:
        """A file-name-safe form of :attr:`spec`: ``2025-10``, ``2025-01-01_2025-03-15``."""
        return self.spec.replace(":", "_")


def _calendar(first: dt.date, kind: PeriodKind, tz: str) -> Period:
    return Period(first, _last_day(first, _MONTHS_IN[kind]), tz, kind)


def month_period(day: dt.date, tz: str) -> Period:
    """The calendar month that ``day`` falls in, in zone ``tz``."""
    return _calendar(day.replace(day=1), "month", tz)


# -- report periods as text ---------------------------------------------------------------------

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})-[Qq]([1-4])")
_YEAR = re.compile(r"(\d{4})")
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2}):(\d{4}-\d{2}-\d{2})")


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


def parse_period(text: str, *, tz: str = "UTC") -> Period:
    """``text`` as a period in time zone ``tz``; ``ValueError`` with a clear message if not.

    >>> parse_period("2025-Q4").days_label()
    '01 Oct 2025 – 31 Dec 2025'
    """
    tz = check_zone(tz)
    spec = (text or "").strip()
    if match := _MONTH.fullmatch(spec):
        year, month = _year(spec, match[1]), int(match[2])
        if not 1 <= month <= 12:
            msg = f"period {spec!r}: the month must be 01 to 12"
            raise ValueError(msg)
        return _calendar(dt.date(year, month, 1), "month", tz)
    if match := _QUARTER.fullmatch(spec):
        year, quarter = _year(spec, match[1]), int(match[2])
        return _calendar(dt.date(year, 3 * quarter - 2, 1), "quarter", tz)
    if match := _YEAR.fullmatch(spec):
        return _calendar(dt.date(_year(spec, spec), 1, 1), "year", tz)
    if match := _RANGE.fullmatch(spec):
        start, end = _day(spec, match[1]), _day(spec, match[2])
        if end < start:
            msg = f"period {spec!r}: the end ({end}) is before the start ({start})"
            raise ValueError(msg)
        return Period(start, end, tz)
    msg = f"period {text!r} is not one of {ACCEPTED}"
    raise ValueError(msg)


def recent_specs(kind: PeriodKind, today: dt.date, count: int) -> list[str]:
    """The last ``count`` months, quarters or years up to ``today``, newest first, as specs:
    ``["2026-11", "2026-10", …]``, ``["2026-Q4", …]``, ``["2026", …]``."""
    if kind == "month":
        index = today.year * 12 + today.month - 1
        return [f"{(index - i) // 12}-{(index - i) % 12 + 1:02d}" for i in range(count)]
    if kind == "quarter":
        index = today.year * 4 + (today.month - 1) // 3
        return [f"{(index - i) // 4}-Q{(index - i) % 4 + 1}" for i in range(count)]
    if kind == "year":
        return [str(today.year - i) for i in range(count)]
    msg = f"recent periods are months, quarters or years, not {kind!r}"
    raise ValueError(msg)


# -- presets and menus ----------------------------------------------------------------------------


def _last_days(n: int) -> Callable[[dt.date], tuple[dt.date, dt.date]]:
    return lambda today: (today - dt.timedelta(days=n - 1), today)


def _quarter_start(today: dt.date) -> dt.date:
    return dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)


@dataclass(frozen=True)
class Preset:
    """One choice of a period menu.

    ``rolling`` presets end on (or just before) today: ``days(today)`` gives their first and last
    day. ``calendar`` presets pick one of the ``count`` latest months, quarters or years
    (``default`` is the index preselected: 1 = the last complete one). ``custom`` asks for dates.
    """

    label: str
    mode: Literal["rolling", "calendar", "custom"]
    days: Callable[[dt.date], tuple[dt.date, dt.date]] | None = None
    count: int = 0
    default: int = 0


#: Every preset a page can offer: URL value → :class:`Preset`.
PRESETS: dict[str, Preset] = {
    "today": Preset("Today", "rolling", _last_days(1)),
    "last-3-days": Preset("Last 3 days", "rolling", _last_days(3)),
    "last-7-days": Preset("Last 7 days", "rolling", _last_days(7)),
    "this-month": Preset("This month", "rolling", lambda t: (t.replace(day=1), t)),
    "last-month": Preset(
        "Last month", "rolling", lambda t: (add_months(t, -1), t.replace(day=1) - dt.timedelta(1))
    ),
    "last-30-days": Preset("Last 30 days", "rolling", _last_days(30)),
    "last-90-days": Preset("Last 90 days", "rolling", _last_days(90)),
    "quarter-to-date": Preset("Quarter to date", "rolling", lambda t: (_quarter_start(t), t)),
    "year-to-date": Preset("Year to date", "rolling", lambda t: (dt.date(t.year, 1, 1), t)),
    # The 12 months ending today (365 or 366 days), not from the 1st of the month 11 months ago,
    # which in December is the same as year to date.
    "last-12-months": Preset(
        "Last 12 months", "rolling", lambda t: (_shift_years(t, -1) + dt.timedelta(days=1), t)
    ),
    "month": Preset("Month", "calendar", count=36, default=1),
    "quarter": Preset("Quarter", "calendar", count=12, default=1),
    "year": Preset("Year", "calendar", count=6, default=0),
    "custom": Preset("Custom range", "custom"),
}


def period_for(
    preset: str,
    *,
    today: dt.date,
    tz: str,
    custom: tuple[dt.date, dt.date] | None = None,
    instance: str | None = None,
) -> Period:
    """The period a preset means on ``today`` (a local date) in zone ``tz``.

    ``custom`` gives the custom range's first and last day (in that order); ``instance`` the
    chosen month, quarter or year of a calendar preset (``"2025-10"``). A rolling preset is a
    range of days (compared with the days just before it), even ``last-month``.
    """
    if preset not in PRESETS:
        msg = f"unknown period {preset!r}; expected one of {', '.join(PRESETS)}"
        raise ValueError(msg)
    choice = PRESETS[preset]
    if choice.mode == "rolling" and choice.days is not None:
        start, end = choice.days(today)
        return Period(start, end, tz)
    if choice.mode == "calendar":
        if instance is None:
            msg = f"a {preset} period needs the {preset} it is, e.g. {recent_specs(preset, today, 1)[0]}"  # type: ignore[arg-type]
            raise ValueError(msg)
        period = parse_period(instance, tz=tz)
        if period.kind != preset:
            msg = f"{instance!r} is not a {preset}"
            raise ValueError(msg)
        return period
    if custom is None:
        msg = "a custom period needs a start and an end date"
        raise ValueError(msg)
    return Period(custom[0], custom[1], tz)


@dataclass(frozen=True)
class PeriodMenu:
    """The period choices a page offers: which :data:`PRESETS`, the default, and the prefix of its
    widget keys (``perf_`` → ``perf_period``, ``perf_from``, ``perf_to``; the chosen month of a
    calendar preset is ``<prefix>month``). ``bind`` puts the choice in the page's URL."""

    prefix: str
    choices: tuple[str, ...]
    default: str
    bind: bool = True

    def __post_init__(self) -> None:
        unknown = [c for c in (*self.choices, self.default) if c not in PRESETS]
        if unknown or self.default not in self.choices:
            msg = (
                f"period menu {self.prefix!r}: unknown or missing choices {unknown or self.default}"
            )
            raise ValueError(msg)

    @property
    def key(self) -> str:
        """The widget key (and URL parameter) of the preset choice."""
        return f"{self.prefix}period"

    def labels(self) -> dict[str, str]:
        """URL value → label, in the order shown."""
        return {c: PRESETS[c].label for c in self.choices}

    def period_for(
        self,
        preset: str,
        *,
        today: dt.date,
        tz: str,
        custom: tuple[dt.date, dt.date] | None = None,
        instance: str | None = None,
    ) -> Period:
        """:func:`period_for`, refusing presets this menu does not offer."""
        if preset not in self.choices:
            msg = f"unknown period {preset!r}; expected one of {', '.join(self.choices)}"
            raise ValueError(msg)
        return period_for(preset, today=today, tz=tz, custom=custom, instance=instance)


#: The spending pages and Usage: rolling periods in the viewer's zone (Usage: UTC).
SPENDING_PERIODS = PeriodMenu(
    "",
    ("this-month", "last-month", "last-30-days", "last-90-days", "quarter-to-date",
     "year-to-date", "last-12-months", "custom"),
    "last-12-months",
)  # fmt: skip
#: System performance: short rolling periods too (hour buckets up to 3 days), UTC. The seed hides
#: its slow day and error burst somewhere in the year, so only the whole year is sure to show both.
SYSTEM_PERIODS = PeriodMenu(
    "perf_",
    ("today", "last-3-days", "last-7-days", "last-30-days", "last-90-days", "last-12-months",
     "custom"),
    "last-12-months",
)  # fmt: skip
#: Finance reports: a calendar month (the last complete one by default), quarter or year, or a
#: custom range, in the reporting zone.
REPORT_PERIODS = PeriodMenu("fr_", ("month", "quarter", "year", "custom"), "month", bind=False)
