"""The Import page's history and settings: past import batches (with undo), the job in progress,
and the user's categorisation rules (saved, and re-applied to their expenses)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import bson
import polars as pl

from dashboard.core.identity import AuthUser
from dashboard.core.statement_rules import Rule, apply_rules
from dashboard.data import imports, jobs
from dashboard.data.audit_log import audit
from dashboard.data.runner import Runner

__all__ = [
    "HISTORY_SCHEMA",
    "MAX_RULES",
    "RuleError",
    "UndoRefused",
    "history",
    "reapply_rules",
    "rules_table",
    "save_rules",
    "undo_import",
]

#: At most this many rules per user (each is a substring test on every imported row).
MAX_RULES = 200
HISTORY_SCHEMA: dict[str, pl.DataType] = {
    "import_id": pl.String(),
    "created": pl.Datetime("ms", "UTC"),
    "file": pl.String(),
    "account": pl.String(),
    "state": pl.String(),
    "imported": pl.Int64(),
    "duplicates": pl.Int64(),
    "rejected": pl.Int64(),
    "credits_skipped": pl.Int64(),
}


class RuleError(ValueError):
    """A rule the user typed cannot be saved; the message says which and why."""


class UndoRefused(ValueError):
    """The batch cannot be undone now; the message says why."""


def _state(runner: Runner, doc: dict[str, Any]) -> str | None:
    """The batch's state as the user should read it: an import whose job ended without recording
    the batch (out of retries) is ``failed``, whatever rows it left are undoable."""
    state = doc.get("state")
    if state == "importing" and isinstance(doc.get("jobId"), bson.ObjectId):
        job = jobs.get(runner.store, doc["jobId"])
        if job is None or job.get("state") not in jobs.ACTIVE:
            return "failed"
    return state


def history(runner: Runner, user: AuthUser, *, limit: int = 20) -> pl.DataFrame:
    """The user's import batches, newest first, with their counts."""
    rows = []
    for doc in imports.batches_for(runner.store, user.id, limit=limit):
        counts = doc.get("counts") or {}
        rows.append(
            {
                "import_id": str(doc["_id"]),
                "created": doc.get("createdAt"),
                "file": doc.get("fileName"),
                "account": doc.get("account"),
                "state": _state(runner, doc),
                **{
                    k: counts.get(k)
                    for k in ("imported", "duplicates", "rejected", "credits_skipped")
                },
            }
        )
    return pl.DataFrame(rows, schema=HISTORY_SCHEMA)


def undo_import(runner: Runner, user: AuthUser, import_id: str) -> int:
    """Remove every expense the batch added (only this user's), clear their cached figures, audit."""
    if not bson.ObjectId.is_valid(import_id):
        return 0
    batch = imports.batch(runner.store, user.id, bson.ObjectId(import_id))
    if batch is None:
        return 0  # not this user's batch
    if _state(runner, batch) == "importing":
        msg = "This import is still running: undo it once it has finished."
        raise UndoRefused(msg)
    removed = imports.undo(runner.store, user.id, bson.ObjectId(import_id))
    runner.cache.invalidate(user.scope)
    audit(
        runner.store,
        "import.undone",
        actor=user.username,
        target=import_id,
        details={"removed": removed},
    )
    return removed


def rules_table(runner: Runner, user: AuthUser) -> pl.DataFrame:
    """The user's rules as an editable table (``contains``, ``category``)."""
    return pl.DataFrame(
        imports.rules_for(runner.store, user.id),
        schema={"contains": pl.String, "category": pl.String},
    )


def save_rules(runner: Runner, user: AuthUser, rows: Sequence[Mapping[str, Any]]) -> list[Rule]:
    """Check and store the user's rules (blank lines dropped); raise :class:`RuleError` naming the
    first bad line."""
    rules = []
    for number, row in enumerate(rows, start=1):
        contains = str(row.get("contains") or "").strip()
        category = str(row.get("category") or "").strip()
        if not contains and not category:
            continue
        rule = Rule(contains=contains, category=category)
        if problems := rule.check():
            raise RuleError(f"Rule {number}: {'; '.join(problems)}")
        if len(category) > 40:
            raise RuleError(f"Rule {number}: the category has more than 40 characters")
        rules.append(rule)
    if len(rules) > MAX_RULES:
        raise RuleError(f"At most {MAX_RULES} rules; remove {len(rules) - MAX_RULES}")
    imports.save_rules(
        runner.store, user.id, [{"contains": r.contains, "category": r.category} for r in rules]
    )
    return rules


def reapply_rules(runner: Runner, user: AuthUser, rules: Sequence[Rule]) -> int:
    """Apply ``rules`` to every live expense of the user (first matching rule wins); return how many
    changed category."""
    if not rules:
        return 0
    expenses = imports.user_expenses(runner.store, user.id).filter(
        pl.col("description").is_not_null()
    )
    before = expenses["category"]
    after, _ = apply_rules(expenses, rules)
    changed = after.filter(after["category"].ne_missing(before))
    groups = {category: ids for category, ids in changed.group_by("category").agg("id").iter_rows()}
    count = imports.set_categories(runner.store, user.id, groups)
    if count:
        runner.cache.invalidate(user.scope)
        audit(runner.store, "import.rules_applied", actor=user.username, details={"changed": count})
    return count
