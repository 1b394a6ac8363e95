"""Spending by category: breakdown, share over time, one category's trend, period comparison.

Every trace that shows categories carries the category name in ``customdata`` (and, for the
donut and treemap, in ``labels``/``ids``) so a Streamlit selection can be turned back into a
category with :func:`dashboard.charts.selected_category`.
"""

from __future__ import annotations

from typing import Literal

import plotly.graph_objects as go
import polars as pl

from dashboard.charts import _layout as ui
from dashboard.charts.colors import category_colors
from dashboard.core.money import format_money, hover_money

__all__ = ["category_breakdown", "category_share_area", "category_trend", "period_comparison"]

_PREVIOUS_OPACITY = 0.45
_PREVIOUS_PATTERN = "."


def _by_category(data: pl.DataFrame, values: list[str], *, sort_by: list[str]) -> pl.DataFrame:
    """One row per category (null names count as "Other"), largest first, ties by name."""
    return (
        data.with_columns(pl.col("category").fill_null("Other"))
        .group_by("category", maintain_order=True)
        .agg(pl.col(name).sum() for name in values)
        .sort([*sort_by, "category"], descending=[*([True] * len(sort_by)), False])
    )


def category_breakdown(
    frame: pl.DataFrame,
    *,
    currency: str,
    kind: Literal["donut", "treemap"] = "donut",
    title: str | None = "By category",
) -> go.Figure:
    """Each category's part of the total, as a donut (total in the hole) or a treemap.

    Frame: ``category``, ``total``. Categories with no positive total are left out (a slice
    cannot be negative). Largest first, clockwise from 12 o'clock. Selection: Streamlit 1.67
    only reports clicks on the treemap; see :func:`dashboard.charts.selected_category`.
    """
    if kind not in ("donut", "treemap"):
        raise ValueError(f"kind must be 'donut' or 'treemap', got {kind!r}")
    data = ui.require(frame, ["category", "total"], "category_breakdown")
    data = _by_category(data, ["total"], sort_by=["total"]).filter(pl.col("total") > 0)
    if data.is_empty():
        return ui.empty_figure(title=title)
    names: list[str] = data["category"].to_list()
    totals: list[float] = data["total"].to_list()
    colors = category_colors(names)
    marker_colors = [colors[name] for name in names]
    amount = hover_money(currency, "value")
    if kind == "donut":
        trace: go.Pie | go.Treemap = go.Pie(
            labels=names,
            values=totals,
            customdata=names,
            hole=0.55,
            sort=False,
            direction="clockwise",
            marker={"colors": marker_colors},
            textinfo="percent",
            hovertemplate=f"%{{label}}<br>{amount} (%{{percent}})<extra></extra>",
        )
    else:
        trace = go.Treemap(
            labels=names,
            ids=names,
            parents=[""] * len(names),
            values=totals,
            customdata=names,
            sort=False,
            marker={"colors": marker_colors},
            texttemplate="%{label}<br>%{percentRoot:.0%}",
            hovertemplate=f"%{{label}}<br>{amount} (%{{percentRoot:.1%}})<extra></extra>",
        )
    fig = go.Figure(trace)
    if kind == "donut":
        fig.add_annotation(
            text=format_money(sum(totals), currency),
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
            showarrow=False,
            font={"size": 16},
        )
    return ui.finish(fig, title=title)


def category_share_area(
    frame: pl.DataFrame, *, currency: str, title: str | None = "Category share"
) -> go.Figure:
    """Stacked areas of each category's share (%) of spending per time bucket.

    Frame (long, gap-filled): ``bucket`` (Date), ``category``, ``total``. The biggest category
    overall is stacked at the bottom. Hover shows the share and the amount.
    """
    data = ui.require(frame, ["bucket", "category", "total"], "category_share_area")
    data = data.drop_nulls("bucket").with_columns(pl.col("category").fill_null("Other"))
    if data.is_empty():
        return ui.empty_figure(title=title)
    bucket_total = pl.col("total").sum().over("bucket")
    data = data.with_columns(
        share=pl.when(bucket_total != 0).then(pl.col("total") / bucket_total * 100).otherwise(0.0)
    )
    order = _by_category(data, ["total"], sort_by=["total"])["category"].to_list()
    colors = category_colors(order)
    fig = go.Figure()
    for index, name in enumerate(order):
        rows = data.filter(pl.col("category") == name).sort("bucket")
        fig.add_scatter(
            x=rows["bucket"].to_list(),
            y=rows["total"].to_list(),
            name=name,
            mode="lines",
            stackgroup="share",
            groupnorm="percent" if index == 0 else None,
            line={"color": colors[name], "width": 0.5},
            fillcolor=colors[name],
            customdata=[
                [name, share, total] for share, total in rows.select("share", "total").iter_rows()
            ],
            hovertemplate=(
                f"%{{customdata[0]}}: %{{customdata[1]:.1f}}% · {hover_money(currency, 'customdata[2]')}"
                "<extra></extra>"
            ),
        )
    fig.update_layout(hovermode="x unified")
    fig.update_xaxes(hoverformat="%d %b %Y")
    fig.update_yaxes(ticksuffix="%", range=[0, 100])
    return ui.finish(fig, title=title)


