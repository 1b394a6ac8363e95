"""NaN as MongoDB treats it: equal to NaN, no other comparison in queries, the smallest number in
sort order and in aggregation comparisons.

Manual sources: "Comparison/Sort Order" (BSON order puts NaN below every other number: null < NaN <
-5), the query operators ($eq matches NaN to NaN; range operators compare numbers only, and NaN is
neither greater nor less than a number in a query), and $min (accumulator): "the lowest value",
which for NaN is NaN.
"""

from __future__ import annotations

from typing import Any

import pytest

from dashboard.store import connect

NAN = float("nan")
DOCS = [{"_id": 1, "v": NAN}, {"_id": 2, "v": -5.0}, {"_id": 3, "v": None}, {"_id": 4, "v": 3.0}]


@pytest.fixture(scope="module")
def store() -> Any:
    with connect("memory://") as s:
        s.insert_many("c", DOCS)
        yield s


@pytest.mark.parametrize(
    ("flt", "ids"),
    [
        ({"v": NAN}, [1]),
        ({"v": {"$in": [NAN]}}, [1]),
        ({"v": {"$gte": NAN}}, [1]),
        ({"v": {"$lte": NAN}}, [1]),
        ({"v": {"$gt": NAN}}, []),
        ({"v": {"$lt": NAN}}, []),
        ({"v": {"$gte": -10}}, [2, 4]),
        ({"v": {"$lt": 0}}, [2]),
        ({"v": {"$ne": NAN}}, [2, 3, 4]),
    ],
)
def test_queries(store: Any, flt: dict[str, Any], ids: list[int]) -> None:
    assert sorted(d["_id"] for d in store.find("c", flt)) == ids


def test_sort_puts_nan_between_null_and_the_numbers(store: Any) -> None:
    assert [d["_id"] for d in store.find("c", {}, sort=[("v", 1)])] == [3, 1, 2, 4]
    assert [d["_id"] for d in store.find("c", {}, sort=[("v", -1)])] == [4, 2, 1, 3]


def test_min_over_nan_and_numbers_is_nan(store: Any) -> None:
    [out] = store.aggregate(
        "c", [{"$group": {"_id": None, "mn": {"$min": "$v"}, "mx": {"$max": "$v"}}}]
    )
    assert out["mn"] != out["mn"]  # NaN
    assert out["mx"] == 3.0


def test_aggregation_comparisons_order_nan_below_numbers(store: Any) -> None:
    pipeline = [
        {"$match": {"_id": 1}},
        {"$project": {"gt": {"$gt": ["$v", 5]}, "lt": {"$lt": ["$v", 5]}, "eq": {"$eq": ["$v", NAN]},
                      "lt_inf": {"$lt": ["$v", float("-inf")]}, "mn": {"$min": ["$v", 1]}}},
    ]  # fmt: skip
    [out] = store.aggregate("c", pipeline)
    assert (out["gt"], out["lt"], out["eq"], out["lt_inf"]) == (False, True, True, True)
    assert out["mn"] != out["mn"]
