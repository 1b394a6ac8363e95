"""Date part operators of the embedded engine: ``$year`` … ``$isoDayOfWeek``, ``$dateToParts``,
``$dateFromParts``.

Expected values come from the MongoDB manual's examples (cited per case) or are computed by hand
from the manual's definitions (calendar facts noted in the comments). ``$dateToString`` and
``$dateFromString`` are in ``test_expr_date_format.py``; ``$dateTrunc`` in ``test_expr_date_arith.py``;
``$dateAdd``/``$dateDiff`` in ``test_expr_date_arith_add_diff.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import bson
import pytest

from dashboard.store.embedded import EmbeddedStore
from dashboard.store.errors import OperationFailure
from tests.dashboard.store.embedded.conftest import RunFn


def D(*parts: int) -> dt.datetime:
    """A UTC datetime (BSON dates are UTC)."""
    return dt.datetime(*parts, tzinfo=dt.UTC)


def values(run: RunFn, documents: list[dict[str, Any]], expr: Any) -> list[Any]:
    """``expr`` evaluated on each document, in order (``_id`` kept so every row has a column)."""
    out = run(documents, [{"$project": {"v": expr}}])
    return [d.get("v", "<missing>") for d in out]


# -- single parts ----------------------------------------------------------------------------------
SALE = [{"date": D(2014, 1, 1, 8, 15, 39, 736000)}]

PART_CASES = [
    # https://www.mongodb.com/docs/manual/reference/operator/aggregation/week/ (example output)
    pytest.param(SALE, {"$year": "$date"}, [2014], id="manual-year"),
    pytest.param(SALE, {"$month": "$date"}, [1], id="manual-month"),
    pytest.param(SALE, {"$dayOfMonth": "$date"}, [1], id="manual-day"),
    pytest.param(SALE, {"$hour": "$date"}, [8], id="manual-hour"),
    pytest.param(SALE, {"$minute": "$date"}, [15], id="manual-minute"),
    pytest.param(SALE, {"$second": "$date"}, [39], id="manual-second"),
    pytest.param(SALE, {"$millisecond": "$date"}, [736], id="manual-millisecond"),
    pytest.param(SALE, {"$dayOfYear": "$date"}, [1], id="manual-dayOfYear"),
    pytest.param(SALE, {"$dayOfWeek": "$date"}, [4], id="manual-dayOfWeek-wednesday"),
    pytest.param(SALE, {"$week": "$date"}, [0], id="manual-week"),
    # 2014-01-01 is a Wednesday: ISO week 1 of 2014, ISO day 3 (isoWeek/isoDayOfWeek pages).
    pytest.param(SALE, {"$isoWeek": "$date"}, [1], id="isoWeek"),
    pytest.param(SALE, {"$isoWeekYear": "$date"}, [2014], id="isoWeekYear"),
    pytest.param(SALE, {"$isoDayOfWeek": "$date"}, [3], id="isoDayOfWeek"),
    # The three argument forms: <date>, [<date>], {date, timezone}.
    pytest.param(SALE, {"$hour": ["$date"]}, [8], id="array-form"),
    pytest.param(SALE, {"$hour": {"date": "$date"}}, [8], id="document-form"),
    pytest.param(
        SALE, {"$hour": {"date": "$date", "timezone": "America/New_York"}}, [3], id="tz-olson"
    ),
    pytest.param(SALE, {"$minute": {"date": "$date", "timezone": "+04:30"}}, [45], id="tz-hh:mm"),
    pytest.param(SALE, {"$hour": {"date": "$date", "timezone": "+0430"}}, [12], id="tz-hhmm"),
    pytest.param(SALE, {"$hour": {"date": "$date", "timezone": "-08"}}, [0], id="tz-hh"),
    pytest.param(SALE, {"$hour": {"date": "$date", "timezone": "UTC"}}, [8], id="tz-utc"),
    # An operator expression as the argument is the plain form, not the document form.
    pytest.param(SALE, {"$year": {"$ifNull": ["$date", None]}}, [2014], id="expression-argument"),
    # Null or missing date, or null timezone → null (manual: "returns null").
    pytest.param([{"date": None}, {}], {"$year": "$date"}, [None, None], id="null-and-missing"),
    pytest.param(SALE, {"$year": {"date": "$date", "timezone": None}}, [None], id="null-timezone"),
    pytest.param(
        SALE, {"$year": {"date": "$date", "timezone": "$nope"}}, [None], id="missing-timezone"
    ),
]


@pytest.mark.parametrize(("documents", "expr", "expected"), PART_CASES)
def test_date_parts(
    run: RunFn, documents: list[dict[str, Any]], expr: Any, expected: list[Any]
) -> None:
    assert values(run, documents, expr) == expected


# Year boundaries and leap years, computed from the calendar: 2024-01-01 is a Monday (first Sunday
# Jan 7), 2020-01-01 a Wednesday (first Sunday Jan 5), 2021-01-01 a Friday; $week is strftime's %U,
# ISO weeks start on Monday and week 1 holds the year's first Thursday.
BOUNDARY = [
    # date,           week, isoWeek, isoWeekYear, isoDayOfWeek, dayOfWeek, dayOfYear
    (D(2024, 12, 30), 52, 1, 2025, 1, 2, 365),
    (D(2021, 1, 1), 0, 53, 2020, 5, 6, 1),
    (D(2020, 12, 31), 52, 53, 2020, 4, 5, 366),
    (D(2024, 2, 29), 8, 9, 2024, 4, 5, 60),
    (D(2023, 3, 1), 9, 9, 2023, 3, 4, 60),
    (D(2024, 3, 1), 8, 9, 2024, 5, 6, 61),
    (D(2000, 12, 31), 53, 52, 2000, 7, 1, 366),
    (D(1900, 12, 31), 52, 1, 1901, 1, 2, 365),
]


@pytest.mark.parametrize("row", BOUNDARY, ids=[str(r[0].date()) for r in BOUNDARY])
def test_week_and_day_numbers_at_year_boundaries(run: RunFn, row: tuple[Any, ...]) -> None:
    date, *expected = row
    ops = ["$week", "$isoWeek", "$isoWeekYear", "$isoDayOfWeek", "$dayOfWeek", "$dayOfYear"]
    out = run([{"d": date}], [{"$project": {"_id": 0, **{op[1:]: {op: "$d"} for op in ops}}}])
    assert [out[0][op[1:]] for op in ops] == expected


def test_local_day_of_a_late_evening_expense(run: RunFn) -> None:
    """23:30 on Jan 1 in Los Angeles (UTC−8) is 07:30Z on Jan 2: it belongs to Jan 1 locally."""
    docs = [{"d": D(2025, 1, 2, 7, 30)}]
    la = {"date": "$d", "timezone": "America/Los_Angeles"}
    assert values(run, docs, {"$dayOfMonth": la}) == [1]
    assert values(run, docs, {"$dayOfMonth": "$d"}) == [2]
    fmt = {"$dateToString": {"format": "%Y-%m-%d", **la}}
    assert values(run, docs, fmt) == ["2025-01-01"]


def test_timezone_per_document(run: RunFn) -> None:
    docs = [
        {"d": D(2025, 7, 1, 3, 0), "tz": "America/Los_Angeles"},  # PDT, UTC−7 → Jun 30 20:00
        {"d": D(2025, 7, 1, 3, 0), "tz": "Asia/Kolkata"},  # UTC+5:30 → 08:30
        {"d": D(2025, 7, 1, 3, 0), "tz": "-03:30"},  # → Jun 30 23:30
        {"d": D(2025, 7, 1, 3, 0), "tz": None},
        {"d": D(2025, 7, 1, 3, 0)},
    ]
    assert values(run, docs, {"$hour": {"date": "$d", "timezone": "$tz"}}) == [
        20,
        8,
        23,
        None,
        None,
    ]
    assert values(run, docs, {"$dayOfMonth": {"date": "$d", "timezone": "$tz"}})[:3] == [30, 1, 30]


def test_default_format_per_document_zone(run: RunFn) -> None:
    """The default format ends in "Z" only in MongoDB's UTC zone ("UTC" or a zero offset)."""
    docs = [{"d": SALE[0]["date"], "tz": tz} for tz in ("UTC", "+00:00", "Europe/London", "-05")]
    assert values(run, docs, {"$dateToString": {"date": "$d", "timezone": "$tz"}}) == [
        "2014-01-01T08:15:39.736Z",
        "2014-01-01T08:15:39.736Z",
        "2014-01-01T08:15:39.736",
        "2014-01-01T03:15:39.736",
    ]


