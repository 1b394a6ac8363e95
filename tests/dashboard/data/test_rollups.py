"""dashboard/rollups.py: both daily rollups are built when empty, refreshed at most every 5
minutes, rebuilt after a reseed, refreshed in the background when due, and a failing refresh is
logged without taking the page down. The numbers are requests per day, counted by hand."""

from __future__ import annotations

import time

import bson
import pytest

from dashboard.data import rollups
from dashboard.data.runner import Runner
from dashboard.store import Store
from dashboard.store.errors import OperationFailure
from tests.factories import expense, utc
from tests.factories import PRODUCT, request

BOTH = pytest.mark.parametrize("rollup", rollups.ROLLUPS, ids=lambda r: r.collection)


def _rolled(store: Store, rollup: rollups.Rollup) -> list:
    query = rollup.days(PRODUCT)
    return store.aggregate_frame(query.collection, query.pipeline, schema=query.schema).rows()


@BOTH
def test_a_rollup_is_built_then_refreshed_then_rebuilt_after_a_reseed(
    runner: Runner, rollup: rollups.Rollup
) -> None:
    now = utc(2026, 3, 8, 12)
    store = runner.store
    store.insert_many("api_requests", [request(utc(2026, 3, d, 9), 10.0) for d in range(1, 8)])
    refresh = rollups.refresh_rollup
    assert refresh(runner, PRODUCT, rollup, now=now) == "rebuilt"  # empty: built right away
    assert refresh(runner, PRODUCT, rollup, now=now) == "skipped"  # done less than 5 min ago
    assert _rolled(store, rollup) == [(utc(2026, 3, d), 1) for d in range(1, 8)]
    store.insert_many("api_requests", [request(utc(2026, 3, 7, 10), 10.0), request(now, 5.0)])
    assert refresh(runner, PRODUCT, rollup, now=now, force=True, wait=True) == "refreshed"
    assert _rolled(store, rollup)[-2:] == [(utc(2026, 3, 7), 2), (utc(2026, 3, 8), 1)]
    store.delete_many("api_requests", {})  # a reseed: other requests on the same days
    store.insert_many("api_requests", [request(utc(2026, 3, d, 9), 10.0) for d in (2, 6, 6)])
    assert refresh(runner, PRODUCT, rollup, now=now, force=True, wait=True) == "rebuilt"
    assert _rolled(store, rollup) == [(utc(2026, 3, 2), 1), (utc(2026, 3, 6), 2)]


def test_the_activity_rollup_starts_at_the_first_expense_when_it_precedes_every_request(
    runner: Runner,
) -> None:
    someone = bson.ObjectId()
    runner.store.insert_many("expenses", [expense(someone, utc(2026, 2, 20, 8), 1.0)])
    runner.store.insert_many("api_requests", [request(utc(2026, 3, 7, 9), 10.0)])
    outcome = rollups.refresh_rollup(runner, PRODUCT, rollups.ACTIVITY, now=utc(2026, 3, 8))
    assert outcome == "rebuilt"
    # 20 February holds the expense (no requests); 7 March the request.
    assert _rolled(runner.store, rollups.ACTIVITY) == [(utc(2026, 2, 20), 0), (utc(2026, 3, 7), 1)]


@BOTH
def test_a_due_refresh_of_a_built_rollup_runs_in_the_background(
    runner: Runner, rollup: rollups.Rollup
) -> None:
    now = utc(2026, 3, 8, 12)
    runner.store.insert_many("api_requests", [request(utc(2026, 3, 7, 9), 10.0)])
    assert rollups.refresh_rollup(runner, PRODUCT, rollup, now=now, wait=True) == "rebuilt"
    runner.store.insert_many("api_requests", [request(utc(2026, 3, 8, 9), 10.0)])
    assert rollups.refresh_rollup(runner, PRODUCT, rollup, now=now, force=True) == "started"
    for _ in range(1000):  # the thread recounts 7 and 8 March (up to 10 s on a busy machine)
        if _rolled(runner.store, rollup)[-1:] == [(utc(2026, 3, 8), 1)]:
            break
        time.sleep(0.01)
    assert _rolled(runner.store, rollup) == [(utc(2026, 3, 7), 1), (utc(2026, 3, 8), 1)]


@BOTH
def test_a_failing_refresh_is_logged_and_the_page_goes_on(
    runner: Runner,
    rollup: rollups.Rollup,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    runner.store.insert_many("api_requests", [request(utc(2026, 3, 7, 9), 10.0)])

    def refuse(*args, **kwargs):
        raise OperationFailure("not authorized on expense_tracker to execute command")

    monkeypatch.setattr(runner.store, "aggregate", refuse)
    outcome = rollups.refresh_rollup(runner, PRODUCT, rollup, now=utc(2026, 3, 8), wait=True)
    assert outcome == "failed"
    assert f"refreshing {rollup.collection} failed" in caplog.text


def test_build_rollups_brings_both_up_to_date(runner: Runner) -> None:
    runner.store.insert_many("api_requests", [request(utc(2026, 3, 7, 9), 10.0)])
    outcomes = rollups.build_rollups(runner, PRODUCT, now=utc(2026, 3, 8))
    assert outcomes == {"api_latency_daily": "rebuilt", "user_activity_daily": "rebuilt"}
    for rollup in rollups.ROLLUPS:
        assert _rolled(runner.store, rollup) == [(utc(2026, 3, 7), 1)]


def _activity(store: Store) -> list[tuple]:
    docs = store.find(rollups.ACTIVITY.collection, {}, sort=[("day", 1)])
    return sorted(
        ((d["day"], str(d.get("userId")), d["requests"], d["expenses"]) for d in docs),
        key=lambda row: (row[0], row[1]),
    )


def test_forgetting_a_user_deletes_their_activity_rows_and_recounts_their_days(
    runner: Runner,
) -> None:
    store = runner.store
    ana, bob = bson.ObjectId(), bson.ObjectId()
    store.insert_many(
        "api_requests",
        [{**request(utc(2026, 3, 2, 9), 10.0), "userId": ana},
         {**request(utc(2026, 3, 2, 10), 10.0), "userId": bob},
         {**request(utc(2026, 3, 4, 9), 10.0), "userId": ana},
         {**request(utc(2026, 3, 4, 11), 10.0)}],
    )  # fmt: skip
    store.insert_many("expenses", [expense(ana, utc(2026, 3, 4, 9), 5.0)])
    now = utc(2026, 3, 8, 12)
    rollups.refresh_rollup(runner, PRODUCT, rollups.ACTIVITY, now=now, force=True, wait=True)
    assert (utc(2026, 3, 4), str(ana), 1, 1) in _activity(store)
    # What the account deletion does first: anonymise the requests, delete the expenses.
    store.update_many("api_requests", {"userId": ana}, {"$set": {"userId": None}})
    store.delete_many("expenses", {"userId": ana})

    assert rollups.forget_user(store, ana) == 2  # her rows of 2 and 4 March
    # By hand: 2 March has bob's request and hers, now anonymous; 4 March hers and one that
    # always was anonymous; her expense is gone.
    assert _activity(store) == sorted(
        [
            (utc(2026, 3, 2), "None", 1, 0),
            (utc(2026, 3, 2), str(bob), 1, 0),
            (utc(2026, 3, 4), "None", 2, 0),
        ]
    )
    assert rollups.forget_user(store, ana) == 0  # nothing left: no recount
