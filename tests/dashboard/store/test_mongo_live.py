"""The MongoDB backend against a live server (set MONGODB_URI); skipped with a reason otherwise."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import bson
import polars as pl
import pytest

from dashboard.data.indexes import INDEXES, ensure_indexes
from dashboard.store import connect
from dashboard.store.mongo import MongoStore


@pytest.fixture
def live(mongo_uri: str) -> Iterator[MongoStore]:
    db = f"spendlens_test_{uuid.uuid4().hex[:8]}"
    store = connect(mongo_uri, db_name=db)
    assert isinstance(store, MongoStore)
    try:
        store.ping()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"MONGODB_URI is set but the server does not answer: {exc}")
    yield store
    store._client.drop_database(db)
    store.close()


def test_documents_round_trip_as_pymongo_returns_them(live: MongoStore) -> None:
    when = dt.datetime(2025, 3, 1, 12, 30, tzinfo=dt.UTC)
    ids = live.insert_many("expenses", [{"amount": 12.5, "n": 3, "date": when, "deletedAt": None}])
    (doc,) = live.find("expenses", {"_id": ids[0]})
    assert isinstance(doc["_id"], bson.ObjectId)
    assert doc["date"] == when and doc["date"].tzinfo is not None
    assert isinstance(doc["n"], int) and isinstance(doc["amount"], float)
    assert doc["deletedAt"] is None


def test_aggregate_sends_comment_and_records_timings(live: MongoStore) -> None:
    live.insert_many(
        "expenses", [{"category": "Food", "amount": 2.0}, {"category": "Food", "amount": 3.0}]
    )
    out = live.aggregate(
        "expenses",
        [{"$group": {"_id": "$category", "total": {"$sum": "$amount"}}}],
        comment="test.by_category",
    )
    assert out == [{"_id": "Food", "total": 5.0}]
    timings = live.timings.frame().filter(pl.col("comment") == "test.by_category")
    assert timings.height == 1 and timings["outcome"][0] == "ok"


def test_aggregate_frame_uses_the_schema_and_hex_ids(live: MongoStore) -> None:
    live.insert_many("expenses", [{"userId": bson.ObjectId(), "amount": 1.0}])
    frame = live.aggregate_frame(
        "expenses",
        [{"$project": {"_id": 0, "userId": 1, "amount": 1}}],
        schema={"userId": pl.String, "amount": pl.Float64},
    )
    assert frame.schema == pl.Schema({"userId": pl.String, "amount": pl.Float64})
    assert len(frame["userId"][0]) == 24


def test_indexes_are_idempotent(live: MongoStore) -> None:
    first = ensure_indexes(live)
    second = ensure_indexes(live)
    assert first == second
    assert len(set(first)) == len(INDEXES)
    info = live.index_information("expenses")
    assert info["deletedAt_1"]["expireAfterSeconds"] == 30 * 24 * 3600
