"""Conformance tests for ``$setWindowFields``.

Expected values are the printed outputs of the MongoDB manual's examples (cited per case; the
``cakeSales`` outputs are written as ``(_id, value)`` pairs in the manual's order, joined to the
manual's documents) or are computed by hand from the manual's definitions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from dashboard.store.errors import OperationFailure, UnsupportedOperation

RunFn = Callable[[Sequence[Mapping[str, Any]], Sequence[Mapping[str, Any]]], list[dict[str, Any]]]


def D(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))


# $setWindowFields page: the cakeSales example collection.
CAKE_SALES = [
    {"_id": 0, "type": "chocolate", "orderDate": D("2020-05-18T14:10:30Z"), "state": "CA", "price": 13, "quantity": 120},
    {"_id": 1, "type": "chocolate", "orderDate": D("2021-03-20T11:30:05Z"), "state": "WA", "price": 14, "quantity": 140},
    {"_id": 2, "type": "vanilla", "orderDate": D("2021-01-11T06:31:15Z"), "state": "CA", "price": 12, "quantity": 145},
    {"_id": 3, "type": "vanilla", "orderDate": D("2020-02-08T13:13:23Z"), "state": "WA", "price": 13, "quantity": 104},
    {"_id": 4, "type": "strawberry", "orderDate": D("2019-05-18T16:09:01Z"), "state": "CA", "price": 41, "quantity": 162},
    {"_id": 5, "type": "strawberry", "orderDate": D("2019-01-08T06:12:03Z"), "state": "WA", "price": 43, "quantity": 134},
]  # fmt: skip
# $rank / $denseRank / $documentNumber pages: the cakeSalesWithDuplicates collection.
CAKE_DUPLICATES = [
    *CAKE_SALES,
    {"_id": 6, "type": "strawberry", "orderDate": D("2020-01-08T06:12:03Z"), "state": "WA", "price": 41, "quantity": 134},
    {"_id": 7, "type": "strawberry", "orderDate": D("2020-01-01T06:12:03Z"), "state": "WA", "price": 34, "quantity": 134},
    {"_id": 8, "type": "strawberry", "orderDate": D("2020-01-02T06:12:03Z"), "state": "WA", "price": 40, "quantity": 134},
    {"_id": 9, "type": "strawberry", "orderDate": D("2020-05-11T16:09:01Z"), "state": "CA", "price": 39, "quantity": 162},
    {"_id": 10, "type": "strawberry", "orderDate": D("2020-05-11T16:09:01Z"), "state": "CA", "price": 39, "quantity": None},
    {"_id": 11, "type": "strawberry", "orderDate": D("2020-05-11T16:09:01Z"), "state": "CA", "price": 39},
]  # fmt: skip
_BY_ID = {doc["_id"]: doc for doc in CAKE_DUPLICATES}


def _cake(field: str, pairs: list[tuple[int, Any]]) -> list[dict[str, Any]]:
    """The manual's printed cakeSales output: each document with ``field`` set."""
    return [{**_BY_ID[i], field: value} for i, value in pairs]


def _swf(output: dict[str, Any], **spec: Any) -> list[dict[str, Any]]:
    return [{"$setWindowFields": {**spec, "output": output}}]


BY_STATE_DATE = {"partitionBy": "$state", "sortBy": {"orderDate": 1}}
BY_YEAR_DATE = {"partitionBy": {"$year": "$orderDate"}, "sortBy": {"orderDate": 1}}
BY_STATE_QTY = {"partitionBy": "$state", "sortBy": {"quantity": -1}}
CUMULATIVE = {"documents": ["unbounded", "current"]}

