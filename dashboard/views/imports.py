"""The Import page's data: what a statement file would import for a user, checked before anything
is written, and the same check again inside the import job (so the counts shown are the counts
applied).

The order is fixed: parse every row (bad rows are reported, never imported), apply the user's
categorisation rules, drop rows repeated within the file, then drop rows the user already has (the
same date, amount and description, or the same external id; soft-deleted expenses count, so a
deleted expense does not come back with the next statement).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import bson
import polars as pl

from dashboard.core.identity import AuthUser
from dashboard.core.statement_file import StatementFile, read_statement
from dashboard.core.statement_mapping import ColumnMapping
from dashboard.core.statement_rows import ParsedStatement, Problem, parse_statement
from dashboard.core.statement_rules import Rule, apply_rules, dedupe_key, drop_file_duplicates
from dashboard.data import imports
from dashboard.data.runner import Runner
from dashboard.store import Store

__all__ = [
    "ImportCheck",
    "check_import",
    "check_upload",
    "remembered_mapping",
    "rules_of",
    "to_documents",
]


@dataclass(frozen=True)
class ImportCheck:
    """What importing a file would do: the rows to add and why the others are not added."""

    rows: pl.DataFrame
    problems: tuple[Problem, ...]
    total: int
    credits_skipped: int
    duplicates_in_file: int
    duplicates_existing: int
    categorised: int

    @property
    def counts(self) -> dict[str, int]:
        return {
            "rows": self.total,
            "imported": self.rows.height,
            "rejected": len(self.problems_by_line),
            "duplicates": self.duplicates_in_file + self.duplicates_existing,
            "duplicates_in_file": self.duplicates_in_file,
            "duplicates_existing": self.duplicates_existing,
            "credits_skipped": self.credits_skipped,
            "categorised": self.categorised,
        }

    def problem_frame(self, *, limit: int | None = None) -> pl.DataFrame:
        """The problems as a table (line, column, value, reason), the first ``limit`` of them."""
        shown = self.problems[:limit] if limit is not None else self.problems
        return pl.DataFrame(
            [
                {"line": p.line, "column": p.column, "value": p.value, "reason": p.reason}
                for p in shown
            ],
            schema={"line": pl.Int64, "column": pl.String, "value": pl.String, "reason": pl.String},
        )

    @property
    def problems_by_line(self) -> dict[int, list[Problem]]:
        out: dict[int, list[Problem]] = {}
        for problem in self.problems:
            out.setdefault(problem.line, []).append(problem)
        return out


def rules_of(documents: Sequence[Mapping[str, Any]]) -> list[Rule]:
    """Stored rules as :class:`Rule` objects (incomplete ones are skipped)."""
    rules = []
    for doc in documents:
        contains, category = doc.get("contains"), doc.get("category")
        if isinstance(contains, str) and isinstance(category, str) and contains and category:
            rules.append(Rule(contains=contains, category=category))
    return rules


def _existing_duplicates(
    store: Store, user_id: bson.ObjectId, rows: pl.DataFrame, exclude: bson.ObjectId | None
) -> pl.Series:
    """Whether each row matches an expense the user already has."""
    if rows.is_empty():
        return pl.Series("dup", [], dtype=pl.Boolean)
    start = rows["date"].min() - timedelta(days=1)
    end = rows["date"].max() + timedelta(days=1)
    ids = rows["external_id"].drop_nulls().unique().to_list()
    existing = imports.existing_expenses(
        store, user_id, start=start, end=end, external_ids=ids, exclude_import=exclude
    )
    by_date = dedupe_key(existing.with_columns(pl.lit(None, pl.String).alias("external_id")))
    by_id = dedupe_key(existing.filter(pl.col("external_id").is_not_null()))
    date_keys = dedupe_key(rows.with_columns(pl.lit(None, pl.String).alias("external_id")))
    id_keys = dedupe_key(rows)
    return (date_keys.is_in(by_date.implode()) | id_keys.is_in(by_id.implode())).alias("dup")


def check_import(
    store: Store,
    user_id: bson.ObjectId,
    data: bytes,
    mapping: ColumnMapping,
    *,
    timezone: str,
    rules: Sequence[Rule] = (),
    statement: StatementFile | None = None,
    exclude_import: bson.ObjectId | None = None,
) -> ImportCheck:
    """Parse and check ``data`` for ``user_id`` without writing anything.

    ``exclude_import``: a batch whose own expenses are not duplicates (the job checking again after
    an earlier attempt of the same batch got some way)."""
    statement = statement or read_statement(data)
    parsed: ParsedStatement = parse_statement(data, mapping, timezone=timezone, statement=statement)
    rows, categorised = apply_rules(parsed.rows, rules, only_category=mapping.default_category)
    rows, in_file = drop_file_duplicates(rows)
    dup = _existing_duplicates(store, user_id, rows, exclude_import)
    existing = int(dup.sum()) if dup.len() else 0
    rows = rows.filter(~dup) if dup.len() else rows
    return ImportCheck(
        rows=rows,
        problems=parsed.problems,
        total=parsed.total,
        credits_skipped=parsed.credits_skipped,
        duplicates_in_file=in_file,
        duplicates_existing=existing,
        categorised=categorised,
    )


def to_documents(
    rows: pl.DataFrame, *, user_id: bson.ObjectId, import_id: bson.ObjectId, now: Any
) -> list[dict[str, Any]]:
    """Expense documents for rows of a check, with ids that are the same on every attempt."""
    docs = []
    for row in rows.iter_rows(named=True):
        doc = {
            "_id": imports.expense_id(import_id, row["line"]),
            "userId": user_id,
            "amount": row["amount"],
            "currency": row["currency"],
            "category": row["category"],
            "description": row["description"],
            "tags": ["imported"],
            "date": row["date"],
            "createdAt": now,
            "updatedAt": now,
            "deletedAt": None,
            "importId": import_id,
        }
        if row["external_id"] is not None:
            doc["externalId"] = row["external_id"]
        docs.append(doc)
    return docs


def check_upload(
    runner: Runner,
    user: AuthUser,
    data: bytes,
    mapping: ColumnMapping,
    *,
    statement: StatementFile | None = None,
) -> ImportCheck:
    """What importing ``data`` would do for ``user``, with their rules and time zone."""
    rules = rules_of(imports.rules_for(runner.store, user.id))
    return check_import(
        runner.store,
        user.id,
        data,
        mapping,
        timezone=user.timezone,
        rules=rules,
        statement=statement,
    )


def remembered_mapping(
    runner: Runner, user: AuthUser, account: str, header: Sequence[str]
) -> ColumnMapping | None:
    """The mapping remembered for ``account`` when it still fits ``header``, else None."""
    if not account:
        return None
    stored = imports.mapping_for(runner.store, user.id, account)
    if stored is None:
        return None
    try:
        mapping = ColumnMapping.from_document(stored)
    except (TypeError, ValueError):
        return None
    return None if mapping.check(header) else mapping