def test_object_id_dates(run: RunFn) -> None:
    """An ObjectId is read as the date of its timestamp (manual: Date, Timestamp or ObjectID)."""
    oid = bson.ObjectId.from_datetime(D(2017, 3, 4, 5, 6, 7))
    docs = [{"_id": oid}]
    assert values(run, docs, {"$year": "$_id"}) == [2017]
    assert values(run, docs, {"$dateToString": {"date": "$_id"}}) == ["2017-03-04T05:06:07.000Z"]


@pytest.mark.parametrize(
    ("expr", "code"),
    [
        ({"$year": {"date": "$d", "zone": "UTC"}}, 40535),
        ({"$year": {}}, 40539),
        ({"$year": {"timezone": "UTC"}}, 40539),
        ({"$year": ["$d", "$d"]}, 40536),
        ({"$year": {"date": "$d", "timezone": "Mars/Olympus"}}, 40485),
        ({"$year": {"date": "$d", "timezone": "+5:30"}}, 40485),
        ({"$year": {"date": "$d", "timezone": "utc"}}, 40485),
        ({"$year": {"date": "$d", "timezone": 5}}, 40517),
        ({"$year": "$s"}, 16006),
        ({"$year": "$n"}, 16006),
    ],
)
def test_part_errors(run: RunFn, expr: Any, code: int) -> None:
    with pytest.raises(OperationFailure) as err:
        values(run, [{"d": D(2020, 1, 1), "s": "2020-01-01", "n": 5}], expr)
    assert err.value.code == code