CAKE_CASES = [
    pytest.param(  # "Use Documents Window to Obtain Cumulative Quantity for Each State"
        _swf(
            {"cumulativeQuantityForState": {"$sum": "$quantity", "window": CUMULATIVE}},
            **BY_STATE_DATE,
        ),
        _cake(
            "cumulativeQuantityForState",
            [(4, 162), (0, 282), (2, 427), (5, 134), (3, 238), (1, 378)],
        ),
        id="cumulative-sum-state",
    ),
    pytest.param(  # "Use Documents Window to Obtain Cumulative Quantity for Each Year"
        _swf(
            {"cumulativeQuantityForYear": {"$sum": "$quantity", "window": CUMULATIVE}},
            **BY_YEAR_DATE,
        ),
        _cake(
            "cumulativeQuantityForYear",
            [(5, 134), (4, 296), (3, 104), (0, 224), (2, 145), (1, 285)],
        ),
        id="cumulative-sum-year",
    ),
    pytest.param(  # "Use Documents Window to Obtain Moving Average Quantity for Each Year"
        _swf(
            {"averageQuantity": {"$avg": "$quantity", "window": {"documents": [-1, 0]}}},
            **BY_YEAR_DATE,
        ),
        _cake("averageQuantity", [(5, 134), (4, 148), (3, 104), (0, 112), (2, 145), (1, 142.5)]),
        id="moving-average",
    ),
    pytest.param(  # "Use Documents Window to Obtain Cumulative and Maximum Quantity for Each Year"
        _swf(
            {
                "cumulativeQuantityForYear": {"$sum": "$quantity", "window": CUMULATIVE},
                "maximumQuantityForYear": {
                    "$max": "$quantity",
                    "window": {"documents": ["unbounded", "unbounded"]},
                },
            },
            **BY_YEAR_DATE,
        ),
        [
            {**doc, "maximumQuantityForYear": m}
            for doc, m in zip(
                _cake(
                    "cumulativeQuantityForYear",
                    [(5, 134), (4, 296), (3, 104), (0, 224), (2, 145), (1, 285)],
                ),
                [162, 162, 120, 120, 145, 145],
            )
        ],
        id="cumulative-and-max",
    ),
    pytest.param(  # "Range Window Example"
        _swf(
            {"quantityFromSimilarOrders": {"$sum": "$quantity", "window": {"range": [-10, 10]}}},
            partitionBy="$state",
            sortBy={"price": 1},
        ),
        _cake(
            "quantityFromSimilarOrders",
            [(2, 265), (0, 265), (4, 162), (3, 244), (1, 244), (5, 134)],
        ),
        id="range-window",
    ),
    pytest.param(  # "Use a Time Range Window with a Positive Upper Bound"
        _swf(
            {
                "recentOrders": {
                    "$push": "$orderDate",
                    "window": {"range": ["unbounded", 10], "unit": "month"},
                }
            },
            **BY_STATE_DATE,
        ),
        _cake(
            "recentOrders",
            [
                (4, [D("2019-05-18T16:09:01Z")]),
                (
                    0,
                    [
                        D("2019-05-18T16:09:01Z"),
                        D("2020-05-18T14:10:30Z"),
                        D("2021-01-11T06:31:15Z"),
                    ],
                ),
                (
                    2,
                    [
                        D("2019-05-18T16:09:01Z"),
                        D("2020-05-18T14:10:30Z"),
                        D("2021-01-11T06:31:15Z"),
                    ],
                ),
                (5, [D("2019-01-08T06:12:03Z")]),
                (3, [D("2019-01-08T06:12:03Z"), D("2020-02-08T13:13:23Z")]),
                (
                    1,
                    [
                        D("2019-01-08T06:12:03Z"),
                        D("2020-02-08T13:13:23Z"),
                        D("2021-03-20T11:30:05Z"),
                    ],
                ),
            ],
        ),
        id="time-range-positive",
    ),
    pytest.param(  # "Use a Time Range Window with a Negative Upper Bound"
        _swf(
            {
                "recentOrders": {
                    "$push": "$orderDate",
                    "window": {"range": ["unbounded", -10], "unit": "month"},
                }
            },
            **BY_STATE_DATE,
        ),
        _cake(
            "recentOrders",
            [
                (4, []),
                (0, [D("2019-05-18T16:09:01Z")]),
                (2, [D("2019-05-18T16:09:01Z")]),
                (5, []),
                (3, [D("2019-01-08T06:12:03Z")]),
                (1, [D("2019-01-08T06:12:03Z"), D("2020-02-08T13:13:23Z")]),
            ],
        ),
        id="time-range-negative",
    ),
    pytest.param(  # $rank: "Rank Partitions by an Integer Field"
        _swf({"rankQuantityForState": {"$rank": {}}}, **BY_STATE_QTY),
        _cake("rankQuantityForState", [(4, 1), (2, 2), (0, 3), (1, 1), (5, 2), (3, 3)]),
        id="rank-integer",
    ),
    pytest.param(  # $rank: "Rank Partitions by a Date Field"
        _swf({"rankOrderDateForState": {"$rank": {}}}, **BY_STATE_DATE),
        _cake("rankOrderDateForState", [(4, 1), (0, 2), (2, 3), (5, 1), (3, 2), (1, 3)]),
        id="rank-date",
    ),
    pytest.param(  # $denseRank: "Dense Rank Partitions by an Integer Field"
        _swf({"denseRankQuantityForState": {"$denseRank": {}}}, **BY_STATE_QTY),
        _cake("denseRankQuantityForState", [(4, 1), (2, 2), (0, 3), (1, 1), (5, 2), (3, 3)]),
        id="dense-rank-integer",
    ),
    pytest.param(  # $documentNumber: "Document Number for Each State"
        _swf({"documentNumberForState": {"$documentNumber": {}}}, **BY_STATE_QTY),
        _cake("documentNumberForState", [(4, 1), (2, 2), (0, 3), (1, 1), (5, 2), (3, 3)]),
        id="document-number",
    ),
    pytest.param(  # $shift: "Shift Using a Positive Integer" (no default: null outside the window)
        _swf(
            {"shiftQuantityForState": {"$shift": {"output": "$quantity", "by": 1}}}, **BY_STATE_QTY
        ),
        _cake(
            "shiftQuantityForState", [(4, 145), (2, 120), (0, None), (1, 134), (5, 104), (3, None)]
        ),
        id="shift-positive",
    ),
    pytest.param(  # $shift: "Shift Using a Negative Integer" with a numeric default
        _swf(
            {"shiftQuantityForState": {"$shift": {"output": "$quantity", "by": -1, "default": 0}}},
            **BY_STATE_QTY,
        ),
        _cake("shiftQuantityForState", [(4, 0), (2, 162), (0, 145), (1, 0), (5, 140), (3, 134)]),
        id="shift-negative",
    ),
]


