"""Conformance tests for ``$unwind`` (expected documents from the MongoDB manual, or by hand)."""

from __future__ import annotations

from typing import Any

import pytest

from dashboard.store.errors import OperationFailure

# https://www.mongodb.com/docs/manual/reference/operator/aggregation/unwind/ — "inventory2", without
# the document whose ``sizes`` is the string "M": the embedded engine stores one type per field.
INVENTORY2 = [
    {"_id": 1, "item": "ABC", "price": 80, "sizes": ["S", "M", "L"]},
    {"_id": 2, "item": "EFG", "price": 120, "sizes": []},
    {"_id": 4, "item": "LMN", "price": 10},
    {"_id": 5, "item": "XYZ", "price": 5.75, "sizes": None},
]

SALES = [
    {
        "_id": "1",
        "items": [
            {
                "name": "pens",
                "tags": ["writing", "office", "school", "stationary"],
                "price": 12.0,
                "quantity": 5,
            },
            # The manual inserts 1.95, but its printed results use 19.95
            # (stationary: 264.45 = 60 + 159.6 + 44.85).
            {"name": "envelopes", "tags": ["stationary", "office"], "price": 19.95, "quantity": 8},
        ],
    },
    {
        "_id": "2",
        "items": [
            {"name": "laptop", "tags": ["office", "electronics"], "price": 800.0, "quantity": 1},
            {"name": "notepad", "tags": ["stationary", "school"], "price": 14.95, "quantity": 3},
        ],
    },
]

CASES: list[tuple[str, list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]] = [
    (
        # Manual, "Unwind Array".
        "unwind array",
        [{"_id": 1, "item": "ABC1", "sizes": ["S", "M", "L"]}],
        [{"$unwind": "$sizes"}],
        [
            {"_id": 1, "item": "ABC1", "sizes": "S"},
            {"_id": 1, "item": "ABC1", "sizes": "M"},
            {"_id": 1, "item": "ABC1", "sizes": "L"},
        ],
    ),
    (
        # Manual, inventory2: null, missing and [] produce no document.
        "document form drops null, missing, empty",
        INVENTORY2,
        [{"$unwind": {"path": "$sizes"}}],
        [
            {"_id": 1, "item": "ABC", "price": 80, "sizes": "S"},
            {"_id": 1, "item": "ABC", "price": 80, "sizes": "M"},
            {"_id": 1, "item": "ABC", "price": 80, "sizes": "L"},
        ],
    ),
    (
        # Manual, includeArrayIndex: a Long index per element.
        "includeArrayIndex",
        INVENTORY2,
        [{"$unwind": {"path": "$sizes", "includeArrayIndex": "arrayIndex"}}],
        [
            {"_id": 1, "item": "ABC", "price": 80, "sizes": "S", "arrayIndex": 0},
            {"_id": 1, "item": "ABC", "price": 80, "sizes": "M", "arrayIndex": 1},
            {"_id": 1, "item": "ABC", "price": 80, "sizes": "L", "arrayIndex": 2},
        ],
    ),
    (
        # Manual, preserveNullAndEmptyArrays: [] and missing keep no field, null stays null.
        "preserveNullAndEmptyArrays",
        INVENTORY2,
        [{"$unwind": {"path": "$sizes", "preserveNullAndEmptyArrays": True}}],
        [
            {"_id": 1, "item": "ABC", "price": 80, "sizes": "S"},
            {"_id": 1, "item": "ABC", "price": 80, "sizes": "M"},
            {"_id": 1, "item": "ABC", "price": 80, "sizes": "L"},
            {"_id": 2, "item": "EFG", "price": 120},
            {"_id": 4, "item": "LMN", "price": 10},
            {"_id": 5, "item": "XYZ", "price": 5.75, "sizes": None},
        ],
    ),
    (
        # Manual definition: a non-array operand is a single-element array; its index is null.
        "non-array operand",
        [{"_id": 3, "item": "IJK", "price": 160, "sizes": "M"}, {"_id": 4, "item": "LMN"}],
        [{"$unwind": {"path": "$sizes", "includeArrayIndex": "arrayIndex"}}],
        [{"_id": 3, "item": "IJK", "price": 160, "sizes": "M", "arrayIndex": None}],
    ),
    (
        # By hand: preserved null/missing/[] documents get a null index.
        "index of preserved documents is null",
        [{"_id": 1, "a": [7]}, {"_id": 2, "a": []}, {"_id": 3, "a": None}, {"_id": 4}],
        [{"$unwind": {"path": "$a", "includeArrayIndex": "i", "preserveNullAndEmptyArrays": True}}],
        [
            {"_id": 1, "a": 7, "i": 0},
            {"_id": 2, "i": None},
            {"_id": 3, "a": None, "i": None},
            {"_id": 4, "i": None},
        ],
    ),
    (
        # By hand: a null element of an array is unwound like any element.
        "null elements are kept",
        [{"_id": 1, "a": [1, None, 2]}],
        [{"$unwind": "$a"}],
        [{"_id": 1, "a": 1}, {"_id": 1, "a": None}, {"_id": 1, "a": 2}],
    ),
    ("empty input", [], [{"$unwind": "$a"}], []),
    (
        "field missing everywhere",
        [{"_id": 1}, {"_id": 2}],
        [{"$unwind": "$a"}],
        [],
    ),
    (
        "field missing everywhere, preserved",
        [{"_id": 1}, {"_id": 2}],
        [{"$unwind": {"path": "$a", "preserveNullAndEmptyArrays": True}}],
        [{"_id": 1}, {"_id": 2}],
    ),
    (
        # $unwind does not traverse arrays: "a.b" where a is an array resolves to missing.
        "path through an array is missing",
        [{"_id": 1, "a": [{"b": [1, 2]}]}],
        [{"$unwind": "$a.b"}],
        [],
    ),
]


