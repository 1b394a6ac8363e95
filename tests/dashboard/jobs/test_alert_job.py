"""Alerts end to end on a controlled clock: the minute tick, the alert job, a real SMTP server and a
real webhook receiver. Every expected figure is computed by hand from the documents below."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import replace

import bson
import pytest
from aiosmtpd.controller import Controller

from dashboard.core.settings import Settings
from dashboard.data import subscriptions
from dashboard.jobs import runner, worker
from dashboard.jobs.alert_job import tick
from dashboard.jobs.context import JobContext
from dashboard.store import Store
from tests.dashboard.jobs.conftest import Hook, Inbox, Smtp, free_port, read_mail
from tests.factories import expense

ANA = bson.ObjectId("650000000000000000000001")
PAT = bson.ObjectId("650000000000000000000002")  # product
FAY = bson.ObjectId("650000000000000000000003")  # finance


def at(day: int, hour: int, minute: int = 0, *, month: int = 3) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, minute, tzinfo=dt.UTC)


@pytest.fixture
def people(store: Store) -> Store:
    store.insert_many("users", [
        {"_id": ANA, "username": "ana", "name": "Ana", "email": "ana@example.com",
         "roles": ["user"], "timezone": "UTC", "currency": "USD"},
        {"_id": PAT, "username": "pat", "name": "Pat", "email": "pat@example.com",
         "roles": ["product"], "timezone": "UTC", "currency": "USD"},
        {"_id": FAY, "username": "fay", "name": "Fay", "email": "fay@example.com",
         "roles": ["finance"], "timezone": "UTC", "currency": "USD"},
    ])  # fmt: skip
    return store


def _context(job_context: Callable[..., JobContext], settings: Settings) -> JobContext:
    context = job_context("immediate")
    return replace(
        context, settings=replace(settings, queue="immediate", data_dir=context.settings.data_dir)
    )


def _subscribe(store: Store, user: bson.ObjectId, kind: str, params: dict, channel: dict,
               cron: str, first: dt.datetime) -> bson.ObjectId:  # fmt: skip
    return subscriptions.create(
        store, user_id=user, username=str(user), kind=kind, title=kind, params=params,
        channel=channel, schedule={"cron": cron, "tz": "UTC"}, next_run=first,
    )  # fmt: skip


def _run_tick(context: JobContext, now: dt.datetime) -> int:
    return tick(context, worker.start_in_app(context), now=now)


def test_a_budget_alert_is_mailed_once_per_threshold_and_month(
    people: Store, smtp: Smtp, job_context: Callable[..., JobContext]
) -> None:
    context = _context(job_context, smtp.settings)
    people.insert_many("budgets", [{"userId": ANA, "category": "Food", "month": at(1, 0),
                                     "limit": 100.0}])  # fmt: skip
    people.insert_many("expenses", [expense(ANA, at(5, 12), 85.0, category="Food")])
    _subscribe(people, ANA, "budget", {"thresholds": [80, 100], "forecast": False},
               {"type": "email", "to": "ana@example.com"}, "0 * * * *", at(20, 12))  # fmt: skip

    assert _run_tick(context, at(20, 12, 0)) == 1
    (mail,) = [read_mail(raw) for _, _, raw in smtp.inbox.messages]
    assert mail["To"] == "ana@example.com"
    assert mail["Subject"] == "Food has reached 80% of its March budget"
    text = mail.get_body(("plain",)).get_content()
    assert "Food: $85.00 spent of $100.00 in March 2025 (85%)." in text
    assert "http://localhost:8501/budgets" in text

    assert _run_tick(context, at(20, 13, 0)) == 1  # evaluated again, still 85%: no second e-mail
    assert len(smtp.inbox.messages) == 1

    people.insert_many("expenses", [expense(ANA, at(20, 13, 30), 20.0, category="Food")])
    _run_tick(context, at(20, 14, 0))  # 105%: the 100% threshold fires, once
    subjects = [read_mail(raw)["Subject"] for _, _, raw in smtp.inbox.messages]
    assert subjects == [
        "Food has reached 80% of its March budget",
        "Food has reached 100% of its March budget",
    ]
    assert people.count_documents("audit_log", {"event": "alert.sent"}) == 2


def _requests(store: Store, hour: dt.datetime, latency: float, n: int = 10) -> None:
    store.insert_many("api_requests", [
        {"ts": hour + dt.timedelta(minutes=5 * i), "method": "GET", "route": "/api/expenses",
         "status": 200, "latencyMs": latency, "dbMs": 5.0, "userId": ANA, "bytes": 100}
        for i in range(n)
    ])  # fmt: skip


def test_an_sla_alert_fires_once_while_it_lasts_and_posts_its_recovery(
    people: Store, hook: Hook, job_context: Callable[..., JobContext]
) -> None:
    context = _context(job_context, Settings(webhook_timeout_s=2.0))
    for hour in (9, 10, 11, 12):  # four hours at 500 ms: over the 200 ms target
        _requests(people, at(20, hour), 500.0)
    _subscribe(people, PAT, "sla", {"metric": "api_p95", "buckets": 3},
               {"type": "webhook", "url": hook.url, "slack": False}, "*/5 * * * *", at(20, 12))  # fmt: skip

    _run_tick(context, at(20, 12, 0))  # 9, 10, 11 over: fires
    _run_tick(context, at(20, 12, 5))  # the same window: no repeat
    _run_tick(context, at(20, 13, 0))  # 10, 11, 12 over: the same breach, still no repeat
    assert len(hook.requests) == 1
    first = json.loads(hook.requests[0][2])
    assert first["subject"] == "API p95 over target (200 ms) for 3 hours"
    assert first["severity"] == "critical"

    _run_tick(context, at(20, 14, 0))  # 11, 12 over, 13 without requests: unknown, no recovery
    assert len(hook.requests) == 1
    _requests(people, at(20, 14), 50.0)  # the 14:00 hour is fast
    _run_tick(context, at(20, 15, 0))  # 12 over, 13 unknown, 14 under: recovered, once
    _run_tick(context, at(20, 15, 5))
    assert len(hook.requests) == 2
    second = json.loads(hook.requests[1][2])
    assert second["subject"] == "Recovered: API p95 back under target (200 ms)"
    assert second["severity"] == "recovered"


def test_a_subscription_that_cannot_run_is_paused_without_stopping_the_others(
    people: Store, hook: Hook, job_context: Callable[..., JobContext]
) -> None:
    context = _context(job_context, Settings(webhook_timeout_s=2.0))
    broken = _subscribe(people, PAT, "sla", {"metric": "api_p95", "buckets": 1},
                        {"type": "webhook", "url": hook.url}, "0 7 30 2 *", at(20, 11))  # fmt: skip
    fine = _subscribe(people, PAT, "sla", {"metric": "api_p95", "buckets": 1},
                      {"type": "webhook", "url": hook.url}, "*/5 * * * *", at(20, 12))  # fmt: skip
    _requests(people, at(20, 11), 500.0)
    assert _run_tick(context, at(20, 12)) == 1  # the broken one is due first, and skipped
    assert subscriptions.get(people, broken)["active"] is False
    assert "never runs" in subscriptions.get(people, broken)["lastError"]
    assert subscriptions.get(people, fine)["nextRunAt"] == at(20, 12, 5)
    assert len(hook.requests) == 1


def test_a_report_covers_the_previous_month_in_the_subscriptions_zone(
    people: Store, smtp: Smtp, job_context: Callable[..., JobContext]
) -> None:
    context = _context(job_context, smtp.settings)  # SPENDLENS_REPORT_TIMEZONE stays UTC
    subscriptions.create(
        people, user_id=FAY, username="fay", kind="report", title="r",
        params={"format": "csv", "period": "previous-month", "attach": False},
        channel={"type": "email", "to": "fay@example.com"},
        schedule={"cron": "0 7 1 * *", "tz": "Australia/Sydney"}, next_run=at(31, 20),
    )  # fmt: skip
    _run_tick(context, at(31, 20, 1))  # 07:01 on 1 April in Sydney, still 31 March in UTC
    (mail,) = [read_mail(raw) for _, _, raw in smtp.inbox.messages]
    assert mail["Subject"] == "Finance report: March 2025"


def test_spendlens_own_page_p95_over_two_seconds_fires_from_every_replicas_runs(
    people: Store, hook: Hook, job_context: Callable[..., JobContext]
) -> None:
    from dashboard.data import page_load

    context = _context(job_context, Settings(webhook_timeout_s=2.0))
    for hour in (10, 11):  # two replicas; in each hour 10 of 20 runs take 2.5 s
        page_load.record(people, [(at(20, hour, m), 2500.0) for m in range(10)], replica="a")
        page_load.record(people, [(at(20, hour, m), 300.0) for m in range(10)], replica="b")
    _subscribe(people, PAT, "sla", {"metric": "page_p95", "buckets": 2},
               {"type": "webhook", "url": hook.url}, "*/5 * * * *", at(20, 12))  # fmt: skip
    _run_tick(context, at(20, 12))
    (request,) = hook.requests
    body = json.loads(request[2])
    assert body["subject"] == "Spendlens page p95 over target (2000 ms) for 2 hours"


def test_missed_runs_after_downtime_are_caught_up_once(
    people: Store, smtp: Smtp, job_context: Callable[..., JobContext]
) -> None:
    context = _context(job_context, smtp.settings)
    people.insert_many("expenses", [expense(ANA, at(12, 9), 42.5, category="Books")])
    sub = _subscribe(people, ANA, "summary", {"frequency": "weekly"},
                     {"type": "email", "to": "ana@example.com"}, "0 7 * * 1", at(3, 7))  # fmt: skip
    # The worker was down from 2 March; it comes back on Thursday 20 March: the Mondays 3, 10 and
    # 17 March were missed. One summary is sent, for the week before the latest (10 to 16 March).
    assert _run_tick(context, at(20, 9)) == 1
    assert _run_tick(context, at(20, 9, 1)) == 0
    (mail,) = [read_mail(raw) for _, _, raw in smtp.inbox.messages]
    assert mail["Subject"] == "Your spending, 10 Mar 2025 – 16 Mar 2025"
    text = mail.get_body(("plain",)).get_content()
    assert "$42.50 spent" in text
    assert "Books" in text
    assert subscriptions.get(people, sub)["nextRunAt"] == at(24, 7)


def test_a_monthly_report_arrives_with_the_previous_month_attached(
    people: Store, smtp: Smtp, job_context: Callable[..., JobContext]
) -> None:
    context = _context(job_context, smtp.settings)
    people.insert_many("expenses", [
        expense(ANA, at(3, 10), 10.0), expense(ANA, at(31, 23), 5.25), expense(PAT, at(15, 8), 7.0),
        expense(ANA, at(1, 0, month=4), 99.0),  # April: not in the March report
    ])  # fmt: skip
    _subscribe(people, FAY, "report", {"format": "csv", "period": "previous-month", "attach": True},
               {"type": "email", "to": "fay@example.com"}, "0 7 1 * *", at(1, 7, month=4))  # fmt: skip
    _run_tick(context, at(1, 7, 0, month=4))
    (mail,) = [read_mail(raw) for _, _, raw in smtp.inbox.messages]
    assert mail["Subject"] == "Finance report: March 2025"
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == "spendlens-finance-2025-03.csv"
    rows = attachment.get_content()
    rows = rows.decode("utf-8-sig") if isinstance(rows, bytes) else rows.lstrip("\ufeff")
    assert len(rows.strip().splitlines()) == 1 + 3  # the header and the three March expenses


def test_an_alert_of_a_user_who_lost_the_role_is_paused_not_sent(
    people: Store, hook: Hook, job_context: Callable[..., JobContext]
) -> None:
    context = _context(job_context, Settings(webhook_timeout_s=2.0))
    sub = _subscribe(people, PAT, "sla", {"metric": "api_p95", "buckets": 1},
                     {"type": "webhook", "url": hook.url}, "*/5 * * * *", at(20, 12))  # fmt: skip
    _requests(people, at(20, 11), 500.0)
    people.update_many("users", {"_id": PAT}, {"$set": {"roles": ["user"]}})
    _run_tick(context, at(20, 12))
    assert hook.requests == []
    paused = subscriptions.get(people, sub)
    assert paused["active"] is False
    assert (
        paused["lastError"] == "This alert needs the product role, which the account no longer has."
    )
    assert _run_tick(context, at(20, 12, 5)) == 0  # paused: not due any more


def test_a_delivery_that_fails_for_now_is_resent_once_by_the_retry(
    people: Store, job_context: Callable[..., JobContext]
) -> None:
    port = free_port()  # nothing listens there yet: the SMTP server is down
    context = _context(
        job_context, Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none")
    )
    people.insert_many("budgets", [{"userId": ANA, "category": "Food", "month": at(1, 0),
                                     "limit": 100.0}])  # fmt: skip
    people.insert_many("expenses", [expense(ANA, at(5, 12), 85.0, category="Food")])
    sub = _subscribe(people, ANA, "budget", {"thresholds": [80]},
                     {"type": "email", "to": "ana@example.com"}, "0 * * * *", at(20, 12))  # fmt: skip
    _run_tick(context, at(20, 12))  # the first attempt runs inside the tick (immediate queue)
    (job,) = people.find("jobs", {"kind": "alert"})
    (delivery,) = people.find("deliveries", {})
    assert (job["state"], delivery["status"]) == ("retrying", "retrying")
    assert subscriptions.get(people, sub)["lastDelivery"]["status"] == "retrying"
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()  # the server is back when the queue retries
    try:
        assert runner.execute(context, str(job["_id"]), retries_left=2) == "done"
    finally:
        controller.stop()
    (mail,) = [read_mail(raw) for _, _, raw in inbox.messages]  # the same message, once
    assert mail["Subject"] == "Food has reached 80% of its March budget"
    (delivery,) = people.find("deliveries", {})
    assert (delivery["status"], delivery["attempts"]) == ("sent", 2)