@pytest.mark.parametrize(("pipeline", "expected"), CAKE_CASES)
def test_cake_sales(
    run: RunFn, pipeline: list[dict[str, Any]], expected: list[dict[str, Any]]
) -> None:
    assert run(CAKE_SALES, pipeline) == expected


DUPLICATE_CASES = [
    pytest.param(  # $rank: "Rank Partitions Containing Duplicate Values, Nulls, or Missing Data"
        {"rankQuantityForState": {"$rank": {}}},
        "rankQuantityForState",
        [
            (4, 1),
            (9, 1),
            (2, 3),
            (0, 4),
            (10, 5),
            (11, 5),
            (1, 1),
            (5, 2),
            (6, 2),
            (7, 2),
            (8, 2),
            (3, 6),
        ],
        id="rank",
    ),
    pytest.param(
        # $denseRank: "Dense Rank for Duplicate, Null, and Missing Values". The printed output ranks
        # the missing quantity 5, but "starting in MongoDB 8.0, null and missing field values in
        # $denseRank and $rank sortBy operations are treated the same": both rank 4.
        {"denseRankQuantityForState": {"$denseRank": {}}},
        "denseRankQuantityForState",
        [
            (4, 1),
            (9, 1),
            (2, 2),
            (0, 3),
            (10, 4),
            (11, 4),
            (1, 1),
            (5, 2),
            (6, 2),
            (7, 2),
            (8, 2),
            (3, 3),
        ],
        id="dense-rank",
    ),
    pytest.param(  # $documentNumber: "Document Number for Duplicate, Null, and Missing Values"
        {"documentNumberForState": {"$documentNumber": {}}},
        "documentNumberForState",
        [
            (4, 1),
            (9, 2),
            (2, 3),
            (0, 4),
            (10, 5),
            (11, 6),
            (1, 1),
            (5, 2),
            (6, 3),
            (7, 4),
            (8, 5),
            (3, 6),
        ],
        id="document-number",
    ),
]


@pytest.mark.parametrize(("output", "field", "pairs"), DUPLICATE_CASES)
def test_ranks_with_ties_null_missing(
    run: RunFn, output: dict[str, Any], field: str, pairs: list[tuple[int, Any]]
) -> None:
    got = run(CAKE_DUPLICATES, _swf(output, **BY_STATE_QTY))
    assert got == _cake(field, pairs)


