"""Alert subscriptions and what they sent: collections ``subscriptions``, ``alert_events`` and
``deliveries``.

- A **subscription** belongs to one user (``userId``): what to watch or send (``kind``,
  ``params``), where (``channel``: e-mail address or webhook URL), when (``schedule``: cron and
  zone), ``nextRunAt`` (the scheduler's bookmark), ``active``, and the outcome of the last run.
- An **alert event** records that a condition fired for a period: its ``_id`` is
  ``<subscription>:<condition>:<period>``, so inserting it twice fails and an alert fires once per
  period and condition however often it is evaluated; ``recoveredAt`` is set when it stops.
- A **delivery** is one message in the outbox, then the record of its send: queued when its
  condition fires (with the message itself), then ``sent``, ``retrying`` or ``failed`` and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import bson
from pymongo.errors import DuplicateKeyError

from dashboard.data.owned import owned_by
from dashboard.store import Store

__all__ = [
    "DELIVERIES",
    "EVENTS",
    "SUBSCRIPTIONS",
    "all_subscriptions",
    "create",
    "deliveries_for",
    "delete",
    "delete_for_user",
    "delivery_exists",
    "due",
    "fire",
    "firing",
    "get",
    "mark_delivery",
    "pending_deliveries",
    "queue_delivery",
    "recover",
    "set_fields",
    "set_next_run",
    "for_user",
]

SUBSCRIPTIONS = "subscriptions"
EVENTS = "alert_events"
DELIVERIES = "deliveries"


def _now() -> datetime:
    return datetime.now(UTC)


def create(
    store: Store,
    *,
    user_id: bson.ObjectId,
    username: str,
    kind: str,
    title: str,
    params: Mapping[str, Any],
    channel: Mapping[str, Any],
    schedule: Mapping[str, str],
    next_run: datetime,
) -> bson.ObjectId:
    """Store a new active subscription; return its id."""
    sub_id = bson.ObjectId()
    now = _now()
    store.insert_many(
        SUBSCRIPTIONS,
        [
            {
                "_id": sub_id,
                "userId": user_id,
                "username": username,
                "kind": kind,
                "title": title,
                "params": dict(params),
                "channel": dict(channel),
                "schedule": dict(schedule),
                "active": True,
                "nextRunAt": next_run,
                "createdAt": now,
                "updatedAt": now,
            }
        ],
    )
    return sub_id


def get(
    store: Store, sub_id: bson.ObjectId, *, user_id: bson.ObjectId | None = None
) -> dict[str, Any] | None:
    """The subscription, or None; with ``user_id`` only if that user owns it."""
    query: dict[str, Any] = {"_id": {"$eq": sub_id}}
    if user_id is not None:
        query.update(owned_by(user_id))
    found = store.find(SUBSCRIPTIONS, query, limit=1)
    return found[0] if found else None


def for_user(store: Store, user_id: bson.ObjectId) -> list[dict[str, Any]]:
    """The user's subscriptions, oldest first."""
    return store.find(SUBSCRIPTIONS, owned_by(user_id), sort=[("createdAt", 1)])


def all_subscriptions(store: Store, *, limit: int = 500) -> list[dict[str, Any]]:
    """Every subscription (the admin view), newest first."""
    return store.find(SUBSCRIPTIONS, {}, sort=[("createdAt", -1)], limit=limit)


def set_fields(
    store: Store,
    sub_id: bson.ObjectId,
    fields: Mapping[str, Any],
    *,
    user_id: bson.ObjectId | None = None,
) -> int:
    """Change a subscription (only the owner's with ``user_id``); return how many changed."""
    query: dict[str, Any] = {"_id": {"$eq": sub_id}}
    if user_id is not None:
        query.update(owned_by(user_id))
    return store.update_many(SUBSCRIPTIONS, query, {"$set": {**fields, "updatedAt": _now()}})


def delete(store: Store, sub_id: bson.ObjectId, *, user_id: bson.ObjectId | None = None) -> int:
    """Remove a subscription and its alert events (its deliveries stay as the record)."""
    query: dict[str, Any] = {"_id": {"$eq": sub_id}}
    if user_id is not None:
        query.update(owned_by(user_id))
    removed = store.delete_many(SUBSCRIPTIONS, query)
    if removed:
        store.delete_many(EVENTS, {"subscriptionId": {"$eq": sub_id}})
    return removed


def due(store: Store, now: datetime) -> list[dict[str, Any]]:
    """Active subscriptions whose next run has come."""
    return store.find(
        SUBSCRIPTIONS,
        {"active": True, "nextRunAt": {"$lte": now}},
        sort=[("nextRunAt", 1)],
    )


def set_next_run(
    store: Store, sub_id: bson.ObjectId, *, expected: datetime, next_run: datetime
) -> bool:
    """Move the bookmark from ``expected`` to ``next_run``: True for the one scheduler that did
    (so two schedulers never both run a subscription for the same slot)."""
    changed = store.update_many(
        SUBSCRIPTIONS,
        {"_id": {"$eq": sub_id}, "nextRunAt": {"$eq": expected}},
        {"$set": {"nextRunAt": next_run, "lastRunAt": _now()}},
    )
    return changed == 1


