"""The period model: presets, menus, report periods, comparison periods and UTC bounds (DST
included), all computed by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.core.periods import (
    PRESETS,
    REPORT_PERIODS,
    SPENDING_PERIODS,
    SYSTEM_PERIODS,
    Period,
    local_today,
    parse_period,
    period_for,
    recent_specs,
)

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
        ("last-12-months", D(2025, 11, 19), D(2026, 11, 18)),
    ],
)
def test_presets(preset: str, start: dt.date, end: dt.date) -> None:
    period = period_for(preset, today=TODAY, tz="UTC")
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize(
    ("today", "start", "days"),
    [
        (D(2026, 12, 5), D(2025, 12, 6), 365),  # December: not year to date (1 Jan - 5 Dec)
        (D(2026, 1, 1), D(2025, 1, 2), 365),
        (D(2028, 2, 29), D(2027, 3, 1), 366),  # a leap day: back to 28 Feb, the day after
        (D(2028, 3, 1), D(2027, 3, 2), 366),
    ],
)
def test_last_12_months_ends_today_and_starts_12_months_back(
    today: dt.date, start: dt.date, days: int
) -> None:
    period = period_for("last-12-months", today=today, tz="UTC")
    assert (period.start, period.end, period.days) == (start, today, days)
    assert period != period_for("year-to-date", today=today, tz="UTC")
    # Its comparisons: the same number of days just before, and the same days a year earlier.
    before = period.previous()
    assert (before.end, before.days) == (start - dt.timedelta(days=1), days)
    year_before = period.year_before()
    assert year_before.end == today.replace(year=today.year - 1, day=min(today.day, 28))
    assert year_before.days in (365, 366)


def test_every_preset_is_handled() -> None:
    for preset, choice in PRESETS.items():
        custom = (D(2026, 1, 1), D(2026, 1, 5)) if preset == "custom" else None
        instance = recent_specs(preset, TODAY, 1)[0] if choice.mode == "calendar" else None
        period_for(preset, today=TODAY, tz="UTC", custom=custom, instance=instance)
    assert period_for(
        "custom", today=TODAY, tz="UTC", custom=(D(2026, 1, 1), D(2026, 1, 5))
    ) == Period(D(2026, 1, 1), D(2026, 1, 5))
    with pytest.raises(ValueError, match="unknown period"):
        period_for("forever", today=TODAY, tz="UTC")


def test_invalid_values_are_refused_not_replaced() -> None:
    with pytest.raises(ValueError, match="cannot end"):
        period_for("custom", today=TODAY, tz="UTC", custom=(D(2026, 1, 5), D(2026, 1, 1)))
    with pytest.raises(ValueError, match="unknown time zone 'Not/AZone'"):
        period_for("last-30-days", today=TODAY, tz="Not/AZone")
    with pytest.raises(ValueError, match="needs the month"):
        period_for("month", today=TODAY, tz="UTC")
    with pytest.raises(ValueError, match="is not a quarter"):
        period_for("quarter", today=TODAY, tz="UTC", instance="2026-10")
    with pytest.raises(ValueError, match="not one calendar month"):
        Period(D(2026, 1, 2), D(2026, 2, 1), kind="month")


def test_each_menu_offers_only_its_presets() -> None:
    today = D(2026, 11, 28)
    assert SYSTEM_PERIODS.period_for("today", today=today, tz="UTC") == Period(today, today)
    three = SYSTEM_PERIODS.period_for("last-3-days", today=today, tz="UTC")
    assert (three.start, three.days) == (D(2026, 11, 26), 3)
    assert SYSTEM_PERIODS.period_for("last-7-days", today=today, tz="UTC").days == 7
    with pytest.raises(ValueError, match="unknown period 'this-month'"):
        SYSTEM_PERIODS.period_for("this-month", today=today, tz="UTC")
    with pytest.raises(ValueError, match="unknown period 'today'"):
        SPENDING_PERIODS.period_for("today", today=today, tz="UTC")
    month = REPORT_PERIODS.period_for("month", today=today, tz="UTC", instance="2026-10")
    assert (month.start, month.end, month.kind) == (D(2026, 10, 1), D(2026, 10, 31), "month")
    assert [SYSTEM_PERIODS.key, REPORT_PERIODS.key] == ["perf_period", "fr_period"]


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
    with pytest.raises(ValueError, match="unknown time zone"):
        local_today("Not/AZone", now=now)


# -- report periods as finance writes them ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "start", "end", "previous", "year_before"),
    [
        ("2025-10", "month", D(2025, 10, 1), D(2025, 10, 31),
         (D(2025, 9, 1), D(2025, 9, 30)), (D(2024, 10, 1), D(2024, 10, 31))),
        ("2024-03", "month", D(2024, 3, 1), D(2024, 3, 31),
         (D(2024, 2, 1), D(2024, 2, 29)), (D(2023, 3, 1), D(2023, 3, 31))),
        ("2025-01", "month", D(2025, 1, 1), D(2025, 1, 31),
         (D(2024, 12, 1), D(2024, 12, 31)), (D(2024, 1, 1), D(2024, 1, 31))),
        ("2025-Q1", "quarter", D(2025, 1, 1), D(2025, 3, 31),
         (D(2024, 10, 1), D(2024, 12, 31)), (D(2024, 1, 1), D(2024, 3, 31))),
        ("2025-q4", "quarter", D(2025, 10, 1), D(2025, 12, 31),
         (D(2025, 7, 1), D(2025, 9, 30)), (D(2024, 10, 1), D(2024, 12, 31))),
        ("2025", "year", D(2025, 1, 1), D(2025, 12, 31),
         (D(2024, 1, 1), D(2024, 12, 31)), (D(2024, 1, 1), D(2024, 12, 31))),
        ("2025-02-10:2025-02-19", "days", D(2025, 2, 10), D(2025, 2, 19),
         (D(2025, 1, 31), D(2025, 2, 9)), (D(2024, 2, 10), D(2024, 2, 19))),
        (" 2024-02-29:2024-02-29 ", "days", D(2024, 2, 29), D(2024, 2, 29),
         (D(2024, 2, 28), D(2024, 2, 28)), (D(2023, 2, 28), D(2023, 2, 28))),
    ],
)  # fmt: skip
def test_the_four_forms_and_their_comparisons(
    text: str, kind: str, start: dt.date, end: dt.date, previous: tuple, year_before: tuple
) -> None:
    period = parse_period(text, tz="Europe/Paris")
    assert period == Period(start, end, "Europe/Paris", kind)
    assert (period.previous().start, period.previous().end) == previous
    assert (period.year_before().start, period.year_before().end) == year_before
    assert parse_period(period.spec, tz="Europe/Paris") == period
    assert ":" not in period.slug()


def test_bounds_are_local_midnights_in_the_reporting_zone() -> None:
    lo, hi = parse_period("2025-10", tz="Europe/Paris").utc_bounds()
    assert lo == dt.datetime(2025, 9, 30, 22, tzinfo=dt.UTC)  # CEST, UTC+2
    assert hi == dt.datetime(2025, 10, 31, 23, tzinfo=dt.UTC)  # CET from Oct 26, UTC+1


def test_labels() -> None:
    assert parse_period("2025-10").label() == "October 2025"
    assert parse_period("2025-Q4").label() == "Q4 2025"
    assert parse_period("2025").label() == "2025"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2025-13", "month must be 01 to 12"),
        ("2025-00", "month must be 01 to 12"),
        ("2025-Q5", "is not one of"),
        ("25-10", "is not one of"),
        ("", "is not one of"),
        ("last month", "is not one of"),
        ("2025-02-30:2025-03-01", "is not a date"),
        ("2025-03-01:2025-02-01", "is before the start"),
        ("1969", "between 1970 and 9998"),
        ("2025-10-01", "is not one of"),
    ],
)
def test_bad_periods_say_what_is_accepted(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_period(text)


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Base'"):
        parse_period("2025-10", tz="Mars/Base")


def test_recent_months_and_quarters_cross_the_year_boundary() -> None:
    day = dt.date(2026, 2, 14)
    assert recent_specs("month", day, 4) == ["2026-02", "2026-01", "2025-12", "2025-11"]
    assert recent_specs("quarter", day, 3) == ["2026-Q1", "2025-Q4", "2025-Q3"]
    assert recent_specs("year", day, 2) == ["2026", "2025"]
