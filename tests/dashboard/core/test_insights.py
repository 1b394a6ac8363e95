"""Recurring and unusual expenses on constructed series with answers worked out by hand."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard.core.insights import (
    RECURRING_SCHEMA,
    UNUSUAL_SCHEMA,
    recurring_expenses,
    unusual_expenses,
)

ZONE = "Europe/Berlin"
LOCAL = pl.Datetime("ms", ZONE)
TODAY = date(2026, 11, 20)


def _expenses(*rows: tuple[datetime, str, str, float]) -> pl.DataFrame:
    """Rows of (local wall-clock time, category, description, amount); ids are e0, e1, …"""
    return pl.DataFrame(
        {
            "id": [f"e{n}" for n in range(len(rows))],
            "date": [row[0] for row in rows],
            "category": [row[1] for row in rows],
            "description": [row[2] for row in rows],
            "amount": [row[3] for row in rows],
        },
        schema={
            "id": pl.String,
            "date": pl.Datetime("ms"),
            "category": pl.String,
            "description": pl.String,
            "amount": pl.Float64,
        },
    ).with_columns(pl.col("date").dt.replace_time_zone(ZONE))


def _series(
    days: list[date], category: str, description: str, amount: float
) -> list[tuple[datetime, str, str, float]]:
    return [(datetime(d.year, d.month, d.day, 12), category, description, amount) for d in days]


NETFLIX = [
    (datetime(2026, 6, 3, 9), "Entertainment", "Netflix", 15.99),
    (datetime(2026, 7, 3, 9), "Entertainment", "NETFLIX  ", 16.31),  # +2%
    (datetime(2026, 8, 3, 9), "Subscriptions", "Netflix #4471", 15.67),  # −2%
    (datetime(2026, 9, 3, 9), "Entertainment", "Netflix", 15.99),
    (datetime(2026, 10, 3, 9), "Entertainment", "netflix*", 16.20),
    # 00:30 in Berlin is 23:30 UTC the day before: the local date (Nov 3) must be used
    (datetime(2026, 11, 3, 0, 30), "Entertainment", "Netflix", 15.99),
]
GYM = _series(
    # gaps 7, 7, 14 (a missed week), 7, 8, 6: median 7; 5 of 6 gaps within 6–8 days (83% ≥ 75%)
    [
        date(2026, 9, 28),
        date(2026, 10, 5),
        date(2026, 10, 12),
        date(2026, 10, 26),
        date(2026, 11, 2),
        date(2026, 11, 10),
        date(2026, 11, 16),
    ],
    "Health",
    "Gym",
    9.50,
)


def test_monthly_and_weekly_series_are_found() -> None:
    frame = recurring_expenses(_expenses(*NETFLIX, *GYM), today=TODAY)

    # Netflix: all six normalise to "netflix"; "Netflix" is the most frequent spelling (3 of 6) and
    # Entertainment the most frequent category (5 of 6). Amounts sorted: 15.67 15.99 15.99 15.99
    # 16.20 16.31 → median 15.99; largest deviation 0.32 = 2% ≤ 15%. Gaps: Jun 3→Jul 3 = 30,
    # →Aug 3 = 31, →Sep 3 = 31, →Oct 3 = 30, →Nov 3 = 31 → median 31 (monthly band 28–31, 5/5 in
    # band). Next: one calendar month after Nov 3 = Dec 3.
    # Gym: median 9.50, median gap 7 → weekly; next = Nov 16 + 7 days = Nov 23.
    expected = pl.DataFrame(
        [
            {
                "description": "Netflix",
                "category": "Entertainment",
                "typical_amount": 15.99,
                "interval": "monthly",
                "interval_days": 31.0,
                "occurrences": 6,
                "last_date": date(2026, 11, 3),
                "next_expected": date(2026, 12, 3),
                "reason": "6 payments of about $15.99, monthly (every ~31 days), last on 03 Nov 2026",
            },
            {
                "description": "Gym",
                "category": "Health",
                "typical_amount": 9.5,
                "interval": "weekly",
                "interval_days": 7.0,
                "occurrences": 7,
                "last_date": date(2026, 11, 16),
                "next_expected": date(2026, 11, 23),
                "reason": "7 payments of about $9.50, weekly (every ~7 days), last on 16 Nov 2026",
            },
        ],
        schema=RECURRING_SCHEMA,
        orient="row",
    )
    assert_frame_equal(frame, expected)


def test_input_order_does_not_matter() -> None:
    rows = [*NETFLIX, *GYM]
    forward = recurring_expenses(_expenses(*rows), today=TODAY)
    backward = recurring_expenses(_expenses(*reversed(rows)), today=TODAY)

    assert_frame_equal(forward, backward)


def test_every_two_weeks_quarterly_and_yearly() -> None:
    pay = _series([date(2026, 9, 4), date(2026, 9, 18), date(2026, 10, 2)], "Kids", "Allowance", 20)
    # Feb 15 → May 15 = 89, → Aug 15 = 92 days: median 90.5, both within 89–92
    water = _series([date(2026, 2, 15), date(2026, 5, 15), date(2026, 8, 15)], "Home", "Water", 60)
    # 2023→2024 = 365, 2024 (leap) → 2025 = 366 → median 365.5
    domain = _series([date(2023, 6, 1), date(2024, 6, 1), date(2025, 6, 1)], "Web", "Domain", 12)
    frame = recurring_expenses(_expenses(*pay, *water, *domain), today=date(2025, 11, 20))

    # Only the domain is dated before "today" (2025-11-20); the others are in the future: ignored
    assert frame["description"].to_list() == ["Domain"]
    later = recurring_expenses(_expenses(*pay, *water), today=date(2026, 10, 10))
    assert later.select("description", "interval", "interval_days", "next_expected").rows() == [
        ("Water", "quarterly", 90.5, date(2026, 11, 15)),
        ("Allowance", "every 2 weeks", 14.0, date(2026, 10, 16)),
    ]
    assert frame.select("interval", "interval_days", "next_expected").row(0) == (
        "yearly",
        365.5,
        date(2026, 6, 1),
    )


def test_irregular_series_is_not_recurring() -> None:
    # gaps 3, 20, 9, 45, 14: median 14 is in the 2-week band (12–16) but only 1 of 5 gaps (20%) is
    coffee = _series(
        [
            date(2026, 7, 1),
            date(2026, 7, 4),
            date(2026, 7, 24),
            date(2026, 8, 2),
            date(2026, 9, 16),
            date(2026, 9, 30),
        ],
        "Food",
        "Coffee shop",
        4.20,
    )
    assert recurring_expenses(_expenses(*coffee), today=date(2026, 10, 5)).is_empty()


def test_amounts_that_vary_too_much_are_not_recurring() -> None:
    days = [date(2026, 7, 10), date(2026, 8, 10), date(2026, 9, 10), date(2026, 10, 10)]
    # median of 45 60 70 90 = 65; 90 is (90 − 65) / 65 = 38% away > 15%
    bills = [
        (when, "Home", "Electric bill", amount)
        for (when, *_), amount in zip(_series(days, "Home", "x", 0), [60.0, 90.0, 45.0, 70.0])
    ]
    assert recurring_expenses(_expenses(*bills), today=TODAY).is_empty()
    # with a looser tolerance (40%) the same series counts
    assert recurring_expenses(_expenses(*bills), today=TODAY, amount_tolerance=0.40).height == 1


def test_fewer_than_three_payments_are_not_recurring() -> None:
    spotify = _series([date(2026, 9, 12), date(2026, 10, 12)], "Fun", "Spotify", 10.99)

    assert recurring_expenses(_expenses(*spotify), today=TODAY).is_empty()
    assert recurring_expenses(_expenses(*spotify), today=TODAY, min_occurrences=2).height == 1


def test_a_series_that_stopped_is_left_out() -> None:
    days = [date(2026, 1, 5), date(2026, 2, 5), date(2026, 3, 5), date(2026, 4, 5)]
    old = _series(days, "Fun", "Magazine", 7.0)
    # gaps 31, 28, 31 → median 31; last payment Apr 5 is 229 days before Nov 20 > 2 × 31
    assert recurring_expenses(_expenses(*old), today=TODAY).is_empty()
    # on May 20 it is 45 days ≤ 62: still active
    assert recurring_expenses(_expenses(*old), today=date(2026, 5, 20)).height == 1


def test_recurring_on_empty_input() -> None:
    empty = _expenses()

    assert_frame_equal(
        recurring_expenses(empty, today=TODAY), pl.DataFrame(schema=RECURRING_SCHEMA)
    )
    assert_frame_equal(
        recurring_expenses(pl.DataFrame(), today=TODAY), pl.DataFrame(schema=RECURRING_SCHEMA)
    )


def test_recurring_rejects_bad_options() -> None:
    with pytest.raises(ValueError, match="min_occurrences"):
        recurring_expenses(_expenses(), today=TODAY, min_occurrences=1)


def _category(category: str, amounts: list[float]) -> list[tuple[datetime, str, str, float]]:
    return [
        (datetime(2026, 10, 1 + n, 18), category, f"{category} {n}", amount)
        for n, amount in enumerate(amounts)
    ]


FOOD = _category("Food", [10, 11, 11, 12, 12, 12, 13, 14, 95])
TRANSPORT = _category("Transport", [2.90] * 8 + [30.00])
SAME = _category("Parking", [5.0] * 10)
TRAVEL = _category("Travel", [100, 100, 110, 105, 2000])
GROCERIES = _category("Groceries", [50, 52, 48, 51, 49, 50, 53, 47, 2])


def test_unusual_expenses() -> None:
    expenses = _expenses(*FOOD, *TRANSPORT, *SAME, *TRAVEL, *GROCERIES)
    frame = unusual_expenses(expenses)

    # Food: sorted 10 11 11 12 12 12 13 14 95 → median 12; |x − 12| sorted 0 0 0 1 1 1 2 2 83 → MAD 1
    #   z(95) = 0.6745 × 83 / 1 = 55.98; 95 / 12 = 7.9×; z(14) = 0.6745 × 2 = 1.35 (not flagged)
    # Transport: median 2.90, MAD 0 → MeanAD = 27.10 / 9; z(30) = 27.10 / (1.2533 × 27.10 / 9)
    #   = 9 / 1.2533 = 7.18; 30 / 2.90 = 10.3×
    # Parking: every amount equal → MAD 0 and MeanAD 0 → skipped
    # Travel: 5 expenses < 8 → skipped
    # Groceries: median 50, MAD 2, z(2) = 0.6745 × (2 − 50) / 2 = −16.2: low, not flagged
    food_z = 0.6745 * (95 - 12) / 1
    transport_z = (30.0 - 2.90) / (1.2533 * ((30.0 - 2.90) / 9))
    expected = pl.DataFrame(
        [
            {
                "id": "e8",
                "date": datetime(2026, 10, 9, 18),
                "category": "Food",
                "description": "Food 8",
                "amount": 95.0,
                "category_median": 12.0,
                "robust_z": food_z,
                "reason": "7.9× your typical Food expense of $12.00",
            },
            {
                "id": "e17",
                "date": datetime(2026, 10, 9, 18),
                "category": "Transport",
                "description": "Transport 8",
                "amount": 30.0,
                "category_median": 2.90,
                "robust_z": transport_z,
                "reason": "10.3× your typical Transport expense of $2.90",
            },
        ],
        schema={**UNUSUAL_SCHEMA, "date": pl.Datetime("ms")},
        orient="row",
    ).with_columns(pl.col("date").dt.replace_time_zone(ZONE))
    assert_frame_equal(frame, expected)


def test_unusual_options() -> None:
    expenses = _expenses(*FOOD, *TRAVEL)

    # threshold 60 > 55.98: Food's 95 is no longer unusual
    assert unusual_expenses(expenses, threshold=60).is_empty()
    # Travel counts with 5: median 105, |x − 105| sorted 0 5 5 5 1895 → MAD 5;
    # z(2000) = 0.6745 × 1895 / 5 = 255.6
    small = unusual_expenses(expenses, min_category_size=5)
    assert small["id"].to_list() == ["e13", "e8"]
    assert small["robust_z"][0] == pytest.approx(0.6745 * 1895 / 5)


def test_unusual_on_empty_input_keeps_the_date_type() -> None:
    frame = unusual_expenses(_expenses())

    assert frame.is_empty()
    assert frame.schema == pl.Schema({**UNUSUAL_SCHEMA, "date": LOCAL})
    assert unusual_expenses(pl.DataFrame()).schema == pl.Schema(UNUSUAL_SCHEMA)
