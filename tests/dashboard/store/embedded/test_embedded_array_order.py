"""Arrays compared as MongoDB compares them, in $min/$max accumulators and in $sort (#16 item 8).

Manual, "Comparison/Sort Order": arrays compare element by element (a shorter array that is a
prefix of a longer one is smaller), and "an empty array is treated as less than null or a missing
field"; an ascending sort uses an array's smallest element, a descending one its largest. Manual,
$min / $max (accumulators): they compare both value and type in that order, so over array values
they return the smallest / largest array, null and missing left out.
"""

from __future__ import annotations

from typing import Any

import pytest

from dashboard.store import connect

DOCS = [
    {"_id": 1, "a": [1, 5]},
    {"_id": 2, "a": [2]},
    {"_id": 3, "a": []},
    {"_id": 4, "a": None},
    {"_id": 5, "a": [1, 2]},
    {"_id": 6},
]


@pytest.fixture(scope="module")
def store() -> Any:
    with connect("memory://") as s:
        s.insert_many("c", DOCS)
        yield s


def test_min_and_max_of_arrays(store: Any) -> None:
    pipeline = [{"$group": {"_id": None, "mn": {"$min": "$a"}, "mx": {"$max": "$a"}}}]
    assert store.aggregate("c", pipeline) == [{"_id": None, "mn": [], "mx": [2]}]


def test_ascending_sort_puts_the_empty_array_first_then_null_and_missing(store: Any) -> None:
    # [] < null = missing < min 1 ([1, 5], [1, 2], in input order) < min 2
    assert [d["_id"] for d in store.find("c", {}, sort=[("a", 1)])] == [3, 4, 6, 1, 5, 2]


def test_descending_sort_puts_null_and_missing_before_the_empty_array(store: Any) -> None:
    # max 5 > max 2 ([2], [1, 2], in input order) > null = missing > []
    assert [d["_id"] for d in store.find("c", {}, sort=[("a", -1)])] == [1, 2, 5, 4, 6, 3]
