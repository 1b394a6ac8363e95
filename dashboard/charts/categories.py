"""Spending by category: breakdown, share over time, one category's trend, period comparison.

Every trace that shows categories carries the category name in ``customdata`` (and, for the
donut and treemap, in ``labels``/``ids``) so a Streamlit selection can be turned back into a
category with :func:`dashboard.charts.selected_category`.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    title: str | None = None,
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
            # Shares on the slices big enough to hold them, one precision; the rest are on hover
            # and in the legend (labels outside small slices piled up over each other).
            text=_slice_labels(totals),
            textinfo="text",
            textposition="inside",
            insidetextorientation="horizontal",
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
    return ui.finish(fig, title=title, legend="beside" if kind == "donut" else "below")


#: Slices below this share of the donut carry no label of their own.
MIN_LABELLED_SHARE = 0.03


def _slice_labels(totals: Sequence[float]) -> list[str]:
    whole = sum(totals)
    if whole <= 0:
        return ["" for _ in totals]
    return [f"{t / whole:.0%}" if t / whole >= MIN_LABELLED_SHARE else "" for t in totals]


def _share_trace(
    rows: pl.DataFrame, name: str, color: str, currency: str, *, group: str, partial: bool
) -> go.Scatter:
    return go.Scatter(
        x=rows["bucket"].to_list(),
        y=rows["total"].to_list(),
        name=name,
        legendgroup=name,
        showlegend=not partial,
        mode="lines",
        stackgroup=group,
        groupnorm="percent",
        line={"color": color, "width": 0.5},
        fillcolor=color,
        fillpattern={"shape": ui.PARTIAL_PATTERN, "solidity": 0.5} if partial else None,
        customdata=[
            [name, share, total] for share, total in rows.select("share", "total").iter_rows()
        ],
        hovertemplate=(
            f"%{{customdata[0]}}: %{{customdata[1]:.1f}}% · {hover_money(currency, 'customdata[2]')}"
            + (" (partial)" if partial else "")
            + "<extra></extra>"
        ),
    )


def category_share_area(
    frame: pl.DataFrame, *, currency: str, title: str | None = None
) -> go.Figure:
    """Stacked areas of each category's share (%) of spending per time bucket.

    Frame (long, gap-filled): ``bucket`` (Date), ``category``, ``total``, optional ``partial``
    (Boolean per bucket). The biggest category overall is stacked at the bottom. Buckets with
    nothing spent have no shares and are left out (not drawn as 0 %); partial buckets are a
    second, hatched stack joined to the last complete bucket. Hover shows the share and amount.
    """
    columns = ["bucket", "category", "total"] + (["partial"] if "partial" in frame.columns else [])
    data = ui.require(frame, columns, "category_share_area")
    data = data.drop_nulls("bucket").with_columns(pl.col("category").fill_null("Other"))
    if "partial" not in data.columns:
        data = data.with_columns(partial=pl.lit(False))
    bucket_total = pl.col("total").sum().over("bucket")
    data = data.filter(bucket_total != 0)
    if ui.no_data(data, ["total"]):
        return ui.empty_figure(title=title)
    data = data.with_columns(
        share=pl.col("total") / bucket_total * 100, partial=pl.col("partial").fill_null(False)
    )
    order = _by_category(data, ["total"], sort_by=["total"])["category"].to_list()
    colors = category_colors(order)
    buckets = data.select("bucket", "partial").unique("bucket").sort("bucket")
    complete = buckets.filter(~pl.col("partial"))["bucket"].to_list()
    flagged = buckets.filter(pl.col("partial"))["bucket"].to_list()
    # Each partial bucket is joined to the complete buckets next to it, like a dashed line end.
    all_buckets = buckets["bucket"].to_list()
    joined = {
        day
        for i, day in enumerate(all_buckets)
        if day in flagged
        or (i > 0 and all_buckets[i - 1] in flagged)
        or (i + 1 < len(all_buckets) and all_buckets[i + 1] in flagged)
    }
    fig = go.Figure()
    for name in order:
        rows = data.filter(pl.col("category") == name).sort("bucket")
        solid = rows.filter(pl.col("bucket").is_in(complete))
        fig.add_trace(
            _share_trace(solid, name, colors[name], currency, group="share", partial=False)
        )
    if flagged:
        for name in order:
            rows = data.filter(pl.col("category") == name).sort("bucket")
            part = rows.filter(pl.col("bucket").is_in(sorted(joined)))
            fig.add_trace(
                _share_trace(part, name, colors[name], currency, group="partial", partial=True)
            )
    fig.update_layout(hovermode="x unified")
    ui.date_buckets_axis(fig, all_buckets)
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
    """One category's spending over time, in that category's colour (no title unless given: the
    page's heading names the category).

    Frame: ``bucket`` (Date), ``total``. All zeros draw the empty state.
    """
    if kind not in ("bar", "line"):
        raise ValueError(f"kind must be 'bar' or 'line', got {kind!r}")
    heading = title
    data = ui.require(frame, ["bucket", "total"], "category_trend").drop_nulls("bucket")
    if ui.no_data(data, ["total"]):
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
    ui.date_buckets_axis(fig, common["x"])
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
    shown on hover). Both bars use the category colour; the previous period is lighter and
    dotted. Sorted by the current amount, largest first. No title unless given (the legend names
    both periods); all zeros draw the empty state.
    """
    current_label, previous_label = labels
    heading = title
    data = ui.require(frame, ["category", "current", "previous"], "period_comparison")
    if ui.no_data(data, ["current", "previous"]):
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
