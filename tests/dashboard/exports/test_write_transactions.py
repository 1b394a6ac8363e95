"""The Transactions page's export is audited like the finance exports: who, when, which view
(period, categories, search, amounts, order), the format and the rows it held."""

from __future__ import annotations

import datetime as dt

from dashboard.core.identity import AuthUser
from dashboard.core.periods import Period
from dashboard.data.indexes import ensure_indexes
from dashboard.data.runner import Runner
from dashboard.exports.write import export_transactions
from queries.transactions import TransactionFilter
from tests.factories import expense, utc


def test_a_transactions_export_is_audited_with_its_view_and_row_count(
    runner: Runner, la_user: AuthUser
) -> None:
    ensure_indexes(runner.store)  # the description search is a $text search
    runner.store.insert_many(
        "expenses",
        [expense(la_user, utc(2026, 3, 2, 17), 12.5, "Food"),
         expense(la_user, utc(2026, 3, 3, 7), 3.0, "Food"),
         expense(la_user, utc(2026, 3, 4, 7), 40.0, "Travel")],
    )  # fmt: skip
    view = TransactionFilter(
        period=Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31), la_user.timezone),
        categories=("Food",),
        search="lunch",
        min_amount=1.0,
    )
    data = export_transactions(runner, la_user, view, fmt="csv", sort_by="amount", descending=False)
    assert data.decode("utf-8-sig").count("\n") == 3  # header + the two Food lunches

    (entry,) = runner.store.find("audit_log", {"event": "report.export"})
    assert entry["actor"] == "ana"
    assert entry["target"] == view.period.spec
    assert entry["at"].tzinfo is not None
    details = entry["details"]
    assert details["report"] == "transactions.view"
    assert details["format"] == "csv"
    assert details["rows"] == 2
    filters = details["filters"]
    assert filters["categories"] == ["Food"]
    assert filters["search"] == "lunch"
    assert (filters["min_amount"], filters["max_amount"]) == (1.0, None)
    assert filters["timezone"] == "America/Los_Angeles"
    assert filters["sort"] == "amount asc"


def test_a_long_search_is_cut_in_the_audit_entry(runner: Runner, la_user: AuthUser) -> None:
    ensure_indexes(runner.store)
    view = TransactionFilter(
        period=Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31), la_user.timezone),
        search="x" * 5_000,
    )
    export_transactions(runner, la_user, view, fmt="csv")
    (entry,) = runner.store.find("audit_log", {"event": "report.export"})
    assert len(entry["details"]["filters"]["search"]) == 200
    assert entry["details"]["rows"] == 0
