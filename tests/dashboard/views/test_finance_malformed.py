"""The finance report over malformed expenses: exact totals of the usable ones, reconciled, and the
unusable ones counted and listed for reconciliation. Expected values are worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dashboard.core.periods import month_period
from dashboard.store import Store
from dashboard.views.finance import Report, build_report
from tests.finance_data import finance_user, runner_for, seed_malformed

OCTOBER = month_period(dt.date(2025, 10, 1), "UTC")


@pytest.fixture
def report(store: Store) -> Report:
    seed_malformed(store)
    return build_report(runner_for(store), finance_user(), OCTOBER)


def test_totals_are_those_of_the_usable_expenses_and_reconcile(report: Report) -> None:
    totals = {
        r["currency"]: (r["total"], r["count"]) for r in report.by_currency.iter_rows(named=True)
    }
    assert totals == {"USD": (Decimal("12.64"), 3), "EUR": (Decimal("5.00"), 1)}
    assert report.expenses == 4
    assert report.reconciled
    assert report.by_category["category"].null_count() == 0
    assert report.deleted.height == 0  # the only deleted expense is unusable too


def test_the_unusable_expenses_are_counted_and_listed(report: Report) -> None:
    assert dict(report.left_out.counts) == {
        "date": 2, "amount": 3, "category": 1, "currency": 1, "owner": 1
    }  # fmt: skip
    listed = {
        (r["reason"], r["user"], r["amount"], r["currency"])
        for r in report.excluded.iter_rows(named=True)
    }
    assert listed == {
        ("without a valid date", "alice", "10", "USD"),
        ("with an invalid amount", "alice", "NaN", "USD"),
        ("with an invalid amount", "bob", "Infinity", "EUR"),
        ("with an invalid amount", "alice", "1e+308", "USD"),
        ("without a category", "alice", "3", "USD"),
        ("without a currency", "bob", "4", None),
        ("without an owner", None, "6", "USD"),
    }
