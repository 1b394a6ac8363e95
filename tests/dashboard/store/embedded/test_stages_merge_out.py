"""Conformance tests for ``$merge`` and ``$out`` (expected values from the MongoDB manual)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import bson
import pytest

from dashboard.store.embedded import EmbeddedStore
from dashboard.store.embedded.expressions import OPERATORS
from dashboard.store.errors import DuplicateKeyError, OperationFailure, UnsupportedOperation

# https://www.mongodb.com/docs/manual/reference/operator/aggregation/merge/ ("salaries")
SALARIES = [
    {"_id": 1, "employee": "Ant", "dept": "A", "salary": 100000, "fiscal_year": 2017},
    {"_id": 2, "employee": "Bee", "dept": "A", "salary": 120000, "fiscal_year": 2017},
    {"_id": 3, "employee": "Cat", "dept": "Z", "salary": 115000, "fiscal_year": 2017},
    {"_id": 4, "employee": "Ant", "dept": "A", "salary": 115000, "fiscal_year": 2018},
    {"_id": 5, "employee": "Bee", "dept": "Z", "salary": 145000, "fiscal_year": 2018},
    {"_id": 6, "employee": "Cat", "dept": "Z", "salary": 135000, "fiscal_year": 2018},
    {"_id": 7, "employee": "Gecko", "dept": "A", "salary": 100000, "fiscal_year": 2018},
    {"_id": 8, "employee": "Ant", "dept": "A", "salary": 125000, "fiscal_year": 2019},
    {"_id": 9, "employee": "Bee", "dept": "Z", "salary": 160000, "fiscal_year": 2019},
    {"_id": 10, "employee": "Cat", "dept": "Z", "salary": 150000, "fiscal_year": 2019},
]
NEW_SALARIES = [
    {"_id": 11, "employee": "Wren", "dept": "Z", "salary": 100000, "fiscal_year": 2019},
    {"_id": 12, "employee": "Zebra", "dept": "A", "salary": 150000, "fiscal_year": 2019},
    {"_id": 13, "employee": "headcount1", "dept": "Z", "salary": 120000, "fiscal_year": 2020},
    {"_id": 14, "employee": "headcount2", "dept": "Z", "salary": 120000, "fiscal_year": 2020},
]
BUDGET_GROUP = {
    "$group": {
        "_id": {"fiscal_year": "$fiscal_year", "dept": "$dept"},
        "salaries": {"$sum": "$salary"},
    }
}
BUDGET_MERGE = {
    "$merge": {"into": "budgets", "on": "_id", "whenMatched": "replace", "whenNotMatched": "insert"}
}


def _budget(year: int, dept: str, salaries: int) -> dict[str, Any]:
    return {"_id": {"fiscal_year": year, "dept": dept}, "salaries": salaries}


def _budgets(store: EmbeddedStore) -> list[dict[str, Any]]:
    return sorted(store.find("budgets"), key=lambda d: (d["_id"]["fiscal_year"], d["_id"]["dept"]))


def test_merge_materialized_view_create_then_refresh(store: EmbeddedStore) -> None:
    # Manual, "On-Demand Materialized View: Initial Creation" then "…: Update/Replace Data".
    store.insert_many("salaries", SALARIES)
    assert store.aggregate("salaries", [BUDGET_GROUP, BUDGET_MERGE]) == []
    initial = [
        _budget(2017, "A", 220000),
        _budget(2017, "Z", 115000),
        _budget(2018, "A", 215000),
        _budget(2018, "Z", 280000),
        _budget(2019, "A", 125000),
        _budget(2019, "Z", 310000),
    ]
    assert _budgets(store) == initial
    store.insert_many("salaries", NEW_SALARIES)
    store.aggregate(
        "salaries", [{"$match": {"fiscal_year": {"$gte": 2019}}}, BUDGET_GROUP, BUDGET_MERGE]
    )
    assert _budgets(store) == [
        *initial[:4],
        _budget(2019, "A", 275000),
        _budget(2019, "Z", 410000),
        _budget(2020, "Z", 240000),
    ]


def test_merge_only_insert_new_data(store: EmbeddedStore) -> None:
    # Manual, "Only Insert New Data": a unique index on the 'on' fields, _ids generated, and a
    # second run fails on the existing document (the target keeps its content).
    store.insert_many("salaries", SALARIES + NEW_SALARIES)
    archive = [
        {"_id": bson.ObjectId(), "employees": ["Ant", "Gecko"], "dept": "A", "fiscal_year": 2018},
        {"_id": bson.ObjectId(), "employees": ["Ant", "Bee"], "dept": "A", "fiscal_year": 2017},
        {"_id": bson.ObjectId(), "employees": ["Bee", "Cat"], "dept": "Z", "fiscal_year": 2018},
        {"_id": bson.ObjectId(), "employees": ["Cat"], "dept": "Z", "fiscal_year": 2017},
    ]
    store.insert_many("orgArchive", archive)
    store.create_index("orgArchive", [("fiscal_year", 1), ("dept", 1)], unique=True)
    pipeline = [
        {"$match": {"fiscal_year": 2019}},
        {
            "$group": {
                "_id": {"fiscal_year": "$fiscal_year", "dept": "$dept"},
                "employees": {"$push": "$employee"},
            }
        },
        {
            "$project": {
                "_id": 0,
                "dept": "$_id.dept",
                "fiscal_year": "$_id.fiscal_year",
                "employees": 1,
            }
        },
        {"$merge": {"into": "orgArchive", "on": ["dept", "fiscal_year"], "whenMatched": "fail"}},
    ]
    store.aggregate("salaries", pipeline)
    docs = store.find("orgArchive")
    assert len(docs) == 6
    assert all(isinstance(d["_id"], bson.ObjectId) for d in docs)
    new = sorted(
        (d["dept"], d["fiscal_year"], sorted(d["employees"]))
        for d in docs
        if d["fiscal_year"] == 2019
    )
    assert new == [("A", 2019, ["Ant", "Zebra"]), ("Z", 2019, ["Bee", "Cat", "Wren"])]
    with pytest.raises(DuplicateKeyError) as err:
        store.aggregate("salaries", pipeline)
    assert err.value.code == 11000
    assert sorted(map(str, (d["_id"] for d in store.find("orgArchive")))) == sorted(
        str(d["_id"]) for d in docs
    )
    assert "fiscal_year_1_dept_1" in store.index_information("orgArchive")


def test_merge_results_from_multiple_collections(store: EmbeddedStore) -> None:
    # Manual, "Merge Results from Multiple Collections" (whenMatched "merge" adds the new fields).
    def day(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)

    store.insert_many(
        "purchaseorders",
        [
            {
                "_id": 1,
                "quarter": "2019Q1",
                "region": "A",
                "qty": 200,
                "reportDate": day("2019-04-01"),
            },
            {
                "_id": 2,
                "quarter": "2019Q1",
                "region": "B",
                "qty": 300,
                "reportDate": day("2019-04-01"),
            },
            {
                "_id": 3,
                "quarter": "2019Q1",
                "region": "C",
                "qty": 700,
                "reportDate": day("2019-04-01"),
            },
            {
                "_id": 4,
                "quarter": "2019Q2",
                "region": "B",
                "qty": 300,
                "reportDate": day("2019-07-01"),
            },
            {
                "_id": 5,
                "quarter": "2019Q2",
                "region": "C",
                "qty": 1000,
                "reportDate": day("2019-07-01"),
            },
            {
                "_id": 6,
                "quarter": "2019Q2",
                "region": "A",
                "qty": 400,
                "reportDate": day("2019-07-01"),
            },
        ],
    )
    store.insert_many(
        "reportedsales",
        [
            {
                "_id": 1,
                "quarter": "2019Q1",
                "region": "A",
                "qty": 400,
                "reportDate": day("2019-04-02"),
            },
            {
                "_id": 2,
                "quarter": "2019Q1",
                "region": "B",
                "qty": 550,
                "reportDate": day("2019-04-02"),
            },
            {
                "_id": 3,
                "quarter": "2019Q1",
                "region": "C",
                "qty": 1000,
                "reportDate": day("2019-04-05"),
            },
            {
                "_id": 4,
                "quarter": "2019Q2",
                "region": "B",
                "qty": 500,
                "reportDate": day("2019-07-02"),
            },
        ],
    )
    merge = {
        "$merge": {
            "into": "quarterlyreport",
            "on": "_id",
            "whenMatched": "merge",
            "whenNotMatched": "insert",
        }
    }
    store.aggregate(
        "purchaseorders", [{"$group": {"_id": "$quarter", "purchased": {"$sum": "$qty"}}}, merge]
    )
    assert store.find("quarterlyreport", sort=[("_id", 1)]) == [
        {"_id": "2019Q1", "purchased": 1200},
        {"_id": "2019Q2", "purchased": 1700},
    ]
    store.aggregate(
        "reportedsales", [{"$group": {"_id": "$quarter", "sales": {"$sum": "$qty"}}}, merge]
    )
    assert store.find("quarterlyreport", sort=[("_id", 1)]) == [
        {"_id": "2019Q1", "sales": 1950, "purchased": 1200},
        {"_id": "2019Q2", "sales": 500, "purchased": 1700},
    ]


def test_merge_whenmatched_merge_definition(store: EmbeddedStore) -> None:
    # Manual, whenMatched "merge": { _id: 1, a: 1, b: 1 } + { _id: 1, b: 5, z: 1 }.
    store.insert_many("out", [{"_id": 1, "a": 1, "b": 1}])
    store.insert_many("src", [{"_id": 1, "b": 5, "z": 1}])
    store.aggregate("src", [{"$merge": "out"}])
    assert store.find("out") == [{"_id": 1, "a": 1, "b": 5, "z": 1}]


def test_merge_keep_existing_and_discard(store: EmbeddedStore) -> None:
    store.insert_many("out", [{"_id": 1, "v": "old"}])
    store.insert_many("src", [{"_id": 1, "v": "new"}, {"_id": 2, "v": "new"}])
    store.aggregate(
        "src",
        [{"$merge": {"into": "out", "whenMatched": "keepExisting", "whenNotMatched": "discard"}}],
    )
    assert store.find("out") == [{"_id": 1, "v": "old"}]
    store.aggregate("src", [{"$merge": {"into": "out", "whenMatched": "keepExisting"}}])
    assert store.find("out", sort=[("_id", 1)]) == [{"_id": 1, "v": "old"}, {"_id": 2, "v": "new"}]


def _expenses(month: str, amounts: list[tuple[str, float]]) -> list[dict[str, Any]]:
    return [{"userId": u, "month": month, "amount": a} for u, a in amounts]


def test_merge_monthly_rollup_round_trip(store: EmbeddedStore) -> None:
    # Rollup: monthly totals merged twice; whenMatched "replace" updates, never duplicates.
    rollup = [
        {
            "$group": {
                "_id": {"userId": "$userId", "month": "$month"},
                "total": {"$sum": "$amount"},
                "count": {"$sum": 1},
            }
        },
        {
            "$merge": {
                "into": "monthly",
                "on": "_id",
                "whenMatched": "replace",
                "whenNotMatched": "insert",
            }
        },
    ]
    store.insert_many("expenses", _expenses("2024-01", [("u1", 10.0), ("u1", 5.5), ("u2", 3.0)]))
    store.aggregate("expenses", rollup)
    store.insert_many(
        "expenses", _expenses("2024-01", [("u1", 4.5)]) + _expenses("2024-02", [("u2", 7.0)])
    )
    store.aggregate("expenses", rollup)
    totals = sorted(
        (d["_id"]["userId"], d["_id"]["month"], d["total"], d["count"])
        for d in store.find("monthly")
    )
    assert totals == [
        ("u1", "2024-01", 20.0, 3),
        ("u2", "2024-01", 3.0, 1),
        ("u2", "2024-02", 7.0, 1),
    ]
    # Running again without new data changes nothing.
    store.aggregate("expenses", rollup)
    assert len(store.find("monthly")) == 3


def test_merge_rollup_on_unique_fields_keeps_ids(store: EmbeddedStore) -> None:
    # 'on' fields other than _id need a unique index; a replaced document keeps its _id.
    store.create_index("monthly", [("userId", 1), ("month", 1)], unique=True)
    rollup = [
        {"$group": {"_id": {"userId": "$userId", "month": "$month"}, "total": {"$sum": "$amount"}}},
        {"$project": {"_id": 0, "userId": "$_id.userId", "month": "$_id.month", "total": 1}},
        {"$merge": {"into": "monthly", "on": ["userId", "month"], "whenMatched": "replace"}},
    ]
    store.insert_many("expenses", _expenses("2024-01", [("u1", 10.0)]))
    store.aggregate("expenses", rollup)
    first_id = store.find("monthly")[0]["_id"]
    store.insert_many("expenses", _expenses("2024-01", [("u1", 2.0)]))
    store.aggregate("expenses", rollup)
    assert store.find("monthly") == [
        {"_id": first_id, "userId": "u1", "month": "2024-01", "total": 12.0}
    ]


@pytest.mark.skipif("$dateTrunc" not in OPERATORS, reason="date operators not built")
def test_merge_rollup_by_truncated_month(store: EmbeddedStore) -> None:
    def day(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)

    rollup = [
        {
            "$group": {
                "_id": {"$dateTrunc": {"date": "$date", "unit": "month"}},
                "total": {"$sum": "$amount"},
            }
        },
        {"$merge": {"into": "monthly", "whenMatched": "replace"}},
    ]
    store.insert_many(
        "expenses",
        [{"date": day("2024-01-05"), "amount": 1.0}, {"date": day("2024-01-20"), "amount": 2.0}],
    )
    store.aggregate("expenses", rollup)
    store.insert_many(
        "expenses",
        [{"date": day("2024-01-31"), "amount": 3.0}, {"date": day("2024-02-01"), "amount": 4.0}],
    )
    store.aggregate("expenses", rollup)
    assert store.find("monthly", sort=[("_id", 1)]) == [
        {"_id": day("2024-01-01"), "total": 6.0},
        {"_id": day("2024-02-01"), "total": 4.0},
    ]


@pytest.mark.parametrize(
    ("merge", "code"),
    [
        ({"into": "out", "on": "k"}, 51183),  # no unique index on k
        ({"into": "out", "whenNotMatched": "fail"}, 13113),
        ({"into": "out", "whenMatched": "fail"}, 11000),
        ({"into": "out", "whenMatched": "sometimes"}, 2),
        ({"on": "_id"}, 40414),
    ],
)
def test_merge_errors(store: EmbeddedStore, merge: dict[str, Any], code: int) -> None:
    store.insert_many("out", [{"_id": 1, "k": 1}])
    store.insert_many("src", [{"_id": 1, "k": 1}, {"_id": 2, "k": 2}])
    with pytest.raises(OperationFailure) as err:
        store.aggregate("src", [{"$merge": merge}])
    assert err.value.code == code
    assert store.find("out") == [{"_id": 1, "k": 1}]


def test_merge_on_field_errors(store: EmbeddedStore) -> None:
    store.create_index("out", [("k", 1)], unique=True)
    store.insert_many("out", [{"_id": 1, "k": 1}])
    store.insert_many("src", [{"_id": 5, "k": 1}, {"_id": 6}])
    with pytest.raises(OperationFailure) as err:
        store.aggregate("src", [{"$merge": {"into": "out", "on": "k"}}])
    assert err.value.code == 51132  # 'on' field missing from a result
    with pytest.raises(OperationFailure) as err:
        store.aggregate(
            "src",
            [
                {"$match": {"k": 1}},
                {"$merge": {"into": "out", "on": "k", "whenMatched": "replace"}},
            ],
        )
    assert err.value.code == 66  # the replacement would change the matched document's _id
    with pytest.raises(UnsupportedOperation):
        store.aggregate("src", [{"$merge": {"into": "out", "whenMatched": [{"$set": {"x": 1}}]}}])


def test_merge_and_out_must_be_last(store: EmbeddedStore) -> None:
    store.insert_many("src", [{"_id": 1}])
    for stage in ({"$merge": "out"}, {"$out": "out"}):
        with pytest.raises(OperationFailure) as err:
            store.aggregate("src", [stage, {"$match": {}}])
        assert err.value.code == 40601


# -- $out --------------------------------------------------------------------------------------


def test_out_replaces_collection_keeping_indexes(store: EmbeddedStore) -> None:
    # Manual ($out): the target is replaced by the results; its indexes are kept; the pipeline
    # itself returns no documents.
    store.insert_many(
        "books",
        [
            {"_id": 8751, "title": "The Banquet", "author": "Dante", "copies": 2},
            {"_id": 8752, "title": "Divine Comedy", "author": "Dante", "copies": 1},
            {"_id": 8645, "title": "Eclogues", "author": "Dante", "copies": 2},
            {"_id": 7000, "title": "The Odyssey", "author": "Homer", "copies": 10},
            {"_id": 7020, "title": "Iliad", "author": "Homer", "copies": 10},
        ],
    )
    store.insert_many("authors", [{"_id": "stale", "books": []}])
    store.create_index("authors", [("books", 1)])
    out = store.aggregate(
        "books", [{"$group": {"_id": "$author", "books": {"$push": "$title"}}}, {"$out": "authors"}]
    )
    assert out == []
    assert store.find("authors", sort=[("_id", 1)]) == [
        {"_id": "Dante", "books": ["The Banquet", "Divine Comedy", "Eclogues"]},
        {"_id": "Homer", "books": ["The Odyssey", "Iliad"]},
    ]
    assert "books_1" in store.index_information("authors")


def test_out_generates_ids_and_checks_unique(store: EmbeddedStore) -> None:
    store.insert_many("src", [{"_id": 1, "k": "a"}, {"_id": 2, "k": "a"}])
    store.aggregate("src", [{"$project": {"_id": 0, "k": 1}}, {"$out": "copy"}])
    copies = store.find("copy")
    assert [d["k"] for d in copies] == ["a", "a"]
    assert all(isinstance(d["_id"], bson.ObjectId) for d in copies)
    store.insert_many("target", [{"_id": 9, "k": "z"}])
    store.create_index("target", [("k", 1)], unique=True)
    with pytest.raises(DuplicateKeyError):
        store.aggregate("src", [{"$out": "target"}])
    assert store.find("target") == [{"_id": 9, "k": "z"}]  # unchanged after the failed $out


def test_out_to_the_source_and_empty_result(store: EmbeddedStore) -> None:
    store.insert_many("src", [{"_id": 1, "v": 1}, {"_id": 2, "v": 2}])
    store.aggregate("src", [{"$match": {"v": 2}}, {"$out": "src"}])
    assert store.find("src") == [{"_id": 2, "v": 2}]
    store.aggregate("src", [{"$match": {"v": 3}}, {"$out": "src"}])
    assert store.find("src") == []
