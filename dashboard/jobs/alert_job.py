"""Alerts and scheduled delivery: the minute tick that finds due subscriptions, and the ``alert``
job that evaluates one subscription and delivers what fired.

Each minute the worker's scheduler runs :func:`tick`: every active subscription whose next run has
come moves its bookmark to the next slot (one conditional update, so two workers never both take a
slot; a worker down for a week takes one slot, not every missed one) and gets an ``alert`` job. The
job re-reads the owner's account and roles (a user who lost a role gets nothing, and the
subscription is paused with the reason), evaluates the subscription as its owner, records each
condition that fires for its period (once: the event's id is subscription, condition and period),
queues the message in the outbox, then sends the outbox. A transient delivery fault (SMTP or the
webhook down) is retried by the queue with back-off and resends the same message; a permanent one
is recorded and shown to the owner.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import bson

from dashboard.core.identity import AuthUser
from dashboard.core.notice import Notice, page_link
from dashboard.core.periods import parse_period
from dashboard.core.schedules import Schedule, due, report_period
from dashboard.data import subscriptions, users
from dashboard.data.audit_log import audit
from dashboard.data.runner import Runner
from dashboard.exports.formats import FORMATS
from dashboard.exports.write import export_bytes, file_name
from dashboard.jobs.context import BadInput, JobContext, JobRun, Transient
from dashboard.jobs.delivery import DeliveryError, post_webhook, send_email
from dashboard.jobs.queue import JobQueue
from dashboard.jobs.submit import QUEUE_ERRORS, submit_job
from dashboard.views.alerts import KINDS, Evaluation, Firing, evaluate

__all__ = ["notice_document", "run", "tick"]

_log = logging.getLogger("spendlens.alerts")


def notice_document(notice: Notice) -> dict[str, Any]:
    """A notice as stored in the outbox (and rebuilt from it for every attempt)."""
    return {
        "subject": notice.subject,
        "lines": list(notice.lines),
        "link": notice.link,
        "link_label": notice.link_label,
        "table": [list(row) for row in notice.table],
        "severity": notice.severity,
    }


def _notice(doc: Mapping[str, Any]) -> Notice:
    return Notice(
        subject=str(doc["subject"]),
        lines=tuple(doc.get("lines") or ()),
        link=doc.get("link"),
        link_label=str(doc.get("link_label") or "Open in Spendlens"),
        table=tuple(tuple(row) for row in doc.get("table") or ()),
        severity=str(doc.get("severity") or "info"),
    )


def tick(context: JobContext, queue: JobQueue, *, now: dt.datetime | None = None) -> int:
    """Queue an ``alert`` job for every subscription due at ``now``; return how many. A
    subscription whose schedule cannot run is paused with the reason; it never stops the others."""
    now = now or dt.datetime.now(dt.UTC)
    started = 0
    for sub in subscriptions.due(context.store, now):
        try:
            started += _tick_one(context, queue, sub, now)
        except (ValueError, TypeError, KeyError) as exc:  # a bad stored document or schedule
            _log.warning("subscription %s paused: %s", sub.get("_id"), exc)
            subscriptions.set_fields(
                context.store, sub["_id"], {"active": False, "lastError": f"Cannot run: {exc}"}
            )
    return started


def _tick_one(
    context: JobContext, queue: JobQueue, sub: Mapping[str, Any], now: dt.datetime
) -> int:
    store = context.store
    raw = sub.get("schedule") or {}
    schedule = Schedule(str(raw.get("cron", "")), str(raw.get("tz", "UTC")))
    if problems := schedule.check():
        raise ValueError("; ".join(problems))
    slot, following = due(schedule, sub.get("nextRunAt"), now)
    if slot is None or not subscriptions.set_next_run(
        store, sub["_id"], expected=sub["nextRunAt"], next_run=following
    ):
        return 0  # not yet, or another worker took this slot
    owner = AuthUser(
        id=sub["userId"], username=str(sub.get("username")), name="", email=None, roles=()
    )
    try:
        submit_job(
            context,
            queue,
            owner,
            kind="alert",
            title=str(sub.get("title") or sub["kind"]),
            params={"subscription_id": str(sub["_id"]), "slot": slot.isoformat()},
        )
    except QUEUE_ERRORS:
        # The queue is down: give the slot back, so the next tick takes it again.
        subscriptions.set_next_run(store, sub["_id"], expected=following, next_run=sub["nextRunAt"])
        raise
    return 1


def _owner(job: JobRun, sub: Mapping[str, Any]) -> AuthUser:
    """The owner as they are now; pauses the subscription (with the reason) when they may no
    longer receive it."""
    store = job.context.store
    doc = users.by_id(store, sub["userId"])
    role = KINDS.get(sub["kind"], ("admin", ""))[0]
    reason = None
    if doc is None or doc.get("disabled"):
        reason = "The account is disabled or deleted."
    else:
        user = AuthUser.from_document(doc)
        if not user.has_role(role):
            reason = f"This alert needs the {role} role, which the account no longer has."
    if reason:
        subscriptions.set_fields(store, sub["_id"], {"active": False, "lastError": reason})
        raise BadInput(reason)
    return user


def _fresh(job: JobRun) -> Runner:
    """A runner that reads the database, not the result cache: a threshold crossed a minute ago
    must not wait for a cached figure to expire (up to 30 minutes)."""
    settings = replace(
        job.context.settings, cache_ttl_statistics=0, cache_ttl_profile=0, cache_ttl_recent=0
    )
    return Runner(store=job.context.store, cache=job.context.cache, settings=settings)


def _report(job: JobRun, user: AuthUser, sub: Mapping[str, Any], slot: dt.datetime) -> Evaluation:
    settings = job.context.settings
    params = dict(sub.get("params") or {})
    zone = str((sub.get("schedule") or {}).get("tz") or settings.report_timezone)
    period = report_period(str(params.get("period")), slot, tz=zone)
    fmt = str(params.get("format") or "pdf")
    attach = bool(params.get("attach", True))
    link = page_link(settings.base_url, "finance-reports")  # its period picker is not in the URL
    notice = Notice(
        subject=f"Finance report: {period.label()}",
        lines=(
            f"{period.days_label()}, all users, days in {zone}.",
            f"The {fmt.upper()} report is attached."
            if attach
            else f"Open Finance reports and choose {period.label()} to read or export it.",
        ),
        link=link,
    )
    return Evaluation(firing=[Firing("report", period.spec, notice)])


def _attachment(job: JobRun, user: AuthUser, spec: Mapping[str, Any]) -> tuple[str, bytes, str]:
    runner = _fresh(job)
    period = parse_period(str(spec["period"]), tz=str(spec["tz"]))
    fmt = str(spec["format"])
    data = export_bytes(runner, user, period, fmt=fmt, bom=fmt == "csv")
    return file_name(period, fmt), data, FORMATS[fmt].mime


def _send(job: JobRun, user: AuthUser, sub: Mapping[str, Any], delivery: Mapping[str, Any]) -> None:
    settings = job.context.settings
    notice = _notice(delivery["notice"])
    channel = dict(sub.get("channel") or {})
    if channel.get("type") == "webhook":
        post_webhook(
            settings, notice, url=str(channel.get("url")), slack=bool(channel.get("slack"))
        )
        return
    spec = delivery.get("attachment")
    attachments = [_attachment(job, user, spec)] if spec else []
    send_email(settings, notice, to=str(channel.get("to")), attachments=attachments)


def _deliver(job: JobRun, user: AuthUser, sub: Mapping[str, Any]) -> tuple[int, int]:
    """Send the subscription's outbox; return (sent, failed)."""
    store = job.context.store
    sent = failed = 0
    for delivery in subscriptions.pending_deliveries(store, sub["_id"]):
        try:
            _send(job, user, sub, delivery)
        except DeliveryError as exc:
            if exc.transient and job.retries_left > 0:
                subscriptions.mark_delivery(store, delivery, status="retrying", error=str(exc))
                raise Transient(str(exc)) from exc
            subscriptions.mark_delivery(store, delivery, status="failed", error=str(exc))
            audit(
                store,
                "alert.failed",
                actor=user.username,
                target=str(sub["_id"]),
                details={"subject": delivery.get("subject"), "error": str(exc)},
            )
            failed += 1
            continue
        subscriptions.mark_delivery(store, delivery, status="sent")
        audit(
            store,
            "alert.sent",
            actor=user.username,
            target=str(sub["_id"]),
            details={"subject": delivery.get("subject"), "channel": delivery.get("channel")},
        )
        sent += 1
    return sent, failed


