"""Conformance tests for ``$lookup`` and ``$unionWith`` (expected values from the MongoDB manual).

Inside an array of documents the embedded engine returns an absent field as ``None`` (its
documented limit), so foreign documents lacking a field show it as ``None`` below.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dashboard.store.embedded import EmbeddedStore
from dashboard.store.embedded.expressions import OPERATORS
from dashboard.store.errors import OperationFailure, UnsupportedOperation


def _d(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def _load(store: EmbeddedStore, **collections: list[dict[str, Any]]) -> None:
    for name, docs in collections.items():
        store.insert_many(name, docs)


# https://www.mongodb.com/docs/manual/reference/operator/aggregation/lookup/
ORDERS = [
    {"_id": 1, "item": "almonds", "price": 12, "quantity": 2},
    {"_id": 2, "item": "pecans", "price": 20, "quantity": 1},
    {"_id": 3},
]
INVENTORY = [
    {"_id": 1, "sku": "almonds", "description": "product 1", "instock": 120},
    {"_id": 2, "sku": "bread", "description": "product 2", "instock": 80},
    {"_id": 3, "sku": "cashews", "description": "product 3", "instock": 60},
    {"_id": 4, "sku": "pecans", "description": "product 4", "instock": 70},
    {"_id": 5, "sku": None, "description": "Incomplete"},
    {"_id": 6},
]


def test_lookup_single_equality(store: EmbeddedStore) -> None:
    # Manual, "Perform a Single Equality Join with $lookup": the order without "item" matches the
    # inventory documents whose "sku" is null or missing.
    _load(store, orders=ORDERS, inventory=INVENTORY)
    out = store.aggregate(
        "orders",
        [
            {
                "$lookup": {
                    "from": "inventory",
                    "localField": "item",
                    "foreignField": "sku",
                    "as": "inventory_docs",
                }
            }
        ],
    )
    assert out == [
        {
            "_id": 1,
            "item": "almonds",
            "price": 12,
            "quantity": 2,
            "inventory_docs": [
                {"_id": 1, "sku": "almonds", "description": "product 1", "instock": 120}
            ],
        },
        {
            "_id": 2,
            "item": "pecans",
            "price": 20,
            "quantity": 1,
            "inventory_docs": [
                {"_id": 4, "sku": "pecans", "description": "product 4", "instock": 70}
            ],
        },
        {
            "_id": 3,
            "inventory_docs": [
                {"_id": 5, "sku": None, "description": "Incomplete", "instock": None},
                {"_id": 6, "sku": None, "description": None, "instock": None},
            ],
        },
    ]


def test_lookup_then_project_a_path_into_the_joined_array(store: EmbeddedStore) -> None:
    # Manual, "Perform a Single Equality Join with $lookup", then $project of a dotted path into
    # the array $lookup wrote ($project, "Include Specific Fields from Embedded Documents"): each
    # joined document keeps "instock" (absent ones read back as None), a computed field is the
    # order's own value in every joined document, and an exclusion applies to every one.
    _load(store, orders=ORDERS, inventory=INVENTORY)
    lookup = {
        "$lookup": {
            "from": "inventory",
            "localField": "item",
            "foreignField": "sku",
            "as": "inventory_docs",
        }
    }
    out = store.aggregate(
        "orders", [lookup, {"$project": {"item": 1, "inventory_docs.instock": 1}}]
    )
    assert out == [
        {"_id": 1, "item": "almonds", "inventory_docs": [{"instock": 120}]},
        {"_id": 2, "item": "pecans", "inventory_docs": [{"instock": 70}]},
        {"_id": 3, "inventory_docs": [{"instock": None}, {"instock": None}]},
    ]
    computed = {"$project": {"_id": 0, "inventory_docs.ordered": "$quantity"}}
    out = store.aggregate("orders", [lookup, {"$match": {"_id": {"$lte": 2}}}, computed])
    assert out == [
        {"inventory_docs": [{"ordered": 2}]},
        {"inventory_docs": [{"ordered": 1}]},
    ]
    excluded = {"$project": {"inventory_docs._id": 0, "inventory_docs.description": 0}}
    out = store.aggregate("orders", [{"$match": {"_id": 1}}, lookup, excluded])
    assert out == [
        {
            "_id": 1,
            "item": "almonds",
            "price": 12,
            "quantity": 2,
            "inventory_docs": [{"sku": "almonds", "instock": 120}],
        }
    ]


def test_lookup_array_local_field(store: EmbeddedStore) -> None:
    # Manual, "Use $lookup with an Array": each element of the local array is matched.
    _load(
        store,
        classes=[
            {
                "_id": 1,
                "title": "Reading is ...",
                "enrollmentlist": ["giraffe2", "pandabear", "artie"],
                "days": ["M", "W", "F"],
            },
            {
                "_id": 2,
                "title": "But Writing ...",
                "enrollmentlist": ["giraffe1", "artie"],
                "days": ["T", "F"],
            },
        ],
        members=[
            {"_id": 1, "name": "artie", "joined": _d("2016-05-01"), "status": "A"},
            {"_id": 2, "name": "giraffe", "joined": _d("2017-05-01"), "status": "D"},
            {"_id": 3, "name": "giraffe1", "joined": _d("2017-10-01"), "status": "A"},
            {"_id": 4, "name": "panda", "joined": _d("2018-10-11"), "status": "A"},
            {"_id": 5, "name": "pandabear", "joined": _d("2018-12-01"), "status": "A"},
            {"_id": 6, "name": "giraffe2", "joined": _d("2018-12-01"), "status": "D"},
        ],
    )
    out = store.aggregate(
        "classes",
        [
            {
                "$lookup": {
                    "from": "members",
                    "localField": "enrollmentlist",
                    "foreignField": "name",
                    "as": "enrollee_info",
                }
            }
        ],
    )
    assert [d["enrollee_info"] for d in out] == [
        [
            {"_id": 1, "name": "artie", "joined": _d("2016-05-01"), "status": "A"},
            {"_id": 5, "name": "pandabear", "joined": _d("2018-12-01"), "status": "A"},
            {"_id": 6, "name": "giraffe2", "joined": _d("2018-12-01"), "status": "D"},
        ],
        [
            {"_id": 1, "name": "artie", "joined": _d("2016-05-01"), "status": "A"},
            {"_id": 3, "name": "giraffe1", "joined": _d("2017-10-01"), "status": "A"},
        ],
    ]
    assert out[0]["days"] == ["M", "W", "F"]


@pytest.mark.skipif(
    not {"$mergeObjects", "$arrayElemAt"} <= set(OPERATORS),
    reason="array/object operators not built",
)
def test_lookup_merge_objects(store: EmbeddedStore) -> None:
    # Manual, "Use $lookup with $mergeObjects".
    _load(
        store,
        orders=ORDERS[:2],
        items=[
            {"_id": 1, "item": "almonds", "description": "almond clusters", "instock": 120},
            {"_id": 2, "item": "bread", "description": "raisin and nut bread", "instock": 80},
            {"_id": 3, "item": "pecans", "description": "candied pecans", "instock": 60},
        ],
    )
    out = store.aggregate(
        "orders",
        [
            {
                "$lookup": {
                    "from": "items",
                    "localField": "item",
                    "foreignField": "item",
                    "as": "fromItems",
                }
            },
            {
                "$replaceRoot": {
                    "newRoot": {"$mergeObjects": [{"$arrayElemAt": ["$fromItems", 0]}, "$$ROOT"]}
                }
            },
            {"$project": {"fromItems": 0}},
        ],
    )
    assert out == [
        {
            "_id": 1,
            "item": "almonds",
            "description": "almond clusters",
            "instock": 120,
            "price": 12,
            "quantity": 2,
        },
        {
            "_id": 2,
            "item": "pecans",
            "description": "candied pecans",
            "instock": 60,
            "price": 20,
            "quantity": 1,
        },
    ]


WAREHOUSE_ORDERS = [
    {"_id": 1, "item": "almonds", "price": 12, "ordered": 2},
    {"_id": 2, "item": "pecans", "price": 20, "ordered": 1},
    {"_id": 3, "item": "cookies", "price": 10, "ordered": 60},
]
WAREHOUSES = [
    {"_id": 1, "stock_item": "almonds", "warehouse": "A", "instock": 120},
    {"_id": 2, "stock_item": "pecans", "warehouse": "A", "instock": 80},
    {"_id": 3, "stock_item": "almonds", "warehouse": "B", "instock": 60},
    {"_id": 4, "stock_item": "cookies", "warehouse": "B", "instock": 40},
    {"_id": 5, "stock_item": "cookies", "warehouse": "A", "instock": 80},
]


def test_lookup_correlated_subquery(store: EmbeddedStore) -> None:
    # Manual, "Perform Multiple Joins and a Correlated Subquery with $lookup".
    _load(store, orders=WAREHOUSE_ORDERS, warehouses=WAREHOUSES)
    out = store.aggregate(
        "orders",
        [
            {
                "$lookup": {
                    "from": "warehouses",
                    "let": {"order_item": "$item", "order_qty": "$ordered"},
                    "pipeline": [
                        {
                            "$match": {
                                "$expr": {
                                    "$and": [
                                        {"$eq": ["$stock_item", "$$order_item"]},
                                        {"$gte": ["$instock", "$$order_qty"]},
                                    ]
                                }
                            }
                        },
                        {"$project": {"stock_item": 0, "_id": 0}},
                    ],
                    "as": "stockdata",
                }
            }
        ],
    )
    assert out == [
        {
            "_id": 1,
            "item": "almonds",
            "price": 12,
            "ordered": 2,
            "stockdata": [{"warehouse": "A", "instock": 120}, {"warehouse": "B", "instock": 60}],
        },
        {
            "_id": 2,
            "item": "pecans",
            "price": 20,
            "ordered": 1,
            "stockdata": [{"warehouse": "A", "instock": 80}],
        },
        {
            "_id": 3,
            "item": "cookies",
            "price": 10,
            "ordered": 60,
            "stockdata": [{"warehouse": "A", "instock": 80}],
        },
    ]


def test_lookup_correlated_per_document_stages(store: EmbeddedStore) -> None:
    # By hand: $sort and $limit apply to each order's own matches; $project keeps the pairing.
    _load(store, orders=WAREHOUSE_ORDERS, warehouses=WAREHOUSES)
    out = store.aggregate(
        "orders",
        [
            {
                "$lookup": {
                    "from": "warehouses",
                    "let": {"order_item": "$item"},
                    "pipeline": [
                        {"$match": {"$expr": {"$eq": ["$$order_item", "$stock_item"]}}},
                        {"$sort": {"instock": 1}},
                        {"$limit": 1},
                        {"$project": {"_id": 0, "warehouse": 1, "item": "$$order_item"}},
                    ],
                    "as": "lowest",
                }
            },
            {"$project": {"lowest": 1}},
        ],
    )
    assert out == [
        {"_id": 1, "lowest": [{"warehouse": "B", "item": "almonds"}]},
        {"_id": 2, "lowest": [{"warehouse": "A", "item": "pecans"}]},
        {"_id": 3, "lowest": [{"warehouse": "B", "item": "cookies"}]},
    ]


def test_lookup_uncorrelated_subquery(store: EmbeddedStore) -> None:
    # Manual, "Perform an Uncorrelated Subquery with $lookup".
    _load(
        store,
        absences=[
            {"_id": 1, "student": "Ann Aardvark", "sickdays": [_d("2018-05-01"), _d("2018-08-23")]},
            {"_id": 2, "student": "Zoe Zebra", "sickdays": [_d("2018-02-01"), _d("2018-05-23")]},
        ],
        holidays=[
            {"_id": 1, "year": 2018, "name": "New Years", "date": _d("2018-01-01")},
            {"_id": 2, "year": 2018, "name": "Pi Day", "date": _d("2018-03-14")},
            {"_id": 3, "year": 2018, "name": "Ice Cream Day", "date": _d("2018-07-15")},
            {"_id": 4, "year": 2017, "name": "New Years", "date": _d("2017-01-01")},
            {"_id": 5, "year": 2017, "name": "Ice Cream Day", "date": _d("2017-07-16")},
        ],
    )
    out = store.aggregate(
        "absences",
        [
            {
                "$lookup": {
                    "from": "holidays",
                    "pipeline": [
                        {"$match": {"year": 2018}},
                        {"$project": {"_id": 0, "date": {"name": "$name", "date": "$date"}}},
                        {"$replaceRoot": {"newRoot": "$date"}},
                    ],
                    "as": "holidays",
                }
            }
        ],
    )
    holidays = [
        {"name": "New Years", "date": _d("2018-01-01")},
        {"name": "Pi Day", "date": _d("2018-03-14")},
        {"name": "Ice Cream Day", "date": _d("2018-07-15")},
    ]
    assert [d["holidays"] for d in out] == [holidays, holidays]
    assert [d["student"] for d in out] == ["Ann Aardvark", "Zoe Zebra"]


RESTAURANTS = [
    {
        "_id": 1,
        "name": "American Steak House",
        "food": ["filet", "sirloin"],
        "beverages": ["beer", "wine"],
    },
    {
        "_id": 2,
        "name": "Honest John Pizza",
        "food": ["cheese pizza", "pepperoni pizza"],
        "beverages": ["soda"],
    },
]
FOOD_ORDERS = [
    {"_id": 1, "item": "filet", "restaurant_name": "American Steak House"},
    {"_id": 2, "item": "cheese pizza", "restaurant_name": "Honest John Pizza", "drink": "lemonade"},
    {"_id": 3, "item": "cheese pizza", "restaurant_name": "Honest John Pizza", "drink": "soda"},
]


@pytest.mark.parametrize(
    "lookup",
    [
        # Manual, "Perform a Concise Correlated Subquery with $lookup".
        {
            "from": "restaurants",
            "localField": "restaurant_name",
            "foreignField": "name",
            "let": {"orders_drink": "$drink"},
            "pipeline": [{"$match": {"$expr": {"$in": ["$$orders_drink", "$beverages"]}}}],
            "as": "matches",
        },
        # Manual, the same query in the verbose syntax from before MongoDB 5.0.
        {
            "from": "restaurants",
            "let": {"orders_restaurant_name": "$restaurant_name", "orders_drink": "$drink"},
            "pipeline": [
                {
                    "$match": {
                        "$expr": {
                            "$and": [
                                {"$eq": ["$$orders_restaurant_name", "$name"]},
                                {"$in": ["$$orders_drink", "$beverages"]},
                            ]
                        }
                    }
                }
            ],
            "as": "matches",
        },
    ],
    ids=["concise", "verbose"],
)
def test_lookup_concise_correlated(store: EmbeddedStore, lookup: dict[str, Any]) -> None:
    _load(store, orders=FOOD_ORDERS, restaurants=RESTAURANTS)
    out = store.aggregate("orders", [{"$lookup": lookup}])
    assert out == [
        {"_id": 1, "item": "filet", "restaurant_name": "American Steak House", "matches": []},
        {
            "_id": 2,
            "item": "cheese pizza",
            "restaurant_name": "Honest John Pizza",
            "drink": "lemonade",
            "matches": [],
        },
        {
            "_id": 3,
            "item": "cheese pizza",
            "restaurant_name": "Honest John Pizza",
            "drink": "soda",
            "matches": [RESTAURANTS[1]],
        },
    ]


def test_lookup_edges(store: EmbeddedStore) -> None:
    # By hand from the manual's matching rules.
    _load(
        store,
        local=[{"_id": 1, "k": 1}, {"_id": 2, "k": 2.0}, {"_id": 3, "k": None}, {"_id": 4}],
        foreign=[
            {"_id": 10, "k": [1.0]},
            {"_id": 11, "k": [2, 3]},
            {"_id": 12, "k": []},
            {"_id": 13},
        ],
    )
    out = store.aggregate(
        "local",
        [
            {"$lookup": {"from": "foreign", "localField": "k", "foreignField": "k", "as": "m"}},
            {"$project": {"ids": "$m._id"}},
        ],
    )
    # 1 equals 1.0 and 2.0 equals 2 (elements of arrays); null and missing match missing, not [].
    assert out == [
        {"_id": 1, "ids": [10]},
        {"_id": 2, "ids": [11]},
        {"_id": 3, "ids": [13]},
        {"_id": 4, "ids": [13]},
    ]
    # An absent "from" collection gives empty arrays; empty input gives nothing.
    assert store.aggregate(
        "local",
        [
            {"$lookup": {"from": "nothing", "localField": "k", "foreignField": "k", "as": "m"}},
            {"$project": {"m": 1}},
        ],
    ) == [{"_id": i, "m": []} for i in (1, 2, 3, 4)]
    assert (
        store.aggregate(
            "empty",
            [{"$lookup": {"from": "foreign", "localField": "k", "foreignField": "k", "as": "m"}}],
        )
        == []
    )


def test_lookup_as_overwrites_field(store: EmbeddedStore) -> None:
    _load(store, a=[{"_id": 1, "x": 1, "m": "old"}], b=[{"_id": 5, "x": 1}])
    out = store.aggregate(
        "a", [{"$lookup": {"from": "b", "localField": "x", "foreignField": "x", "as": "m"}}]
    )
    assert out == [{"_id": 1, "x": 1, "m": [{"_id": 5, "x": 1}]}]


def test_lookup_refusals(store: EmbeddedStore) -> None:
    _load(store, a=[{"_id": 1, "x": 1}], b=[{"_id": 5, "x": 1}])
    with pytest.raises(UnsupportedOperation):
        # Correlated without an $eq join condition.
        store.aggregate(
            "a",
            [
                {
                    "$lookup": {
                        "from": "b",
                        "let": {"v": "$x"},
                        "pipeline": [{"$match": {"$expr": {"$gt": ["$x", "$$v"]}}}],
                        "as": "m",
                    }
                }
            ],
        )
    with pytest.raises(UnsupportedOperation):
        # $group inside a correlated pipeline.
        store.aggregate(
            "a",
            [
                {
                    "$lookup": {
                        "from": "b",
                        "let": {"v": "$x"},
                        "pipeline": [
                            {"$match": {"$expr": {"$eq": ["$x", "$$v"]}}},
                            {"$group": {"_id": None}},
                        ],
                        "as": "m",
                    }
                }
            ],
        )
    with pytest.raises(OperationFailure) as err:
        store.aggregate("a", [{"$lookup": {"from": "b", "pipeline": [{"$out": "c"}], "as": "m"}}])
    assert err.value.code == 51047
    with pytest.raises(OperationFailure):
        store.aggregate("a", [{"$lookup": {"from": "b", "localField": "x", "as": "m"}}])


# -- $unionWith --------------------------------------------------------------------------------
# https://www.mongodb.com/docs/manual/reference/operator/aggregation/unionWith/


def test_union_with_duplicates(store: EmbeddedStore) -> None:
    _load(
        store,
        suppliers=[
            {"_id": 1, "supplier": "Aardvark and Sons", "state": "Texas"},
            {"_id": 2, "supplier": "Bears Run Amok.", "state": "Colorado"},
            {"_id": 3, "supplier": "Squid Mark Inc. ", "state": "Rhode Island"},
        ],
        warehouses=[
            {"_id": 1, "warehouse": "A", "region": "West", "state": "California"},
            {"_id": 2, "warehouse": "B", "region": "Central", "state": "Colorado"},
            {"_id": 3, "warehouse": "C", "region": "East", "state": "Florida"},
        ],
    )
    out = store.aggregate(
        "suppliers",
        [
            {"$project": {"state": 1, "_id": 0}},
            {
                "$unionWith": {
                    "coll": "warehouses",
                    "pipeline": [{"$project": {"state": 1, "_id": 0}}],
                }
            },
        ],
    )
    assert out == [
        {"state": s}
        for s in ("Texas", "Colorado", "Rhode Island", "California", "Colorado", "Florida")
    ]


SALES = {
    "sales_2017": [
        ("General Store", "Chocolates", 150),
        ("ShopMart", "Chocolates", 50),
        ("General Store", "Cookies", 100),
        ("ShopMart", "Cookies", 120),
        ("General Store", "Pie", 10),
        ("ShopMart", "Pie", 5),
    ],
    "sales_2018": [
        ("General Store", "Cheese", 30),
        ("ShopMart", "Cheese", 50),
        ("General Store", "Chocolates", 125),
        ("ShopMart", "Chocolates", 150),
        ("General Store", "Cookies", 200),
        ("ShopMart", "Cookies", 100),
        ("ShopMart", "Nuts", 100),
        ("General Store", "Pie", 30),
        ("ShopMart", "Pie", 25),
    ],
    "sales_2019": [
        ("General Store", "Cheese", 50),
        ("ShopMart", "Cheese", 20),
        ("General Store", "Chocolates", 125),
        ("ShopMart", "Chocolates", 150),
        ("General Store", "Cookies", 200),
        ("ShopMart", "Cookies", 100),
        ("General Store", "Nuts", 80),
        ("ShopMart", "Nuts", 30),
        ("General Store", "Pie", 50),
        ("ShopMart", "Pie", 75),
    ],
    "sales_2020": [
        ("General Store", "Cheese", 100),
        ("ShopMart", "Cheese", 100),
        ("General Store", "Chocolates", 200),
        ("ShopMart", "Chocolates", 300),
        ("General Store", "Cookies", 500),
        ("ShopMart", "Cookies", 400),
        ("General Store", "Nuts", 100),
        ("ShopMart", "Nuts", 200),
        ("General Store", "Pie", 100),
        ("ShopMart", "Pie", 100),
    ],
}


def _load_sales(store: EmbeddedStore) -> None:
    for name, rows in SALES.items():
        store.insert_many(name, [{"store": s, "item": i, "quantity": q} for s, i, q in rows])


def test_union_with_report_by_year(store: EmbeddedStore) -> None:
    # Manual, "Report 1: All Sales by Year and Stores and Items".
    _load_sales(store)
    years = ("2018", "2019", "2020")
    out = store.aggregate(
        "sales_2017",
        [
            {"$set": {"_id": "2017"}},
            *[
                {"$unionWith": {"coll": f"sales_{y}", "pipeline": [{"$set": {"_id": y}}]}}
                for y in years
            ],
            {"$sort": {"_id": 1, "store": 1, "item": 1}},
        ],
    )
    expected = [
        {"_id": name[-4:], "store": s, "item": i, "quantity": q}
        for name, rows in SALES.items()
        for s, i, q in sorted(rows)
    ]
    assert out == expected
    assert len(out) == 35


def test_union_with_report_by_item(store: EmbeddedStore) -> None:
    # Manual, "Report 2: Aggregated Sales by Items".
    _load_sales(store)
    out = store.aggregate(
        "sales_2017",
        [
            {"$unionWith": "sales_2018"},
            {"$unionWith": "sales_2019"},
            {"$unionWith": "sales_2020"},
            {"$group": {"_id": "$item", "total": {"$sum": "$quantity"}}},
            {"$sort": {"total": -1}},
        ],
    )
    assert out == [
        {"_id": "Cookies", "total": 1720},
        {"_id": "Chocolates", "total": 1250},
        {"_id": "Nuts", "total": 510},
        {"_id": "Pie", "total": 395},
        {"_id": "Cheese", "total": 350},
    ]


def test_union_with_edges(store: EmbeddedStore) -> None:
    _load(store, a=[{"_id": 1, "x": 1}], b=[{"_id": 2, "y": "b"}])
    # Fields absent on one side stay absent; an absent collection adds nothing.
    assert store.aggregate("a", [{"$unionWith": "b"}]) == [{"_id": 1, "x": 1}, {"_id": 2, "y": "b"}]
    assert store.aggregate("a", [{"$unionWith": "nothing"}]) == [{"_id": 1, "x": 1}]
    assert store.aggregate("nothing", [{"$unionWith": "a"}]) == [{"_id": 1, "x": 1}]
    with pytest.raises(OperationFailure) as err:
        store.aggregate("a", [{"$unionWith": {"coll": "b", "pipeline": [{"$out": "c"}]}}])
    assert err.value.code == 31441
