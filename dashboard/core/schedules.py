"""When a subscription runs: a cron expression read in a time zone, the next run after a moment, and
the period a scheduled report covers relative to its run date.

Every schedule is a five-field cron expression (``minute hour day month weekday``) in an IANA zone,
so "monthly on day 3 at 07:00 in Paris" is ``0 7 3 * *`` in ``Europe/Paris``, and DST is the zone's
business. Missed runs are caught up once: :func:`due` returns the latest slot that has passed (not
every one missed during downtime) and the next slot after now.

>>> s = monthly(3, tz="UTC")
>>> s.cron
'0 7 3 * *'
>>> s.next_after(dt.datetime(2025, 1, 3, 7, tzinfo=dt.UTC)).isoformat()
'2025-02-03T07:00:00+00:00'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from croniter import croniter

from dashboard.core.periods import Period, add_months, check_zone, month_period, parse_period

__all__ = [
    "REPORT_PERIODS",
    "Schedule",
    "due",
    "monthly",
    "quarterly",
    "report_period",
    "weekly",
]

#: The periods a scheduled report can cover, relative to the day it runs (local to its zone).
REPORT_PERIODS: dict[str, str] = {
    "previous-month": "the previous calendar month",
    "previous-quarter": "the previous calendar quarter",
    "previous-year": "the previous calendar year",
    "month-to-date": "the current month up to the day before the run",
    "previous-week": "the previous Monday to Sunday",
}


@dataclass(frozen=True)
class Schedule:
    """A cron expression read in ``tz``."""

    cron: str
    tz: str = "UTC"

    def check(self) -> list[str]:
        """What is wrong with the schedule, in words; empty when it is usable."""
        problems = []
        if len(self.cron.split()) != 5 or not croniter.is_valid(self.cron):
            problems.append(
                f"{self.cron!r} is not a cron expression of five fields (minute hour day month "
                "weekday), e.g. '0 7 1 * *' for 07:00 on the 1st of every month"
            )
        elif not _ever_runs(self.cron):
            problems.append(f"{self.cron!r} never runs (no such date, e.g. 30 February)")
        try:
            check_zone(self.tz)
        except ValueError as exc:
            problems.append(str(exc))
        return problems

    def _iter(self, moment: dt.datetime) -> croniter:
        if problems := self.check():
            raise ValueError("; ".join(problems))
        return croniter(self.cron, moment.astimezone(ZoneInfo(self.tz)))

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first slot strictly after ``moment``, in UTC."""
        return self._iter(moment).get_next(dt.datetime).astimezone(dt.UTC)

    def latest_until(self, moment: dt.datetime) -> dt.datetime:
        """The last slot at or before ``moment``, in UTC."""
        slot = self.next_after(moment - dt.timedelta(seconds=1))
        if slot <= moment:
            return slot
        return self._iter(moment).get_prev(dt.datetime).astimezone(dt.UTC)


def _ever_runs(cron: str) -> bool:
    try:
        croniter(cron, dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).get_next(dt.datetime)
    except (ValueError, KeyError, ArithmeticError):  # croniter's bad-date errors are ValueErrors
        return False
    return True


def monthly(day: int, *, hour: int = 7, tz: str = "UTC") -> Schedule:
    """On ``day`` (1 to 28, so every month has it) of each month at ``hour``:00 local time."""
    if not 1 <= day <= 28 or not 0 <= hour <= 23:
        msg = f"monthly: day must be 1 to 28 and hour 0 to 23, got day {day}, hour {hour}"
        raise ValueError(msg)
    return Schedule(f"0 {hour} {day} * *", tz)


def quarterly(day: int = 1, *, hour: int = 7, tz: str = "UTC") -> Schedule:
    """On ``day`` of January, April, July and October at ``hour``:00 local time."""
    base = monthly(day, hour=hour, tz=tz)
    return Schedule(base.cron.replace(" * *", " 1,4,7,10 *"), tz)


def weekly(weekday: int = 1, *, hour: int = 7, tz: str = "UTC") -> Schedule:
    """Every week on ``weekday`` (1 Monday … 7 Sunday) at ``hour``:00 local time."""
    if not 1 <= weekday <= 7 or not 0 <= hour <= 23:
        msg = f"weekly: weekday must be 1 to 7 and hour 0 to 23, got {weekday}, {hour}"
        raise ValueError(msg)
    return Schedule(f"0 {hour} * * {weekday % 7}", tz)


def due(
    schedule: Schedule, next_run: dt.datetime | None, now: dt.datetime
) -> tuple[dt.datetime | None, dt.datetime]:
    """``(slot to run now or None, the next run to record)``.

    A subscription records its next run. When that moment has passed, it runs once for the latest
    slot up to now, however many were missed (a worker down over a weekend sends one weekly summary,
    not three), and the next run becomes the first slot after now. A new subscription
    (``next_run`` None) waits for its first slot.
    """
    following = schedule.next_after(now)
    if next_run is None or next_run > now:
        return None, next_run if next_run is not None else following
    return schedule.latest_until(now), following


def report_period(kind: str, run: dt.datetime, *, tz: str) -> Period:
    """The period a report run at ``run`` covers (see :data:`REPORT_PERIODS`), in ``tz``."""
    today = run.astimezone(ZoneInfo(tz)).date()
    first = today.replace(day=1)
    if kind == "previous-month":
        return month_period(add_months(first, -1), tz)
    if kind == "previous-quarter":
        quarter = (first.month - 1) // 3
        start = add_months(first.replace(month=quarter * 3 + 1), -3)
        return parse_period(f"{start.year}-Q{(start.month - 1) // 3 + 1}", tz=tz)
    if kind == "previous-year":
        return parse_period(str(today.year - 1), tz=tz)
    if kind == "month-to-date":
        end = max(first, today - dt.timedelta(days=1))
        return parse_period(f"{first.isoformat()}:{end.isoformat()}", tz=tz)
    if kind == "previous-week":
        monday = today - dt.timedelta(days=today.weekday() + 7)
        return parse_period(
            f"{monday.isoformat()}:{(monday + dt.timedelta(days=6)).isoformat()}", tz=tz
        )
    msg = f"unknown report period {kind!r}; expected one of {', '.join(REPORT_PERIODS)}"
    raise ValueError(msg)