def test_unknown_timezone_read_from_a_document_fails(run: RunFn) -> None:
    with pytest.raises(OperationFailure) as err:
        values(
            run,
            [{"d": D(2020, 1, 1), "tz": "Nowhere/City"}],
            {"$year": {"date": "$d", "timezone": "$tz"}},
        )
    assert err.value.code == 40485


def test_type_errors_wait_for_a_document(store: EmbeddedStore) -> None:
    """A string field fails only when a document reaches the operator (MongoDB evaluates per row)."""
    store.insert_many("c", [{"s": "x", "k": 1}])
    assert store.aggregate("c", [{"$match": {"k": 2}}, {"$project": {"y": {"$year": "$s"}}}]) == []


# -- $dateToParts ----------------------------------------------------------------------------------
PARTS_DOC = [{"date": D(2017, 1, 1, 1, 29, 9, 123000)}]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateToParts/ (example)
        (
            {"$dateToParts": {"date": "$date"}},
            {"year": 2017, "month": 1, "day": 1, "hour": 1, "minute": 29, "second": 9,
             "millisecond": 123},
        ),
        (
            {"$dateToParts": {"date": "$date", "timezone": "America/New_York"}},
            {"year": 2016, "month": 12, "day": 31, "hour": 20, "minute": 29, "second": 9,
             "millisecond": 123},
        ),
        (
            {"$dateToParts": {"date": "$date", "iso8601": True}},
            {"isoWeekYear": 2016, "isoWeek": 52, "isoDayOfWeek": 7, "hour": 1, "minute": 29,
             "second": 9, "millisecond": 123},
        ),
        ({"$dateToParts": {"date": "$missing"}}, None),
        ({"$dateToParts": {"date": "$date", "iso8601": None}}, None),
    ],
)  # fmt: skip
def test_date_to_parts(run: RunFn, expr: Any, expected: Any) -> None:
    assert values(run, PARTS_DOC, expr) == [expected]


@pytest.mark.parametrize(
    ("expr", "code"),
    [
        ({"$dateToParts": "$date"}, 40524),
        ({"$dateToParts": {"date": "$date", "iso": True}}, 40520),
        ({"$dateToParts": {"timezone": "UTC"}}, 40522),
        ({"$dateToParts": {"date": "$date", "iso8601": 1}}, 40521),
    ],
)
def test_date_to_parts_errors(run: RunFn, expr: Any, code: int) -> None:
    with pytest.raises(OperationFailure) as err:
        values(run, PARTS_DOC, expr)
    assert err.value.code == code


