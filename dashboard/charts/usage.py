"""Product usage: active users and stickiness over time, sign-ups with activation, retention
cohorts, API route families, active users per segment.

Counts, not money: no currency. Series colours come from the same colour-blind-safe set as the
spending charts; the retention heatmap leaves its colour scale to the theme, like the calendar.
"""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from dashboard.charts import _layout as ui

__all__ = [
    "active_users_trend",
    "retention_heatmap",
    "route_family_bars",
    "segment_bars",
    "signup_bars",
    "stickiness_trend",
]

DAU_COLOR = "#4477AA"
WAU_COLOR = "#EE7733"
MAU_COLOR = "#009988"
NOT_ACTIVATED_COLOR = "#999999"
_SERIES = (("dau", "DAU", DAU_COLOR), ("wau", "WAU", WAU_COLOR), ("mau", "MAU", MAU_COLOR))
_TEXT_CELLS = 16  # write the share in the cells when at most this many weeks are shown
_ROW_HEIGHT = 18  # px per cohort, so a year of weekly cohorts stays readable
_MIN_HEIGHT = 320


def active_users_trend(frame: pl.DataFrame, *, title: str | None = None) -> go.Figure:
    """Lines of DAU, WAU and MAU per day (WAU/MAU: users active in the trailing 7/30 days).

    Frame: ``day`` (Date), ``dau``, ``wau``, ``mau``, optional ``partial`` (Boolean: a day not
    over yet, drawn as a dashed line end). All zeros draw the empty state.
    """
    columns = ["day", "dau", "wau", "mau"] + (["partial"] if "partial" in frame.columns else [])
    data = ui.require(frame, columns, "active_users_trend")
    data = data.drop_nulls("day").sort("day")
    if ui.no_data(data, ["dau", "wau", "mau"]):
        return ui.empty_figure(title=title)
    days = data["day"].to_list()
    partial = ui.partial_flags(data)
    fig = go.Figure()
    for column, name, color in _SERIES:
        ui.partial_line(
            fig,
            days,
            data[column].to_list(),
            partial,
            name=name,
            color=color,
            hovertemplate=f"{name}: %{{y:,}}<extra></extra>",
        )
    fig.update_layout(hovermode="x unified")
    fig.update_xaxes(hoverformat="%a %d %b %Y")
    ui.bucket_axis(fig, days, fmt="%d %b", half=dt.timedelta(0))
    fig.update_yaxes(rangemode="tozero", tickformat=",d")
    return ui.finish(fig, title=title)


def stickiness_trend(frame: pl.DataFrame, *, title: str | None = None) -> go.Figure:
    """Daily DAU/MAU as a percentage line. Frame: ``day`` (Date), ``stickiness`` (0–1, nullable),
    optional ``partial`` (a day not over yet: dashed line end)."""
    columns = ["day", "stickiness"] + (["partial"] if "partial" in frame.columns else [])
    data = ui.require(frame, columns, "stickiness_trend")
    data = data.drop_nulls("day").sort("day")
    if ui.no_data(data, ["stickiness"]):
        return ui.empty_figure(title=title)
    days = data["day"].to_list()
    fig = go.Figure()
    ui.partial_line(
        fig,
        days,
        data["stickiness"].to_list(),
        ui.partial_flags(data),
        name="DAU/MAU",
        color=DAU_COLOR,
        hovertemplate="%{x|%a %d %b %Y}<br>DAU/MAU: %{y:.1%}<extra></extra>",
    )
    ui.bucket_axis(fig, days, fmt="%d %b", half=dt.timedelta(0))
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return ui.finish(fig, title=title)


def signup_bars(frame: pl.DataFrame, *, title: str | None = None) -> go.Figure:
    """Sign-ups per week, stacked: activated within 7 days (bottom) and not (top).

    Frame: ``week`` (Date, the week's first day), ``signups``, ``activated``, optional ``pending``
    (sign-ups whose 7 days are not over: their week is hatched and the rate leaves them out).
    """
    columns = ["week", "signups", "activated"] + (["pending"] if "pending" in frame.columns else [])
    data = ui.require(frame, columns, "signup_bars")
    data = data.drop_nulls("week").sort("week")
    if ui.no_data(data, ["signups"]):
        return ui.empty_figure(title=title)
    weeks = data["week"].to_list()
    signed = data["signups"].to_list()
    activated = data["activated"].to_list()
    pending = data["pending"].to_list() if "pending" in data.columns else [0] * len(weeks)
    rates = [f"{a / (s - p):.0%}" if s - p else "—" for a, s, p in zip(activated, signed, pending)]
    notes = [f"<br>{p:,} too recent to count" if p else "" for p in pending]
    pattern = ui.partial_patterns([p > 0 for p in pending], len(weeks))
    header = "Week of %{x|%d %b %Y}<br>"
    fig = go.Figure()
    fig.add_bar(
        x=weeks,
        y=activated,
        name="Activated within 7 days",
        marker={"color": DAU_COLOR, "pattern": pattern},
        customdata=list(zip(signed, rates, notes)),
        hovertemplate=(
            f"{header}Activated: %{{y:,}} of %{{customdata[0]:,}} (%{{customdata[1]}})"
            "%{customdata[2]}<extra></extra>"
        ),
    )
    fig.add_bar(
        x=weeks,
        y=[s - a for s, a in zip(signed, activated)],
        name="Not activated",
        marker={"color": NOT_ACTIVATED_COLOR, "pattern": pattern},
        customdata=signed,
        hovertemplate=f"{header}Not activated: %{{y:,}} of %{{customdata:,}}<extra></extra>",
    )
    fig.update_layout(barmode="stack")
    ui.date_buckets_axis(fig, weeks)
    fig.update_yaxes(rangemode="tozero", tickformat=",d")
    return ui.finish(fig, title=title)


