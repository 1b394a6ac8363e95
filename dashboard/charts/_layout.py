"""Private helpers shared by the chart builders: input checks, empty figures, theme-neutral layout."""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl

from dashboard.core.money import plotly_money_format

NO_DATA = "No data for this period"
TRANSPARENT = "rgba(0,0,0,0)"

# Colours for series that are not categories. All keep >= 2:1 contrast on white and on
# Streamlit's dark background; over-budget bars also get a hatch so colour is not the only cue.
SPENT_COLOR = "#4477AA"
BUDGET_COLOR = "#EE7733"
AVERAGE_COLOR = "#009988"
OVER_COLOR = "#CC3311"
NO_BUDGET_COLOR = "#999999"
OVER_PATTERN = "/"

WEEKDAY_NAMES = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}


def require(frame: pl.DataFrame, columns: Sequence[str], builder: str) -> pl.DataFrame:
    """The frame narrowed to ``columns`` (extra columns ignored); a clear error if any is missing."""
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise ValueError(f"{builder}: the frame lacks column(s) {', '.join(missing)}")
    return frame.select(columns)


def check_week_start(week_start: int) -> None:
    if week_start not in WEEKDAY_NAMES:
        raise ValueError(f"week_start must be 1 (Monday) … 7 (Sunday), got {week_start!r}")


def weekday_order(week_start: int) -> list[int]:
    """ISO weekday numbers in display order, starting at ``week_start``."""
    check_week_start(week_start)
    return [(week_start - 1 + offset) % 7 + 1 for offset in range(7)]


def month_dtick(months: int) -> str:
    """A month tick step that keeps about a dozen labels on the axis."""
    return f"M{max(1, math.ceil(months / 12))}"


def finish(fig: go.Figure, *, title: str | None) -> go.Figure:
    """Short title, transparent backgrounds, compact legend; template left to the app's theme."""
    fig.update_layout(
        title={"text": title} if title else None,
        paper_bgcolor=TRANSPARENT,
        plot_bgcolor=TRANSPARENT,
        margin={"t": 64 if title else 32, "b": 8},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
    )
    return fig


def money_axis(fig: go.Figure, currency: str, *, axis: str = "y") -> None:
    """Currency prefix and number format on the value axis (ticks and hover)."""
    fmt = plotly_money_format(currency)
    if axis == "y":
        fig.update_yaxes(**fmt, rangemode="tozero")
    else:
        fig.update_xaxes(**fmt, rangemode="tozero")


def empty_figure(*, title: str | None) -> go.Figure:
    """A figure that says there is nothing to show, instead of empty axes or a crash."""
    fig = go.Figure()
    fig.add_annotation(
        text=NO_DATA,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 14},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return finish(fig, title=title)
