"""Report periods: the four forms, their comparison periods, and clear errors."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.core.periods import Period
from dashboard.core.report_period import parse_period

D = dt.date


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
        ("2025-02-10:2025-02-19", "custom", D(2025, 2, 10), D(2025, 2, 19),
         (D(2025, 1, 31), D(2025, 2, 9)), (D(2024, 2, 10), D(2024, 2, 19))),
        (" 2024-02-29:2024-02-29 ", "custom", D(2024, 2, 29), D(2024, 2, 29),
         (D(2024, 2, 28), D(2024, 2, 28)), (D(2023, 2, 28), D(2023, 2, 28))),
    ],
)  # fmt: skip
def test_the_four_forms_and_their_comparisons(
    text: str, kind: str, start: dt.date, end: dt.date, previous: tuple, year_before: tuple
) -> None:
    rp = parse_period(text, tz="Europe/Paris")
    assert rp.kind == kind
    assert rp.period == Period(start, end, "Europe/Paris")
    assert (rp.previous().start, rp.previous().end) == previous
    assert (rp.year_before().start, rp.year_before().end) == year_before
    assert rp.filters()["timezone"] == "Europe/Paris"
    assert ":" not in rp.slug()


def test_bounds_are_local_midnights_in_the_reporting_zone() -> None:
    lo, hi = parse_period("2025-10", tz="Europe/Paris").period.utc_bounds()
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
    import datetime as dt

    from dashboard.core.report_period import recent_months, recent_quarters

    assert recent_months(dt.date(2026, 2, 14), 4) == ["2026-02", "2026-01", "2025-12", "2025-11"]
    assert recent_quarters(dt.date(2026, 2, 14), 3) == ["2026-Q1", "2025-Q4", "2025-Q3"]