# -- $dateFromParts --------------------------------------------------------------------------------
FROM_PARTS_CASES = [
    # https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateFromParts/ (example)
    pytest.param({"year": 2017, "month": 2, "day": 8, "hour": 12}, D(2017, 2, 8, 12), id="manual"),
    pytest.param(
        {"isoWeekYear": 2017, "isoWeek": 6, "isoDayOfWeek": 3, "hour": 12},
        D(2017, 2, 8, 12),
        id="manual-iso",
    ),
    pytest.param(
        {"year": 2016, "month": 12, "day": 31, "hour": 23, "minute": 46, "second": 12,
         "timezone": "America/New_York"},
        D(2017, 1, 1, 4, 46, 12),
        id="manual-timezone",
    ),
    # Manual "Value Range": month 14 → February of the next year; month 0 → December before.
    pytest.param({"year": 2017, "month": 14, "day": 1, "hour": 12}, D(2018, 2, 1, 12), id="month-14"),
    pytest.param({"year": 2017, "month": 0, "day": 1, "hour": 12}, D(2016, 12, 1, 12), id="month-0"),
    # The same carrying for other parts: day 0 is the last day of the previous month.
    pytest.param({"year": 2024, "month": 3, "day": 0}, D(2024, 2, 29), id="day-0-leap"),
    pytest.param({"year": 2023, "month": 3, "day": 0}, D(2023, 2, 28), id="day-0"),
    pytest.param({"year": 2023, "month": 2, "day": 30}, D(2023, 3, 2), id="feb-30"),
    pytest.param({"year": 2020, "hour": 24}, D(2020, 1, 2), id="hour-24"),
    pytest.param({"year": 2020, "minute": -1}, D(2019, 12, 31, 23, 59), id="minute-negative"),
    pytest.param({"year": 2020, "second": 90061}, D(2020, 1, 2, 1, 1, 1), id="second-carry"),
    pytest.param({"year": 2020, "millisecond": 1500}, D(2020, 1, 1, 0, 0, 1, 500000), id="ms"),
    pytest.param({"year": 2020, "month": 5}, D(2020, 5, 1), id="defaults"),
    pytest.param({"year": 2020.0, "month": 5.0}, D(2020, 5, 1), id="whole-doubles"),
    # ISO week 1 of 2021 starts Monday 2021-01-04; week 53 of 2020 starts Monday 2020-12-28.
    pytest.param({"isoWeekYear": 2021}, D(2021, 1, 4), id="iso-defaults"),
    pytest.param({"isoWeekYear": 2020, "isoWeek": 53, "isoDayOfWeek": 5}, D(2021, 1, 1), id="iso-53"),
    pytest.param({"isoWeekYear": 2021, "isoDayOfWeek": 0}, D(2021, 1, 3), id="iso-day-0"),
    pytest.param({"year": 2020, "timezone": "+05:30"}, D(2019, 12, 31, 18, 30), id="tz-offset"),
    # Europe/Berlin on 2025-07-01 is CEST, UTC+2.
    pytest.param({"year": 2025, "month": 7, "timezone": "Europe/Berlin"}, D(2025, 6, 30, 22), id="cest"),
    # Los Angeles skips 02:00-03:00 on 2025-03-09: 02:30 is read with the PST offset (UTC−8),
    # landing at 03:30 PDT, as MongoDB's timelib does.
    pytest.param(
        {"year": 2025, "month": 3, "day": 9, "hour": 2, "minute": 30,
         "timezone": "America/Los_Angeles"},
        D(2025, 3, 9, 10, 30),
        id="dst-gap",
    ),
    pytest.param({"year": None, "month": 1}, None, id="null-year"),
    pytest.param({"year": 2020, "day": "$missing"}, None, id="missing-day"),
    pytest.param({"year": 2020, "timezone": None}, None, id="null-timezone"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "expected"), FROM_PARTS_CASES)
def test_date_from_parts(run: RunFn, args: dict[str, Any], expected: Any) -> None:
    assert values(run, [{"x": 1}], {"$dateFromParts": args}) == [expected]


def test_date_from_parts_reads_fields(run: RunFn) -> None:
    docs = [{"y": 2024, "m": 1, "d": 31, "tz": "America/Los_Angeles"}, {"y": 2024, "m": 2, "d": 29}]
    expr = {"$dateFromParts": {"year": "$y", "month": "$m", "day": "$d", "timezone": "$tz"}}
    assert values(run, docs, expr) == [D(2024, 1, 31, 8), None]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"year": 0}, 40523),
        ({"year": 10000}, 40523),
        ({"isoWeekYear": 0}, 31095),
        ({"year": 2020, "month": 40000}, 31034),
        ({"year": 2020, "hour": -40000}, 31034),
        ({"year": 2020, "month": 2.5}, 40515),
        ({"year": "2020"}, 40515),
        ({"month": 1}, 40516),
        ({"year": 2020, "isoWeek": 1}, 40489),
        ({"isoWeekYear": 2020, "month": 1}, 40525),
        ({"year": 2020, "days": 1}, 40518),
        ({"year": 2020, "timezone": "Moon/Base"}, 40485),
    ],
)
def test_date_from_parts_errors(run: RunFn, args: dict[str, Any], code: int) -> None:
    with pytest.raises(OperationFailure) as err:
        values(run, [{"x": 1}], {"$dateFromParts": args})
    assert err.value.code == code
