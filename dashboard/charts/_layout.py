"""Private helpers shared by the chart builders: input checks, empty figures, theme-neutral layout."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from typing import Literal

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
PARTIAL_PATTERN = "/"
PARTIAL_DASH = "dash"
EMPTY_CELL = "rgba(128,128,128,0.12)"  # a $0 / 0 % heatmap cell: visibly empty in both themes

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


# Legends sit below the plot area, at the bottom of the figure (container coordinates), in a
# margin big enough for the x tick labels above them and the legend rows themselves.
TICK_LABELS_PX = 36  # x tick labels (two lines at most) plus their padding
AXIS_TITLE_PX = 22
LEGEND_ROW_PX = 24
LEGEND_ITEMS_PER_ROW = 4
TOP_PX = 16  # no figure title by default: the page gives the heading


def legend_margin(items: int, *, axis_title: bool = False) -> int:
    """Bottom margin (px) that holds the x tick labels, an axis title and ``items`` legend entries."""
    rows = math.ceil(items / LEGEND_ITEMS_PER_ROW) if items > 0 else 0
    return TICK_LABELS_PX + (AXIS_TITLE_PX if axis_title else 0) + rows * LEGEND_ROW_PX


def _legend_items(fig: go.Figure) -> int:
    shown = {
        getattr(trace, "legendgroup", None) or trace.name
        for trace in fig.data
        if getattr(trace, "showlegend", False) is not False and trace.name
    }
    return len(shown) if len(shown) > 1 or fig.layout.showlegend else 0


def finish(
    fig: go.Figure,
    *,
    title: str | None = None,
    legend: Literal["below", "beside"] = "below",
) -> go.Figure:
    """Transparent backgrounds and a legend that never covers data or text; no figure title unless
    ``title`` is given (the page's heading names the chart). Template left to the app's theme.

    ``legend="below"``: one horizontal legend under the plot, in its own strip of the bottom margin
    (below the x tick labels). ``"beside"`` (pies): a vertical legend right of the plot area.
    """
    items = 0 if fig.layout.showlegend is False else _legend_items(fig)
    axis_title = bool(fig.layout.xaxis.title.text)
    if legend == "beside":
        legend_layout = {
            "orientation": "v",
            "x": 1.02,
            "xanchor": "left",
            "y": 0.5,
            "yanchor": "middle",
        }
        bottom = 8
    else:
        legend_layout = {
            "orientation": "h",
            "xref": "container",
            "yref": "container",
            "x": 0,
            "xanchor": "left",
            "y": 0,
            "yanchor": "bottom",
        }
        bottom = (
            legend_margin(items, axis_title=axis_title)
            if items
            else 8 + (TICK_LABELS_PX if fig.layout.xaxis.visible is not False else 0)
        )
    fig.update_layout(
        title={"text": title} if title else None,
        paper_bgcolor=TRANSPARENT,
        plot_bgcolor=TRANSPARENT,
        margin={"t": 64 if title else TOP_PX, "b": bottom},
        legend=legend_layout,
    )
    fig.update_xaxes(automargin=True)
    return fig


def no_data(frame: pl.DataFrame, columns: Sequence[str]) -> bool:
    """True when none of ``columns`` holds a non-zero value: all zeros draw the empty state."""
    if frame.is_empty():
        return True
    return not any(
        (frame[name].cast(pl.Float64, strict=False).fill_null(0) != 0).any() for name in columns
    )


def heat_scale(zmax: float) -> dict[str, object]:
    """Heatmap colours from exactly 0 (a pale neutral cell: nothing) to ``zmax`` (darkest).

    Never below 0, whatever the data; positive values start at a light blue, so an empty day
    never looks like a medium one.
    """
    top = zmax if zmax > 0 else 1.0
    return {
        "zmin": 0,
        "zmax": top,
        "zauto": False,
        "colorscale": [
            [0.0, EMPTY_CELL],
            [1e-6, "#DEEBF7"],
            [0.5, "#6BAED6"],
            [1.0, "#08306B"],
        ],
    }


def bucket_axis(
    fig: go.Figure, buckets: Sequence[dt.date], *, fmt: str, half: dt.timedelta, max_ticks: int = 12
) -> None:
    """A date axis that shows only the buckets drawn: range from the first to the last bucket
    (plus half a bucket for bar widths) and tick labels only on buckets, never outside them."""
    if not buckets:
        return
    step = max(1, math.ceil(len(buckets) / max_ticks))
    ticks = list(buckets)[::step]
    fig.update_xaxes(
        type="date",
        range=[(_start(buckets[0]) - half).isoformat(), (_start(buckets[-1]) + half).isoformat()],
        tickmode="array",
        tickvals=ticks,
        ticktext=[f"{day:{fmt}}" for day in ticks],
    )
    if half > dt.timedelta(0):
        # Bars on a date axis are as wide as Plotly's smallest gap between them, which one bucket
        # does not have: a single month would be a hairline. Width is in milliseconds here.
        width = 1.6 * half.total_seconds() * 1000
        fig.update_traces(width=width, selector={"type": "bar"})


def date_buckets_axis(fig: go.Figure, buckets: Sequence[dt.date]) -> None:
    """:func:`bucket_axis` for day, week or month buckets, told apart by their spacing (months
    read "Dec 2026", days and weeks "04 Dec")."""
    days = sorted(set(buckets))
    if not days:
        return
    gaps = [(b - a).days for a, b in itertools.pairwise(days)]
    step = min(gaps) if gaps else 1
    monthly = step >= 28 and all(day.day == 1 for day in days)
    bucket_axis(
        fig,
        days,
        fmt="%b %Y" if monthly else "%d %b",
        half=dt.timedelta(days=step / 2) if step > 1 else dt.timedelta(hours=12),
    )


def _start(day: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(day, dt.datetime):
        return day
    return dt.datetime.combine(day, dt.time())


def partial_patterns(partial: Sequence[bool] | None, count: int) -> dict[str, object]:
    """``marker.pattern`` hatching the partial buckets' bars ("/"), the others plain."""
    flags = list(partial) if partial is not None else [False] * count
    return {"shape": [PARTIAL_PATTERN if flag else "" for flag in flags], "solidity": 0.4}


def partial_line(
    fig: go.Figure,
    x: Sequence[object],
    y: Sequence[float | None],
    partial: Sequence[bool] | None,
    *,
    name: str,
    color: str,
    hovertemplate: str,
    legendgroup: str | None = None,
) -> None:
    """A line whose complete points are solid and whose partial points are a separate dashed
    trace ("Partial", joined to the neighbouring complete point), so a bucket still filling up
    does not read as a real drop."""
    flags = list(partial) if partial is not None else [False] * len(x)
    solid = [value if not flag else None for value, flag in zip(y, flags)]
    near = [
        flag or (i > 0 and flags[i - 1]) or (i + 1 < len(flags) and flags[i + 1])
        for i, flag in enumerate(flags)
    ]
    group = legendgroup or name
    fig.add_scatter(
        x=list(x),
        y=solid,
        name=name,
        mode="lines",
        connectgaps=False,
        legendgroup=group,
        line={"color": color, "width": 2},
        hovertemplate=hovertemplate,
    )
    if any(flags):
        fig.add_scatter(
            x=list(x),
            y=[value if close else None for value, close in zip(y, near)],
            name=f"{name} (partial)",
            mode="lines",
            connectgaps=False,
            legendgroup=group,
            showlegend=False,
            line={"color": color, "width": 2, "dash": PARTIAL_DASH},
            hovertemplate=hovertemplate.replace("<extra></extra>", " (partial)<extra></extra>"),
        )


def partial_flags(frame: pl.DataFrame) -> list[bool] | None:
    """The frame's ``partial`` column as a list (None when the view did not mark any)."""
    if "partial" not in frame.columns:
        return None
    return [bool(flag) for flag in frame["partial"].fill_null(False).to_list()]


def money_axis(fig: go.Figure, currency: str, *, axis: str = "y") -> None:
    """Currency prefix and number format on the value axis (ticks and hover)."""
    fmt = plotly_money_format(currency)
    if axis == "y":
        fig.update_yaxes(**fmt, rangemode="tozero")
    else:
        fig.update_xaxes(**fmt, rangemode="tozero")


def empty_figure(*, title: str | None = None) -> go.Figure:
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
    fig.update_layout(showlegend=False)
    return finish(fig, title=title)