def retention_heatmap(frame: pl.DataFrame, *, title: str | None = None) -> go.Figure:
    """Cohorts by sign-up week (rows, oldest on top) and weeks since sign-up (columns, 0 = the
    sign-up week); colour and text = percent of the cohort active that week.

    Frame (long): ``cohort`` (Date), ``week`` (0..N), ``size``, ``share`` (0–1, nullable). A cohort
    without sign-ups is an empty row; weeks the period has not reached are blank.
    """
    data = ui.require(frame, ["cohort", "week", "size", "share"], "retention_heatmap")
    data = data.drop_nulls(["cohort", "week"])
    if data.is_empty() or not (data["size"] > 0).any():
        return ui.empty_figure(title=title)
    cohorts = data.group_by("cohort").agg(pl.col("size").max()).sort("cohort")
    weeks = list(range(int(data["week"].max()) + 1))
    row = {c: i for i, c in enumerate(cohorts["cohort"].to_list())}
    z: list[list[float | None]] = [[None] * len(weeks) for _ in row]
    text: list[list[str]] = [[""] * len(weeks) for _ in row]
    for cohort, week, share in data.select("cohort", "week", "share").iter_rows():
        if share is not None:
            z[row[cohort]][week] = share * 100
            text[row[cohort]][week] = f"{share:.0%}"
    labels = [
        f"{cohort:%d %b %Y} · {size:,} user{'s' if size != 1 else ''}"
        for cohort, size in cohorts.iter_rows()
    ]
    fig = go.Figure(
        go.Heatmap(
            x=[str(w) for w in weeks],
            y=labels,
            z=z,
            text=text,
            texttemplate="%{text}" if len(weeks) <= _TEXT_CELLS else None,
            **ui.heat_scale(100.0),
            xgap=1,
            ygap=1,
            hoverongaps=False,
            colorbar={"ticksuffix": "%"},
            hovertemplate="%{y}<br>Week %{x}: %{z:.1f}% active<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", showgrid=False, zeroline=False, type="category")
    fig.update_xaxes(
        showgrid=False, zeroline=False, type="category", title={"text": "Weeks since sign-up"}
    )
    fig.update_layout(height=max(_MIN_HEIGHT, _ROW_HEIGHT * len(row) + 140))
    return ui.finish(fig, title=title)


def route_family_bars(frame: pl.DataFrame, *, title: str | None = None) -> go.Figure:
    """Requests and distinct users per route family, side by side, most requests on top.

    Frame: ``family``, ``requests``, ``users``.
    """
    data = ui.require(frame, ["family", "requests", "users"], "route_family_bars")
    data = data.with_columns(pl.col("family").fill_null("other"))
    if ui.no_data(data, ["requests", "users"]):
        return ui.empty_figure(title=title)
    data = data.sort(["requests", "family"], descending=[False, True])  # plotly draws bottom-up
    families = data["family"].to_list()
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, subplot_titles=("Requests", "Users"))
    for col, (column, name, color) in enumerate(
        (("requests", "Requests", DAU_COLOR), ("users", "Users", MAU_COLOR)), start=1
    ):
        fig.add_bar(
            x=data[column].to_list(),
            y=families,
            orientation="h",
            name=name,
            marker={"color": color},
            hovertemplate=f"%{{y}}<br>{name}: %{{x:,}}<extra></extra>",
            row=1,
            col=col,
        )
    fig.update_xaxes(rangemode="tozero", tickformat="~s")
    fig.update_layout(showlegend=False)
    return ui.finish(fig, title=title)


def segment_bars(frame: pl.DataFrame, *, column: str, title: str | None = None) -> go.Figure:
    """Active users per value of ``column`` (currency, region), most first (no title unless given).

    Frame: ``<column>``, ``users``.
    """
    heading = title
    data = ui.require(frame, [column, "users"], "segment_bars")
    data = data.with_columns(pl.col(column).fill_null("Unknown"))
    if ui.no_data(data, ["users"]):
        return ui.empty_figure(title=heading)
    data = data.sort(["users", column], descending=[True, False])
    fig = go.Figure(
        go.Bar(
            x=data[column].to_list(),
            y=data["users"].to_list(),
            name="Active users",
            marker={"color": DAU_COLOR},
            hovertemplate="%{x}<br>Active users: %{y:,}<extra></extra>",
        )
    )
    fig.update_xaxes(type="category")
    fig.update_yaxes(rangemode="tozero", tickformat=",d")
    return ui.finish(fig, title=heading)
