"""The audit log's event names for the admin page's filter."""

from __future__ import annotations

import pytest

from dashboard.core.identity import PermissionDenied
from dashboard.data.runner import Runner
from queries.audit import audit_events
from tests.factories import ADMIN, PLAIN, utc


def test_distinct_event_names_alphabetically_and_admin_only(runner: Runner) -> None:
    runner.store.insert_many(
        "audit_log",
        [{"at": utc(2026, 3, 1), "event": e} for e in ("logout", "login.success", "logout")]
        + [{"at": utc(2026, 3, 1), "event": None}, {"at": utc(2026, 3, 1)}],
    )
    assert runner.frame(audit_events(ADMIN))["event"].to_list() == ["login.success", "logout"]
    with pytest.raises(PermissionDenied):
        audit_events(PLAIN)
