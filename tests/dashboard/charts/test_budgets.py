"""Budget charts: progress per category this month, and spent against budget month by month."""

from __future__ import annotations

import polars as pl

from dashboard.charts import (
    budget_history,
    budget_progress,
    category_colors,
)
from tests.dashboard.charts.frames import (
    D,
    history_frame,
    progress_frame,
    trace,
)


def test_budget_progress() -> None:
    fig = budget_progress(progress_frame(), currency="USD")
    assert [(t.type, t.name) for t in fig.data] == [
        ("bar", "Forecast"),
        ("bar", "Spent"),
        ("scatter", "Budget"),
    ]
    forecast = trace(fig, "Forecast")
    spent = trace(fig, "Spent")
    budget = trace(fig, "Budget")
    assert spent.orientation == "h"
    assert spent.y == ("Food", "Travel", "Health")  # by spent, largest on top
    assert fig.layout.yaxis.autorange == "reversed"
    assert spent.x == (120.0, 50.0, 10.0)
    assert forecast.x == (180.0, 260.0, 20.0)
    assert budget.x == (100.0, 200.0, None)
    assert spent.marker.color == tuple(category_colors(spent.y).values())
    assert forecast.marker.color == spent.marker.color
    assert forecast.marker.opacity < 1
    # Food is over (120 > 100): hatched and labelled; Travel will be (260 > 200).
    assert spent.marker.pattern.shape == ("/", "", "")
    assert spent.text == ("Over by $20.00", "On pace to exceed", "")
    assert spent.hovertext == ("120% of $100.00", "25% of $200.00", "No budget")
    assert fig.layout.xaxis.tickprefix == "$"
    assert "$%{x:,.2f}" in spent.hovertemplate


def test_budget_history() -> None:
    fig = budget_history(history_frame(), currency="USD")
    assert [(t.type, t.name) for t in fig.data] == [
        ("bar", "Within budget"),
        ("bar", "Over budget"),
        ("bar", "No budget"),
        ("scatter", "Budget"),
    ]
    assert fig.layout.barmode == "overlay"
    within = trace(fig, "Within budget")
    over = trace(fig, "Over budget")
    assert within.x == (D(2025, 2, 1),)
    assert within.y == (150.0,)
    assert over.x == (D(2025, 1, 1),)  # 120 > 100
    assert over.y == (120.0,)
    assert over.marker.pattern.shape == "/"
    assert over.marker.color != within.marker.color
    assert trace(fig, "No budget").x == (D(2025, 3, 1),)
    line = trace(fig, "Budget")
    assert line.x == (D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1))
    assert line.y == (100.0, 200.0, None)
    assert fig.layout.yaxis.tickprefix == "$"


def test_budget_history_leaves_out_empty_groups() -> None:
    frame = history_frame().filter(pl.col("budget").is_not_null())
    names = [t.name for t in budget_history(frame, currency="USD").data]
    assert names == ["Within budget", "Over budget", "Budget"]
