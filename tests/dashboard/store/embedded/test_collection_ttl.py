"""TTL indexes: documents past ``expireAfterSeconds`` are deleted by a sweep at most every 60 s.

Expected behaviour from the MongoDB manual, "TTL Indexes" (core/index-ttl): a document expires once
its indexed date plus ``expireAfterSeconds`` has passed; for an array the earliest date counts; a
document whose field is missing or holds no date never expires; TTL indexes are single-field
(compound indexes ignore the option); ``expireAfterSeconds`` lies in [0, 2147483647]; the background
task runs every 60 seconds.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from dashboard.store import OperationFailure, connect
from dashboard.store.embedded import EmbeddedStore
from dashboard.store.embedded import collection as collection_module

THIRTY_DAYS = 2592000
NOW = dt.datetime(2025, 6, 15, 12, 0, tzinfo=dt.UTC)


def _ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def _expire(store: EmbeddedStore, collection: str, now: dt.datetime = NOW) -> int:
    return store._collection(collection).expire(now=now, force=True)


def _ids(store: EmbeddedStore, collection: str) -> list[Any]:
    return [d["_id"] for d in store.find(collection, {}, sort=[("_id", 1)])]


def test_expired_soft_deleted_expenses_disappear(store: EmbeddedStore) -> None:
    store.create_index("expenses", "deletedAt", expireAfterSeconds=THIRTY_DAYS)
    store.insert_many(
        "expenses",
        [
            {"_id": 1, "deletedAt": _ago(31)},  # 31 days > 30: expired
            {"_id": 2, "deletedAt": _ago(29)},  # not yet
            {"_id": 3, "deletedAt": None},  # null is not a date: never expires
            {"_id": 4},  # missing: never expires
            {"_id": 5, "deletedAt": _ago(30) - dt.timedelta(seconds=1)},  # just past the threshold
            {"_id": 6, "deletedAt": _ago(30) + dt.timedelta(seconds=1)},  # just before it
        ],
    )
    assert _expire(store, "expenses") == 2
    assert _ids(store, "expenses") == [2, 3, 4, 6]
    assert _expire(store, "expenses") == 0


def test_array_of_dates_expires_by_its_earliest_date(store: EmbeddedStore) -> None:
    store.create_index("events", "at", expireAfterSeconds=3600)
    store.insert_many(
        "events",
        [
            {"_id": 1, "at": [_ago(0), _ago(1)]},  # earliest is a day old: expired
            {"_id": 2, "at": [NOW - dt.timedelta(minutes=5)]},
            {"_id": 3, "at": []},  # holds no date: never expires
        ],
    )
    assert _expire(store, "events") == 1
    assert _ids(store, "events") == [2, 3]


def test_nested_field_and_non_date_field(store: EmbeddedStore) -> None:
    store.create_index("sessions", "session.at", expireAfterSeconds=60)
    store.create_index("logs", "at", expireAfterSeconds=60)
    store.insert_many("sessions", [{"_id": 1, "session": {"at": _ago(1)}}, {"_id": 2}])
    store.insert_many("logs", [{"_id": 1, "at": "2020-01-01T00:00:00Z"}])  # a string, not a date
    assert _expire(store, "sessions") == 1
    assert _ids(store, "sessions") == [2]
    assert _expire(store, "logs") == 0


def test_compound_index_ignores_expire_after_seconds(store: EmbeddedStore) -> None:
    store.create_index("c", [("deletedAt", 1), ("userId", 1)], expireAfterSeconds=1)
    store.insert_many("c", [{"_id": 1, "deletedAt": _ago(400), "userId": 1}])
    assert _expire(store, "c") == 0
    assert _ids(store, "c") == [1]


@pytest.mark.parametrize("value", [-1, 2147483648, "30d", True, None])
def test_invalid_expire_after_seconds_is_refused(store: EmbeddedStore, value: Any) -> None:
    with pytest.raises(OperationFailure, match="expireAfterSeconds") as info:
        store.create_index("c", "deletedAt", expireAfterSeconds=value)
    assert info.value.code == 67


def test_ttl_on_id_is_refused(store: EmbeddedStore) -> None:
    with pytest.raises(OperationFailure, match="_id index"):
        store.create_index("c", "_id", expireAfterSeconds=10)


def test_reads_sweep_at_most_every_sixty_seconds(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = SimpleNamespace(t=1000.0)
    monkeypatch.setattr(collection_module, "_clock", lambda: clock.t)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    store.insert_many(
        "expenses", [{"_id": 1, "deletedAt": long_ago}, {"_id": 2, "deletedAt": None}]
    )
    store.create_index("expenses", "deletedAt", expireAfterSeconds=THIRTY_DAYS)
    # Once the index exists, the next read sweeps (MongoDB deletes expired documents once built).
    assert store.count_documents("expenses", {}) == 1
    store.insert_many("expenses", [{"_id": 3, "deletedAt": long_ago}])
    clock.t += 59
    assert _ids(store, "expenses") == [2, 3]  # within 60 s of the last sweep
    clock.t += 2
    assert _ids(store, "expenses") == [2]


def test_expiry_is_persisted(tmp_path: Path) -> None:
    with connect(f"embedded://{tmp_path}/db") as store:
        assert isinstance(store, EmbeddedStore)
        store.create_index("expenses", "deletedAt", expireAfterSeconds=THIRTY_DAYS)
        store.insert_many("expenses", [{"_id": 1, "deletedAt": _ago(60)}, {"_id": 2}])
        assert _expire(store, "expenses") == 1
    with connect(f"embedded://{tmp_path}/db") as store:
        assert isinstance(store, EmbeddedStore)
        assert _ids(store, "expenses") == [2]
