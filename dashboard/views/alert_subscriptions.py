"""The Alerts page's data: creating, listing, pausing and deleting alert subscriptions, and the
deliveries they made. A user manages their own; an admin sees and manages everyone's.

What a user may subscribe to follows their roles (:data:`dashboard.views.alerts.KINDS`), and every
subscription is evaluated as its owner, so nobody can subscribe to another user's data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import bson
import polars as pl

from dashboard.core.destinations import check_address, check_webhook_url
from dashboard.core.identity import AuthUser, PermissionDenied
from dashboard.core.schedules import REPORT_PERIODS, Schedule, monthly, weekly
from dashboard.data import subscriptions
from dashboard.data.audit_log import audit
from dashboard.data.runner import Runner
from dashboard.views.alerts import KINDS

__all__ = [
    "MAX_PER_USER",
    "SubscriptionError",
    "all_subscriptions_table",
    "create_subscription",
    "default_schedule",
    "delete_subscription",
    "deliveries_table",
    "kinds_for",
    "set_active",
    "subscriptions_table",
]

MAX_PER_USER = 20
METRICS = {"api_p95": "API p95", "error_rate": "5xx rate", "page_p95": "Spendlens page p95"}
REPORT_FORMATS = ("pdf", "xlsx", "csv")


class SubscriptionError(ValueError):
    """A subscription that cannot be saved; the message says which field and why."""


def kinds_for(user: AuthUser) -> dict[str, str]:
    """The kinds the user's roles allow: kind → what it watches."""
    return {kind: text for kind, (role, text) in KINDS.items() if user.has_role(role)}


def default_schedule(kind: str, params: Mapping[str, Any], *, tz: str) -> Schedule:
    """When a kind runs unless the user chooses: budgets hourly, SLAs every 5 minutes, summaries
    on Monday or the 1st at 07:00 local time, reports on the 1st at 07:00."""
    if kind == "budget":
        return Schedule("0 * * * *", tz)
    if kind == "sla":
        return Schedule("*/5 * * * *", "UTC")
    if kind == "summary" and params.get("frequency") == "weekly":
        return weekly(1, hour=7, tz=tz)
    return monthly(1, hour=7, tz=tz)


