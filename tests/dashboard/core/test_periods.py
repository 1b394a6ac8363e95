"""Period presets, comparison periods and UTC bounds (DST included), computed by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.core.periods import PRESETS, Period, local_today, period_for

D = dt.date
TODAY = D(2026, 11, 18)  # a Wednesday


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [
        ("this-month", D(2026, 11, 1), D(2026, 11, 18)),
        ("last-month", D(2026, 10, 1), D(2026, 10, 31)),
        ("last-30-days", D(2026, 10, 20), D(2026, 11, 18)),
        ("last-90-days", D(2026, 8, 21), D(2026, 11, 18)),
        ("quarter-to-date", D(2026, 10, 1), D(2026, 11, 18)),
        ("year-to-date", D(2026, 1, 1), D(2026, 11, 18)),
        ("last-12-months", D(2025, 12, 1), D(2026, 11, 18)),
    ],
)
def test_presets(preset: str, start: dt.date, end: dt.date) -> None:
    period = period_for(preset, today=TODAY, tz="UTC")
    assert (period.start, period.end) == (start, end)


def test_every_preset_is_handled() -> None:
    for preset in PRESETS:
        custom = (D(2026, 1, 5), D(2026, 1, 1)) if preset == "custom" else None
        period_for(preset, today=TODAY, tz="UTC", custom=custom)
    assert period_for(
        "custom", today=TODAY, tz="UTC", custom=(D(2026, 1, 5), D(2026, 1, 1))
    ).start == D(2026, 1, 1)
    with pytest.raises(ValueError, match="unknown period"):
        period_for("forever", today=TODAY, tz="UTC")


def test_last_month_in_january_is_december() -> None:
    period = period_for("last-month", today=D(2026, 1, 15), tz="UTC")
    assert (period.start, period.end) == (D(2025, 12, 1), D(2025, 12, 31))


def test_comparison_periods() -> None:
    period = Period(D(2026, 11, 1), D(2026, 11, 18))  # 18 days
    assert period.previous() == Period(D(2026, 10, 14), D(2026, 10, 31))
    assert period.year_before() == Period(D(2025, 11, 1), D(2025, 11, 18))
    leap = Period(D(2024, 2, 1), D(2024, 2, 29))
    assert leap.year_before() == Period(D(2023, 2, 1), D(2023, 2, 28))


def test_utc_bounds_follow_the_zone_across_dst() -> None:
    # Los Angeles: PST (UTC-8) until 2026-03-08 02:00, then PDT (UTC-7).
    period = Period(D(2026, 3, 1), D(2026, 3, 31), tz="America/Los_Angeles")
    lo, hi = period.utc_bounds()
    assert lo == dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC)
    assert hi == dt.datetime(2026, 4, 1, 7, tzinfo=dt.UTC)


def test_local_today_for_a_user_behind_utc() -> None:
    now = dt.datetime(2026, 11, 19, 5, 30, tzinfo=dt.UTC)  # 21:30 on the 18th in Los Angeles
    assert local_today("America/Los_Angeles", now=now) == D(2026, 11, 18)
    assert local_today("Not/AZone", now=now) == D(2026, 11, 19)
