"""Conformance of query filters (``find`` / ``$match``) with the MongoDB manual.

Each case is ``(documents, filter, expected _ids)``; the expected ids come from the manual's examples
(the page is cited) or are worked out by hand from its definitions, never from running the engine.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from itertools import count
from typing import Any

import bson
import pytest

from dashboard.store.embedded import EmbeddedStore
from dashboard.store.errors import OperationFailure, UnsupportedOperation

_names = count()


def _ids(store: EmbeddedStore, docs: Sequence[Mapping[str, Any]], flt: Any) -> list[Any]:
    name = f"q{next(_names)}"
    store.insert_many(name, [dict(d) for d in docs])
    return sorted(d["_id"] for d in store.find(name, flt))


# https://www.mongodb.com/docs/manual/reference/operator/query/eq/ (doc 5, whose tags mix an array
# and a string, is left out: the engine stores one type per field).
EQ_INVENTORY = [
    {"_id": 1, "item": {"name": "ab", "code": "123"}, "qty": 15, "tags": ["A", "B", "C"]},
    {"_id": 2, "item": {"name": "cd", "code": "123"}, "qty": 20, "tags": ["B"]},
    {"_id": 3, "item": {"name": "ij", "code": "456"}, "qty": 25, "tags": ["A", "B"]},
    {"_id": 4, "item": {"name": "xy", "code": "456"}, "qty": 30, "tags": ["B", "A"]},
]
# https://www.mongodb.com/docs/manual/reference/operator/query/ne/ and .../gt/ (ids added).
CARRIERS = [
    {"_id": 1, "item": "nuts", "quantity": 30, "carrier": {"name": "Shipit", "fee": 3}},
    {"_id": 2, "item": "bolts", "quantity": 50, "carrier": {"name": "Shipit", "fee": 4}},
    {"_id": 3, "item": "washers", "quantity": 10, "carrier": {"name": "Other", "fee": 1}},
]
# https://www.mongodb.com/docs/manual/reference/operator/query/in/ and .../nin/ (ids added).
IN_INVENTORY = [
    {"_id": 1, "item": "Pens", "quantity": 350, "tags": ["school", "office"]},
    {"_id": 2, "item": "Erasers", "quantity": 15, "tags": ["school", "home"]},
    {"_id": 3, "item": "Maps", "tags": ["office", "storage"]},
    {"_id": 4, "item": "Books", "quantity": 5, "tags": ["school", "storage", "home"]},
]
# https://www.mongodb.com/docs/manual/reference/operator/query/regex/
PRODUCTS = [
    {"_id": 100, "sku": "abc123", "description": "Single line description."},
    {"_id": 101, "sku": "abc789", "description": "First line\nSecond line"},
    {"_id": 102, "sku": "xyz456", "description": "Many spaces before     line"},
    {"_id": 103, "sku": "xyz789", "description": "Multiple\nline description"},
    {"_id": 104, "sku": "Abc789", "description": "SKU is not in lowercase"},
]
# https://www.mongodb.com/docs/manual/tutorial/query-for-null-fields/
NULLS = [{"_id": 1, "item": None}, {"_id": 2}]
# https://www.mongodb.com/docs/manual/reference/operator/query/exists/ (the records example).
RECORDS = [
    {"_id": 1, "a": 5, "b": 5, "c": None},
    {"_id": 2, "a": 3, "b": None, "c": 8},
    {"_id": 3, "a": None, "b": 3, "c": 9},
    {"_id": 4, "a": 1, "b": 2, "c": 3},
    {"_id": 5, "a": 2, "c": 5},
    {"_id": 6, "a": 3, "b": 2},
    {"_id": 7, "a": 4},
    {"_id": 8, "b": 2, "c": 4},
    {"_id": 9, "b": 2},
    {"_id": 10, "c": 6},
]
# The $and/$or/$nor/$not pages' inventory, with ids; expectations worked out by hand.
PRICES = [
    {"_id": 1, "item": "pencil", "price": 1.99, "qty": 5, "sale": True},
    {"_id": 2, "item": "pen", "price": 2.5, "qty": 30, "sale": False},
    {"_id": 3, "item": "paper", "price": 10.0, "qty": 100},
    {"_id": 4, "item": "eraser", "qty": 15, "sale": True},
    {"_id": 5, "item": "ruler", "price": 1.99, "qty": 20},
]

CASES: list[tuple[str, list[dict[str, Any]], dict[str, Any], list[Any]]] = [
    # $eq page: "Equals a Specified Value", "Field in Embedded Document", "Array Element",
    # "Equals an Array Value" (doc 5 excluded, see EQ_INVENTORY).
    ("eq value", EQ_INVENTORY, {"qty": {"$eq": 20}}, [2]),
    ("implicit eq", EQ_INVENTORY, {"qty": 20}, [2]),
    ("eq embedded field", EQ_INVENTORY, {"item.name": {"$eq": "ab"}}, [1]),
    ("eq array element", EQ_INVENTORY, {"tags": {"$eq": "B"}}, [1, 2, 3, 4]),
    ("eq whole array, order matters", EQ_INVENTORY, {"tags": {"$eq": ["A", "B"]}}, [3]),
    ("implicit whole array", EQ_INVENTORY, {"tags": ["B", "A"]}, [4]),
    ("eq embedded document", EQ_INVENTORY, {"item": {"name": "cd", "code": "123"}}, [2]),
    ("eq embedded document, missing field", EQ_INVENTORY, {"item": {"name": "cd"}}, []),
    ("array index path", EQ_INVENTORY, {"tags.0": "B"}, [2, 4]),
    ("array index out of range", EQ_INVENTORY, {"tags.2": {"$exists": True}}, [1]),
    # $ne page: "Match Document Fields That Are Not Equal" / "Update Based on Not Equal
    # Embedded Document Fields".
    ("ne", CARRIERS, {"quantity": {"$ne": 20}}, [1, 2, 3]),
    ("ne embedded", CARRIERS, {"carrier.fee": {"$ne": 1}}, [1, 2]),
    # $gt/$gte/$lt/$lte pages (same inventory), by definition.
    ("gt", CARRIERS, {"quantity": {"$gt": 20}}, [1, 2]),
    ("gte", CARRIERS, {"quantity": {"$gte": 30}}, [1, 2]),
    ("lt", CARRIERS, {"quantity": {"$lt": 20}}, [3]),
    ("lte", CARRIERS, {"quantity": {"$lte": 30}}, [1, 3]),
    ("range on embedded", CARRIERS, {"carrier.fee": {"$gt": 1, "$lte": 3}}, [1]),
    # Type bracketing (Comparison/Sort Order page): a string never compares with numbers.
    ("type bracketing gt", CARRIERS, {"quantity": {"$gt": "5"}}, []),
    ("type bracketing lt", CARRIERS, {"item": {"$lt": 100}}, []),
    # $in page: "Use the $in Operator to Match Values" / "...in an Array" / "with a Regex".
    ("in values", IN_INVENTORY, {"quantity": {"$in": [5, 15]}}, [2, 4]),
    ("in array field", IN_INVENTORY, {"tags": {"$in": ["home", "school"]}}, [1, 2, 4]),
    ("in regex", IN_INVENTORY, {"tags": {"$in": [re.compile("^be"), re.compile("^st")]}}, [3, 4]),
    ("in int and double", IN_INVENTORY, {"quantity": {"$in": [5.0, 350]}}, [1, 4]),
    ("in null matches missing", IN_INVENTORY, {"quantity": {"$in": [None, 5]}}, [3, 4]),
    # $nin page: "Select on Unmatching Documents" (missing fields match) / array field.
    ("nin matches missing", IN_INVENTORY, {"quantity": {"$nin": [5, 15]}}, [1, 3]),
    ("nin array field", IN_INVENTORY, {"tags": {"$nin": ["school"]}}, [3]),
    ("nin null", IN_INVENTORY, {"quantity": {"$nin": [None]}}, [1, 2, 4]),
    # Query for Null or Missing Fields: equality, type check, existence.
    ("null matches null and missing", NULLS, {"item": None}, [1, 2]),
    ("eq null explicit", NULLS, {"item": {"$eq": None}}, [1, 2]),
    ("ne null", NULLS, {"item": {"$ne": None}}, []),
    ("type null", NULLS, {"item": {"$type": 10}}, [1]),
    ("exists false", NULLS, {"item": {"$exists": False}}, [2]),
    ("gte null is eq null", NULLS, {"item": {"$gte": None}}, [1, 2]),
    ("gt null matches nothing", NULLS, {"item": {"$gt": None}}, []),
    # $exists page: present fields match even when null.
    ("exists true", RECORDS, {"a": {"$exists": True}}, [1, 2, 3, 4, 5, 6, 7]),
    ("exists false b", RECORDS, {"b": {"$exists": False}}, [5, 7, 10]),
    ("exists and nin", RECORDS, {"c": {"$exists": True, "$nin": [5, 6]}}, [1, 2, 3, 4, 8]),
    # $and / $or / $nor / $not pages, by their definitions.
    ("and", PRICES, {"$and": [{"price": {"$ne": 1.99}}, {"price": {"$exists": True}}]}, [2, 3]),
    ("or", PRICES, {"$or": [{"qty": {"$lt": 20}}, {"price": 10}]}, [1, 3, 4]),
    ("nor matches missing", PRICES, {"$nor": [{"price": 1.99}, {"sale": True}]}, [2, 3]),
    ("not gt matches missing", PRICES, {"price": {"$not": {"$gt": 1.99}}}, [1, 4, 5]),
    ("not regex", PRICES, {"item": {"$not": re.compile("^p.*")}}, [4, 5]),
    ("not $regex string", PRICES, {"item": {"$not": {"$regex": "^p.*"}}}, [4, 5]),
    ("implicit and of operators", PRICES, {"qty": {"$gte": 15, "$lt": 30}}, [4, 5]),
    # $regex page examples.
    ("regex end anchor", PRODUCTS, {"sku": {"$regex": re.compile("789$")}}, [101, 103, 104]),
    ("regex i", PRODUCTS, {"sku": {"$regex": re.compile("^ABC", re.I)}}, [100, 101, 104]),
    ("regex m", PRODUCTS, {"description": {"$regex": "^S", "$options": "m"}}, [100, 101, 104]),
    ("regex without m", PRODUCTS, {"description": {"$regex": "^S"}}, [100, 104]),
    ("regex s", PRODUCTS, {"description": {"$regex": "m.*line", "$options": "si"}}, [102, 103]),
    ("regex without s", PRODUCTS, {"description": {"$regex": "m.*line", "$options": "i"}}, [102]),
    (
        "regex x",
        PRODUCTS,
        {"sku": {"$regex": "abc #category code\n123 #item number", "$options": "x"}},
        [100],
    ),
    ("regex implicit", PRODUCTS, {"sku": re.compile("^abc")}, [100, 101]),
    ("bson regex", PRODUCTS, {"sku": bson.Regex("^abc", "i")}, [100, 101, 104]),
    # PCRE (MongoDB's engine, UTF without UCP): \w is ASCII; $ also matches before a final newline.
    (
        "pcre ascii word",
        [{"_id": 1, "s": "café"}, {"_id": 2, "s": "cafe"}],
        {"s": {"$regex": r"^\w+$"}},
        [2],
    ),
    (
        "pcre dollar before final newline",
        [{"_id": 1, "s": "ends\n"}, {"_id": 2, "s": "ends\nmore"}],
        {"s": {"$regex": "ends$"}},
        [1],
    ),
    ("regex on non-string", CARRIERS, {"quantity": {"$regex": "3"}}, []),
    # $eq page, "Regex Match Behavior": $eq with a regex only equals a stored regex.
    ("eq regex is literal", PRODUCTS, {"sku": {"$eq": re.compile("abc")}}, []),
    (
        "ne regex is literal",
        PRODUCTS,
        {"sku": {"$ne": re.compile("abc")}},
        [100, 101, 102, 103, 104],
    ),
    # $size, $all, $elemMatch, $type pages.
    ("size", EQ_INVENTORY, {"tags": {"$size": 2}}, [3, 4]),
    (
        "size zero",
        [{"_id": 1, "t": []}, {"_id": 2, "t": ["x"]}, {"_id": 3}],
        {"t": {"$size": 0}},
        [1],
    ),
    ("all", EQ_INVENTORY, {"tags": {"$all": ["A", "B"]}}, [1, 3, 4]),
    ("all with nested array", EQ_INVENTORY, {"tags": {"$all": [["A", "B"]]}}, [3]),
    ("all empty", EQ_INVENTORY, {"tags": {"$all": []}}, []),
    (
        "elemMatch values",
        [{"_id": 1, "results": [82, 85, 88]}, {"_id": 2, "results": [75, 88, 89]}],
        {"results": {"$elemMatch": {"$gte": 80, "$lt": 85}}},
        [1],
    ),
    (
        "elemMatch documents",
        [
            {
                "_id": 1,
                "results": [{"product": "abc", "score": 10}, {"product": "xyz", "score": 5}],
            },
            {"_id": 2, "results": [{"product": "abc", "score": 8}, {"product": "xyz", "score": 7}]},
            {"_id": 3, "results": [{"product": "abc", "score": 7}, {"product": "xyz", "score": 8}]},
            {"_id": 4, "results": [{"product": "abc", "score": 7}, {"product": "def", "score": 8}]},
        ],
        {"results": {"$elemMatch": {"product": "xyz", "score": {"$gte": 8}}}},
        [3],
    ),
    (
        "elemMatch on a non-array",
        [{"_id": 1, "a": 5}],
        {"a": {"$elemMatch": {"$gte": 1}}},
        [],
    ),
    (
        "all of elemMatch",
        [
            {"_id": 1, "q": [{"size": "M", "num": 50}, {"size": "L", "num": 100}]},
            {"_id": 2, "q": [{"size": "S", "num": 10}, {"size": "M", "num": 45}]},
        ],
        {"q": {"$all": [{"$elemMatch": {"size": "M", "num": {"$gt": 40}}}]}},
        [1, 2],
    ),
    ("type string", PRICES, {"item": {"$type": "string"}}, [1, 2, 3, 4, 5]),
    ("type number", CARRIERS, {"quantity": {"$type": "number"}}, [1, 2, 3]),
    ("type array", EQ_INVENTORY, {"tags": {"$type": "array"}}, [1, 2, 3, 4]),
    ("type of array elements", EQ_INVENTORY, {"tags": {"$type": "string"}}, [1, 2, 3, 4]),
    ("type object", EQ_INVENTORY, {"item": {"$type": "object"}}, [1, 2, 3, 4]),
    (
        "type int and long by magnitude",
        [{"_id": 1, "n": 5}, {"_id": 2, "n": 2**40}],
        {"n": {"$type": "long"}},
        [2],
    ),
    ("type alias list", PRICES, {"sale": {"$type": ["bool", "null"]}}, [1, 2, 4]),
    # $expr page, by definition.
    ("expr", PRICES, {"$expr": {"$gt": ["$qty", 20]}}, [2, 3]),
    ("comment is ignored", PRICES, {"qty": 5, "$comment": "note"}, [1]),
]

# Dotted paths through arrays of documents, per MongoDB's null semantics
# (jstests/core/null_query_semantics.js and the "Query an Array of Embedded Documents" page).
# The engine cannot tell a null sub-field from a missing one, so both spellings are the same here.
ARRAY_DOCS = [
    {"_id": "empty", "a": []},
    {"_id": "all_b_null", "a": [{"b": None}, {}]},
    {"_id": "no_b_null", "a": [{"b": 1}, {"b": 3}]},
    {"_id": "some_b_missing", "a": [{"b": 3}, {}]},
    {"_id": "a_null", "a": None},
    {"_id": "no_a"},
]
SUB_DOCS = [
    {"_id": "sub_empty", "a": {}},
    {"_id": "sub_null", "a": None},
    {"_id": "sub_b_hi", "a": {"b": "hi"}},
    {"_id": "sub_b_null", "a": {"b": None}},
    {"_id": "sub_no_a"},
]
PATH_CASES: list[tuple[str, list[dict[str, Any]], dict[str, Any], list[Any]]] = [
    (
        "dotted null sub",
        SUB_DOCS,
        {"a.b": None},
        ["sub_b_null", "sub_empty", "sub_no_a", "sub_null"],
    ),
    ("dotted ne null sub", SUB_DOCS, {"a.b": {"$ne": None}}, ["sub_b_hi"]),
    (
        "dotted null array",
        ARRAY_DOCS,
        {"a.b": None},
        ["a_null", "all_b_null", "no_a", "some_b_missing"],
    ),
    ("dotted ne null array", ARRAY_DOCS, {"a.b": {"$ne": None}}, ["empty", "no_b_null"]),
    (
        "dotted in null array",
        ARRAY_DOCS,
        {"a.b": {"$in": [None, 75]}},
        ["a_null", "all_b_null", "no_a", "some_b_missing"],
    ),
    ("dotted nin null array", ARRAY_DOCS, {"a.b": {"$nin": [None, 75]}}, ["empty", "no_b_null"]),
    ("dotted value array", ARRAY_DOCS, {"a.b": 3}, ["no_b_null", "some_b_missing"]),
    (
        "dotted exists array",
        [{"_id": 1, "a": [{"c": 1}, {"c": 2}]}, {"_id": 2, "a": [{"c": 1}, {"b": 2}]}, {"_id": 3}],
        {"a.b": {"$exists": True}},
        [2],
    ),
    ("dotted exists false array", ARRAY_DOCS[2:], {"a.b": {"$exists": False}}, ["a_null", "no_a"]),
    ("dotted index", ARRAY_DOCS, {"a.0.b": 1}, ["no_b_null"]),
    (
        "elemMatch eq null",
        ARRAY_DOCS,
        {"a": {"$elemMatch": {"b": None}}},
        ["all_b_null", "some_b_missing"],
    ),
    (
        "leaf arrays under arrays",
        [{"_id": 1, "a": [{"t": ["x", "y"]}]}, {"_id": 2, "a": [{"t": ["z"]}, {"t": []}]}],
        {"a.t": "x"},
        [1],
    ),
    (
        "leaf array whole value under arrays",
        [{"_id": 1, "a": [{"t": ["x", "y"]}]}, {"_id": 2, "a": [{"t": ["y", "x"]}]}],
        {"a.t": ["x", "y"]},
        [1],
    ),
    (
        "size of leaf arrays under arrays",
        [{"_id": 1, "a": [{"t": ["x", "y"]}]}, {"_id": 2, "a": [{"t": ["z"]}]}],
        {"a.t": {"$size": 1}},
        [2],
    ),
    (
        "array of documents equality",
        [{"_id": 1, "a": [{"w": "A", "q": 5}]}, {"_id": 2, "a": [{"w": "A", "q": 6}]}],
        {"a": {"w": "A", "q": 5}},
        [1],
    ),
    (
        "dotted range into array of documents",
        [{"_id": 1, "a": [{"q": 5}, {"q": 40}]}, {"_id": 2, "a": [{"q": 6}]}],
        {"a.q": {"$gt": 20}},
        [1],
    ),
    (
        "scalar parent has no sub-field",
        [{"_id": 1, "a": 4}, {"_id": 2, "a": 5}],
        {"a.b": None},
        [1, 2],
    ),
    (
        "array of scalars has no sub-field",
        [{"_id": 1, "a": [1, 2]}, {"_id": 2, "a": None}],
        {"a.b": None},
        [2],
    ),
]

# Values that look like operators or patterns are compared literally.
LITERAL_CASES: list[tuple[str, list[dict[str, Any]], dict[str, Any], list[Any]]] = [
    (
        "category $gt",
        [{"_id": 1, "category": "$gt"}, {"_id": 2, "category": "food"}],
        {"category": "$gt"},
        [1],
    ),
    (
        "category $gt under $eq",
        [{"_id": 1, "category": "$gt"}, {"_id": 2, "category": "food"}],
        {"category": {"$eq": "$gt"}},
        [1],
    ),
    (
        "operator-looking document under $eq",
        [{"_id": 1, "category": "$ne"}, {"_id": 2, "category": "food"}],
        {"category": {"$eq": {"$ne": None}}},
        [],
    ),
    (
        "regex-looking string",
        [{"_id": 1, "note": ".*"}, {"_id": 2, "note": "anything"}],
        {"note": {"$eq": ".*"}},
        [1],
    ),
    (
        "regex-looking string in $in",
        [{"_id": 1, "note": ".*"}, {"_id": 2, "note": "anything"}],
        {"note": {"$in": [".*"]}},
        [1],
    ),
    (
        "field path-looking string",
        [{"_id": 1, "a": "$b", "b": "x"}, {"_id": 2, "a": "x", "b": "x"}],
        {"a": "$b"},
        [1],
    ),
]


@pytest.mark.parametrize(
    ("documents", "flt", "expected"),
    [pytest.param(d, f, e, id=name) for name, d, f, e in CASES + PATH_CASES + LITERAL_CASES],
)
def test_filter(store: EmbeddedStore, documents: Any, flt: Any, expected: list[Any]) -> None:
    assert _ids(store, documents, flt) == expected


def test_dates_and_object_ids(store: EmbeddedStore) -> None:
    """Dates compare as dates, ObjectIds as ObjectIds (and never with strings)."""
    oid = bson.ObjectId()
    day = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    docs = [
        {"_id": 1, "user": oid, "date": day},
        {"_id": 2, "user": bson.ObjectId(), "date": day + dt.timedelta(days=2)},
    ]
    assert _ids(store, docs, {"user": oid}) == [1]
    assert _ids(store, docs, {"user": str(oid)}) == []
    assert _ids(store, docs, {"date": {"$gt": day}}) == [2]
    assert _ids(store, docs, {"date": {"$gte": "2024-01-01"}}) == []
    naive = dt.datetime(2024, 3, 2)  # pymongo reads naive datetimes as UTC
    assert _ids(store, docs, {"date": {"$lt": naive}}) == [1]


def test_match_stage_uses_the_same_semantics(store: EmbeddedStore) -> None:
    store.insert_many("m", IN_INVENTORY)
    out = store.aggregate(
        "m", [{"$match": {"quantity": {"$nin": [5, 15]}}}, {"$project": {"_id": 1}}]
    )
    assert sorted(d["_id"] for d in out) == [1, 3]
    assert store.count_documents("m", {"tags": "school"}) == 3


@pytest.mark.parametrize(
    ("flt", "code"),
    [
        ({"$foo": 1}, 2),
        ({"a": {"$foo": 1}}, 2),
        ({"a": {"$gt": 1, "b": 2}}, 2),
        ({"$and": []}, 2),
        ({"$or": {}}, 2),
        ({"a": {"$in": 5}}, 2),
        ({"a": {"$in": [{"$gt": 1}]}}, 2),
        ({"a": {"$all": 5}}, 2),
        ({"a": {"$size": -1}}, 2),
        ({"a": {"$size": 1.5}}, 2),
        ({"a": {"$not": 5}}, 2),
        ({"a": {"$not": {}}}, 2),
        ({"a": {"$type": "nope"}}, 2),
        ({"a": {"$regex": "x", "$options": "z"}}, 51108),
        ({"a": {"$options": "i"}}, 2),
        ({"a": {"$regex": "("}}, 51091),
    ],
)
def test_malformed_filters_fail_like_mongodb(store: EmbeddedStore, flt: Any, code: int) -> None:
    store.insert_many("bad", [{"a": 1}])
    with pytest.raises(OperationFailure) as info:
        store.find("bad", flt)
    assert not isinstance(info.value, UnsupportedOperation)
    assert info.value.code == code


@pytest.mark.parametrize(
    "flt",
    [
        {"$where": "this.a > 1"},
        {"a": {"$mod": [2, 1]}},
        {"a": {"$gt": [1]}},
        {"a": {"$regex": "(?=x)"}},
        {"f": {"$type": "double"}},
    ],
)
def test_refused_operators_name_themselves(store: EmbeddedStore, flt: Any) -> None:
    store.insert_many("refused", [{"a": 1, "f": 1.5}])
    with pytest.raises(UnsupportedOperation):
        store.find("refused", flt)


def test_empty_and_missing_collections(store: EmbeddedStore) -> None:
    assert store.find("nothing", {"a": {"$gt": 1}}) == []
    assert store.count_documents("nothing", {"a": None}) == 0