# $percentile / $median pages: the testScores collection.
TEST_SCORES = [
    {"studentId": "2345", "test01": 62, "test02": 81, "test03": 80},
    {"studentId": "2356", "test01": 60, "test02": 83, "test03": 79},
    {"studentId": "2358", "test01": 67, "test02": 82, "test03": 78},
    {"studentId": "2367", "test01": 64, "test02": 72, "test03": 77},
    {"studentId": "2369", "test01": 60, "test02": 53, "test03": 72},
]
# $derivative page: the deliveryFleet collection.
FLEET = [
    {"truckID": truck, "timeStamp": D(f"2020-05-18T14:{t}Z"), "miles": miles}
    for truck, rows in (
        ("1", [("10:30", 1295.1), ("11:00", 1295.63), ("11:30", 1296.25), ("12:00", 1296.76)]),
        ("2", [("10:30", 10234.1), ("11:00", 10234.33), ("11:30", 10234.73), ("12:00", 10235.13)]),
    )
    for t, miles in rows
]
# $integral page: the powerConsumption collection.
POWER = [
    {"powerMeterID": meter, "timeStamp": D(f"2020-05-18T14:{t}Z"), "kilowatts": kw}
    for meter, rows in (
        ("1", [("10:30", 2.95), ("11:00", 2.7), ("11:30", 2.6), ("12:00", 2.98)]),
        ("2", [("10:30", 2.5), ("11:00", 2.25), ("11:30", 2.75), ("12:00", 2.82)]),
    )
    for t, kw in rows
]
# $expMovingAvg page: the stockPrices collection.
STOCKS = [
    {"stock": stock, "date": D(f"2020-05-{day}T20:00:00Z"), "price": price}
    for stock, prices in (("MDB", [13, 15.4, 12, 11.7]), ("MSFT", [82, 94, 112, 97.3]))
    for day, price in zip(("18", "19", "20", "21"), prices)
]
_NO_ID = {"$project": {"_id": 0}}

OPERATOR_CASES = [
    pytest.param(  # $percentile: "Use $percentile in a $setWindowField Stage"
        TEST_SCORES,
        [
            *_swf(
                {
                    "test01_95percentile": {
                        "$percentile": {"input": "$test01", "p": [0.95], "method": "approximate"},
                        "window": {"range": [-3, 3]},
                    }
                },
                sortBy={"test01": 1},
            ),
            {"$project": {"_id": 0, "studentId": 1, "test01_95percentile": 1}},
        ],
        [
            {"studentId": "2356", "test01_95percentile": [62]},
            {"studentId": "2369", "test01_95percentile": [62]},
            {"studentId": "2345", "test01_95percentile": [64]},
            {"studentId": "2367", "test01_95percentile": [67]},
            {"studentId": "2358", "test01_95percentile": [67]},
        ],
        id="percentile-window",
    ),
    pytest.param(  # $median: "Use $median in a $setWindowField Stage"
        TEST_SCORES,
        [
            *_swf(
                {
                    "test01_median": {
                        "$median": {"input": "$test01", "method": "approximate"},
                        "window": {"range": [-3, 3]},
                    }
                },
                sortBy={"test01": 1},
            ),
            {"$project": {"_id": 0, "studentId": 1, "test01_median": 1}},
        ],
        [
            {"studentId": "2356", "test01_median": 60},
            {"studentId": "2369", "test01_median": 60},
            {"studentId": "2345", "test01_median": 60},
            {"studentId": "2367", "test01_median": 64},
            {"studentId": "2358", "test01_median": 64},
        ],
        id="median-window",
    ),
    pytest.param(  # $derivative page example (trucks whose speed exceeded 50 mph)
        FLEET,
        [
            *_swf(
                {
                    "truckAverageSpeed": {
                        "$derivative": {"input": "$miles", "unit": "hour"},
                        "window": {"range": [-30, 0], "unit": "second"},
                    }
                },
                partitionBy="$truckID",
                sortBy={"timeStamp": 1},
            ),
            {"$match": {"truckAverageSpeed": {"$gt": 50}}},
            _NO_ID,
        ],
        [
            {
                "truckID": "1",
                "timeStamp": D("2020-05-18T14:11:00Z"),
                "miles": 1295.63,
                "truckAverageSpeed": 63.60000000002401,
            },
            {
                "truckID": "1",
                "timeStamp": D("2020-05-18T14:11:30Z"),
                "miles": 1296.25,
                "truckAverageSpeed": 74.3999999999869,
            },
            {
                "truckID": "1",
                "timeStamp": D("2020-05-18T14:12:00Z"),
                "miles": 1296.76,
                "truckAverageSpeed": 61.199999999998916,
            },
        ],
        id="derivative",
    ),
    pytest.param(  # $integral page example
        POWER,
        [
            *_swf(
                {
                    "powerMeterKilowattHours": {
                        "$integral": {"input": "$kilowatts", "unit": "hour"},
                        "window": {"range": ["unbounded", "current"], "unit": "hour"},
                    }
                },
                partitionBy="$powerMeterID",
                sortBy={"timeStamp": 1},
            ),
            {"$project": {"_id": 0, "powerMeterKilowattHours": 1}},
        ],
        [
            {"powerMeterKilowattHours": v}
            for v in (
                *(0, 0.023541666666666666, 0.045625, 0.068875),  # meter 1
                *(0, 0.019791666666666666, 0.040625, 0.06383333333333334),  # meter 2
            )
        ],
        id="integral",
    ),
    pytest.param(  # $expMovingAvg: "Exponential Moving Average Using N" and "Using alpha"
        STOCKS,
        [
            *_swf(
                {
                    "n": {"$expMovingAvg": {"input": "$price", "N": 2}},
                    "alpha": {"$expMovingAvg": {"input": "$price", "alpha": 0.75}},
                },
                partitionBy="$stock",
                sortBy={"date": 1},
            ),
            {"$project": {"_id": 0, "n": 1, "alpha": 1}},
        ],
        [
            {"n": n, "alpha": a}
            for n, a in [
                (13, 13),
                (14.6, 14.8),
                (12.866666666666667, 12.7),
                (12.088888888888889, 11.95),
                (82, 82),
                (90, 91),
                (104.66666666666667, 106.75),
                (99.75555555555556, 99.6625),
            ]
        ],
        id="exp-moving-avg",
    ),
]


