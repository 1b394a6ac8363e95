"""Creating and managing alerts: roles decide the kinds, params and channels are checked with a
message naming the field, only the owner (or an admin) changes an alert, and a webhook's path (it
may hold a token) is never shown."""

from __future__ import annotations

import datetime as dt

import bson
import pytest

from dashboard.core.identity import AuthUser, PermissionDenied
from dashboard.data import subscriptions
from dashboard.data.runner import Runner
from dashboard.views.alert_subscriptions import (
    SubscriptionError,
    all_subscriptions_table,
    create_subscription,
    delete_subscription,
    kinds_for,
    set_active,
    subscriptions_table,
)

NOW = dt.datetime(2025, 3, 20, 12, 30, tzinfo=dt.UTC)  # a Thursday


def _user(roles: tuple[str, ...], n: int = 1, email: str | None = "x@example.com") -> AuthUser:
    return AuthUser(id=bson.ObjectId(f"6500000000000000000000{n:02d}"), username=f"u{n}",
                    name="U", email=email, roles=roles, timezone="Europe/Paris")  # fmt: skip


USER, PRODUCT, FINANCE, ADMIN = _user(("user",)), _user(("product",), 2), _user(("finance",), 3), _user(("admin",), 4)  # fmt: skip
MAIL = {"type": "email", "to": ""}


def test_roles_decide_the_kinds() -> None:
    assert set(kinds_for(USER)) == {"budget", "summary"}
    assert set(kinds_for(PRODUCT)) == {"sla"}
    assert set(kinds_for(FINANCE)) == {"report"}
    assert set(kinds_for(ADMIN)) == {"budget", "summary", "sla", "report"}


def test_an_alert_outside_the_roles_is_refused(runner: Runner) -> None:
    with pytest.raises(SubscriptionError, match="needs the product role"):
        create_subscription(runner, USER, kind="sla", params={"metric": "api_p95"}, channel=MAIL)
    with pytest.raises(SubscriptionError, match="needs the finance role"):
        create_subscription(runner, PRODUCT, kind="report",
                            params={"format": "pdf", "period": "previous-month"}, channel=MAIL)  # fmt: skip
    assert runner.store.count_documents("subscriptions", {}) == 0


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("budget", {"thresholds": []}, "thresholds: give 1 to 5 percentages"),
        ("budget", {"thresholds": [80, 2000]}, "thresholds: must be 1 to 1000, got 2000"),
        ("budget", {"category": "x" * 41}, "category: at most 40 characters"),
        ("summary", {"frequency": "daily"}, "frequency: weekly or monthly, got 'daily'"),
    ],
)
def test_bad_params_name_their_field(runner: Runner, kind: str, params: dict, message: str) -> None:
    with pytest.raises(SubscriptionError, match=message):
        create_subscription(runner, USER, kind=kind, params=params, channel=MAIL)


def test_a_summary_runs_next_monday_at_seven_in_the_users_zone(runner: Runner) -> None:
    sub_id = create_subscription(runner, USER, kind="summary", params={"frequency": "weekly"},
                                 channel=MAIL, now=NOW)  # fmt: skip
    sub = subscriptions.get(runner.store, sub_id)
    assert sub["nextRunAt"] == dt.datetime(2025, 3, 24, 6, tzinfo=dt.UTC)  # 07:00 CET
    assert sub["channel"] == {"type": "email", "to": "x@example.com"}  # the account's own address
    assert sub["title"] == "Weekly spending summary"
    (entry,) = runner.store.find("audit_log", {"event": "alert.subscribed"})
    assert entry["actor"] == "u1"


def test_without_an_address_an_email_alert_says_so(runner: Runner) -> None:
    with pytest.raises(SubscriptionError, match="your account has no e-mail address"):
        create_subscription(runner, _user(("user",), 5, email=None), kind="summary",
                            params={"frequency": "monthly"}, channel=MAIL)  # fmt: skip


def test_a_webhooks_path_is_never_shown(runner: Runner) -> None:
    create_subscription(runner, PRODUCT, kind="sla", params={"metric": "error_rate", "buckets": 2},
                        channel={"type": "webhook", "url": "https://hooks.example.com/T0/secret",
                                 "slack": True})  # fmt: skip
    (row,) = subscriptions_table(runner, PRODUCT).iter_rows(named=True)
    assert row["channel"] == "webhook to hooks.example.com (Slack)"
    assert "secret" not in str(all_subscriptions_table(runner, ADMIN).to_dicts())
    with pytest.raises(PermissionDenied):
        all_subscriptions_table(runner, PRODUCT)


def test_only_the_owner_or_an_admin_pauses_or_deletes(runner: Runner) -> None:
    sub_id = str(create_subscription(runner, USER, kind="summary",
                                     params={"frequency": "monthly"}, channel=MAIL))  # fmt: skip
    assert not set_active(runner, PRODUCT, sub_id, False)
    assert not delete_subscription(runner, PRODUCT, sub_id)
    assert not delete_subscription(runner, USER, "{'$ne': 1}")
    assert set_active(runner, USER, sub_id, False)
    assert set_active(runner, ADMIN, sub_id, True)
    assert delete_subscription(runner, ADMIN, sub_id)
    assert runner.store.count_documents("subscriptions", {}) == 0
