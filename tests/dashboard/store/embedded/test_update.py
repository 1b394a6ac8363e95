"""Update operators, upserts and modified counts, checked against the MongoDB manual.

Expected documents are the manual's (the operator page is cited) or worked out by hand from its
definitions; ``update_many`` returns the modified count (``nModified``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from dashboard.store import connect
from dashboard.store.embedded import EmbeddedStore
from dashboard.store.errors import OperationFailure, UnsupportedOperation

# https://www.mongodb.com/docs/manual/reference/operator/update/set/
PRODUCT = {
    "_id": 100,
    "quantity": 250,
    "instock": True,
    "reorder": False,
    "details": {"model": "14QQ", "make": "Clothes Corp"},
    "tags": ["apparel", "clothing"],
    "ratings": [{"by": "Customer007", "rating": 4}],
}


def _docs(store: EmbeddedStore, name: str) -> list[dict[str, Any]]:
    return sorted(store.find(name, {}), key=lambda d: d["_id"])


def test_set_top_level_and_documents(store: EmbeddedStore) -> None:
    """$set page, "Set Top-Level Fields" and "Set Fields in Embedded Documents"."""
    store.insert_many("products", [PRODUCT])
    update = {
        "$set": {
            "quantity": 500,
            "details": {"model": "2600", "make": "Fashionaires"},
            "tags": ["coats", "outerwear", "clothing"],
        }
    }
    assert store.update_many("products", {"_id": 100}, update) == 1
    assert (
        store.update_many("products", {"_id": 100}, {"$set": {"details.make": "Kustom Kidz"}}) == 1
    )
    assert _docs(store, "products") == [
        {
            "_id": 100,
            "quantity": 500,
            "instock": True,
            "reorder": False,
            "details": {"model": "2600", "make": "Kustom Kidz"},
            "tags": ["coats", "outerwear", "clothing"],
            "ratings": [{"by": "Customer007", "rating": 4}],
        }
    ]


def test_set_creates_fields_and_parents(store: EmbeddedStore) -> None:
    """A missing field is added; missing parents of a dotted path become embedded documents."""
    store.insert_many("c", [{"_id": 1, "a": 1}, {"_id": 2}])
    assert store.update_many("c", {"_id": 2}, {"$set": {"b": "x", "s.t.u": 5}}) == 1
    assert _docs(store, "c") == [{"_id": 1, "a": 1}, {"_id": 2, "b": "x", "s": {"t": {"u": 5}}}]


def test_modified_count_ignores_unchanged_documents(store: EmbeddedStore) -> None:
    """nModified counts documents whose content changed, not matches."""
    store.insert_many("m", [{"_id": 1, "x": 1}, {"_id": 2, "x": 2}, {"_id": 3, "x": 1}])
    assert store.update_many("m", {}, {"$set": {"x": 1}}) == 1
    assert store.update_many("m", {}, {"$set": {"x": 1}}) == 0
    assert store.update_many("m", {}, {"$unset": {"nope": ""}}) == 0
    assert store.update_many("m", {"x": 5}, {"$set": {"x": 6}}) == 0
    assert store.update_many("m", {"_id": 1}, {"$set": {"_id": 1}}) == 0


def test_unset(store: EmbeddedStore) -> None:
    """$unset page: the fields are removed; a missing field is left alone."""
    store.insert_many(
        "u",
        [
            {"_id": 1, "item": "chisel", "sku": "C001", "quantity": 4, "instock": True},
            {"_id": 2, "item": "hammer", "sku": "unknown", "quantity": 3, "instock": True},
            {"_id": 3, "item": "nails", "sku": "unknown", "quantity": 100, "instock": True},
        ],
    )
    assert (
        store.update_many("u", {"sku": "unknown"}, {"$unset": {"quantity": "", "instock": ""}}) == 2
    )
    assert _docs(store, "u") == [
        {"_id": 1, "item": "chisel", "sku": "C001", "quantity": 4, "instock": True},
        {"_id": 2, "item": "hammer", "sku": "unknown"},
        {"_id": 3, "item": "nails", "sku": "unknown"},
    ]
    assert store.count_documents("u", {"quantity": {"$exists": False}}) == 2
    assert store.update_many("u", {}, {"$unset": {"quantity": ""}}) == 1
    assert all("quantity" not in d for d in store.find("u", {}))


def test_unset_embedded_field(store: EmbeddedStore) -> None:
    store.insert_many("ue", [{"_id": 1, "s": {"a": 1, "b": 2}}, {"_id": 2, "s": {"a": 1, "b": 3}}])
    assert store.update_many("ue", {"_id": 1}, {"$unset": {"s.b": ""}}) == 1
    assert store.count_documents("ue", {"s.b": {"$exists": True}}) == 1
    assert store.count_documents("ue", {"s.a": 1}) == 2


def test_inc(store: EmbeddedStore) -> None:
    """$inc page: quantity -2 and metrics.orders +1; a missing field is created."""
    store.insert_many(
        "i", [{"_id": 1, "sku": "abc123", "quantity": 10, "metrics": {"orders": 2, "ratings": 3.5}}]
    )
    update = {"$inc": {"quantity": -2, "metrics.orders": 1, "views": 1}}
    assert store.update_many("i", {"sku": "abc123"}, update) == 1
    assert _docs(store, "i") == [
        {
            "_id": 1,
            "sku": "abc123",
            "quantity": 8,
            "metrics": {"orders": 3, "ratings": 3.5},
            "views": 1,
        }
    ]
    assert store.update_many("i", {}, {"$inc": {"quantity": 0.5}}) == 1
    assert store.find("i", {})[0]["quantity"] == 8.5
    assert store.update_many("i", {}, {"$inc": {"quantity": 0}}) == 0


@pytest.mark.parametrize(
    ("documents", "update", "code"),
    [
        ([{"_id": 1, "x": "a"}], {"$inc": {"x": 1}}, 14),  # non-numeric field
        ([{"_id": 1, "x": None}], {"$inc": {"x": 1}}, 14),  # null is not a number
        ([{"_id": 1, "x": 1}], {"$inc": {"x": "1"}}, 14),  # non-numeric argument
        ([{"_id": 1, "x": 1}], {"$push": {"x": 2}}, 2),  # $push onto a non-array
        ([{"_id": 1, "x": 1}], {"$set": {"x.y": 2}}, 28),  # a field inside a number
        ([{"_id": 1}], {"$set": {"_id": 2}}, 66),
        ([{"_id": 1}], {"$unset": {"_id": ""}}, 66),
        ([{"_id": 1}], {"$inc": {"_id": 1}}, 66),
        ([{"_id": 1}], {"$set": {"a": 1}, "$inc": {"a": 1}}, 40),
        ([{"_id": 1}], {"$set": {"a.b": 1, "a": {}}}, 40),
        ([{"_id": 1}], {"$set": {"a..b": 1}}, 56),
        ([{"_id": 1}], {"$foo": {"a": 1}}, 9),
        ([{"_id": 1}], {"a": 1}, 9),
        ([{"_id": 1}], {}, 9),
        ([{"_id": 1}], {"$push": {"a": {"$each": 5}}}, 2),
    ],
)
def test_errors_are_mongodb_errors(
    store: EmbeddedStore, documents: list[dict[str, Any]], update: dict[str, Any], code: int
) -> None:
    store.insert_many("e", documents)
    before = _docs(store, "e")
    with pytest.raises(OperationFailure) as info:
        store.update_many("e", {}, update)
    assert not isinstance(info.value, UnsupportedOperation)
    assert info.value.code == code
    assert _docs(store, "e") == before  # nothing was written


def test_a_bad_update_fails_even_without_matches(store: EmbeddedStore) -> None:
    store.insert_many("e2", [{"_id": 1}])
    with pytest.raises(OperationFailure) as info:
        store.update_many("e2", {"_id": 99}, {"$foo": {"a": 1}})
    assert info.value.code == 9


@pytest.mark.parametrize(
    "update",
    [
        {"$rename": {"a": "b"}},
        {"$push": {"a": {"$each": [1], "$slice": 2}}},
        {"$currentDate": {"d": {"$type": "timestamp"}}},
        {"$set": {"a.$": 1}},
        [{"$set": {"a": 1}}],
    ],
)
def test_refused_updates(store: EmbeddedStore, update: Any) -> None:
    store.insert_many("r", [{"_id": 1, "a": [1]}])
    with pytest.raises(UnsupportedOperation):
        store.update_many("r", {}, update)


def test_push(store: EmbeddedStore) -> None:
    """$push page: append one value; $each appends several; a missing field becomes an array."""
    store.insert_many("s", [{"_id": 1, "scores": [44, 78, 38, 80]}, {"_id": 2}])
    assert store.update_many("s", {"_id": 1}, {"$push": {"scores": 89}}) == 1
    assert store.update_many("s", {}, {"$push": {"scores": {"$each": [90, 92, 85]}}}) == 2
    assert _docs(store, "s") == [
        {"_id": 1, "scores": [44, 78, 38, 80, 89, 90, 92, 85]},
        {"_id": 2, "scores": [90, 92, 85]},
    ]


def test_current_date(store: EmbeddedStore) -> None:
    """$currentDate page: the field becomes the current date (a UTC datetime)."""
    store.insert_many("cd", [{"_id": 1, "status": "a"}])
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    update = {"$currentDate": {"lastModified": True, "cancellation.date": {"$type": "date"}}}
    assert store.update_many("cd", {}, update) == 1
    doc = store.find("cd", {})[0]
    assert before <= doc["lastModified"] <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    assert doc["cancellation"]["date"] == doc["lastModified"]


def test_upsert_inserts_from_equality_fields(store: EmbeddedStore) -> None:
    """Upsert with operator expressions: the filter's equality fields seed the new document."""
    assert store.update_many("people", {"name": "Andy"}, {"$inc": {"score": 1}}, upsert=True) == 0
    docs = store.find("people", {}, projection={"_id": 0})
    assert docs == [{"name": "Andy", "score": 1}]
    # The second time the document matches: a normal update.
    assert store.update_many("people", {"name": "Andy"}, {"$inc": {"score": 1}}, upsert=True) == 1
    assert store.find("people", {}, projection={"_id": 0}) == [{"name": "Andy", "score": 2}]


