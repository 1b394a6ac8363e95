"""The subscriptions store: owner-only changes, a condition fires once per period, a recovery is
recorded once, and two schedulers cannot both take a slot."""

from __future__ import annotations

import datetime as dt

import bson

from dashboard.data import subscriptions
from dashboard.store import Store

ANA = bson.ObjectId("650000000000000000000001")
BEN = bson.ObjectId("650000000000000000000002")
T = dt.datetime(2025, 3, 20, 12, tzinfo=dt.UTC)


def _sub(store: Store, user: bson.ObjectId = ANA) -> bson.ObjectId:
    return subscriptions.create(
        store, user_id=user, username="ana", kind="budget", title="t", params={},
        channel={"type": "email", "to": "a@example.com"}, schedule={"cron": "0 * * * *", "tz": "UTC"},
        next_run=T,
    )  # fmt: skip


def test_only_the_owner_changes_or_deletes_a_subscription(store: Store) -> None:
    sub = _sub(store)
    assert subscriptions.set_fields(store, sub, {"active": False}, user_id=BEN) == 0
    assert subscriptions.delete(store, sub, user_id=BEN) == 0
    assert subscriptions.get(store, sub, user_id=BEN) is None
    assert subscriptions.set_fields(store, sub, {"active": False}, user_id=ANA) == 1
    assert subscriptions.due(store, T) == []  # paused
    assert subscriptions.delete(store, sub, user_id=ANA) == 1


def test_a_condition_fires_once_per_period_and_recovers_once(store: Store) -> None:
    sub = _sub(store)
    assert subscriptions.fire(store, sub, condition="sla:api_p95", period="2025-03-20T09", at=T)
    assert not subscriptions.fire(store, sub, condition="sla:api_p95", period="2025-03-20T09", at=T)
    (event,) = subscriptions.firing(store, sub, condition="sla:api_p95")
    assert subscriptions.recover(store, event["_id"], at=T)
    assert not subscriptions.recover(store, event["_id"], at=T)
    assert subscriptions.firing(store, sub, condition="sla:api_p95") == []
    assert subscriptions.fire(store, sub, condition="sla:api_p95", period="2025-03-20T15", at=T)


def test_two_schedulers_cannot_both_take_a_slot(store: Store) -> None:
    sub = _sub(store)
    nxt = T + dt.timedelta(hours=1)
    assert subscriptions.set_next_run(store, sub, expected=T, next_run=nxt)
    assert not subscriptions.set_next_run(store, sub, expected=T, next_run=nxt)
    assert subscriptions.due(store, T) == []
    assert [s["_id"] for s in subscriptions.due(store, nxt)] == [sub]


def test_the_outbox_keeps_a_message_until_it_is_sent(store: Store) -> None:
    sub = subscriptions.get(store, _sub(store))
    delivery_id = subscriptions.queue_delivery(store, sub, notice={"subject": "Hello"})
    (pending,) = subscriptions.pending_deliveries(store, sub["_id"])
    assert pending["_id"] == delivery_id and pending["target"] == "a@example.com"
    subscriptions.mark_delivery(store, pending, status="retrying", error="down")
    assert len(subscriptions.pending_deliveries(store, sub["_id"])) == 1
    subscriptions.mark_delivery(store, pending, status="sent")
    assert subscriptions.pending_deliveries(store, sub["_id"]) == []
    (sent,) = subscriptions.deliveries_for(store, user_id=ANA)
    assert (sent["status"], sent["attempts"]) == ("sent", 2)
    assert subscriptions.get(store, sub["_id"])["lastDelivery"]["status"] == "sent"
    assert subscriptions.deliveries_for(store, user_id=BEN) == []


def test_a_deleted_accounts_alerts_go_with_it(store: Store) -> None:
    mine, theirs = _sub(store, ANA), _sub(store, BEN)
    subscriptions.fire(store, mine, condition="c", period="p", at=T)
    subscriptions.queue_delivery(store, subscriptions.get(store, mine), notice={"subject": "s"})
    assert subscriptions.delete_for_user(store, ANA) == 1
    assert [s["_id"] for s in subscriptions.all_subscriptions(store)] == [theirs]
    assert store.count_documents("alert_events", {}) == 0
    assert store.count_documents("deliveries", {}) == 0
