"""Budget page data: the months a user can budget (computed by hand across a year boundary)."""

from __future__ import annotations

import datetime as dt

from dashboard.views.budgets import budget_months

D = dt.date


def test_the_months_to_budget_start_with_this_one_and_cross_the_year() -> None:
    assert budget_months(D(2026, 2, 14), 4) == [
        D(2026, 2, 1),
        D(2026, 1, 1),
        D(2025, 12, 1),
        D(2025, 11, 1),
    ]
    assert len(budget_months(D(2026, 12, 31))) == 12
    assert budget_months(D(2026, 12, 31))[-1] == D(2026, 1, 1)


def test_budgeted_rows_and_months_over_budget() -> None:
    import polars as pl

    from dashboard.views.budgets import budgeted, months_over

    status = pl.DataFrame({"category": ["Food", "Fun"], "budget": [100.0, None]})
    assert budgeted(status)["category"].to_list() == ["Food"]
    history = pl.DataFrame({"status": ["over", "under", "over"]})
    assert months_over(history) == 2
