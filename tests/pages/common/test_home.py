"""The home page through app.py: the user's own totals, and a count of what they leave out."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from dashboard.store import Store
from tests.apptest import login_as, raw_expenses
from tests.factories import broken_expense


def test_the_summary_counts_the_usable_expenses_and_says_what_it_left_out(
    new_app, app_store: Store
) -> None:
    user, raw = raw_expenses(app_store, "demo-user")  # all usable, by the seed
    when = dt.datetime(2026, 1, 10, 12, tzinfo=dt.UTC)
    app_store.insert_many(
        "expenses",
        [
            broken_expense(user["_id"], when, amount=math.nan),
            broken_expense(user["_id"], when, amount=1e308),
            broken_expense(user["_id"], when, category=None),
        ],
    )
    at = login_as(new_app, "user")
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Your expenses"].replace(",", "")) == raw.height
    assert user["currency"] == "USD"  # the seed's demo user
    assert metrics["Total spent"] == f"${round(raw['amount'].sum(), 2):,.2f}"
    warnings = [w.value for w in at.warning]
    assert any(
        w.startswith(
            "2 expenses with an invalid amount and 1 expense without a category were left out."
        )
        for w in warnings
    ), warnings


@pytest.mark.parametrize(("currency", "symbol", "decimals"), [("EUR", "€", 2), ("JPY", "¥", 0)])
def test_the_total_is_shown_with_the_users_currency_symbol(
    currency: str, symbol: str, decimals: int, new_app, app_store: Store
) -> None:
    """Before: "Total spent (EUR)" over a bare "1234.50"; now the amount carries its symbol."""
    app_store.update_many("users", {"username": "demo-user"}, {"$set": {"currency": currency}})
    _, raw = raw_expenses(app_store, "demo-user")
    at = login_as(new_app, "user")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Total spent"] == f"{symbol}{raw['amount'].sum():,.{decimals}f}"