def _event_id(sub_id: bson.ObjectId, condition: str, period: str) -> str:
    return f"{sub_id}:{condition}:{period}"


def fire(
    store: Store, sub_id: bson.ObjectId, *, condition: str, period: str, at: datetime
) -> bool:
    """Record that ``condition`` fired for ``period``: True the first time, False ever after."""
    try:
        store.insert_many(
            EVENTS,
            [
                {
                    "_id": _event_id(sub_id, condition, period),
                    "subscriptionId": sub_id,
                    "condition": condition,
                    "period": period,
                    "firedAt": at,
                    "recoveredAt": None,
                }
            ],
        )
    except DuplicateKeyError:
        return False
    return True


def firing(store: Store, sub_id: bson.ObjectId, *, condition: str) -> list[dict[str, Any]]:
    """The events of ``condition`` that fired and have not recovered."""
    return store.find(
        EVENTS,
        {"subscriptionId": {"$eq": sub_id}, "condition": {"$eq": condition}, "recoveredAt": None},
    )


def recover(store: Store, event_id: str, *, at: datetime) -> bool:
    """Mark a firing event recovered: True for the one caller that did (one recovery notice)."""
    changed = store.update_many(
        EVENTS, {"_id": {"$eq": event_id}, "recoveredAt": None}, {"$set": {"recoveredAt": at}}
    )
    return changed == 1


def queue_delivery(
    store: Store,
    sub: Mapping[str, Any],
    *,
    notice: Mapping[str, Any],
    attachment: Mapping[str, Any] | None = None,
    key: str | None = None,
) -> bson.ObjectId:
    """Put one message for the subscription's channel in the outbox (``pending``): what fired is
    recorded before anything is sent, so a retry sends exactly the same message, once."""
    channel = dict(sub.get("channel") or {})
    delivery_id = bson.ObjectId()
    store.insert_many(
        DELIVERIES,
        [
            {
                "_id": delivery_id,
                "subscriptionId": sub["_id"],
                "userId": sub["userId"],
                "event": key,
                "queuedAt": _now(),
                "at": None,
                "channel": channel.get("type"),
                "target": channel.get("to") or channel.get("url"),
                "subject": notice.get("subject"),
                "notice": dict(notice),
                "attachment": dict(attachment) if attachment else None,
                "status": "pending",
                "error": None,
                "attempts": 0,
            }
        ],
    )
    return delivery_id


def delivery_exists(store: Store, key: str) -> bool:
    """Whether the message of alert event ``key`` is in the outbox (or was sent): a run that died
    after recording the event but before queueing its message queues it on the retry."""
    return store.count_documents(DELIVERIES, {"event": {"$eq": key}}) > 0


def delete_for_user(store: Store, user_id: bson.ObjectId) -> int:
    """Remove everything of a deleted account: its subscriptions, their events and deliveries."""
    subs = [d["_id"] for d in store.find(SUBSCRIPTIONS, owned_by(user_id), projection={"_id": 1})]
    if subs:
        store.delete_many(EVENTS, {"subscriptionId": {"$in": subs}})
    store.delete_many(DELIVERIES, owned_by(user_id))
    return store.delete_many(SUBSCRIPTIONS, owned_by(user_id))


def pending_deliveries(store: Store, sub_id: bson.ObjectId) -> list[dict[str, Any]]:
    """The subscription's messages not yet sent (new, or waiting for a retry), oldest first."""
    return store.find(
        DELIVERIES,
        {"subscriptionId": {"$eq": sub_id}, "status": {"$in": ["pending", "retrying"]}},
        sort=[("queuedAt", 1)],
    )


def mark_delivery(
    store: Store,
    delivery: Mapping[str, Any],
    *,
    status: str,
    error: str | None = None,
) -> None:
    """Record the outcome of one send (``sent``, ``retrying`` or ``failed``) on the delivery and,
    as the last outcome its owner sees, on the subscription."""
    now = _now()
    store.update_many(
        DELIVERIES,
        {"_id": {"$eq": delivery["_id"]}},
        {"$set": {"status": status, "error": error, "at": now}, "$inc": {"attempts": 1}},
    )
    last = {"at": now, "status": status, "error": error, "subject": delivery.get("subject")}
    store.update_many(
        SUBSCRIPTIONS, {"_id": {"$eq": delivery["subscriptionId"]}}, {"$set": {"lastDelivery": last}}
    )


def deliveries_for(
    store: Store, *, user_id: bson.ObjectId | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Recent deliveries, newest first (one user's, or everyone's for admins)."""
    query = owned_by(user_id) if user_id is not None else {}
    return store.find(DELIVERIES, query, sort=[("queuedAt", -1)], limit=limit)
