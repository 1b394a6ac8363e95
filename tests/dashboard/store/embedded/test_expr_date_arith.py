"""``$dateTrunc`` in the embedded engine.

Expected values come from the MongoDB manual's examples (cited per case) or are computed by hand
from its definitions; DST cases use the published transitions: Los Angeles moves to PDT (UTC−7) at
2025-03-09T10:00Z and back to PST (UTC−8) at 2025-11-02T09:00Z; Berlin moves to CEST (UTC+2) at
2025-03-30T01:00Z and back to CET (UTC+1) at 2025-10-26T01:00Z.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dashboard.store.errors import OperationFailure
from tests.dashboard.store.embedded.conftest import RunFn


def D(*parts: int) -> dt.datetime:
    """A UTC datetime (BSON dates are UTC)."""
    return dt.datetime(*parts, tzinfo=dt.UTC)


def values(run: RunFn, documents: list[dict[str, Any]], expr: Any) -> list[Any]:
    """``expr`` evaluated on each document, in order (``_id`` kept so every row has a column)."""
    return [d.get("v", "<missing>") for d in run(documents, [{"$project": {"v": expr}}])]


def one(run: RunFn, expr: Any, **fields: Any) -> Any:
    """``expr`` evaluated on a single document holding ``fields``."""
    return values(run, [fields or {"x": 1}], expr)[0]


# https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateTrunc/ (cakeSales)
CAKE_SALES = [
    {"_id": 0, "orderDate": D(2020, 5, 18, 14, 10, 30), "quantity": 120},
    {"_id": 1, "orderDate": D(2021, 3, 20, 11, 30, 5), "quantity": 140},
    {"_id": 2, "orderDate": D(2021, 1, 11, 6, 31, 15), "quantity": 145},
    {"_id": 3, "orderDate": D(2020, 2, 8, 13, 13, 23), "quantity": 104},
    {"_id": 4, "orderDate": D(2019, 5, 18, 16, 9, 1), "quantity": 162},
    {"_id": 5, "orderDate": D(2019, 1, 8, 6, 12, 3), "quantity": 134},
]


# -- $dateTrunc ------------------------------------------------------------------------------------
def test_date_trunc_manual_two_week_bins(run: RunFn) -> None:
    """Manual example: 2-week bins in Los Angeles, weeks starting on Monday."""
    expr = {
        "$dateTrunc": {
            "date": "$orderDate",
            "unit": "week",
            "binSize": 2,
            "timezone": "America/Los_Angeles",
            "startOfWeek": "Monday",
        }
    }
    assert values(run, CAKE_SALES, expr) == [
        D(2020, 5, 11, 7),
        D(2021, 3, 15, 7),
        D(2021, 1, 4, 8),
        D(2020, 2, 3, 8),
        D(2019, 5, 13, 7),
        D(2019, 1, 7, 8),
    ]


def test_date_trunc_manual_six_month_groups(run: RunFn) -> None:
    """Manual example: $group on 6-month bins, summing quantities."""
    pipeline = [
        {
            "$group": {
                "_id": {
                    "truncatedOrderDate": {
                        "$dateTrunc": {"date": "$orderDate", "unit": "month", "binSize": 6}
                    }
                },
                "sumQuantity": {"$sum": "$quantity"},
            }
        },
        {"$sort": {"_id.truncatedOrderDate": 1}},
    ]
    out = run(CAKE_SALES, pipeline)
    assert [(d["_id"]["truncatedOrderDate"], d["sumQuantity"]) for d in out] == [
        (D(2019, 1, 1), 296),
        (D(2020, 1, 1), 224),
        (D(2021, 1, 1), 285),
    ]


TRUNC_CASES = [
    # Manual "binSize and unit": 2021-03-20T11:30:05Z → 11:00 for 1 hour, 10:00 for 2 hours.
    pytest.param(D(2021, 3, 20, 11, 30, 5), {"unit": "hour"}, D(2021, 3, 20, 11), id="hour"),
    pytest.param(
        D(2021, 3, 20, 11, 30, 5), {"unit": "hour", "binSize": 2}, D(2021, 3, 20, 10), id="2-hours"
    ),
    # Manual: 10-year bins start at 2000, 2010, 2020.
    pytest.param(D(2025, 6, 1), {"unit": "year", "binSize": 10}, D(2020, 1, 1), id="decade"),
    pytest.param(D(1999, 6, 1), {"unit": "year", "binSize": 10}, D(1990, 1, 1), id="decade-before"),
    # Each unit with binSize 1 zeroes the smaller parts (manual); quarters start Jan/Apr/Jul/Oct.
    pytest.param(D(2021, 8, 20, 11, 30, 5), {"unit": "quarter"}, D(2021, 7, 1), id="quarter"),
    pytest.param(D(2021, 8, 20, 11, 30, 5), {"unit": "month"}, D(2021, 8, 1), id="month"),
    pytest.param(D(2021, 8, 20, 11, 30, 5), {"unit": "day"}, D(2021, 8, 20), id="day"),
    pytest.param(D(2021, 8, 20, 11, 30, 5), {"unit": "minute"}, D(2021, 8, 20, 11, 30), id="minute"),
    pytest.param(
        D(2021, 8, 20, 11, 30, 5, 678000), {"unit": "second"}, D(2021, 8, 20, 11, 30, 5), id="second"
    ),
    pytest.param(
        D(2021, 8, 20, 11, 30, 5, 678000),
        {"unit": "millisecond", "binSize": 100},
        D(2021, 8, 20, 11, 30, 5, 600000),
        id="millisecond",
    ),
    # 2021-08-20 is a Friday: the week starts Sunday 08-15 by default, Monday 08-16 with "monday".
    pytest.param(D(2021, 8, 20, 11), {"unit": "week"}, D(2021, 8, 15), id="week-sunday"),
    pytest.param(
        D(2021, 8, 20, 11), {"unit": "week", "startOfWeek": "monday"}, D(2021, 8, 16), id="week-monday"
    ),
    pytest.param(
        D(2021, 8, 20, 11), {"unit": "week", "startOfWeek": "FRI"}, D(2021, 8, 20), id="week-fri"
    ),
    pytest.param(
        D(2021, 8, 20, 11), {"unit": "week", "startOfWeek": "Saturday"}, D(2021, 8, 14), id="week-sat"
    ),
    # startOfWeek is ignored for other units (manual), even when it is not a day name.
    pytest.param(D(2021, 8, 20, 11), {"unit": "day", "startOfWeek": "x"}, D(2021, 8, 20), id="sow-ignored"),
    # Week bins of 2 count from the first Sunday on or after 2000-01-01 (2000-01-02).
    pytest.param(D(2000, 1, 16, 5), {"unit": "week", "binSize": 2}, D(2000, 1, 16), id="2-weeks-even"),
    pytest.param(D(2000, 1, 15, 5), {"unit": "week", "binSize": 2}, D(2000, 1, 2), id="2-weeks-odd"),
    # Day bins of 7 count from 2000-01-01 (a Saturday): 2024-11-30 and 2024-12-07 start bins.
    pytest.param(D(2024, 12, 5), {"unit": "day", "binSize": 7}, D(2024, 11, 30), id="7-days"),
    # Quarters since 2000: 2021-08 is quarter 86 (bin start), 2021-11 quarter 87 (back one).
    pytest.param(D(2021, 8, 20), {"unit": "quarter", "binSize": 2}, D(2021, 7, 1), id="2-quarters"),
    pytest.param(D(2021, 11, 1), {"unit": "quarter", "binSize": 2}, D(2021, 7, 1), id="2-quarters-b"),
    # Months since 2000-01 in Los Angeles: Nov 2025 is month 310, 4 past the bin start (July 1,
    # 00:00 PDT = 07:00Z).
    pytest.param(
        D(2025, 11, 15, 12), {"unit": "month", "binSize": 6, "timezone": "America/Los_Angeles"},
        D(2025, 7, 1, 7), id="6-months-la",
    ),
    # Kolkata is UTC+5:30 all year: local hours start at half past the UTC hour.
    pytest.param(
        D(2021, 3, 20, 11, 30, 5), {"unit": "hour", "timezone": "Asia/Kolkata"}, D(2021, 3, 20, 11, 30),
        id="hour-half-offset",
    ),
    pytest.param(
        D(2021, 3, 20, 11, 30, 5), {"unit": "day", "timezone": "+05:30"}, D(2021, 3, 19, 18, 30),
        id="day-fixed-offset",
    ),
    pytest.param(None, {"unit": "day"}, None, id="null-date"),
    pytest.param(D(2021, 1, 1), {"unit": None}, None, id="null-unit"),
    pytest.param(D(2021, 1, 1), {"unit": "day", "binSize": None}, None, id="null-binSize"),
    pytest.param(D(2021, 1, 1), {"unit": "day", "timezone": None}, None, id="null-timezone"),
    # Manual: null when unit is week and startOfWeek is null.
    pytest.param(D(2021, 1, 1), {"unit": "week", "startOfWeek": None}, None, id="null-startOfWeek"),
    pytest.param(D(2021, 1, 1), {"unit": "day", "startOfWeek": None}, D(2021, 1, 1), id="sow-null-day"),
]  # fmt: skip


@pytest.mark.parametrize(("date", "args", "expected"), TRUNC_CASES)
def test_date_trunc(run: RunFn, date: Any, args: dict[str, Any], expected: Any) -> None:
    assert one(run, {"$dateTrunc": {"date": "$d", **args}}, d=date) == expected


DST_DAYS = [
    # Local midnight in UTC: PST midnight is 08:00Z, PDT midnight 07:00Z.
    ("America/Los_Angeles", D(2025, 3, 8, 12), D(2025, 3, 8, 8)),
    ("America/Los_Angeles", D(2025, 3, 9, 12), D(2025, 3, 9, 8)),  # the 23-hour day
    ("America/Los_Angeles", D(2025, 3, 10, 12), D(2025, 3, 10, 7)),
    ("America/Los_Angeles", D(2025, 11, 2, 12), D(2025, 11, 2, 7)),  # the 25-hour day
    ("America/Los_Angeles", D(2025, 11, 3, 12), D(2025, 11, 3, 8)),
    # CET midnight is 23:00Z the day before, CEST midnight 22:00Z.
    ("Europe/Berlin", D(2025, 3, 30, 12), D(2025, 3, 29, 23)),
    ("Europe/Berlin", D(2025, 3, 31, 12), D(2025, 3, 30, 22)),
    ("Europe/Berlin", D(2025, 10, 26, 12), D(2025, 10, 25, 22)),
    ("Europe/Berlin", D(2025, 10, 27, 12), D(2025, 10, 26, 23)),
]


@pytest.mark.parametrize(("zone", "date", "expected"), DST_DAYS)
def test_date_trunc_day_across_dst(run: RunFn, zone: str, date: dt.datetime, expected: Any) -> None:
    expr = {"$dateTrunc": {"date": "$d", "unit": "day", "timezone": zone}}
    assert one(run, expr, d=date) == expected


@pytest.mark.parametrize(
    ("zone", "args", "date", "expected"),
    [
        # Wednesday 2025-03-12 05:00 PDT: its week began Sunday 03-09 at 00:00 PST (08:00Z) or on
        # Monday 03-10 at 00:00 PDT (07:00Z).
        ("America/Los_Angeles", {"unit": "week"}, D(2025, 3, 12, 12), D(2025, 3, 9, 8)),
        (
            "America/Los_Angeles",
            {"unit": "week", "startOfWeek": "mon"},
            D(2025, 3, 12, 12),
            D(2025, 3, 10, 7),
        ),
        ("America/Los_Angeles", {"unit": "month"}, D(2025, 11, 15, 12), D(2025, 11, 1, 7)),
        ("Europe/Berlin", {"unit": "month"}, D(2025, 4, 15, 12), D(2025, 3, 31, 22)),
        ("Europe/Berlin", {"unit": "quarter"}, D(2025, 11, 15, 12), D(2025, 9, 30, 22)),
        ("Europe/Berlin", {"unit": "year"}, D(2025, 7, 1), D(2024, 12, 31, 23)),
    ],
)
def test_date_trunc_week_month_in_zones(
    run: RunFn, zone: str, args: dict[str, Any], date: dt.datetime, expected: dt.datetime
) -> None:
    expr = {"$dateTrunc": {"date": "$d", "timezone": zone, **args}}
    assert one(run, expr, d=date) == expected


def test_date_trunc_reads_bin_size_from_documents(run: RunFn) -> None:
    docs = [{"d": D(2024, 12, 5), "b": 7}, {"d": D(2024, 12, 5), "b": 1}, {"d": D(2024, 12, 5)}]
    expr = {"$dateTrunc": {"date": "$d", "unit": "day", "binSize": "$b"}}
    assert values(run, docs, expr) == [D(2024, 11, 30), D(2024, 12, 5), None]


def test_date_trunc_reads_options_from_documents(run: RunFn) -> None:
    docs = [
        {"d": D(2021, 8, 20, 11), "u": "month", "tz": "UTC", "sow": "sun"},
        {"d": D(2021, 8, 20, 11), "u": "week", "tz": "America/Los_Angeles", "sow": "monday"},
        {"d": D(2021, 8, 20, 11), "u": "week", "tz": "+01:00", "sow": None},
    ]
    expr = {"$dateTrunc": {"date": "$d", "unit": "$u", "timezone": "$tz", "startOfWeek": "$sow"}}
    assert values(run, docs, expr) == [D(2021, 8, 1), D(2021, 8, 16, 7), None]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"unit": "days"}, 9),
        ({"unit": 1}, 5439013),
        ({"unit": "week", "startOfWeek": "someday"}, 5439016),
        ({"unit": "week", "startOfWeek": 1}, 5439015),
        ({"unit": "day", "binSize": 0}, 5439018),
        ({"unit": "day", "binSize": 1.5}, 5439017),
        ({"unit": "day", "timezone": "Atlantis/Capital"}, 40485),
        ({"unit": "day", "size": 1}, 5439008),
        ({"date": "$s", "unit": "day"}, 5166307),
    ],
)
def test_date_trunc_errors(run: RunFn, args: dict[str, Any], code: int) -> None:
    with pytest.raises(OperationFailure) as err:
        one(run, {"$dateTrunc": {"date": "$d", **args}}, d=D(2021, 1, 1), s="x")
    assert err.value.code == code


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        ({"unit": "day"}, 5439009),
        ({"date": "$d"}, 5439010),
        ("$d", 5439007),
    ],
)
def test_date_trunc_argument_errors(run: RunFn, spec: Any, code: int) -> None:
    with pytest.raises(OperationFailure) as err:
        one(run, {"$dateTrunc": spec}, d=D(2021, 1, 1))
    assert err.value.code == code
