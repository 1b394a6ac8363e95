"""Schedules: cron read in a time zone, one catch-up run after downtime, report periods relative to
the run date. Expected instants worked out by hand (Paris is UTC+1 in winter, UTC+2 in summer)."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.core.schedules import Schedule, due, monthly, quarterly, report_period, weekly


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_a_schedule_is_read_in_its_zone_across_a_dst_change() -> None:
    paris = monthly(3, hour=7, tz="Europe/Paris")
    assert paris.next_after(utc(2025, 3, 3, 6)) == utc(2025, 4, 3, 5)  # 07:00 CEST
    assert paris.next_after(utc(2025, 2, 10)) == utc(2025, 3, 3, 6)  # 07:00 CET
    assert paris.latest_until(utc(2025, 3, 30)) == utc(2025, 3, 3, 6)
    assert paris.latest_until(utc(2025, 3, 3, 6)) == utc(2025, 3, 3, 6)  # a slot is its own latest


def test_weekly_and_quarterly_schedules() -> None:
    assert weekly(1).cron == "0 7 * * 1" and weekly(7).cron == "0 7 * * 0"
    assert quarterly(5, hour=6).cron == "0 6 5 1,4,7,10 *"
    assert quarterly(1, tz="UTC").next_after(utc(2025, 2, 1)) == utc(2025, 4, 1, 7)
    with pytest.raises(ValueError, match="day must be 1 to 28"):
        monthly(31)


def test_missed_slots_are_caught_up_once_and_a_new_subscription_waits() -> None:
    mondays = Schedule("0 7 * * 1", "UTC")
    now = utc(2025, 3, 20, 9)  # a Thursday; the 3rd, 10th and 17th were missed
    assert due(mondays, utc(2025, 3, 3, 7), now) == (utc(2025, 3, 17, 7), utc(2025, 3, 24, 7))
    assert due(mondays, utc(2025, 3, 24, 7), now) == (None, utc(2025, 3, 24, 7))
    assert due(mondays, None, now) == (None, utc(2025, 3, 24, 7))


def test_a_bad_schedule_says_what_is_wrong() -> None:
    assert Schedule("0 7 * *", "UTC").check()[0].startswith("'0 7 * *' is not a cron expression")
    assert "unknown time zone" in Schedule("0 7 * * *", "Mars/Olympus").check()[0]
    assert Schedule("0 7 30 2 *", "UTC").check() == [
        "'0 7 30 2 *' never runs (no such date, e.g. 30 February)"
    ]
    with pytest.raises(ValueError, match="not a cron expression"):
        Schedule("every day", "UTC").next_after(utc(2025, 1, 1))


@pytest.mark.parametrize(
    ("kind", "spec"),
    [
        ("previous-month", "2025-03"),
        ("previous-quarter", "2025-Q1"),
        ("previous-year", "2024"),
        ("month-to-date", "2025-04-01:2025-04-01"),
        ("previous-week", "2025-03-24:2025-03-30"),
    ],
)
def test_report_periods_relative_to_the_run(kind: str, spec: str) -> None:
    # 14:30 UTC on 1 April is 03:30 on 2 April in Auckland: the run's local day decides.
    run = utc(2025, 4, 1, 14, 30)
    assert report_period(kind, run, tz="Pacific/Auckland").spec == spec


def test_an_unknown_report_period_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown report period 'yesterday'"):
        report_period("yesterday", utc(2025, 4, 1), tz="UTC")