def _ints(value: Any, *, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise SubscriptionError(f"{field}: expected a whole number, got {value!r}")
    if not low <= int(value) <= high:
        raise SubscriptionError(f"{field}: must be {low} to {high}, got {int(value)}")
    return int(value)


def _params(kind: str, raw: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """Checked params of ``kind`` (only its own keys) and a readable title."""
    if kind == "budget":
        thresholds = raw.get("thresholds", [80, 100])  # an empty choice is an error, not 80/100
        if not isinstance(thresholds, list | tuple) or not 1 <= len(set(thresholds)) <= 5:
            raise SubscriptionError("thresholds: give 1 to 5 percentages, e.g. 80 and 100")
        shares = sorted({_ints(t, field="thresholds", low=1, high=1000) for t in thresholds})
        category = (raw.get("category") or "").strip() or None
        if category is not None and len(category) > 40:
            raise SubscriptionError("category: at most 40 characters")
        forecast = bool(raw.get("forecast", False))
        which = category or "A category"
        title = f"{which} reaches {' or '.join(f'{t}%' for t in shares)} of its budget"
        if forecast:
            title += ", or is forecast to pass it"
        return {"thresholds": shares, "category": category, "forecast": forecast}, title
    if kind == "summary":
        frequency = raw.get("frequency")
        if frequency not in ("weekly", "monthly"):
            raise SubscriptionError(f"frequency: weekly or monthly, got {frequency!r}")
        return {"frequency": frequency}, f"{str(frequency).capitalize()} spending summary"
    if kind == "sla":
        metric = raw.get("metric")
        if metric not in METRICS:
            raise SubscriptionError(f"metric: one of {', '.join(METRICS)}, got {metric!r}")
        hours = _ints(raw.get("buckets", 3), field="buckets", low=1, high=48)
        params: dict[str, Any] = {"metric": metric, "buckets": hours}
        if metric == "error_rate":
            rate = raw.get("error_rate_pct", 1.0)
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate <= 100:
                raise SubscriptionError(f"error_rate_pct: above 0 and at most 100, got {rate!r}")
            params["error_rate_pct"] = float(rate)
        return params, f"{METRICS[metric]} over target for {hours} hours"
    if kind == "report":
        fmt, period = raw.get("format"), raw.get("period")
        if fmt not in REPORT_FORMATS:
            raise SubscriptionError(f"format: one of {', '.join(REPORT_FORMATS)}, got {fmt!r}")
        if period not in REPORT_PERIODS:
            raise SubscriptionError(f"period: one of {', '.join(REPORT_PERIODS)}, got {period!r}")
        attach = bool(raw.get("attach", True))
        return (
            {"format": fmt, "period": period, "attach": attach},
            f"{str(fmt).upper()} report of {REPORT_PERIODS[str(period)]}",
        )
    raise SubscriptionError(f"kind: unknown kind {kind!r}")


def _channel(user: AuthUser, raw: Mapping[str, Any]) -> dict[str, Any]:
    if raw.get("type") == "webhook":
        url = str(raw.get("url") or "").strip()
        if problem := check_webhook_url(url):
            raise SubscriptionError(f"webhook: {problem}")
        return {"type": "webhook", "url": url, "slack": bool(raw.get("slack"))}
    if raw.get("type") not in (None, "email"):
        raise SubscriptionError(f"channel: e-mail or webhook, got {raw.get('type')!r}")
    to = str(raw.get("to") or user.email or "").strip()
    if not to:
        raise SubscriptionError("e-mail: your account has no e-mail address; give one")
    if problem := check_address(to):
        raise SubscriptionError(f"e-mail: {problem}")
    return {"type": "email", "to": to}


def create_subscription(
    runner: Runner,
    user: AuthUser,
    *,
    kind: str,
    params: Mapping[str, Any],
    channel: Mapping[str, Any],
    schedule: Schedule | None = None,
    now: dt.datetime | None = None,
) -> bson.ObjectId:
    """Check and store a subscription of ``user`` (never anyone else's); return its id."""
    if kind not in KINDS:
        raise SubscriptionError(f"kind: unknown kind {kind!r}")
    role = KINDS[kind][0]
    if kind not in kinds_for(user):
        raise SubscriptionError(f"{kind}: this alert needs the {role} role")
    if len(subscriptions.for_user(runner.store, user.id)) >= MAX_PER_USER:
        raise SubscriptionError(f"at most {MAX_PER_USER} alerts per person; delete one first")
    checked, title = _params(kind, params)
    where = _channel(user, channel)
    when = schedule or default_schedule(kind, checked, tz=user.timezone)
    if problems := when.check():
        raise SubscriptionError(f"schedule: {'; '.join(problems)}")
    now = now or dt.datetime.now(dt.UTC)
    sub_id = subscriptions.create(
        runner.store,
        user_id=user.id,
        username=user.username,
        kind=kind,
        title=title,
        params=checked,
        channel=where,
        schedule={"cron": when.cron, "tz": when.tz},
        next_run=when.next_after(now),
    )
    audit(runner.store, "alert.subscribed", actor=user.username, target=str(sub_id),
          details={"kind": kind, "title": title, "channel": where["type"]})  # fmt: skip
    return sub_id


def _where(channel: Mapping[str, Any]) -> str:
    """The channel as shown: the address, or only a webhook's host (its path may be a secret)."""
    if channel.get("type") == "webhook":
        host = urlsplit(str(channel.get("url") or "")).hostname or "?"
        return f"webhook to {host}" + (" (Slack)" if channel.get("slack") else "")
    return str(channel.get("to") or "")


_TABLE = {
    "id": pl.String(),
    "title": pl.String(),
    "kind": pl.String(),
    "owner": pl.String(),
    "channel": pl.String(),
    "schedule": pl.String(),
    "active": pl.Boolean(),
    "next_run": pl.Datetime("ms", "UTC"),
    "last_delivery": pl.String(),
}


def _rows(docs: list[dict[str, Any]]) -> pl.DataFrame:
    rows = []
    for doc in docs:
        last = doc.get("lastDelivery") or {}
        outcome = last.get("status") or ""
        if last.get("error"):
            outcome += f": {last['error']}"
        if doc.get("lastError") and not doc.get("active"):
            outcome = f"paused: {doc['lastError']}"
        schedule = doc.get("schedule") or {}
        rows.append(
            {
                "id": str(doc["_id"]),
                "title": doc.get("title"),
                "kind": doc.get("kind"),
                "owner": doc.get("username"),
                "channel": _where(doc.get("channel") or {}),
                "schedule": f"{schedule.get('cron', '')} ({schedule.get('tz', 'UTC')})",
                "active": bool(doc.get("active")),
                "next_run": doc.get("nextRunAt"),
                "last_delivery": outcome or None,
            }
        )
    return pl.DataFrame(rows, schema=_TABLE)


def subscriptions_table(runner: Runner, user: AuthUser) -> pl.DataFrame:
    """The user's own subscriptions."""
    return _rows(subscriptions.for_user(runner.store, user.id)).drop("owner")


def all_subscriptions_table(runner: Runner, admin: AuthUser) -> pl.DataFrame:
    """Every subscription with its owner (admins only)."""
    if not admin.has_role("admin"):
        raise PermissionDenied("only admins see everyone's alerts")
    return _rows(subscriptions.all_subscriptions(runner.store))


def _owner_filter(user: AuthUser) -> bson.ObjectId | None:
    return None if user.has_role("admin") else user.id


def set_active(runner: Runner, user: AuthUser, sub_id: str, active: bool) -> bool:
    """Pause or resume a subscription (the user's own; an admin's: any)."""
    if not bson.ObjectId.is_valid(sub_id):
        return False
    fields: dict[str, Any] = {"active": active}
    if active:  # resume from the next slot, not from the ones missed while paused
        found = subscriptions.get(runner.store, bson.ObjectId(sub_id), user_id=_owner_filter(user))
        raw = (found or {}).get("schedule") or {}
        schedule = Schedule(str(raw.get("cron", "")), str(raw.get("tz", "UTC")))
        if found is None or schedule.check():
            return False
        fields |= {"lastError": None, "nextRunAt": schedule.next_after(dt.datetime.now(dt.UTC))}
    changed = subscriptions.set_fields(
        runner.store, bson.ObjectId(sub_id), fields, user_id=_owner_filter(user)
    )
    if changed:
        audit(runner.store, "alert.resumed" if active else "alert.paused", actor=user.username,
              target=sub_id)  # fmt: skip
    return bool(changed)


def delete_subscription(runner: Runner, user: AuthUser, sub_id: str) -> bool:
    """Delete a subscription (the user's own; an admin's: any). Its deliveries stay recorded."""
    if not bson.ObjectId.is_valid(sub_id):
        return False
    removed = subscriptions.delete(runner.store, bson.ObjectId(sub_id), user_id=_owner_filter(user))
    if removed:
        audit(runner.store, "alert.unsubscribed", actor=user.username, target=sub_id)
    return bool(removed)


def deliveries_table(runner: Runner, user: AuthUser, *, limit: int = 50) -> pl.DataFrame:
    """The user's recent deliveries, newest first, with why a failed one failed."""
    docs = subscriptions.deliveries_for(runner.store, user_id=user.id, limit=limit)
    return pl.DataFrame(
        [
            {
                "queued": d.get("queuedAt"),
                "sent": d.get("at") if d.get("status") == "sent" else None,
                "subject": d.get("subject"),
                "channel": d.get("channel"),
                "status": d.get("status"),
                "error": d.get("error"),
            }
            for d in docs
        ],
        schema={
            "queued": pl.Datetime("ms", "UTC"),
            "sent": pl.Datetime("ms", "UTC"),
            "subject": pl.String,
            "channel": pl.String,
            "status": pl.String,
            "error": pl.String,
        },
    )
