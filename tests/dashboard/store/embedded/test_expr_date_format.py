"""``$dateToString`` and ``$dateFromString`` in the embedded engine.

Expected values come from the MongoDB manual's examples (cited per case) or are computed by hand
from its definitions (calendar facts noted in the comments).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dashboard.store.errors import OperationFailure, UnsupportedOperation
from tests.dashboard.store.embedded.conftest import RunFn


def D(*parts: int) -> dt.datetime:
    """A UTC datetime (BSON dates are UTC)."""
    return dt.datetime(*parts, tzinfo=dt.UTC)


def values(run: RunFn, documents: list[dict[str, Any]], expr: Any) -> list[Any]:
    """``expr`` evaluated on each document, in order (``_id`` kept so every row has a column)."""
    out = run(documents, [{"$project": {"v": expr}}])
    return [d.get("v", "<missing>") for d in out]


SALE = [{"date": D(2014, 1, 1, 8, 15, 39, 736000)}]

# -- $dateToString ---------------------------------------------------------------------------------
ALL_SPECIFIERS = "%b|%B|%d|%G|%H|%j|%L|%m|%M|%S|%u|%U|%V|%w|%Y|%z|%Z|%%"

TO_STRING_CASES = [
    # https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateToString/ (example)
    pytest.param(SALE, {"format": "%Y-%m-%d"}, "2014-01-01", id="manual-ymd"),
    pytest.param(
        SALE,
        {"format": "%H:%M:%S:%L%z", "timezone": "America/New_York"},
        "03:15:39:736-0500",
        id="manual-offset-ny",
    ),
    pytest.param(
        SALE,
        {"format": "%H:%M:%S:%L%z", "timezone": "+04:30"},
        "12:45:39:736+0430",
        id="manual-430",
    ),
    pytest.param(SALE, {"format": "%Z", "timezone": "America/New_York"}, "-300", id="manual-Z-ny"),
    pytest.param(SALE, {"format": "%Z", "timezone": "+04:30"}, "270", id="manual-Z-430"),
    # Default format "%Y-%m-%dT%H:%M:%S.%LZ" (manual); MongoDB drops the "Z" outside UTC.
    pytest.param(SALE, {}, "2014-01-01T08:15:39.736Z", id="default-format"),
    pytest.param(SALE, {"timezone": "UTC"}, "2014-01-01T08:15:39.736Z", id="default-format-utc"),
    pytest.param(
        SALE, {"timezone": "+00:00"}, "2014-01-01T08:15:39.736Z", id="default-format-zero-offset"
    ),
    pytest.param(
        SALE,
        {"timezone": "America/New_York"},
        "2014-01-01T03:15:39.736",
        id="default-format-local-no-Z",
    ),
    # Every specifier of the manual's table. 2021-01-01 is a Friday in ISO week 53 of 2020.
    pytest.param(
        [{"date": D(2021, 1, 1, 0, 0, 0, 5000)}],
        {"format": ALL_SPECIFIERS},
        "Jan|January|01|2020|00|001|005|01|00|00|5|00|53|6|2021|+0000|0|%",
        id="all-specifiers-utc",
    ),
    # 2024-12-30T23:59:58.123Z is Tuesday 2024-12-31 05:29:58.123 in Kolkata (UTC+5:30): day 366
    # of a leap year, %U week 52 (first Sunday Jan 7), ISO week 1 of 2025.
    pytest.param(
        [{"date": D(2024, 12, 30, 23, 59, 58, 123000)}],
        {"format": ALL_SPECIFIERS, "timezone": "Asia/Kolkata"},
        "Dec|December|31|2025|05|366|123|12|29|58|2|52|01|3|2024|+0530|330|%",
        id="all-specifiers-kolkata",
    ),
    pytest.param(
        [{"date": D(2021, 6, 1, 12, 0)}],
        {"format": "%H:%M %z %Z", "timezone": "-0330"},
        "08:30 -0330 -210",
        id="negative-offset-with-minutes",
    ),
    # Pacific daylight time in July: UTC−7.
    pytest.param(
        [{"date": D(2025, 7, 4, 12, 0)}],
        {"format": "%H %z %Z", "timezone": "America/Los_Angeles"},
        "05 -0700 -420",
        id="dst-offset",
    ),
    pytest.param(SALE, {"format": "no specifiers"}, "no specifiers", id="literal-format"),
    pytest.param([{"date": None}], {"format": "%Y"}, None, id="null-date"),
    pytest.param([{}], {"format": "%Y", "timezone": "+04:30"}, None, id="missing-date"),
    pytest.param(SALE, {"format": None}, None, id="null-format"),
    pytest.param(SALE, {"timezone": None}, None, id="null-timezone"),
    # onNull: "The value to return if the date is null or missing" (manual).
    pytest.param([{"date": None}], {"onNull": "no date"}, "no date", id="onNull-null"),
    pytest.param([{}], {"onNull": "no date", "format": None}, "no date", id="onNull-missing"),
    pytest.param(SALE, {"onNull": "no date"}, "2014-01-01T08:15:39.736Z", id="onNull-unused"),
]


@pytest.mark.parametrize(("documents", "args", "expected"), TO_STRING_CASES)
def test_date_to_string(
    run: RunFn, documents: list[dict[str, Any]], args: dict[str, Any], expected: Any
) -> None:
    expr = {"$dateToString": {"date": "$date", **args}}
    assert values(run, documents, expr) == [expected]


def test_date_to_string_on_null_missing_value_leaves_the_field_out(run: RunFn) -> None:
    expr = {"$dateToString": {"date": "$date", "onNull": "$nothing"}}
    assert values(run, [{"date": None}], expr) == ["<missing>"]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"date": "$date", "format": "%Q"}, 18536),
        ({"date": "$date", "format": "%Y%"}, 18535),
        ({"date": "$date", "format": 5}, 18533),
        ({"date": "$date", "fmt": "%Y"}, 18534),
        ({"format": "%Y"}, 18628),
        ({"date": "$s"}, 16006),
    ],
)
def test_date_to_string_errors(run: RunFn, args: dict[str, Any], code: int) -> None:
    with pytest.raises(OperationFailure) as err:
        values(run, [{"date": D(2020, 1, 1), "s": "x"}], {"$dateToString": args})
    assert err.value.code == code


def test_date_to_string_needs_an_object(run: RunFn) -> None:
    with pytest.raises(OperationFailure) as err:
        values(run, SALE, {"$dateToString": "$date"})
    assert err.value.code == 18629


# -- $dateFromString -------------------------------------------------------------------------------
FROM_STRING_CASES = [
    # https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateFromString/ (Behavior)
    pytest.param({"dateString": "2017-02-08T12:10:40.787"}, D(2017, 2, 8, 12, 10, 40, 787000), id="iso"),
    pytest.param(
        {"dateString": "2017-02-08T12:10:40.787", "timezone": "America/New_York"},
        D(2017, 2, 8, 17, 10, 40, 787000),
        id="iso-timezone",
    ),
    pytest.param({"dateString": "2017-02-08"}, D(2017, 2, 8), id="date-only"),
    pytest.param({"dateString": "06-15-2018", "format": "%m-%d-%Y"}, D(2018, 6, 15), id="mdy"),
    pytest.param({"dateString": "15-06-2018", "format": "%d-%m-%Y"}, D(2018, 6, 15), id="dmy"),
    # Offsets in the string are applied (manual: "offset from UTC" allowed).
    pytest.param({"dateString": "2017-02-08T12:10:40Z"}, D(2017, 2, 8, 12, 10, 40), id="Z"),
    pytest.param({"dateString": "2017-02-08T12:10:40+05:30"}, D(2017, 2, 8, 6, 40, 40), id="offset"),
    pytest.param({"dateString": "2017-02-08 12:10"}, D(2017, 2, 8, 12, 10), id="space-no-seconds"),
    pytest.param(
        {"dateString": "08/02/2017 12:10:40.5 -0100", "format": "%d/%m/%Y %H:%M:%S.%L %z"},
        D(2017, 2, 8, 13, 10, 40, 500000),
        id="format-all-time-parts",
    ),
    pytest.param({"dateString": "2017 Feb 08", "format": "%Y %b %d"}, D(2017, 2, 8), id="month-name"),
    pytest.param({"dateString": "2017-039", "format": "%Y-%j"}, D(2017, 2, 8), id="day-of-year"),
    # ISO week date: 2017-W06-3 is Wednesday 2017-02-08 (as in $dateFromParts' manual example).
    pytest.param({"dateString": "2017-06-3", "format": "%G-%V-%u"}, D(2017, 2, 8), id="iso-week"),
    pytest.param({"dateString": None}, None, id="null"),
    pytest.param({"dateString": "$missing", "onNull": D(1970, 1, 1)}, D(1970, 1, 1), id="onNull"),
    pytest.param({"dateString": "2017-02-30", "onError": None}, None, id="invalid-day-onError"),
    pytest.param({"dateString": "2017-02-08", "format": None}, None, id="null-format"),
    pytest.param(
        {"dateString": "2017-02-08T00:00:00Z", "timezone": "Europe/London", "onError": D(2000, 1, 1)},
        D(2000, 1, 1),
        id="zone-in-string-and-argument",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("args", "expected"), FROM_STRING_CASES)
def test_date_from_string(run: RunFn, args: dict[str, Any], expected: Any) -> None:
    assert values(run, [{"x": 1}], {"$dateFromString": args}) == [expected]


LOG_MESSAGES = [
    {"_id": 1, "date": "2017-02-08T12:10:40.787", "timezone": "America/New_York"},
    {"_id": 2, "date": "2017-02-08", "timezone": "-05:00"},
    {"_id": 3, "message": " Step 1: Ended "},
    {"_id": 4, "date": "2017-02-09", "timezone": "Europe/London"},
    {"_id": 5, "date": "2017-02-09T03:35:02.055", "timezone": "+0530"},
]


@pytest.mark.parametrize(
    ("timezone", "expected"),
    [
        # https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateFromString/
        # ("Converting Dates": a fixed zone, then the zone of each document)
        (
            "America/New_York",
            [D(2017, 2, 8, 17, 10, 40, 787000), D(2017, 2, 8, 5), None, D(2017, 2, 9, 5),
             D(2017, 2, 9, 8, 35, 2, 55000)],
        ),
        (
            "$timezone",
            [D(2017, 2, 8, 17, 10, 40, 787000), D(2017, 2, 8, 5), None, D(2017, 2, 9),
             D(2017, 2, 8, 22, 5, 2, 55000)],
        ),
    ],
)  # fmt: skip
def test_date_from_string_manual_log_messages(
    run: RunFn, timezone: str, expected: list[Any]
) -> None:
    expr = {"$dateFromString": {"dateString": "$date", "timezone": timezone}}
    assert values(run, LOG_MESSAGES, expr) == expected


def test_date_from_string_on_error(run: RunFn) -> None:
    """Manual "onError" example, with a date fallback (a field holds one type in this engine)."""
    docs = [
        {"date": "2017-02-08T12:10:40.787", "timezone": "America/New_York"},
        {"date": "20177-02-09T03:35:02.055", "timezone": "America/New_York"},
    ]
    expr = {"dateString": "$date", "timezone": "$timezone", "onError": D(1970, 1, 1)}
    assert values(run, docs, {"$dateFromString": expr}) == [
        D(2017, 2, 8, 17, 10, 40, 787000),
        D(1970, 1, 1),
    ]
    with pytest.raises(OperationFailure) as err:
        values(run, docs, {"$dateFromString": {"dateString": "$date"}})
    assert err.value.code == 241
    # The manual returns the string itself; a field mixing strings and dates is refused here.
    with pytest.raises(UnsupportedOperation):
        values(run, docs, {"$dateFromString": {**expr, "onError": "$date"}})


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"dateString": "2017-02-08", "format": "%Q"}, 18536),
        ({"dateString": "2017-02-08", "format": 1}, 40684),
        ({"dateString": "2017-02-08", "fmt": "%Y"}, 40541),
        ({"format": "%Y"}, 40542),
        ({"dateString": "2017-02-08", "timezone": "Nowhere"}, 40485),
        ({"dateString": "2017-02-08", "format": "%Y-%m"}, 241),
        ({"dateString": "08-02-2017", "format": "%Y-%m-%d"}, 241),
        ({"dateString": "2017-02-08 extra", "format": "%Y-%m-%d"}, 241),
        ({"dateString": 20170208}, 241),
    ],
)
def test_date_from_string_errors(run: RunFn, args: dict[str, Any], code: int) -> None:
    with pytest.raises(OperationFailure) as err:
        values(run, [{"x": 1}], {"$dateFromString": args})
    assert err.value.code == code


def test_date_from_string_refuses_forms_it_cannot_read(run: RunFn) -> None:
    """MongoDB's parser also reads "Feb 8, 2017", "tomorrow" …: refused rather than guessed."""
    with pytest.raises(UnsupportedOperation):
        values(
            run, [{"s": "Feb 8, 2017"}], {"$dateFromString": {"dateString": "$s", "onError": None}}
        )