@pytest.mark.parametrize(("documents", "pipeline", "expected"), OPERATOR_CASES)
def test_window_operators(
    run: RunFn, documents: list[dict[str, Any]], pipeline: list[dict[str, Any]], expected: Any
) -> None:
    assert run(documents, pipeline) == expected


# -- hand-computed cases ------------------------------------------------------------------------

# v by position: 1, null, 4, missing, 10, 3 (documents sorted by _id).
SERIES = [{"_id": 0, "v": 1}, {"_id": 1, "v": None}, {"_id": 2, "v": 4}, {"_id": 3}, {"_id": 4, "v": 10}, {"_id": 5, "v": 3}]  # fmt: skip


def _values(docs: list[dict[str, Any]], *fields: str) -> list[tuple[Any, ...]]:
    return [tuple(doc.get(f, "<missing>") for f in fields) for doc in docs]


def test_three_row_moving_average_with_null_and_missing(run: RunFn) -> None:
    # documents [-2, 0]: the current document and the two before it. $avg ignores null and missing
    # ($avg page); $count counts documents; $push keeps null and skips missing ($push page).
    window = {"documents": [-2, 0]}
    got = run(
        SERIES,
        _swf(
            {
                "avg": {"$avg": "$v", "window": window},
                "count": {"$count": {}, "window": window},
                "push": {"$push": "$v", "window": window},
            },
            sortBy={"_id": 1},
        ),
    )
    assert _values(got, "avg", "count", "push") == [
        (1.0, 1, [1]),  # [1]
        (1.0, 2, [1, None]),  # [1, null]
        (2.5, 3, [1, None, 4]),  # [1, null, 4] → (1 + 4) / 2
        (4.0, 3, [None, 4]),  # [null, 4, missing]
        (7.0, 3, [4, 10]),  # [4, missing, 10]
        (6.5, 3, [10, 3]),  # [missing, 10, 3]
    ]