def category_trend(
    frame: pl.DataFrame,
    *,
    category: str,
    currency: str,
    kind: Literal["bar", "line"] = "bar",
    title: str | None = None,
) -> go.Figure:
    """One category's spending over time, in that category's colour (title defaults to its name).

    Frame: ``bucket`` (Date), ``total``.
    """
    if kind not in ("bar", "line"):
        raise ValueError(f"kind must be 'bar' or 'line', got {kind!r}")
    heading = category if title is None else title
    data = ui.require(frame, ["bucket", "total"], "category_trend").drop_nulls("bucket")
    if data.is_empty():
        return ui.empty_figure(title=heading)
    data = data.sort("bucket")
    color = category_colors([category])[category]
    common = {
        "x": data["bucket"].to_list(),
        "y": data["total"].to_list(),
        "name": category,
        "customdata": [category] * data.height,
        "hovertemplate": f"%{{x|%d %b %Y}}<br>{hover_money(currency)}<extra></extra>",
    }
    trace: go.Bar | go.Scatter
    if kind == "bar":
        trace = go.Bar(**common, marker={"color": color})
    else:
        trace = go.Scatter(**common, mode="lines+markers", line={"color": color, "width": 2})
    fig = go.Figure(trace)
    ui.money_axis(fig, currency)
    return ui.finish(fig, title=heading)


def _changes(frame: pl.DataFrame, names: list[str], label: str) -> list[str]:
    """Hover lines from the frame's optional ``change`` text (the view's
    :func:`~dashboard.core.compare.compare` result; the chart computes no change itself)."""
    if "change" not in frame.columns:
        return ["" for _ in names]
    texts = dict(zip(frame["category"].fill_null("Other").to_list(), frame["change"].to_list()))
    return [f"vs {label}: {texts[name]}" if texts.get(name) else "" for name in names]


def period_comparison(
    frame: pl.DataFrame,
    *,
    currency: str,
    labels: tuple[str, str],
    title: str | None = None,
) -> go.Figure:
    """Two periods side by side per category: ``labels[0]`` for current, ``labels[1]`` previous.

    Frame: ``category``, ``current``, ``previous``, optionally ``change`` (the comparison's text,
    shown on hover). Both bars use the category colour; the
    previous period is lighter and dotted. Sorted by the current amount, largest first.
    """
    current_label, previous_label = labels
    heading = f"{current_label} vs {previous_label}" if title is None else title
    data = ui.require(frame, ["category", "current", "previous"], "period_comparison")
    if data.is_empty():
        return ui.empty_figure(title=heading)
    data = _by_category(data, ["current", "previous"], sort_by=["current", "previous"])
    names: list[str] = data["category"].to_list()
    current: list[float] = data["current"].to_list()
    previous: list[float] = data["previous"].to_list()
    colors = [category_colors(names)[name] for name in names]
    template = f"%{{x}}<br>%{{fullData.name}}: {hover_money(currency)}"
    fig = go.Figure()
    fig.add_bar(
        x=names,
        y=current,
        name=current_label,
        customdata=names,
        hovertext=_changes(frame, names, previous_label),
        marker={"color": colors},
        hovertemplate=f"{template}<br>%{{hovertext}}<extra></extra>",
    )
    fig.add_bar(
        x=names,
        y=previous,
        name=previous_label,
        customdata=names,
        marker={
            "color": colors,
            "opacity": _PREVIOUS_OPACITY,
            "pattern": {"shape": _PREVIOUS_PATTERN, "fillmode": "overlay", "solidity": 0.3},
        },
        hovertemplate=f"{template}<extra></extra>",
    )
    fig.update_layout(barmode="group")
    ui.money_axis(fig, currency)
    return ui.finish(fig, title=heading)
