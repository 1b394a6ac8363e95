"""Sample frames for the chart builder tests, and each builder with its sample (``BUILDERS``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import polars as pl

from dashboard.charts import (
    budget_history,
    budget_progress,
    calendar_heatmap,
    category_breakdown,
    category_share_area,
    category_trend,
    hour_bars,
    monthly_trend,
    period_comparison,
    weekday_bars,
)

D = dt.date


TRANSPARENT = "rgba(0,0,0,0)"


KNOWN = [
    "Food",
    "Groceries",
    "Transport",
    "Housing",
    "Utilities",
    "Entertainment",
    "Shopping",
    "Health",
    "Travel",
    "Education",
    "Subscriptions",
    "Other",
]


def monthly_frame() -> pl.DataFrame:
    # Deliberately unsorted, with an extra column the builder must ignore.
    return pl.DataFrame(
        {
            "month": [D(2025, 3, 1), D(2025, 1, 1), D(2025, 2, 1)],
            "total": [80.0, 100.0, 250.5],
            "budget": [200.0, 200.0, None],
            "moving_avg": [143.5, None, None],
            "note": ["x", "y", "z"],
        }
    )


def categories_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {"category": ["Food", "Travel", "Pets", "Health"], "total": [10.0, 30.0, 5.0, 0.0]}
    )


def march_days_frame() -> pl.DataFrame:
    days = pl.date_range(D(2025, 3, 1), D(2025, 3, 31), eager=True)
    return pl.DataFrame({"day": days, "total": [float(day.day) for day in days]})


def share_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "bucket": [D(2025, 2, 1), D(2025, 1, 1), D(2025, 1, 1), D(2025, 2, 1)],
            "category": ["Food", "Pets", "Food", "Pets"],
            "total": [0.0, 3.0, 1.0, 0.0],
        }
    )


def comparison_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "category": ["Travel", "Food", "Pets"],
            "current": [5.0, 10.0, 2.0],
            "previous": [0.0, 8.0, 4.0],
        }
    )


def progress_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "category": ["Travel", "Food", "Health"],
            "spent": [50.0, 120.0, 10.0],
            "budget": [200.0, 100.0, None],
            "forecast": [260.0, 180.0, 20.0],
        }
    )


def history_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "month": [D(2025, 2, 1), D(2025, 1, 1), D(2025, 3, 1)],
            "spent": [150.0, 120.0, 10.0],
            "budget": [200.0, 100.0, None],
        }
    )


def weekdays_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {"weekday": pl.Series([7, 1, 3, 6], dtype=pl.Int8), "total": [70.0, 10.0, 30.0, 60.0]}
    )


BUILDERS: dict[str, tuple[Callable[..., go.Figure], Callable[[], pl.DataFrame], dict[str, Any]]] = {
    "monthly_trend": (monthly_trend, monthly_frame, {}),
    "donut": (category_breakdown, categories_frame, {}),
    "treemap": (category_breakdown, categories_frame, {"kind": "treemap"}),
    "calendar_heatmap": (calendar_heatmap, march_days_frame, {}),
    "weekday_bars": (
        weekday_bars,
        lambda: pl.DataFrame({"weekday": pl.Series([1, 6], dtype=pl.Int8), "total": [1.0, 2.0]}),
        {},
    ),
    "hour_bars": (
        hour_bars,
        lambda: pl.DataFrame({"hour": pl.Series([8, 20], dtype=pl.Int8), "total": [1.0, 2.0]}),
        {},
    ),
    "category_share_area": (category_share_area, share_frame, {}),
    "category_trend": (
        category_trend,
        lambda: monthly_frame().rename({"month": "bucket"}),
        {"category": "Food"},
    ),
    "period_comparison": (period_comparison, comparison_frame, {"labels": ("Mar", "Feb")}),
    "budget_progress": (budget_progress, progress_frame, {}),
    "budget_history": (budget_history, history_frame, {}),
}


def build(name: str, frame: pl.DataFrame | None = None, currency: str = "USD") -> go.Figure:
    builder, sample, options = BUILDERS[name]
    return builder(sample() if frame is None else frame, currency=currency, **options)


def trace(fig: go.Figure, name: str) -> Any:
    (trace,) = [trace for trace in fig.data if trace.name == name]
    return trace
