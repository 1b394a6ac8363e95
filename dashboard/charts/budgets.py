"""Budgets: this month's progress per category, and spent against budget month by month.

Over-budget bars are flagged by a hatch pattern and a text label as well as by colour, so the
flag survives colour blindness and both themes; every series has its own legend entry.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboard.charts import _layout as ui
from dashboard.core.money import format_money, hover_money

__all__ = ["budget_history", "budget_progress"]

_FORECAST_OPACITY = 0.3


def _is_over(amount: float | None, budget: float | None) -> bool:
    return amount is not None and budget is not None and amount > budget


def _progress_note(spent: float | None, budget: float | None, currency: str) -> str:
    if budget is None:
        return "No budget"
    if not budget:
        return f"Budget {format_money(budget, currency)}"
    return f"{(spent or 0.0) / budget:.0%} of {format_money(budget, currency)}"


def _flag(spent: float | None, budget: float | None, forecast: float | None, currency: str) -> str:
    if _is_over(spent, budget):
        return f"Over by {format_money((spent or 0.0) - (budget or 0.0), currency)}"
    if _is_over(forecast, budget):
        return "On pace to exceed"
    return ""


def _bar(
    fig: go.Figure, name: str, x: list[float | None], names: list[str], **options: object
) -> None:
    """One horizontal bar series with its own legend entry (its own ``legendgroup``)."""
    fig.add_bar(
        x=x,
        y=names,
        orientation="h",
        name=name,
        legendgroup=name,
        showlegend=True,
        customdata=names,
        **options,
    )


def budget_progress(
    frame: pl.DataFrame,
    *,
    currency: str,
    title: str | None = "Budget progress",
    forecast: bool = True,
) -> go.Figure:
    """Horizontal bars of spent per category, a tick at the budget, a pale bar to the forecast.

    Frame: ``category``, ``spent``, ``budget`` (nullable), ``forecast`` (nullable; month-end
    projection). Sorted by spent, largest on top. Each series has its own legend entry and look:
    "Spent", "Over budget" (hatched, labelled "Over by …"), "Forecast" (pale, dotted; left out with
    ``forecast=False``, for a month that is over, or when no forecast goes beyond the spending)
    and "Budget" (a tick). Bars whose forecast passes the budget read "On pace to exceed".
    """
    data = ui.require(frame, ["category", "spent", "budget", "forecast"], "budget_progress")
    if data.is_empty():
        return ui.empty_figure(title=title)
    data = data.with_columns(pl.col("category").fill_null("Other")).sort(
        ["spent", "category"], descending=[True, False], nulls_last=True
    )
    names: list[str] = data["category"].to_list()
    spent: list[float | None] = data["spent"].to_list()
    budget: list[float | None] = data["budget"].to_list()
    projected: list[float | None] = data["forecast"].to_list() if forecast else [None] * len(names)
    rows = list(zip(spent, budget, projected))
    over = [_is_over(s, b) for s, b, _ in rows]
    fig = go.Figure()
    if any(f is not None and f > (s or 0.0) for s, _, f in rows):
        _bar(
            fig,
            "Forecast",
            projected,
            names,
            marker={
                "color": ui.SPENT_COLOR,
                "opacity": _FORECAST_OPACITY,
                "pattern": {"shape": ".", "fillmode": "overlay"},
            },
            hovertemplate=f"%{{y}}<br>Month-end forecast: {hover_money(currency, 'x')}"
            "<extra></extra>",
        )
    template = f"%{{y}}<br>Spent: {hover_money(currency, 'x')}<br>%{{hovertext}}<extra></extra>"
    groups = (
        ("Spent", [not o for o in over], {"color": ui.SPENT_COLOR}),
        (
            "Over budget",
            over,
            {"color": ui.OVER_COLOR, "pattern": {"shape": ui.OVER_PATTERN, "fillmode": "overlay"}},
        ),
    )
    for name, keep, marker in groups:
        if not any(keep):
            continue
        _bar(
            fig,
            name,
            [s if k else None for s, k in zip(spent, keep)],
            names,
            marker=marker,
            text=[_flag(s, b, f, currency) if k else "" for (s, b, f), k in zip(rows, keep)],
            textposition="outside",
            cliponaxis=False,
            hovertext=[_progress_note(s, b, currency) for s, b, _ in rows],
            hovertemplate=template,
        )
    fig.add_scatter(
        x=budget,
        y=names,
        mode="markers",
        name="Budget",
        legendgroup="Budget",
        showlegend=True,
        customdata=names,
        marker={
            "symbol": "line-ns-open",
            "size": 22,
            "color": ui.BUDGET_COLOR,
            "line": {"color": ui.BUDGET_COLOR, "width": 3},
        },
        hovertemplate=f"%{{y}}<br>Budget: {hover_money(currency, 'x')}<extra></extra>",
    )
    fig.update_layout(barmode="overlay")
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=names)
    ui.money_axis(fig, currency, axis="x")
    return ui.finish(fig, title=title)


def budget_history(
    frame: pl.DataFrame, *, currency: str, title: str | None = "Budget history"
) -> go.Figure:
    """Spent per month, hatched and red where it went over budget, with the budget line.

    Frame: ``month`` (Date), ``spent``, ``budget``. Traces: "Within budget", "Over budget"
    (each month is in at most one; empty groups are left out), "No budget" for months without
    one, and the "Budget" line (gaps where null).
    """
    data = ui.require(frame, ["month", "spent", "budget"], "budget_history").drop_nulls("month")
    if data.is_empty():
        return ui.empty_figure(title=title)
    data = data.sort("month")
    over = pl.col("spent") > pl.col("budget")
    groups = [
        ("Within budget", data.filter(over.not_()), ui.SPENT_COLOR, ""),
        ("Over budget", data.filter(over), ui.OVER_COLOR, ui.OVER_PATTERN),
        ("No budget", data.filter(pl.col("budget").is_null()), ui.NO_BUDGET_COLOR, ""),
    ]
    header = "%{x|%b %Y}<br>"
    fig = go.Figure()
    for name, rows, color, pattern in groups:
        if rows.is_empty():
            continue
        fig.add_bar(
            x=rows["month"].to_list(),
            y=rows["spent"].to_list(),
            name=name,
            marker={"color": color, "pattern": {"shape": pattern, "fillmode": "overlay"}},
            hovertemplate=f"{header}{name}: {hover_money(currency)}<extra></extra>",
        )
    if data["budget"].null_count() < data.height:
        fig.add_scatter(
            x=data["month"].to_list(),
            y=data["budget"].to_list(),
            name="Budget",
            mode="lines+markers",
            connectgaps=False,
            line={"color": ui.BUDGET_COLOR, "width": 2},
            hovertemplate=f"{header}Budget: {hover_money(currency)}<extra></extra>",
        )
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(tickformat="%b %Y", dtick=ui.month_dtick(data.height))
    ui.money_axis(fig, currency)
    return ui.finish(fig, title=title)
