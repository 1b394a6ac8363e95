"""Budget charts: progress per category this month, and spent against budget month by month."""

from __future__ import annotations

import polars as pl

from dashboard.charts import (
    budget_history,
    budget_progress,
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
        ("bar", "Over budget"),
        ("scatter", "Budget"),
    ]
    forecast = trace(fig, "Forecast")
    spent = trace(fig, "Spent")
    over = trace(fig, "Over budget")
    budget = trace(fig, "Budget")
    assert spent.orientation == "h"
    assert spent.y == ("Food", "Travel", "Health")  # by spent, largest on top
    assert fig.layout.yaxis.autorange == "reversed"
    # Food is over (120 > 100): its bar is in "Over budget", hatched and labelled; Travel will
    # be (260 > 200).
    assert spent.x == (None, 50.0, 10.0)
    assert over.x == (120.0, None, None)
    assert over.marker.pattern.shape == "/"
    assert over.text == ("Over by $20.00", "", "")
    assert spent.text == ("", "On pace to exceed", "")
    assert forecast.x == (180.0, 260.0, 20.0)
    assert budget.x == (100.0, 200.0, None)
    assert forecast.marker.opacity < 1
    assert spent.hovertext == ("120% of $100.00", "25% of $200.00", "No budget")
    assert fig.layout.xaxis.tickprefix == "$"
    assert "$%{x:,.2f}" in spent.hovertemplate


def test_budget_progress_gives_every_series_its_own_legend_entry() -> None:
    # The old chart drew Forecast and Spent in the same category colours: one swatch for two
    # meanings. Each series is now a legend entry of its own, with its own group and look.
    fig = budget_progress(progress_frame(), currency="USD")
    assert all(t.showlegend is True for t in fig.data)
    names = [t.name for t in fig.data]
    groups = [t.legendgroup for t in fig.data]
    assert len(set(names)) == len(names) == 4
    assert len(set(groups)) == len(groups)
    colours = {t.name: str(t.marker.color) for t in fig.data}
    assert colours["Spent"] != colours["Over budget"] != colours["Budget"]
    looks = {t.name: (str(t.marker.color), t.marker.opacity, str(t.marker.pattern.shape))
             for t in fig.data if t.type == "bar"}  # fmt: skip
    assert len(set(looks.values())) == len(looks)  # forecast, spent, over: three looks


def test_budget_progress_of_a_month_that_is_over_has_no_forecast() -> None:
    fig = budget_progress(progress_frame(), currency="USD", forecast=False)
    assert [t.name for t in fig.data] == ["Spent", "Over budget", "Budget"]
    # A forecast equal to the spending (a closed month's) adds nothing either.
    closed = progress_frame().with_columns(forecast=pl.col("spent"))
    assert "Forecast" not in [t.name for t in budget_progress(closed, currency="USD").data]


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
