"""Index creation: every index from the scaling notes, created idempotently."""

from __future__ import annotations

from dashboard.data.indexes import (
    INDEXES,
    THIRTY_DAYS,
    UNIQUE_INDEXES,
    ensure_indexes,
    ensure_unique_indexes,
)
from dashboard.store import Store, connect


def test_ensure_indexes_creates_the_scaling_notes_indexes(store: Store) -> None:
    ensure_indexes(store)
    expenses = store.index_information("expenses")
    assert expenses["userId_1_date_-1"]["key"] == [("userId", 1), ("date", -1)]
    assert expenses["userId_1_category_1"]["key"] == [("userId", 1), ("category", 1)]
    assert expenses["userId_1_date_-1_category_1"]["key"] == [
        ("userId", 1),
        ("date", -1),
        ("category", 1),
    ]
    assert expenses["description_text"]["key"] == [("description", "text")]
    assert expenses["deletedAt_1"]["expireAfterSeconds"] == THIRTY_DAYS == 2_592_000
    assert store.index_information("users")["email_1"]["unique"] is True
    assert set(store.index_information("api_requests")) >= {"ts_1", "route_1_ts_1"}


def test_ensure_indexes_is_idempotent_and_survives_a_restart(tmp_path) -> None:
    uri = f"embedded://{tmp_path}/db"
    with connect(uri) as store:
        first = ensure_indexes(store)
        info = {c: store.index_information(c) for c in {s.collection for s in INDEXES}}
        assert ensure_indexes(store) == first
        assert {c: store.index_information(c) for c in info} == info
    with connect(uri) as reopened:
        assert ensure_indexes(reopened) == first
        assert {c: reopened.index_information(c) for c in info} == info


def test_ensure_unique_indexes_reports_what_it_cannot_create_and_creates_the_rest(
    store: Store,
) -> None:
    """Duplicates already stored (a store loaded without the index) cannot get it: the app logs
    the message and keeps serving instead of failing every page."""
    store.insert_many(
        "users",
        [
            {"username": "ana", "email": "ana@example.org"},
            {"username": "ana", "email": "ana2@example.org"},
        ],
    )
    problems = ensure_unique_indexes(store)
    assert len(problems) == 1
    assert problems[0].startswith("unique index on users (username) is missing: ")
    assert "duplicate key" in problems[0]
    assert store.index_information("users")["email_1"]["unique"] is True
    assert "userId_1_month_1_category_1" in store.index_information("budgets")
    assert {(s.collection, tuple(s.keys)) for s in UNIQUE_INDEXES} == {
        ("users", (("username", 1),)),
        ("users", (("email", 1),)),
        ("budgets", (("userId", 1), ("month", 1), ("category", 1))),
    }
