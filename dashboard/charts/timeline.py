"""Spending over time: monthly trend, calendar heatmap, weekday and hour-of-day bars."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import polars as pl

from dashboard.charts import _layout as ui
from dashboard.core.money import format_money, hover_money, plotly_money_format

__all__ = ["calendar_heatmap", "hour_bars", "monthly_trend", "weekday_bars"]


#: Spending in budgeted categories, the series the budget line is comparable with (Tol purple).
_BUDGETED_COLOR = "#AA3377"


def monthly_trend(frame: pl.DataFrame, *, currency: str, title: str | None = None) -> go.Figure:
    """Bars of all spending per month, a dashed 3-month average and, where there are budgets,
    the spending in budgeted categories against their budget (the two comparable lines).

    Frame: ``month`` (Date), ``total``, ``budget`` (nullable), ``moving_avg`` (nullable),
    optionally ``budgeted`` (nullable: spending in the categories the budget covers) and
    ``partial`` (Boolean: months not over yet or only partly covered are hatched).
    Null budgets/averages leave gaps; a series that is null throughout is left out.
    """
    data = ui.require(frame, ["month", "total", "budget", "moving_avg"], "monthly_trend")
    partial = ui.partial_flags(frame.sort("month")) if "month" in frame.columns else None
    if ui.no_data(data, ["total", "budget"]):
        return ui.empty_figure(title=title)
    data = data.sort("month")
    months = data["month"].to_list()
    header = "%{x|%b %Y}<br>"
    fig = go.Figure()
    fig.add_bar(
        x=months,
        y=data["total"].to_list(),
        name="All spending",
        marker={"color": ui.SPENT_COLOR, "pattern": ui.partial_patterns(partial, len(months))},
        hovertemplate=f"{header}All spending: {hover_money(currency)}<extra></extra>",
    )
    budgeted = frame["budgeted"] if "budgeted" in frame.columns else None
    if data["budget"].null_count() < data.height:
        if budgeted is not None:
            by_month = dict(zip(frame["month"].to_list(), budgeted.to_list()))
            fig.add_scatter(
                x=months,
                y=[by_month.get(month) for month in months],
                name="Spent in budgeted categories",
                mode="lines+markers",
                connectgaps=False,
                line={"color": _BUDGETED_COLOR, "width": 2},
                marker={"symbol": "diamond", "size": 8},
                hovertemplate=f"{header}Spent in budgeted categories: {hover_money(currency)}"
                "<extra></extra>",
            )
        fig.add_scatter(
            x=months,
            y=data["budget"].to_list(),
            name="Budget",
            mode="lines+markers",
            connectgaps=False,
            line={"color": ui.BUDGET_COLOR, "width": 2},
            hovertemplate=f"{header}Budget (budgeted categories): {hover_money(currency)}"
            "<extra></extra>",
        )
    if data["moving_avg"].null_count() < data.height:
        fig.add_scatter(
            x=months,
            y=data["moving_avg"].to_list(),
            name="3-month average",
            mode="lines",
            connectgaps=False,
            line={"color": ui.AVERAGE_COLOR, "width": 2, "dash": "dash"},
            hovertemplate=f"{header}3-month average: {hover_money(currency)}<extra></extra>",
        )
    ui.bucket_axis(fig, months, fmt="%b %Y", half=dt.timedelta(days=16))
    ui.money_axis(fig, currency)
    return ui.finish(fig, title=title)


def _week_start(day: dt.date, week_start: int) -> dt.date:
    return day - dt.timedelta(days=(day.isoweekday() - week_start) % 7)


def calendar_heatmap(
    frame: pl.DataFrame,
    *,
    currency: str,
    week_start: int = 1,
    title: str | None = None,
) -> go.Figure:
    """GitHub-style calendar: one column per week, one row per weekday, colour = spend.

    Frame: ``day`` (Date, one row per day), ``total``. Columns are labelled by the first day of
    each week that is in the frame (never a day outside it); rows run from ``week_start``
    (1 = Monday … 7 = Sunday) at the top. Days outside the frame stay blank, $0 days are a pale
    neutral cell, the colour scale starts at exactly 0. All zeros: the empty state.
    """
    order = ui.weekday_order(week_start)
    data = ui.require(frame, ["day", "total"], "calendar_heatmap").drop_nulls("day")
    if ui.no_data(data, ["total"]):
        return ui.empty_figure(title=title)
    data = data.sort("day")
    days: list[dt.date] = data["day"].to_list()
    weeks = sorted({_week_start(day, week_start) for day in days})
    column = {week: index for index, week in enumerate(weeks)}
    first_shown: dict[dt.date, dt.date] = {}
    for day in days:
        first_shown.setdefault(_week_start(day, week_start), day)
    row = {iso: index for index, iso in enumerate(order)}
    z: list[list[float | None]] = [[None] * len(weeks) for _ in order]
    labels: list[list[str]] = [[""] * len(weeks) for _ in order]
    net = [float(total or 0.0) for total in data["total"].to_list()]
    totals = [max(0.0, total) for total in net]  # a net refund day is drawn as an empty day
    for day, total, real in zip(days, totals, net):
        r, c = row[day.isoweekday()], column[_week_start(day, week_start)]
        z[r][c] = total
        labels[r][c] = f"{day:%a} {day.day} {day:%b %Y}"
        if real < 0:
            labels[r][c] += f" (net refund {format_money(real, currency)})"
    fmt = plotly_money_format(currency)
    fig = go.Figure(
        go.Heatmap(
            x=weeks,
            y=[ui.WEEKDAY_NAMES[iso] for iso in order],
            z=z,
            customdata=labels,
            **ui.heat_scale(max(totals)),
            xgap=3,
            ygap=3,
            hoverongaps=False,
            colorbar={"tickprefix": fmt["tickprefix"], "tickformat": fmt["tickformat"]},
            hovertemplate=f"%{{customdata}}<br>{hover_money(currency, 'z')}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", showgrid=False, zeroline=False)
    ui.bucket_axis(fig, weeks, fmt="%d %b", half=dt.timedelta(days=3.5))
    # a week that starts before the frame is labelled by its first day in the frame
    fig.update_xaxes(
        showgrid=False,
        zeroline=False,
        ticktext=[f"{first_shown[week]:%d %b}" for week in fig.layout.xaxis.tickvals],
    )
    return ui.finish(fig, title=title)


def weekday_bars(
    frame: pl.DataFrame,
    *,
    currency: str,
    week_start: int = 1,
    title: str | None = None,
) -> go.Figure:
    """Spending per weekday, ``Mon`` … ``Sun`` rotated to start at ``week_start``.

    Frame: ``weekday`` (ISO 1 = Monday … 7 = Sunday), ``total``. All seven days stay on the axis;
    all zeros (nothing spent) draw the empty state.
    """
    order = ui.weekday_order(week_start)
    data = ui.require(frame, ["weekday", "total"], "weekday_bars").drop_nulls("weekday")
    if ui.no_data(data, ["total"]):
        return ui.empty_figure(title=title)
    unknown = set(data["weekday"].to_list()) - set(order)
    if unknown:
        raise ValueError(f"weekday_bars: weekday must be 1..7 (ISO), got {sorted(unknown)}")
    position = {iso: index for index, iso in enumerate(order)}
    rows = sorted(
        zip(data["weekday"].to_list(), data["total"].to_list()), key=lambda r: position[r[0]]
    )
    names = [ui.WEEKDAY_NAMES[iso] for iso in order]
    fig = go.Figure(
        go.Bar(
            x=[ui.WEEKDAY_NAMES[iso] for iso, _ in rows],
            y=[total for _, total in rows],
            name="Spent",
            marker={"color": ui.SPENT_COLOR},
            hovertemplate=f"%{{x}}<br>{hover_money(currency)}<extra></extra>",
        )
    )
    fig.update_xaxes(categoryorder="array", categoryarray=names, range=[-0.5, 6.5])
    ui.money_axis(fig, currency)
    return ui.finish(fig, title=title)


def hour_bars(frame: pl.DataFrame, *, currency: str, title: str | None = None) -> go.Figure:
    """Spending per hour of the day: 24 slots, ``00`` … ``23``.

    Frame: ``hour`` (0..23), ``total``. All zeros draw the empty state.
    """
    data = ui.require(frame, ["hour", "total"], "hour_bars").drop_nulls("hour")
    if ui.no_data(data, ["total"]):
        return ui.empty_figure(title=title)
    data = data.sort("hour")
    hours = data["hour"].to_list()
    if hours[0] < 0 or hours[-1] > 23:
        raise ValueError(f"hour_bars: hour must be 0..23, got {hours[0]}..{hours[-1]}")
    fig = go.Figure(
        go.Bar(
            x=hours,
            y=data["total"].to_list(),
            name="Spent",
            marker={"color": ui.SPENT_COLOR},
            customdata=[f"{hour:02d}:00–{(hour + 1) % 24:02d}:00" for hour in hours],
            hovertemplate=f"%{{customdata}}<br>{hover_money(currency)}<extra></extra>",
        )
    )
    fig.update_xaxes(
        range=[-0.5, 23.5],
        tickmode="array",
        tickvals=list(range(24)),
        ticktext=[f"{hour:02d}" for hour in range(24)],
    )
    ui.money_axis(fig, currency)
    return ui.finish(fig, title=title)
