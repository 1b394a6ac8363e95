"""The comparison rule: a change only against a period that holds data, in words otherwise."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.core.compare import Comparison, compare, format_change

D = dt.date


def test_a_reference_period_before_the_first_record_says_so() -> None:
    # The default Overview compared 2026 with 2025 while the data starts in Dec 2025: "+629562%".
    c = compare(
        40_144.16, 6.37, start=D(2025, 1, 1), end=D(2025, 11, 30), data_start=D(2025, 12, 3)
    )
    assert c.change is None
    assert c.text() == "no data before Dec 2025"
    assert c.delta() is None


def test_no_data_at_all() -> None:
    c = compare(5.0, None, start=D(2025, 1, 1), end=D(2025, 1, 31), data_start=None)
    assert c.text() == "no data"


def test_a_reference_period_mostly_without_data_gives_no_percentage() -> None:
    # 2025-12-03..2025-12-31 is 29 of the year's 365 days.
    c = compare(100.0, 20.0, start=D(2025, 1, 1), end=D(2025, 12, 31), data_start=D(2025, 12, 3))
    assert c.change is None
    assert c.text() == "only 29 of 365 days have data"


def test_a_partly_covered_reference_period_gives_the_change_flagged() -> None:
    # 20 of 30 days covered: (150 - 100) / 100 = +50 %, flagged partial.
    c = compare(150.0, 100.0, start=D(2026, 6, 1), end=D(2026, 6, 30), data_start=D(2026, 6, 11))
    assert c.change == pytest.approx(0.5)
    assert c.partial
    assert c.text() == "+50% (partial period)"
    assert c.delta() == "+50%"


def test_a_fully_covered_period_gives_the_relative_change() -> None:
    c = compare(80.0, 100.0, start=D(2026, 6, 1), end=D(2026, 6, 30), data_start=D(2020, 1, 1))
    assert c == Comparison(-0.2, None)
    assert c.text() == "-20%"


def test_nothing_spent_in_the_reference_period_is_not_an_infinite_change() -> None:
    c = compare(80.0, 0.0, start=D(2026, 6, 1), end=D(2026, 6, 30), data_start=D(2020, 1, 1))
    assert c.change is None
    assert c.text() == "nothing in the previous period"
    y = compare(80.0, None, start=D(2025, 6, 1), end=D(2025, 6, 30), data_start=D(2020, 1, 1),
                against="last_year")  # fmt: skip
    assert y.text() == "nothing in the same period last year"


def test_shares_change_in_points() -> None:
    c = compare(0.62, 0.60, start=D(2026, 6, 1), end=D(2026, 6, 30), data_start=D(2020, 1, 1),
                points=True)  # fmt: skip
    assert c.change == pytest.approx(0.02)
    assert c.text() == "+2.0 pts"
    zero = compare(0.1, 0.0, start=D(2026, 6, 1), end=D(2026, 6, 30), data_start=D(2020, 1, 1),
                   points=True)  # fmt: skip
    assert zero.text() == "+10.0 pts"


@pytest.mark.parametrize(
    ("change", "text"),
    [(0.25, "+25%"), (-0.031, "-3%"), (12.5, "+1,250%"), (0.004, "+0.4%"), (0.0, "+0%")],
)
def test_format_change(change: float, text: str) -> None:
    assert format_change(change) == text
