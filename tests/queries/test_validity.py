"""The one validity rule, checked against the MongoDB manual on both engines it meets, and the
pipelines that count and list what it leaves out.

The expected sets are written by hand from the manual:

- "Comparison/Sort Order" (reference/bson-type-comparison-order) and the comparison query operators
  (``$gte``, ``$lte``, ``$gt``): a comparison only matches values of the query value's type bracket
  (numbers with numbers, strings with strings), so a range of numbers never matches null, a missing
  field, a string, a boolean or an object; NaN sorts below every number and ±infinity lies outside
  any finite range.
- ``$type`` (reference/operator/query/type): ``"number"`` matches double, int, long and decimal,
  NaN and infinities included; a condition on an array field also matches when an element matches
  ("Query an Array"), which is why the rule refuses arrays with ``$not: {$type: "array"}``.

The embedded engine stores one type per field, so values of a second type (a string amount, an
integer category) are checked on mongomock, an independent implementation.
"""

from __future__ import annotations

import math

import bson
import mongomock
import pytest

from dashboard.store import Store
from queries.validity import count_pipeline, rows_pipeline, valid_expense
from tests.factories import MISSING, broken_expense, expense, utc

USER = bson.ObjectId("670000000000000000000001")
WHEN = utc(2026, 5, 20, 12)
MAY = {"date": {"$gte": utc(2026, 5, 1), "$lt": utc(2026, 6, 1)}}
#: One bad value each that the embedded engine can store (floats, nulls, missing fields).
STORABLE = {
    "nan": {"amount": math.nan},
    "inf": {"amount": math.inf},
    "-inf": {"amount": -math.inf},
    "1e308": {"amount": 1e308},
    "just over": {"amount": 1e12 + 0.01},
    "null amount": {"amount": None},
    "no amount": {"amount": MISSING},
    "null category": {"category": None},
    "no category": {"category": MISSING},
    "empty category": {"category": ""},
    "null currency": {"currency": None},
    "empty currency": {"currency": ""},
    "null date": {"date": None},
    "no date": {"date": MISSING},
    "year 9999": {"date": utc(9999, 12, 31)},  # out of range: past what Python can read soon after
    "year 1900": {"date": utc(1900, 1, 1)},
    "no owner": {"userId": None},
}
#: Valid at the edges: the limit itself, a refund, zero.
EDGES = {"limit": 1e12, "-limit": -1e12, "refund": -12.5, "zero": 0.0, "plain": 12.34}


def _docs() -> list[dict]:
    docs = [
        {**broken_expense(USER, WHEN, **fields), "_id": name} for name, fields in STORABLE.items()
    ]
    docs += [{**expense(USER, WHEN, amount), "_id": name} for name, amount in EDGES.items()]
    return docs


def test_the_rule_keeps_exactly_the_usable_expenses_on_the_embedded_engine(store: Store) -> None:
    store.insert_many("expenses", _docs())
    kept = {d["_id"] for d in store.aggregate("expenses", [{"$match": valid_expense()}])}
    assert kept == set(EDGES)


def test_values_of_other_types_follow_the_manual_on_mongomock() -> None:
    other_types = {
        "string amount": {"amount": "12.5"},
        "bool amount": {"amount": True},
        "object amount": {"amount": {"value": 12}},
        "array amount": {"amount": [12.0]},
        "int category": {"category": 5},
        "array category": {"category": ["Food"]},
        "array currency": {"currency": ["USD"]},
        "string date": {"date": "2026-05-20"},
        "array date": {"date": [WHEN]},
        "int amount": {"amount": 12},  # an integer is a number: kept
        "long amount": {"amount": bson.Int64(1200)},  # kept
    }
    collection = mongomock.MongoClient().db.expenses
    collection.insert_many(
        [{**broken_expense(USER, WHEN, **f), "_id": name} for name, f in other_types.items()]
    )
    kept = {d["_id"] for d in collection.find(valid_expense())}
    assert kept == {"int amount", "long amount"}


