"""Import history, undo and rules as the page uses them: only the signed-in user's own."""

from __future__ import annotations

from datetime import UTC, datetime

import bson
import pytest

from dashboard.core.identity import AuthUser
from dashboard.core.statement_rules import Rule
from dashboard.data import imports, jobs
from dashboard.data.runner import Runner
from dashboard.views.import_batches import (
    RuleError,
    UndoRefused,
    history,
    reapply_rules,
    save_rules,
    undo_import,
)
from dashboard.views.jobs import job_for
from tests.factories import expense

BEN = AuthUser(id=bson.ObjectId("650000000000000000000002"), username="ben", name="Ben",
               email=None, roles=("user",))  # fmt: skip


def test_rules_are_checked_line_by_line(runner: Runner, la_user: AuthUser) -> None:
    rows = [{"contains": "NETFLIX", "category": "Subscriptions"}, {"contains": "", "category": ""}]
    assert save_rules(runner, la_user, rows) == [Rule("NETFLIX", "Subscriptions")]
    with pytest.raises(RuleError, match="Rule 2"):
        save_rules(runner, la_user, [rows[0], {"contains": "x", "category": ""}])
    with pytest.raises(RuleError, match="more than 40"):
        save_rules(runner, la_user, [{"contains": "x", "category": "c" * 41}])


def test_reapplying_rules_changes_only_the_users_matching_expenses(
    runner: Runner, la_user: AuthUser
) -> None:
    day = datetime(2025, 3, 1, tzinfo=UTC)
    runner.store.insert_many("expenses", [
        expense(la_user, day, 15.99, category="Entertainment", description="NETFLIX.COM 123"),
        expense(la_user, day, 9.99, category="Subscriptions", description="netflix"),
        expense(la_user, day, 4.0, category="Food", description="Lunch"),
        expense(BEN.id, day, 15.99, category="Entertainment", description="NETFLIX.COM"),
    ])  # fmt: skip
    runner.cache.invalidate = lambda scope: calls.append(scope)  # type: ignore[method-assign]
    calls: list[str] = []
    changed = reapply_rules(runner, la_user, [Rule("netflix", "Subscriptions")])
    assert changed == 1  # the one already in Subscriptions does not count
    by_owner = {
        (d["userId"], d["description"]): d["category"] for d in runner.store.find("expenses", {})
    }
    assert by_owner[(la_user.id, "NETFLIX.COM 123")] == "Subscriptions"
    assert by_owner[(la_user.id, "Lunch")] == "Food"
    assert by_owner[(BEN.id, "NETFLIX.COM")] == "Entertainment"
    assert calls == [la_user.scope]


def test_undo_and_history_are_the_users_own(runner: Runner, la_user: AuthUser) -> None:
    batch = bson.ObjectId()
    doc = {**expense(la_user, datetime(2025, 3, 1, tzinfo=UTC), 5.0), "importId": batch}
    runner.store.insert_many("expenses", [doc])
    imports.record_batch(runner.store, batch, user_id=la_user.id,
                         fields={"state": "applied", "fileName": "a.csv", "counts": {"imported": 1}})  # fmt: skip
    assert history(runner, BEN).is_empty()
    assert history(runner, la_user)["imported"].to_list() == [1]
    assert undo_import(runner, BEN, str(batch)) == 0
    assert undo_import(runner, la_user, "not-an-id") == 0
    assert undo_import(runner, la_user, str(batch)) == 1
    assert history(runner, la_user)["state"].to_list() == ["undone"]
    (entry,) = runner.store.find("audit_log", {"event": "import.undone"})
    assert (entry["actor"], entry["details"]) == (la_user.username, {"removed": 1})


def test_a_job_id_from_the_session_shows_only_the_users_own_job(
    runner: Runner, la_user: AuthUser
) -> None:
    mine = jobs.create(runner.store, kind="import", user_id=la_user.id, username="ana", title="t")
    theirs = jobs.create(runner.store, kind="import", user_id=BEN.id, username="ben", title="t")
    assert job_for(runner, la_user, str(mine))["_id"] == mine
    assert job_for(runner, la_user, str(theirs)) is None
    assert job_for(runner, la_user, "{'$ne': 1}") is None


def test_a_running_import_cannot_be_undone_but_a_failed_one_can(
    runner: Runner, la_user: AuthUser
) -> None:
    job_id = jobs.create(runner.store, kind="import", user_id=la_user.id, username="ana", title="t")
    doc = {**expense(la_user, datetime(2025, 3, 1, tzinfo=UTC), 5.0), "importId": job_id}
    runner.store.insert_many("expenses", [doc])  # part of a merge that did not finish
    imports.record_batch(runner.store, job_id, user_id=la_user.id,
                         fields={"state": "importing", "jobId": job_id, "fileName": "a.csv"})  # fmt: skip
    jobs.claim(runner.store, job_id, worker="w1")
    assert history(runner, la_user)["state"].to_list() == ["importing"]
    with pytest.raises(UndoRefused, match="still running"):
        undo_import(runner, la_user, str(job_id))
    jobs.fail(runner.store, job_id, error="out of retries")
    assert history(runner, la_user)["state"].to_list() == ["failed"]
    assert undo_import(runner, la_user, str(job_id)) == 1
