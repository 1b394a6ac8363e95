"""Conformance tests for ``$densify`` and ``$fill`` (expected values from the MongoDB manual)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dashboard.store.embedded.expressions import OPERATORS
from dashboard.store.errors import OperationFailure


def _d(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def _key(doc: dict[str, Any]) -> str:
    return repr(sorted(doc.items()))


# -- $densify ----------------------------------------------------------------------------------
# https://www.mongodb.com/docs/manual/reference/operator/aggregation/densify/

WEATHER = [
    {
        "_id": i,
        "metadata": {"sensorId": 5578, "type": "temperature"},
        "timestamp": _d(ts),
        "temp": t,
    }
    for i, (ts, t) in enumerate(
        [
            ("2021-05-18T00:00:00", 12),
            ("2021-05-18T04:00:00", 11),
            ("2021-05-18T08:00:00", 11),
            ("2021-05-18T12:00:00", 12),
        ]
    )
]

COFFEE = [
    {"_id": 1, "altitude": 600, "variety": "Arabica Typica", "score": 68.3},
    {"_id": 2, "altitude": 750, "variety": "Arabica Typica", "score": 69.5},
    {"_id": 3, "altitude": 950, "variety": "Arabica Typica", "score": 70.5},
    {"_id": 4, "altitude": 1250, "variety": "Gesha", "score": 88.15},
    {"_id": 5, "altitude": 1700, "variety": "Gesha", "score": 95.5, "price": 1029},
]


def test_densify_time_series(run: Any) -> None:
    # Manual, "Densify Time Series Data": hourly steps within [00:00, 08:00).
    out = run(
        WEATHER,
        [
            {
                "$densify": {
                    "field": "timestamp",
                    "range": {
                        "step": 1,
                        "unit": "hour",
                        "bounds": [_d("2021-05-18T00:00:00"), _d("2021-05-18T08:00:00")],
                    },
                }
            }
        ],
    )
    hour = lambda h: {"timestamp": _d(f"2021-05-18T{h:02d}:00:00")}  # noqa: E731
    assert out == [
        WEATHER[0],
        hour(1),
        hour(2),
        hour(3),
        WEATHER[1],
        hour(5),
        hour(6),
        hour(7),
        WEATHER[2],
        WEATHER[3],
    ]


def test_densify_full_range(run: Any) -> None:
    # Manual, "Densify the Full Range of Values" (no output order is guaranteed).
    out = run(
        COFFEE,
        [
            {
                "$densify": {
                    "field": "altitude",
                    "partitionByFields": ["variety"],
                    "range": {"bounds": "full", "step": 200},
                }
            }
        ],
    )
    new = lambda v, a: {"variety": v, "altitude": a}  # noqa: E731
    expected = [
        *COFFEE,
        new("Arabica Typica", 800),
        new("Gesha", 600),
        new("Gesha", 800),
        new("Gesha", 1000),
        new("Gesha", 1200),
        new("Gesha", 1400),
        new("Gesha", 1600),
        new("Arabica Typica", 1000),
        new("Arabica Typica", 1200),
        new("Arabica Typica", 1400),
        new("Arabica Typica", 1600),
    ]
    assert sorted(out, key=_key) == sorted(expected, key=_key)


def test_densify_partition_range(run: Any) -> None:
    # Manual, "Densify Values within Each Partition".
    out = run(
        COFFEE,
        [
            {
                "$densify": {
                    "field": "altitude",
                    "partitionByFields": ["variety"],
                    "range": {"bounds": "partition", "step": 200},
                }
            }
        ],
    )
    assert out == [
        COFFEE[0],
        COFFEE[1],
        {"variety": "Arabica Typica", "altitude": 800},
        COFFEE[2],
        COFFEE[3],
        {"variety": "Gesha", "altitude": 1450},
        {"variety": "Gesha", "altitude": 1650},
        COFFEE[4],
    ]


def test_densify_months_fill_gaps(run: Any) -> None:
    # Gap filling of monthly totals (the dashboard's case): empty months become documents.
    docs = [
        {"_id": 1, "month": _d("2024-01-01"), "total": 5},
        {"_id": 2, "month": _d("2024-04-01"), "total": 7},
    ]
    out = run(
        docs,
        [
            {
                "$densify": {
                    "field": "month",
                    "range": {"step": 1, "unit": "month", "bounds": "full"},
                }
            },
            {"$fill": {"output": {"total": {"value": 0}}}},
        ],
    )
    assert out == [
        docs[0],
        {"month": _d("2024-02-01"), "total": 0},
        {"month": _d("2024-03-01"), "total": 0},
        docs[1],
    ]


def test_densify_month_end_steps_like_date_add(run: Any) -> None:
    # $densify adds the step to the previous value ($dateAdd rules): Jan 31 → Feb 29 → Mar 29 …
    out = run(
        [{"_id": 1, "d": _d("2024-01-31T06:00:00")}],
        [
            {
                "$densify": {
                    "field": "d",
                    "range": {
                        "step": 1,
                        "unit": "month",
                        "bounds": [_d("2024-01-31T06:00:00"), _d("2024-05-01")],
                    },
                }
            }
        ],
    )
    assert [d["d"] for d in out] == [
        _d("2024-01-31T06:00:00"),
        _d("2024-02-29T06:00:00"),
        _d("2024-03-29T06:00:00"),
        _d("2024-04-29T06:00:00"),
    ]


@pytest.mark.parametrize(
    ("docs", "densify", "expected"),
    [
        # By hand: explicit bounds start at the lower bound even with no document in the range.
        (
            [],
            {"field": "x", "range": {"step": 1, "bounds": [0, 3]}},
            [{"x": 0}, {"x": 1}, {"x": 2}],
        ),
        # Documents without the field pass through; an off-step value does not move the steps.
        (
            [{"_id": 1, "x": 0}, {"_id": 2}, {"_id": 3, "x": 3}, {"_id": 4, "x": 5}],
            {"field": "x", "range": {"step": 2, "bounds": "full"}},
            [
                {"_id": 2},
                {"_id": 1, "x": 0},
                {"x": 2},
                {"_id": 3, "x": 3},
                {"x": 4},
                {"_id": 4, "x": 5},
            ],
        ),
        # A fractional step.
        (
            [{"_id": 1, "x": 0}, {"_id": 2, "x": 1}],
            {"field": "x", "range": {"step": 0.5, "bounds": "full"}},
            [{"_id": 1, "x": 0}, {"x": 0.5}, {"_id": 2, "x": 1}],
        ),
        # Weeks.
        (
            [{"_id": 1, "d": _d("2024-01-01")}, {"_id": 2, "d": _d("2024-01-22")}],
            {"field": "d", "range": {"step": 1, "unit": "week", "bounds": "full"}},
            [
                {"_id": 1, "d": _d("2024-01-01")},
                {"d": _d("2024-01-08")},
                {"d": _d("2024-01-15")},
                {"_id": 2, "d": _d("2024-01-22")},
            ],
        ),
    ],
)
def test_densify_cases(
    run: Any, docs: list[dict[str, Any]], densify: dict[str, Any], expected: list[dict[str, Any]]
) -> None:
    assert run(docs, [{"$densify": densify}]) == expected


@pytest.mark.parametrize(
    ("densify", "code"),
    [
        ({"field": "x", "range": {"step": 0, "bounds": "full"}}, 5733401),
        ({"field": "x", "range": {"step": 1, "bounds": "partition"}}, 5733408),
        ({"field": "x", "range": {"step": 1, "bounds": [3, 1]}}, 5733402),
        ({"field": "x", "range": {"step": 1, "bounds": [1]}}, 5733403),
        ({"field": "x", "range": {"step": 1, "unit": "day", "bounds": [1, 3]}}, 5733409),
        ({"field": "x", "range": {"step": 1, "bounds": "sometimes"}}, 5946802),
        ({"field": "x", "range": {"step": 1.5, "unit": "day", "bounds": "full"}}, 6586400),
    ],
)
def test_densify_errors(run: Any, densify: dict[str, Any], code: int) -> None:
    with pytest.raises(OperationFailure) as err:
        run([{"_id": 1, "x": 1}], [{"$densify": densify}])
    assert err.value.code == code


# -- $fill -------------------------------------------------------------------------------------
# https://www.mongodb.com/docs/manual/reference/operator/aggregation/fill/


def test_fill_constant_value(run: Any) -> None:
    # Manual, "Fill Missing Field Values with a Constant Value".
    docs = [
        {
            "_id": 1,
            "date": _d("2022-02-02"),
            "bootsSold": 10,
            "sandalsSold": 20,
            "sneakersSold": 12,
        },
        {"_id": 2, "date": _d("2022-02-03"), "bootsSold": 7, "sneakersSold": 18},
        {"_id": 3, "date": _d("2022-02-04"), "sneakersSold": 5},
    ]
    out = run(
        docs,
        [
            {
                "$fill": {
                    "output": {
                        "bootsSold": {"value": 0},
                        "sandalsSold": {"value": 0},
                        "sneakersSold": {"value": 0},
                    }
                }
            }
        ],
    )
    assert out == [
        {
            "_id": 1,
            "date": _d("2022-02-02"),
            "bootsSold": 10,
            "sandalsSold": 20,
            "sneakersSold": 12,
        },
        {"_id": 2, "date": _d("2022-02-03"), "bootsSold": 7, "sneakersSold": 18, "sandalsSold": 0},
        {"_id": 3, "date": _d("2022-02-04"), "sneakersSold": 5, "bootsSold": 0, "sandalsSold": 0},
    ]


def test_fill_linear(run: Any) -> None:
    # Manual, "Fill Missing Field Values with Linear Interpolation".
    prices = [500, None, 515, None, None, 485]
    docs = [
        {
            "_id": i,
            "time": _d(f"2021-03-08T{9 + i:02d}:00:00"),
            **({"price": p} if p is not None else {}),
        }
        for i, p in enumerate(prices)
    ]
    out = run(docs, [{"$fill": {"sortBy": {"time": 1}, "output": {"price": {"method": "linear"}}}}])
    assert [d["price"] for d in out] == [500, 507.5, 515, 505, 495, 485]


def test_fill_linear_definition_example(run: Any) -> None:
    # Manual, "linear Behavior": 0, null, null, null, 10 → 0, 2.5, 5, 7.5, 10; edges stay null.
    docs = [
        {"_id": i, "index": i, "value": v}
        for i, v in enumerate([None, 0, None, None, None, 10, None])
    ]
    out = run(
        docs, [{"$fill": {"sortBy": {"index": 1}, "output": {"value": {"method": "linear"}}}}]
    )
    assert [d["value"] for d in out] == [None, 0, 2.5, 5, 7.5, 10, None]


REVIEWS = [
    {"_id": 1, "date": _d("2021-03-08"), "score": 90},
    {"_id": 2, "date": _d("2021-03-09"), "score": 92},
    {"_id": 3, "date": _d("2021-03-10")},
    {"_id": 4, "date": _d("2021-03-11")},
    {"_id": 5, "date": _d("2021-03-12"), "score": 85},
    {"_id": 6, "date": _d("2021-03-13")},
]


def test_fill_locf(run: Any) -> None:
    # Manual, "Fill Missing Field Values Based on the Last Observed Value".
    out = run(
        list(reversed(REVIEWS)),
        [{"$fill": {"sortBy": {"date": 1}, "output": {"score": {"method": "locf"}}}}],
    )
    assert [(d["_id"], d["score"]) for d in out] == [
        (1, 90),
        (2, 92),
        (3, 92),
        (4, 92),
        (5, 85),
        (6, 85),
    ]


MULTIPLE = [
    {"_id": 1, "date": _d("2021-03-08"), "restaurant": "Joe's Pizza", "score": 90},
    {"_id": 2, "date": _d("2021-03-08"), "restaurant": "Sally's Deli", "score": 75},
    {"_id": 3, "date": _d("2021-03-09"), "restaurant": "Joe's Pizza", "score": 92},
    {"_id": 4, "date": _d("2021-03-09"), "restaurant": "Sally's Deli"},
    {"_id": 5, "date": _d("2021-03-10"), "restaurant": "Joe's Pizza"},
    {"_id": 6, "date": _d("2021-03-10"), "restaurant": "Sally's Deli", "score": 68},
    {"_id": 7, "date": _d("2021-03-11"), "restaurant": "Joe's Pizza", "score": 93},
    {"_id": 8, "date": _d("2021-03-11"), "restaurant": "Sally's Deli"},
]


@pytest.mark.parametrize(
    "partition",
    [{"partitionBy": {"restaurant": "$restaurant"}}, {"partitionByFields": ["restaurant"]}],
    ids=["partitionBy", "partitionByFields"],
)
def test_fill_partitions(run: Any, partition: dict[str, Any]) -> None:
    # Manual, "Fill Data for Distinct Partitions".
    out = run(
        MULTIPLE,
        [{"$fill": {"sortBy": {"date": 1}, **partition, "output": {"score": {"method": "locf"}}}}],
    )
    assert [(d["_id"], d["score"]) for d in out] == [
        (1, 90),
        (3, 92),
        (5, 92),
        (7, 93),
        (2, 75),
        (4, 75),
        (6, 68),
        (8, 68),
    ]


@pytest.mark.skipif(
    not {"$toBool", "$toString"} <= set(OPERATORS), reason="conversion operators not built"
)
def test_fill_indicate_populated(run: Any) -> None:
    # Manual, "Indicate if a Field was Populated Using $fill".
    out = run(
        REVIEWS,
        [
            {"$set": {"valueExisted": {"$ifNull": [{"$toBool": {"$toString": "$score"}}, False]}}},
            {"$fill": {"sortBy": {"date": 1}, "output": {"score": {"method": "locf"}}}},
        ],
    )
    assert [(d["score"], d["valueExisted"]) for d in out] == [
        (90, True),
        (92, True),
        (92, False),
        (92, False),
        (85, True),
        (85, False),
    ]


def test_fill_edges(run: Any) -> None:
    # By hand: all-null partition stays null (now present); leading nulls stay null; no input.
    docs = [
        {"_id": 1, "g": "a", "t": 1},
        {"_id": 2, "g": "a", "t": 2, "v": 3},
        {"_id": 3, "g": "b", "t": 1},
    ]
    out = run(
        docs,
        [
            {
                "$fill": {
                    "sortBy": {"t": 1},
                    "partitionByFields": ["g"],
                    "output": {"v": {"method": "locf"}},
                }
            }
        ],
    )
    assert out == [
        {"_id": 1, "g": "a", "t": 1, "v": None},
        {"_id": 2, "g": "a", "t": 2, "v": 3},
        {"_id": 3, "g": "b", "t": 1, "v": None},
    ]
    assert run([], [{"$fill": {"sortBy": {"t": 1}, "output": {"v": {"method": "locf"}}}}]) == []


@pytest.mark.parametrize(
    ("fill", "code"),
    [
        ({"output": {"v": {"method": "locf"}}}, 6050203),
        ({"sortBy": {"t": 1}, "output": {"v": {"method": "other"}}}, 6050202),
        ({"sortBy": {"t": 1}, "output": {"v": {"value": 1, "method": "locf"}}}, 6050202),
        ({"partitionBy": "$g", "partitionByFields": ["g"], "output": {"v": {"value": 1}}}, 6050204),
        ({"sortBy": {"t": 1}, "output": {"v": {"method": "linear"}}}, 6050106),
    ],
)
def test_fill_errors(run: Any, fill: dict[str, Any], code: int) -> None:
    with pytest.raises(OperationFailure) as err:
        run([{"_id": 1, "t": 1, "v": 1}, {"_id": 2, "t": 1}], [{"$fill": fill}])
    assert err.value.code == code