@pytest.mark.parametrize(
    ("documents", "pipeline", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_unwind(
    run: Any,
    documents: list[dict[str, Any]],
    pipeline: list[dict[str, Any]],
    expected: list[dict[str, Any]],
) -> None:
    assert run(documents, pipeline) == expected


def test_unwind_group_by_unwound_values(run: Any) -> None:
    # Manual, "Group by Unwound Values"; document 3 holds ["M"] (one type per field), which the
    # manual's $unwind treats exactly like the string "M".
    docs = [
        *INVENTORY2[:2],
        {"_id": 3, "item": "IJK", "price": 160, "sizes": ["M"]},
        *INVENTORY2[2:],
    ]
    out = run(
        docs,
        [
            {"$unwind": {"path": "$sizes", "preserveNullAndEmptyArrays": True}},
            {"$group": {"_id": "$sizes", "averagePrice": {"$avg": "$price"}}},
            {"$sort": {"averagePrice": -1}},
        ],
    )
    assert out[0] == {"_id": "M", "averagePrice": 120}
    assert sorted(d["_id"] for d in out[1:3]) == ["L", "S"]
    assert all(d["averagePrice"] == 80 for d in out[1:3])
    assert out[3] == {"_id": None, "averagePrice": pytest.approx(45.25)}


def test_unwind_embedded_arrays(run: Any) -> None:
    # Manual, "Unwind Embedded Arrays": two $unwind stages then $group by tag.
    out = run(
        SALES,
        [
            {"$unwind": "$items"},
            {"$unwind": "$items.tags"},
            {
                "$group": {
                    "_id": "$items.tags",
                    "totalSalesAmount": {
                        "$sum": {"$multiply": ["$items.price", "$items.quantity"]}
                    },
                }
            },
        ],
    )
    totals = {d["_id"]: d["totalSalesAmount"] for d in out}
    assert totals == {
        "writing": pytest.approx(60.0),
        "stationary": pytest.approx(264.45),
        "electronics": pytest.approx(800.0),
        "school": pytest.approx(104.85),
        "office": pytest.approx(1019.6),
    }


def test_unwind_embedded_second_stage_documents(run: Any) -> None:
    # Manual, "Unwind Embedded Arrays", second stage: each tag becomes its own document.
    out = run(
        SALES[1:],
        [
            {"$unwind": "$items"},
            {"$unwind": "$items.tags"},
            {"$project": {"items.name": 1, "items.tags": 1}},
        ],
    )
    assert out == [
        {"_id": "2", "items": {"name": "laptop", "tags": "office"}},
        {"_id": "2", "items": {"name": "laptop", "tags": "electronics"}},
        {"_id": "2", "items": {"name": "notepad", "tags": "stationary"}},
        {"_id": "2", "items": {"name": "notepad", "tags": "school"}},
    ]


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        ("sizes", 28818),
        ({"path": "sizes"}, 28818),
        ({"includeArrayIndex": "i"}, 28812),
        ({"path": "$sizes", "includeArrayIndex": "$i"}, 28822),
        ({"path": "$sizes", "preserveNullAndEmptyArrays": 1}, 28809),
        ({"path": "$sizes", "other": True}, 28811),
    ],
)
def test_unwind_errors(run: Any, spec: Any, code: int) -> None:
    with pytest.raises(OperationFailure) as err:
        run([{"_id": 1, "sizes": ["S"]}], [{"$unwind": spec}])
    assert err.value.code == code