def test_running_and_bounded_min_max_first_last(run: RunFn) -> None:
    # $min/$max ignore null and missing; $first/$last return the window's first/last document's
    # value (null when missing).
    got = run(
        SERIES,
        _swf(
            {
                "runMin": {"$min": "$v", "window": {"documents": ["unbounded", "current"]}},
                "restMax": {"$max": "$v", "window": {"documents": ["current", "unbounded"]}},
                "nearMax": {"$max": "$v", "window": {"documents": [-1, 1]}},
                "first": {"$first": "$v", "window": {"documents": [-1, 1]}},
                "last": {"$last": "$v", "window": {"documents": [-1, 1]}},
            },
            sortBy={"_id": 1},
        ),
    )
    assert _values(got, "runMin", "restMax", "nearMax", "first", "last") == [
        (1, 10, 1, 1, None),
        (1, 10, 4, 1, 4),
        (1, 10, 4, None, None),
        (1, 10, 10, 4, 10),
        (1, 10, 10, None, 3),
        (1, 3, 10, 10, 3),
    ]


def test_empty_windows(run: RunFn) -> None:
    # A window past the end of its partition is empty: "$count and $sum return 0, $addToSet and
    # $push an empty array, all other operators null" ($setWindowFields restrictions); $percentile
    # returns one null per p.
    docs = [
        {"_id": 1, "g": "a", "v": 1},
        {"_id": 2, "g": "a", "v": 2},
        {"_id": 3, "g": "b", "v": 3},
    ]
    window = {"documents": [1, 2]}
    got = run(
        docs,
        _swf(
            {
                "sum": {"$sum": "$v", "window": window},
                "count": {"$count": {}, "window": window},
                "push": {"$push": "$v", "window": window},
                "set": {"$addToSet": "$v", "window": window},
                "avg": {"$avg": "$v", "window": window},
                "min": {"$min": "$v", "window": window},
                "first": {"$first": "$v", "window": window},
                "median": {"$median": {"input": "$v", "method": "approximate"}, "window": window},
                "pct": {
                    "$percentile": {"input": "$v", "p": [0.5, 0.9], "method": "approximate"},
                    "window": window,
                },
            },
            partitionBy="$g",
            sortBy={"_id": 1},
        ),
    )
    fields = ("sum", "count", "push", "set", "avg", "min", "first", "median", "pct")
    assert _values(got, *fields) == [
        (2, 1, [2], [2], 2.0, 2, 2, 2, [2, 2]),
        (0, 0, [], [], None, None, None, None, [None, None]),
        (0, 0, [], [], None, None, None, None, [None, None]),
    ]


def test_empty_collection(run: RunFn) -> None:
    assert (
        run([], _swf({"x": {"$sum": "$v", "window": {"documents": [-1, 0]}}}, sortBy={"v": 1}))
        == []
    )


def test_range_window_with_ties_and_current(run: RunFn) -> None:
    # range bounds add to the current sortBy value; "current" is the current value itself, so tied
    # documents share the window. v: 1, 1, 2, 4 with q: 1, 2, 4, 8.
    docs = [{"_id": i, "v": v, "q": q} for i, (v, q) in enumerate([(1, 1), (1, 2), (2, 4), (4, 8)])]
    got = run(
        docs,
        _swf(
            {
                "same": {"$sum": "$q", "window": {"range": ["current", "current"]}},
                "below": {"$sum": "$q", "window": {"range": [-1, 0]}},
                "after": {"$push": "$q", "window": {"range": [0.5, "unbounded"]}},
            },
            sortBy={"v": 1},
        ),
    )
    assert _values(got, "same", "below", "after") == [
        (3, 3, [4, 8]),  # v 1: [1, 1] → 1 + 2; [0, 1] → 3; [1.5, ∞) → 4, 8
        (3, 3, [4, 8]),
        (4, 7, [8]),  # v 2: [1, 2] → 1 + 2 + 4
        (8, 8, []),  # v 4: [3, 4] → 8
    ]


def test_ranks_with_ties(run: RunFn) -> None:
    # The $rank/$denseRank behaviour section: sortBy values 7, 9, 9, 10 rank 1, 2, 2, 4 ($rank)
    # and 1, 2, 2, 3 ($denseRank).
    docs = [{"_id": i, "v": v} for i, v in enumerate([9, 10, 7, 9])]
    got = run(docs, _swf({"r": {"$rank": {}}, "d": {"$denseRank": {}}}, sortBy={"v": 1}))
    assert _values(got, "v", "r", "d") == [(7, 1, 1), (9, 2, 2), (9, 2, 2), (10, 4, 3)]