def test_left_out_expenses_are_counted_once_under_their_first_problem(store: Store) -> None:
    april = utc(2026, 4, 30, 12)
    more = [
        broken_expense(USER, WHEN, amount=math.nan, category=None),  # amount comes first
        broken_expense(USER, WHEN, category=None, currency=""),  # category before currency
        broken_expense(USER, april, amount=math.nan),  # another period: not counted
        broken_expense(USER, april, date=None, amount=math.nan),  # no date: in every period
    ]
    store.insert_many(
        "expenses", [*_docs(), *({**d, "_id": f"more {i}"} for i, d in enumerate(more))]
    )
    rows = store.aggregate("expenses", count_pipeline({"$match": {"userId": USER}}, MAY))
    # By hand from STORABLE: dates null/missing/9999/1900 (4) + the undated one; amounts nan, inf,
    # -inf, 1e308, just over, null, missing (7) + the nan-and-no-category one; categories null,
    # missing, empty (3) + the no-category-nor-currency one; currencies null and empty (2); the
    # expense without an owner is nobody's, so not this user's.
    assert rows == [{"date": 5, "amount": 8, "category": 4, "currency": 2, "owner": 0}]


def test_a_category_filter_narrows_the_count(store: Store) -> None:
    store.insert_many(
        "expenses",
        [
            broken_expense(USER, WHEN, amount=math.nan),  # Food
            broken_expense(USER, WHEN, amount=math.inf, category="Rent"),
        ],
    )
    also = {"category": {"$in": ["Rent"]}}
    rows = store.aggregate("expenses", count_pipeline({"$match": {}}, MAY, also=also))
    assert rows == [{"date": 0, "amount": 1, "category": 0, "currency": 0, "owner": 0}]


def test_left_out_rows_show_the_values_as_stored(store: Store) -> None:
    store.insert_many("expenses", _docs())
    rows = store.aggregate("expenses", rows_pipeline({"$match": {}}, MAY, limit=100))
    by_id = {r["expense_id"]: r for r in rows}
    assert set(by_id) == set(STORABLE)
    # $toString of a double (the manual's $convert table): NaN, Infinity, -Infinity, 1e+308.
    shown = {name: by_id[name]["amount"] for name in ("nan", "inf", "-inf", "1e308", "null amount")}
    assert shown == {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity", "1e308": "1e+308",
                     "null amount": None}  # fmt: skip
    assert by_id["empty category"]["category"] == ""
    assert by_id["null date"]["date"] is None
    assert by_id["nan"]["date"] == WHEN
    reasons = {name: by_id[name]["reason"] for name in ("nan", "no category", "null currency",
                                                        "no date", "year 9999", "no owner")}  # fmt: skip
    assert reasons == {"nan": "amount", "no category": "category", "null currency": "currency",
                       "no date": "date", "year 9999": "date", "no owner": "owner"}  # fmt: skip
    assert by_id["year 9999"]["date"] is None  # never read back: out of range


@pytest.mark.parametrize("limit", [1, 2])
def test_the_listing_is_capped_per_reason(store: Store, limit: int) -> None:
    store.insert_many("expenses", _docs())
    rows = store.aggregate("expenses", rows_pipeline({"$match": {}}, MAY, limit=limit))
    per_reason: dict[str, int] = {}
    for row in rows:
        per_reason[row["reason"]] = per_reason.get(row["reason"], 0) + 1
    # "no owner" is the only expense left out for its owner: one, whatever the cap.
    assert per_reason == {"date": limit, "amount": limit, "category": limit, "currency": limit,
                          "owner": 1}  # fmt: skip


def test_the_limit_is_whole_cents_exact() -> None:
    # The money code sums round(amount * 100); at the limit that product must round-trip.
    limit = 1e12
    assert round((limit - 0.01) * 100) == 99_999_999_999_999
