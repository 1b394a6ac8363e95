"""Differential test: the embedded engine and mongomock agree on random expense-like data.

mongomock is an independent implementation of MongoDB's semantics for the operators used here
(``$match`` filters, ``$group`` with ``$sum $avg $min $max``, ``$sort``+``$limit``, ``$project``,
``$unwind``). Results are compared without regard to order where MongoDB defines none, floats with a
tolerance, datetimes as UTC instants. mongomock lacks the ``$count`` accumulator; the manual defines
it as ``{$sum: 1}``, which mongomock is given instead.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator
from typing import Any

import bson
import mongomock
import pytest

from dashboard.store import connect
from dashboard.store.embedded import EmbeddedStore

_SEED = 20240301
_CATEGORIES = ["food", "rent", "travel", "fun", "health"]
_TAGS = ["work", "home", "cash", "card", "gift"]
_USERS = [bson.ObjectId(f"{i:024x}") for i in range(1, 4)]


def _documents(n: int = 300) -> list[dict[str, Any]]:
    """Seeded random expenses; every field keeps one type, some are null or missing."""
    rng = random.Random(_SEED)
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    docs = []
    for i in range(n):
        doc: dict[str, Any] = {"_id": i, "userId": rng.choice(_USERS)}
        if rng.random() < 0.9:
            doc["category"] = rng.choice(_CATEGORIES)
        roll = rng.random()
        if roll < 0.85:
            doc["amount"] = round(rng.uniform(0.5, 250.0), 2)
        elif roll < 0.93:
            doc["amount"] = None
        if rng.random() < 0.8:
            doc["qty"] = rng.randint(1, 12)
        doc["date"] = start + dt.timedelta(minutes=rng.randint(0, 60 * 24 * 120))
        if rng.random() < 0.75:
            doc["tags"] = rng.sample(_TAGS, rng.randint(0, 3))
        doc["recurring"] = rng.random() < 0.3
        docs.append(doc)
    return docs


DOCS = _documents()


@pytest.fixture(scope="module")
def both() -> Iterator[tuple[EmbeddedStore, Any]]:
    store = connect("memory://")
    assert isinstance(store, EmbeddedStore)
    store.insert_many("expenses", [dict(d) for d in DOCS])
    mock = mongomock.MongoClient(tz_aware=True).db.expenses
    mock.insert_many([dict(d) for d in DOCS])
    yield store, mock
    store.close()


def _norm(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return value


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    return a == b


def _key(doc: dict[str, Any]) -> str:
    return repr(doc.get("_id"))


def _assert_same(
    ours: list[dict[str, Any]], theirs: list[dict[str, Any]], *, ordered: bool
) -> None:
    ours, theirs = _norm(ours), _norm(theirs)
    if not ordered:
        ours, theirs = sorted(ours, key=_key), sorted(theirs, key=_key)
    assert _close(ours, theirs), f"engine: {ours[:5]}\nmongomock: {theirs[:5]}"


FILTERS: list[dict[str, Any]] = [
    {},
    {"category": "food"},
    {"category": {"$ne": "food"}},
    {"category": None},
    {"category": {"$in": ["rent", "fun", None]}},
    {"category": {"$nin": ["rent", "fun"]}},
    {"amount": {"$gt": 100}},
    {"amount": {"$gte": 50, "$lt": 120}},
    {"amount": None},
    {"amount": {"$ne": None}},
    {"amount": {"$exists": False}},
    {"qty": {"$lte": 3}},
    {"qty": {"$in": [1, 2, 12]}},
    {"userId": _USERS[0]},
    {"userId": {"$in": _USERS[1:]}},
    {"date": {"$gte": dt.datetime(2024, 2, 1, tzinfo=dt.UTC)}},
    {"date": {"$lt": dt.datetime(2024, 1, 15)}},
    {"tags": "cash"},
    {"tags": {"$all": ["work", "card"]}},
    {"tags": {"$size": 0}},
    {"tags": {"$exists": True, "$nin": ["gift"]}},
    {"recurring": True},
    {"$or": [{"category": "travel"}, {"amount": {"$gt": 200}}]},
    {"$and": [{"qty": {"$gt": 2}}, {"qty": {"$lt": 8}}, {"recurring": False}]},
    {"$nor": [{"category": "food"}, {"tags": "home"}]},
    {"category": {"$regex": "^f"}},
    {"category": {"$not": {"$regex": "e"}}},
    {"amount": {"$gt": "5"}},  # type bracketing: a string never compares with numbers
    {"category": {"$lt": 5}},
    {"tags": None},
    {"tags": {"$in": [None, "gift"]}},
    {"tags": {"$elemMatch": {"$in": ["cash", "gift"]}}},
    {"tags.0": "work"},
    {"qty": {"$type": "number"}},
]


@pytest.mark.parametrize("flt", FILTERS, ids=[repr(f)[:60] for f in FILTERS])
def test_match(both: tuple[EmbeddedStore, Any], flt: dict[str, Any]) -> None:
    store, mock = both
    ours = store.aggregate("expenses", [{"$match": flt}])
    theirs = list(mock.aggregate([{"$match": flt}]))
    _assert_same(ours, theirs, ordered=False)


def _group(count: dict[str, Any]) -> dict[str, Any]:
    return {
        "$group": {
            "_id": "$category",
            "total": {"$sum": "$amount"},
            "average": {"$avg": "$amount"},
            "smallest": {"$min": "$qty"},
            "largest": {"$max": "$amount"},
            "units": {"$sum": "$qty"},
            "n": count,
        }
    }


@pytest.mark.parametrize(
    "prefix",
    [[], [{"$match": {"recurring": False}}], [{"$match": {"amount": {"$gt": 1000}}}]],
    ids=["all", "filtered", "empty"],
)
def test_group(both: tuple[EmbeddedStore, Any], prefix: list[dict[str, Any]]) -> None:
    store, mock = both
    ours = store.aggregate("expenses", [*prefix, _group({"$count": {}})])
    theirs = list(mock.aggregate([*prefix, _group({"$sum": 1})]))
    _assert_same(ours, theirs, ordered=False)


def test_group_by_user_and_month(both: tuple[EmbeddedStore, Any]) -> None:
    store, mock = both
    pipeline = [
        {"$match": {"amount": {"$ne": None}}},
        {
            "$group": {
                "_id": {"user": "$userId", "month": {"$month": "$date"}},
                "spent": {"$sum": "$amount"},
                "first": {"$min": "$date"},
            }
        },
    ]
    ours = store.aggregate("expenses", pipeline)
    theirs = list(mock.aggregate(pipeline))
    assert len(ours) == len(theirs) > 1
    _assert_same(
        sorted(ours, key=lambda d: (str(d["_id"]["user"]), d["_id"]["month"])),
        sorted(theirs, key=lambda d: (str(d["_id"]["user"]), d["_id"]["month"])),
        ordered=True,
    )


@pytest.mark.parametrize(
    "sort",
    [{"amount": -1, "_id": 1}, {"qty": 1, "date": -1, "_id": 1}, {"category": 1, "_id": -1}],
    ids=["amount desc", "qty then date", "category"],
)
def test_sort_limit(both: tuple[EmbeddedStore, Any], sort: dict[str, int]) -> None:
    store, mock = both
    pipeline = [{"$sort": sort}, {"$limit": 25}, {"$project": {"_id": 1}}]
    ours = store.aggregate("expenses", pipeline)
    theirs = list(mock.aggregate(pipeline))
    _assert_same(ours, theirs, ordered=True)


@pytest.mark.parametrize(
    "projection",
    [
        {"category": 1, "amount": 1},
        {"_id": 0, "userId": 1, "tags": 1},
        {"qty": 0, "tags": 0, "date": 0},
        {"cat": "$category", "when": "$date"},
    ],
    ids=["include", "exclude _id", "exclude", "computed"],
)
def test_project(both: tuple[EmbeddedStore, Any], projection: dict[str, Any]) -> None:
    store, mock = both
    pipeline = [{"$sort": {"_id": 1}}, {"$project": projection}]
    ours = store.aggregate("expenses", pipeline)
    theirs = list(mock.aggregate(pipeline))
    _assert_same(ours, theirs, ordered=True)


def test_unwind_then_group(both: tuple[EmbeddedStore, Any]) -> None:
    store, mock = both
    pipeline = [
        {"$unwind": "$tags"},
        {"$group": {"_id": "$tags", "n": {"$sum": 1}, "spent": {"$sum": "$amount"}}},
    ]
    ours = store.aggregate("expenses", pipeline)
    theirs = list(mock.aggregate(pipeline))
    assert len(theirs) == len(_TAGS)
    _assert_same(ours, theirs, ordered=False)


def test_unwind_rows(both: tuple[EmbeddedStore, Any]) -> None:
    store, mock = both
    pipeline = [
        {"$match": {"qty": {"$gt": 6}}},
        {"$unwind": "$tags"},
        {"$project": {"_id": 1, "tags": 1}},
        {"$sort": {"_id": 1, "tags": 1}},
    ]
    ours = store.aggregate("expenses", pipeline)
    theirs = list(mock.aggregate(pipeline))
    _assert_same(ours, theirs, ordered=True)