def test_whole_partition_and_nested_output(run: RunFn) -> None:
    # Without a window the window is the whole partition; output paths with dots set embedded
    # fields as $addFields does; documents come back sorted by partition.
    docs = [
        {"_id": 1, "g": "b", "v": 1},
        {"_id": 2, "g": "a", "v": 2},
        {"_id": 3, "g": "b", "v": 3},
    ]
    got = run(
        docs, _swf({"stats.total": {"$sum": "$v"}, "stats.all": {"$push": "$v"}}, partitionBy="$g")
    )
    assert got == [
        {"_id": 2, "g": "a", "v": 2, "stats": {"total": 2, "all": [2]}},
        {"_id": 1, "g": "b", "v": 1, "stats": {"total": 4, "all": [1, 3]}},
        {"_id": 3, "g": "b", "v": 3, "stats": {"total": 4, "all": [1, 3]}},
    ]


def test_shift_with_mixed_type_default_is_refused(run: RunFn) -> None:
    # The manual's $shift example uses default: "Not available" with numeric quantities; the engine
    # stores one type per field, so it refuses rather than answering differently.
    pipeline = _swf(
        {"s": {"$shift": {"output": "$quantity", "by": 1, "default": "Not available"}}},
        **BY_STATE_QTY,
    )
    with pytest.raises(UnsupportedOperation):
        run(CAKE_SALES, pipeline)


@pytest.mark.parametrize(
    ("documents", "pipeline", "code"),
    [
        (SERIES, _swf({"r": {"$rank": {}, "window": {"documents": [-1, 0]}}}, sortBy={"_id": 1}), 5371601),
        (SERIES, _swf({"r": {"$rank": {}}}), 5371602),
        (SERIES, _swf({"r": {"$rank": {}}}, sortBy={"_id": 1, "v": 1}), 5371602),
        (SERIES, _swf({"s": {"$shift": {"output": "$v", "by": 1}}}), 5371602),
        (SERIES, _swf({"s": {"$sum": "$v", "window": {"documents": [-1, 0]}}}), 5339901),
        (SERIES, _swf({"s": {"$sum": "$v", "window": {"documents": [0, -1]}}}, sortBy={"_id": 1}), 9),
        (SERIES, _swf({"s": {"$sum": "$v", "window": {"documents": [0, 1], "range": [0, 1]}}}, sortBy={"_id": 1}), 9),
        (CAKE_SALES, _swf({"s": {"$sum": "$price", "window": {"range": [-1, 1]}}}, sortBy={"type": 1}), 5429413),
        (SERIES, _swf({"s": {"$sum": "$_id", "window": {"range": [-1, 1]}}}, sortBy={"v": 1}), 5429413),
        (SERIES, _swf({"s": {"$sum": "$v", "window": {"range": [-1, 1], "unit": "day"}}}, sortBy={"_id": 1}), 5429513),
        (SERIES, _swf({"s": {"$shift": {"output": "$v", "by": 1.5}}}, sortBy={"_id": 1}), 5433402),
        (SERIES, _swf({"s": {"$shift": {"output": "$v", "by": 1, "default": "$v"}}}, sortBy={"_id": 1}), 5433403),
        (SERIES, _swf({"d": {"$derivative": {"input": "$v"}}}, sortBy={"_id": 1}), 5490701),
        (SERIES, _swf({"e": {"$expMovingAvg": {"input": "$v", "N": 2, "alpha": 0.5}}}, sortBy={"_id": 1}), 5433602),
        (SERIES, [{"$setWindowFields": {"sortBy": {"_id": 1}}}], 40414),
    ],
)  # fmt: skip
def test_invalid_stages(
    run: RunFn, documents: list[dict[str, Any]], pipeline: Any, code: int
) -> None:
    with pytest.raises(OperationFailure) as err:
        run(documents, pipeline)
    assert err.value.code == code


@pytest.mark.parametrize("operator", ["$covariancePop", "$locf", "$linearFill"])
def test_window_operators_not_implemented_are_refused(run: RunFn, operator: str) -> None:
    with pytest.raises(UnsupportedOperation, match=operator.replace("$", r"\$")):
        run(SERIES, _swf({"x": {operator: "$v"}}, sortBy={"_id": 1}))