def run(job: JobRun) -> dict[str, Any]:
    """Evaluate one subscription for its slot (``params``: ``subscription_id``, ``slot``) and
    deliver what fired."""
    store = job.context.store
    raw = str(job.params.get("subscription_id"))
    sub = subscriptions.get(store, bson.ObjectId(raw)) if bson.ObjectId.is_valid(raw) else None
    if sub is None or not sub.get("active"):
        return {"counts": {"fired": 0, "sent": 0, "failed": 0}}  # deleted or paused meanwhile
    user = _owner(job, sub)
    slot = dt.datetime.fromisoformat(str(job.params["slot"]))
    now = slot  # evaluated as of its scheduled moment: a late or retried run says the same thing
    job.progress("Evaluating")
    if sub["kind"] == "report":
        evaluation = _report(job, user, sub, slot)
    else:
        evaluation = evaluate(_fresh(job), user, sub, slot=slot, now=now)
    fired = 0
    for firing in evaluation.firing:
        if sub["kind"] == "sla" and any(
            e["period"] != firing.period
            for e in subscriptions.firing(store, sub["_id"], condition=firing.condition)
        ):
            continue  # the breach that already fired still lasts: no new alert until it recovers
        new = subscriptions.fire(
            store, sub["_id"], condition=firing.condition, period=firing.period, at=now
        )
        key = f"{sub['_id']}:{firing.condition}:{firing.period}"
        if new or not subscriptions.delivery_exists(store, key):  # a run that died in between
            attachment = None
            if sub["kind"] == "report" and (sub.get("params") or {}).get("attach", True):
                zone = (sub.get("schedule") or {}).get("tz") or job.context.settings.report_timezone
                attachment = {"period": firing.period, "tz": zone,
                              "format": (sub.get("params") or {}).get("format", "pdf")}  # fmt: skip
            subscriptions.queue_delivery(
                store, sub, notice=notice_document(firing.notice), attachment=attachment, key=key
            )
            fired += 1
    for condition, notice in evaluation.clear.items():
        for event in subscriptions.firing(store, sub["_id"], condition=condition):
            if subscriptions.recover(store, event["_id"], at=now):
                subscriptions.queue_delivery(store, sub, notice=notice_document(notice))
                fired += 1
    job.progress("Delivering")
    sent, failed = _deliver(job, user, sub)
    return {"counts": {"fired": fired, "sent": sent, "failed": failed}}
