"""Chart builders: Polars frames in, Plotly figures out, one public function per chart.

Every builder selects only the columns it needs, never changes its input, leaves
``layout.template`` to the app (so ``st.plotly_chart(fig, theme="streamlit")`` styles it for
light and dark mode), uses transparent backgrounds, formats amounts with
:mod:`dashboard.money`, colours categories with :func:`category_colors`, and returns a figure
reading "No data for this period" for an empty frame.

Reading a category selection on a page::

    fig = category_breakdown(frame, currency=currency, kind="treemap")
    event = st.plotly_chart(fig, key="by_category", on_select="rerun",
                            selection_mode=("points", "box"), theme="streamlit")
    category = selected_category(event)  # "Food", or None when nothing is selected

Streamlit 1.67 reports clicks on the treemap and on bars (``period_comparison``,
``budget_progress``, ``category_trend``) but not on the donut; see
:mod:`dashboard.charts.selection`.
"""

from __future__ import annotations

from dashboard.charts._layout import NO_DATA
from dashboard.charts.budgets import budget_history, budget_progress
from dashboard.charts.categories import (
    category_breakdown,
    category_share_area,
    category_trend,
    period_comparison,
)
from dashboard.charts.colors import CATEGORY_PALETTE, category_colors
from dashboard.charts.selection import selected_category
from dashboard.charts.system import (
    db_time,
    duration_bars,
    error_rates,
    latency_over_time,
    throughput,
)
from dashboard.charts.timeline import calendar_heatmap, hour_bars, monthly_trend, weekday_bars
from dashboard.charts.usage import (
    active_users_trend,
    retention_heatmap,
    route_family_bars,
    segment_bars,
    signup_bars,
    stickiness_trend,
)

__all__ = [
    "CATEGORY_PALETTE",
    "NO_DATA",
    "active_users_trend",
    "budget_history",
    "budget_progress",
    "calendar_heatmap",
    "category_breakdown",
    "category_colors",
    "category_share_area",
    "category_trend",
    "db_time",
    "duration_bars",
    "error_rates",
    "hour_bars",
    "latency_over_time",
    "monthly_trend",
    "period_comparison",
    "retention_heatmap",
    "route_family_bars",
    "segment_bars",
    "selected_category",
    "signup_bars",
    "stickiness_trend",
    "throughput",
    "weekday_bars",
]
