"""``$dateAdd``, ``$dateSubtract`` and ``$dateDiff`` in the embedded engine.

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


# -- $dateAdd / $dateSubtract ----------------------------------------------------------------------
ADD_CASES = [
    # Manual "last-day-of-the-month" adjustment: Oct 31 + 1 month is Nov 30.
    pytest.param(D(2020, 10, 31, 12, 10, 5), "month", 1, {}, D(2020, 11, 30, 12, 10, 5), id="manual-eom"),
    # Manual shipping example: + 3 days.
    pytest.param(D(2020, 12, 31), "day", 3, {}, D(2021, 1, 3), id="manual-ship-1"),
    pytest.param(D(2021, 2, 28), "day", 3, {}, D(2021, 3, 3), id="manual-ship-2"),
    pytest.param(D(2021, 2, 26), "day", 3, {}, D(2021, 3, 1), id="manual-ship-3"),
    pytest.param(D(2025, 1, 31), "month", 1, {}, D(2025, 2, 28), id="jan31-plus-month"),
    pytest.param(D(2024, 1, 31), "month", 1, {}, D(2024, 2, 29), id="jan31-plus-month-leap"),
    pytest.param(D(2024, 2, 29), "year", 1, {}, D(2025, 2, 28), id="feb29-plus-year"),
    pytest.param(D(2024, 2, 29), "year", 4, {}, D(2028, 2, 29), id="feb29-plus-4-years"),
    pytest.param(D(2024, 11, 30), "quarter", 1, {}, D(2025, 2, 28), id="quarter"),
    pytest.param(D(2024, 3, 31), "month", -1, {}, D(2024, 2, 29), id="negative-month"),
    pytest.param(D(2021, 1, 1), "week", 2, {}, D(2021, 1, 15), id="week"),
    pytest.param(D(2021, 1, 1), "hour", 25, {}, D(2021, 1, 2, 1), id="hour"),
    pytest.param(D(2021, 1, 1), "minute", -1, {}, D(2020, 12, 31, 23, 59), id="minute"),
    pytest.param(D(2021, 1, 1), "second", 61, {}, D(2021, 1, 1, 0, 1, 1), id="second"),
    pytest.param(D(2021, 1, 1), "millisecond", 1500, {}, D(2021, 1, 1, 0, 0, 1, 500000), id="ms"),
    pytest.param(D(2021, 1, 1), "day", 1.0, {}, D(2021, 1, 2), id="whole-double"),
    # Hours are fixed durations even across DST (MongoDB's own example in its source comments):
    # 2020-11-01T05:50:02Z + 1 hour in New York is 06:50:02Z.
    pytest.param(
        D(2020, 11, 1, 5, 50, 2), "hour", 1, {"timezone": "America/New_York"}, D(2020, 11, 1, 6, 50, 2),
        id="hour-across-dst",
    ),
    # A day keeps the local time: 2025-03-08 12:00 PST + 1 day is 2025-03-09 12:00 PDT (19:00Z).
    pytest.param(
        D(2025, 3, 8, 20), "day", 1, {"timezone": "America/Los_Angeles"}, D(2025, 3, 9, 19),
        id="day-across-dst",
    ),
    # 01:30 on 2025-11-02 happens twice in LA; a day after 01:30 PDT is the PDT one (24 hours).
    pytest.param(
        D(2025, 11, 1, 8, 30), "day", 1, {"timezone": "America/Los_Angeles"}, D(2025, 11, 2, 8, 30),
        id="day-into-repeated-hour",
    ),
    # A day before 01:30 PST on 11-03 is the PST 01:30 of 11-02 (24 hours).
    pytest.param(
        D(2025, 11, 3, 9, 30), "day", -1, {"timezone": "America/Los_Angeles"}, D(2025, 11, 2, 9, 30),
        id="day-back-into-repeated-hour",
    ),
    # Month-end clamping uses the local date: Jan 31 20:00 in LA is Feb 1 04:00Z.
    pytest.param(
        D(2025, 2, 1, 4), "month", 1, {"timezone": "America/Los_Angeles"}, D(2025, 3, 1, 4),
        id="local-month-end",
    ),
    pytest.param(None, "day", 1, {}, None, id="null-date"),
    pytest.param(D(2021, 1, 1), "day", None, {}, None, id="null-amount"),
    pytest.param(D(2021, 1, 1), None, 1, {}, None, id="null-unit"),
    pytest.param(D(2021, 1, 1), "day", 1, {"timezone": None}, None, id="null-timezone"),
]  # fmt: skip


@pytest.mark.parametrize(("date", "unit", "amount", "extra", "expected"), ADD_CASES)
def test_date_add(
    run: RunFn, date: Any, unit: Any, amount: Any, extra: dict[str, Any], expected: Any
) -> None:
    expr = {"$dateAdd": {"startDate": "$d", "unit": unit, "amount": amount, **extra}}
    assert one(run, expr, d=date) == expected


@pytest.mark.parametrize(
    ("date", "unit", "amount", "expected"),
    [
        (D(2021, 3, 31), "month", 1, D(2021, 2, 28)),
        (D(2021, 3, 1), "day", 1, D(2021, 2, 28)),
        (D(2021, 1, 1, 0, 30), "hour", 1, D(2020, 12, 31, 23, 30)),
        (D(2021, 1, 1), "year", -1, D(2022, 1, 1)),
    ],
)
def test_date_subtract(run: RunFn, date: Any, unit: str, amount: int, expected: Any) -> None:
    expr = {"$dateSubtract": {"startDate": "$d", "unit": unit, "amount": amount}}
    assert one(run, expr, d=date) == expected


def test_date_add_reads_amounts_from_documents(run: RunFn) -> None:
    docs = [{"d": D(2024, 1, 31), "n": 1}, {"d": D(2024, 1, 31), "n": -2}, {"d": D(2024, 1, 31)}]
    expr = {"$dateAdd": {"startDate": "$d", "unit": "month", "amount": "$n"}}
    assert values(run, docs, expr) == [D(2024, 2, 29), D(2023, 11, 30), None]


def test_date_add_manual_daylight_saving_example(run: RunFn) -> None:
    """Manual "Adjust for Daylight Savings Time": 1 day vs 24 hours, zones read per document."""
    docs = [
        {"location": "America/New_York", "login": D(2021, 3, 13, 15)},
        {"location": "America/Mexico_City", "login": D(2021, 3, 13, 10)},
    ]
    fmt = "%Y-%m-%d %H:%M"

    def add(unit: str, amount: int) -> dict[str, Any]:
        return {
            "$dateAdd": {
                "startDate": "$login",
                "unit": unit,
                "amount": amount,
                "timezone": "$location",
            }
        }

    project = {
        "_id": 0,
        "start": {"$dateToString": {"format": fmt, "date": "$login"}},
        "days": {"$dateToString": {"format": fmt, "date": add("day", 1)}},
        "hours": {"$dateToString": {"format": fmt, "date": add("hour", 24)}},
        "startTZInfo": {
            "$dateToString": {"format": fmt, "date": "$login", "timezone": "$location"}
        },
        "daysTZInfo": {
            "$dateToString": {"format": fmt, "date": add("day", 1), "timezone": "$location"}
        },
        "hoursTZInfo": {
            "$dateToString": {"format": fmt, "date": add("hour", 24), "timezone": "$location"}
        },
    }
    out = run(docs, [{"$project": project}])
    assert out == [
        {
            "start": "2021-03-13 15:00",
            "days": "2021-03-14 14:00",
            "hours": "2021-03-14 15:00",
            "startTZInfo": "2021-03-13 10:00",
            "daysTZInfo": "2021-03-14 10:00",
            "hoursTZInfo": "2021-03-14 11:00",
        },
        {
            "start": "2021-03-13 10:00",
            "days": "2021-03-14 10:00",
            "hours": "2021-03-14 10:00",
            "startTZInfo": "2021-03-13 04:00",
            "daysTZInfo": "2021-03-14 04:00",
            "hoursTZInfo": "2021-03-14 04:00",
        },
    ]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"startDate": "$d", "unit": "day", "amount": 1.5}, 5166405),
        ({"startDate": "$d", "unit": "day", "amount": "1"}, 5166405),
        ({"startDate": "$s", "unit": "day", "amount": 1}, 5166403),
        ({"startDate": "$d", "unit": "days", "amount": 1}, 9),
        ({"startDate": "$d", "unit": "day"}, 5166402),
        ({"startDate": "$d", "unit": "day", "amount": 1, "tz": "UTC"}, 5166401),
    ],
)
def test_date_add_errors(run: RunFn, args: dict[str, Any], code: int) -> None:
    with pytest.raises(OperationFailure) as err:
        one(run, {"$dateAdd": args}, d=D(2021, 1, 1), s="x")
    assert err.value.code == code


# -- $dateDiff -------------------------------------------------------------------------------------
def test_date_diff_manual_elapsed_days(run: RunFn) -> None:
    """Manual "Elapsed Time": the day differences averaged in the example (5, 7 and 2 days)."""
    docs = [
        {"purchased": D(2020, 12, 31), "delivered": D(2021, 1, 5)},
        {"purchased": D(2021, 2, 28), "delivered": D(2021, 3, 7)},
        {"purchased": D(2021, 2, 16), "delivered": D(2021, 2, 18)},
    ]
    expr = {"$dateDiff": {"startDate": "$purchased", "endDate": "$delivered", "unit": "day"}}
    assert values(run, docs, expr) == [5, 7, 2]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Manual "Result Precision" table: years, months, days ("2011-06-31" is 2011-07-01).
        (D(2010, 1, 1), D(2011, 1, 1), [1, 12, 365]),
        (D(2010, 1, 1), D(2011, 7, 1), [1, 18, 546]),
        (D(2010, 3, 1), D(2010, 4, 30), [0, 1, 60]),
    ],
)
def test_date_diff_manual_result_precision(
    run: RunFn, start: dt.datetime, end: dt.datetime, expected: list[int]
) -> None:
    got = [
        one(run, {"$dateDiff": {"startDate": "$s", "endDate": "$e", "unit": u}}, s=start, e=end)
        for u in ("year", "month", "day")
    ]
    assert got == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Manual "Weeks Per Month": weeks starting Sunday, Monday, Friday.
        (D(2021, 1, 1), D(2021, 1, 31), [5, 4, 4]),
        (D(2021, 2, 1), D(2021, 2, 28), [4, 3, 4]),
        (D(2021, 3, 1), D(2021, 3, 31), [4, 4, 4]),
    ],
)
def test_date_diff_manual_weeks_per_month(
    run: RunFn, start: dt.datetime, end: dt.datetime, expected: list[int]
) -> None:
    got = [
        one(run, {"$dateDiff": {"startDate": "$s", "endDate": "$e", "unit": "week", **sow}}, s=start, e=end)
        for sow in ({}, {"startOfWeek": "Monday"}, {"startOfWeek": "fri"})
    ]  # fmt: skip
    assert got == expected


# 2025-01-31T23:59Z → 2025-02-01T00:01Z: two minutes apart, but one month, day and hour boundary
# are crossed ("Durations are measured by counting the number of times a unit boundary is
# passed", manual). 2025-01-31 is a Friday and 2025-02-01 a Saturday.
BOUNDARY_START, BOUNDARY_END = D(2025, 1, 31, 23, 59), D(2025, 2, 1, 0, 1)
BOUNDARIES = [
    ("year", {}, 0),
    ("quarter", {}, 0),
    ("month", {}, 1),
    ("week", {}, 0),
    ("week", {"startOfWeek": "saturday"}, 1),
    ("day", {}, 1),
    ("hour", {}, 1),
    ("minute", {}, 2),
    ("second", {}, 120),
    ("millisecond", {}, 120_000),
]


@pytest.mark.parametrize(("unit", "extra", "expected"), BOUNDARIES)
def test_date_diff_counts_boundaries(
    run: RunFn, unit: str, extra: dict[str, Any], expected: int
) -> None:
    expr = {"$dateDiff": {"startDate": "$s", "endDate": "$e", "unit": unit, **extra}}
    assert one(run, expr, s=BOUNDARY_START, e=BOUNDARY_END) == expected
    reverse = {"$dateDiff": {"startDate": "$e", "endDate": "$s", "unit": unit, **extra}}
    assert one(run, reverse, s=BOUNDARY_START, e=BOUNDARY_END) == -expected  # "can be negative"


@pytest.mark.parametrize(
    ("start", "end", "unit", "zone", "expected"),
    [
        # 01:30 PST → 03:30 PDT on 2025-03-09 is one real hour (the manual: DST accounted for).
        (D(2025, 3, 9, 9, 30), D(2025, 3, 9, 10, 30), "hour", "America/Los_Angeles", 1),
        # Noon to noon across the 23-hour day: 1 local day, 23 hours.
        (D(2025, 3, 8, 20), D(2025, 3, 9, 19), "day", "America/Los_Angeles", 1),
        (D(2025, 3, 8, 20), D(2025, 3, 9, 19), "hour", "America/Los_Angeles", 23),
        # 23:30 Jan 1 and 00:30 Jan 2 in Los Angeles are different local days (1), the same UTC day.
        (D(2025, 1, 2, 7, 30), D(2025, 1, 2, 8, 30), "day", "America/Los_Angeles", 1),
        (D(2025, 1, 2, 7, 30), D(2025, 1, 2, 8, 30), "day", "UTC", 0),
        # Kolkata (UTC+5:30): 18:20Z and 18:40Z are 23:50 and 00:10 local, another day.
        (D(2025, 1, 1, 18, 20), D(2025, 1, 1, 18, 40), "day", "Asia/Kolkata", 1),
        (D(2025, 1, 1, 18, 20), D(2025, 1, 1, 18, 40), "hour", "Asia/Kolkata", 1),
        (D(2025, 1, 1, 18, 20), D(2025, 1, 1, 18, 40), "hour", "UTC", 0),
    ],
)
def test_date_diff_in_zones(
    run: RunFn, start: dt.datetime, end: dt.datetime, unit: str, zone: str, expected: int
) -> None:
    expr = {"$dateDiff": {"startDate": "$s", "endDate": "$e", "unit": unit, "timezone": zone}}
    assert one(run, expr, s=start, e=end) == expected


@pytest.mark.parametrize(
    "args",
    [
        {"startDate": None, "endDate": "$e", "unit": "day"},
        {"startDate": "$s", "endDate": "$missing", "unit": "day"},
        {"startDate": "$s", "endDate": "$e", "unit": None},
        {"startDate": "$s", "endDate": "$e", "unit": "day", "timezone": None},
        {"startDate": "$s", "endDate": "$e", "unit": "week", "startOfWeek": None},
    ],
)
def test_date_diff_null_arguments(run: RunFn, args: dict[str, Any]) -> None:
    assert one(run, {"$dateDiff": args}, s=D(2021, 1, 1), e=D(2021, 2, 1)) is None


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"startDate": "$s", "endDate": "$e", "unit": "fortnight"}, 9),
        ({"startDate": "$s", "endDate": "$e", "unit": "week", "startOfWeek": "caturday"}, 5439016),
        ({"startDate": "$t", "endDate": "$e", "unit": "day"}, 5166307),
        ({"startDate": "$s", "unit": "day"}, 5166304),
        ({"startDate": "$s", "endDate": "$e"}, 5166305),
        ({"endDate": "$e", "unit": "day"}, 5166303),
        ({"startDate": "$s", "endDate": "$e", "unit": "day", "tz": "UTC"}, 5166302),
    ],
)
def test_date_diff_errors(run: RunFn, args: dict[str, Any], code: int) -> None:
    with pytest.raises(OperationFailure) as err:
        one(run, {"$dateDiff": args}, s=D(2021, 1, 1), e=D(2021, 2, 1), t="x")
    assert err.value.code == code