def test_upsert_set_on_insert(store: EmbeddedStore) -> None:
    """$setOnInsert page: applied only when the upsert inserts."""
    update = {"$set": {"item": "apple"}, "$setOnInsert": {"defaultQty": 100}}
    store.update_many("p", {"_id": 1}, update, upsert=True)
    assert store.find("p", {}) == [{"_id": 1, "item": "apple", "defaultQty": 100}]
    update = {"$set": {"item": "pear"}, "$setOnInsert": {"defaultQty": 5}}
    assert store.update_many("p", {"_id": 1}, update, upsert=True) == 1
    assert store.find("p", {}) == [{"_id": 1, "item": "pear", "defaultQty": 100}]


def test_upsert_seed_rules(store: EmbeddedStore) -> None:
    """$eq, $and and dotted equalities seed the document; other conditions do not."""
    flt = {
        "a": {"$eq": 1},
        "$and": [{"b": "x"}, {"n": {"$gt": 5}}],
        "c.d": 2,
        "e": {"$in": [7]},
        "f": {"$in": [1, 2]},
    }
    store.update_many("seed", flt, {"$set": {"z": True}}, upsert=True)
    doc = store.find("seed", {}, projection={"_id": 0})[0]
    assert doc == {"a": 1, "b": "x", "c": {"d": 2}, "e": 7, "z": True}


def test_updates_persist_across_reopening(tmp_path: Path) -> None:
    uri = f"embedded://{tmp_path / 'data'}"
    first = connect(uri)
    assert isinstance(first, EmbeddedStore)
    first.insert_many("exp", [{"_id": 1, "amount": 5.0, "note": "a"}, {"_id": 2, "amount": 7.5}])
    assert (
        first.update_many("exp", {"_id": 1}, {"$set": {"amount": 6.0}, "$unset": {"note": ""}}) == 1
    )
    assert first.update_many("exp", {"_id": 2}, {"$push": {"tags": "x"}}) == 1
    first.close()
    second = connect(uri)
    try:
        assert _docs(second, "exp") == [
            {"_id": 1, "amount": 6.0},
            {"_id": 2, "amount": 7.5, "tags": ["x"]},
        ]
        assert second.count_documents("exp", {"note": {"$exists": True}}) == 0
    finally:
        second.close()
