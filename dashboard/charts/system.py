"""System performance: latency against its target, error rates, throughput, durations by name.

Times are UTC (the frames' instants are drawn as naive UTC, and hovers say so). A series with a
target gets a dashed target line and a red ``x`` on every bucket that breaches it, so a breach is
marked by shape as well as colour.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl

from dashboard.charts import _layout as ui

__all__ = ["db_time", "duration_bars", "error_rates", "latency_over_time", "throughput"]

P50_COLOR = ui.AVERAGE_COLOR
P95_COLOR = ui.SPENT_COLOR
P99_COLOR = ui.BUDGET_COLOR
TARGET_COLOR = ui.NO_BUDGET_COLOR
BREACH_COLOR = ui.OVER_COLOR
_WHEN = "%{x|%Y-%m-%d %H:%M} UTC"


def _naive(frame: pl.DataFrame, column: str) -> list:
    """UTC instants as naive datetimes (Plotly draws them as given; the hovers say UTC)."""
    dtype = frame.schema[column]
    series = frame[column]
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        series = series.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    return series.to_list()


def _line(fig: go.Figure, x: list, y: list, *, name: str, color: str, unit: str) -> None:
    fig.add_scatter(
        x=x,
        y=y,
        name=name,
        mode="lines",
        connectgaps=False,
        line={"color": color, "width": 2},
        hovertemplate=f"{_WHEN}<br>{name}: %{{y:,.1f}} {unit}<extra></extra>",
    )


def _target(fig: go.Figure, target: float, *, label: str) -> None:
    fig.add_hline(
        y=target,
        line={"color": TARGET_COLOR, "width": 1.5, "dash": "dash"},
        annotation_text=label,
        annotation_position="top left",
    )


def _breaches(fig: go.Figure, x: list, y: list, flags: list, *, name: str, unit: str) -> None:
    points = [(a, b) for a, b, flag in zip(x, y, flags) if flag and b is not None]
    if not points:
        return
    fig.add_scatter(
        x=[a for a, _ in points],
        y=[b for _, b in points],
        name=name,
        mode="markers",
        marker={"color": BREACH_COLOR, "symbol": "x", "size": 10},
        hovertemplate=f"{_WHEN}<br>{name}: %{{y:,.1f}} {unit}<extra></extra>",
    )


def latency_over_time(
    frame: pl.DataFrame, *, target_ms: float, title: str | None = None
) -> go.Figure:
    """p50, p95 and p99 latency per bucket, the p95 target, and an ``x`` where p95 breaches it.

    Frame: ``bucket`` (UTC instant), ``p50``, ``p95``, ``p99`` (ms, null without requests).
    """
    data = ui.require(frame, ["bucket", "p50", "p95", "p99"], "latency_over_time")
    if data.drop_nulls("p95").is_empty():
        return ui.empty_figure(title=title)
    data = data.sort("bucket")
    x = _naive(data, "bucket")
    fig = go.Figure()
    for name, color in (("p50", P50_COLOR), ("p95", P95_COLOR), ("p99", P99_COLOR)):
        _line(fig, x, data[name].to_list(), name=name, color=color, unit="ms")
    p95 = data["p95"].to_list()
    flags = [v is not None and v > target_ms for v in p95]
    _breaches(fig, x, p95, flags, name="p95 over target", unit="ms")
    _target(fig, target_ms, label=f"target p95 < {target_ms:,.0f} ms")
    fig.update_yaxes(title_text="ms", rangemode="tozero")
    return ui.finish(fig, title=title)


def db_time(frame: pl.DataFrame, *, target_ms: float, title: str | None = None) -> go.Figure:
    """p95 of the time each request spent in MongoDB, the target, and breaches marked.

    Frame: ``bucket``, ``db_p95`` (ms, null without requests).
    """
    data = ui.require(frame, ["bucket", "db_p95"], "db_time")
    if data.drop_nulls("db_p95").is_empty():
        return ui.empty_figure(title=title)
    data = data.sort("bucket")
    x, y = _naive(data, "bucket"), data["db_p95"].to_list()
    fig = go.Figure()
    _line(fig, x, y, name="DB time p95", color=P95_COLOR, unit="ms")
    flags = [v is not None and v > target_ms for v in y]
    _breaches(fig, x, y, flags, name="DB p95 over target", unit="ms")
    _target(fig, target_ms, label=f"target p95 < {target_ms:,.0f} ms")
    fig.update_yaxes(title_text="ms", rangemode="tozero")
    return ui.finish(fig, title=title)


def error_rates(frame: pl.DataFrame, *, title: str | None = None) -> go.Figure:
    """4xx and 5xx as shares of each bucket's requests; an ``x`` on buckets with down minutes.

    Frame: ``bucket``, ``rate_4xx``, ``rate_5xx`` (0..1, null without requests), ``down_minutes``.
    """
    data = ui.require(frame, ["bucket", "rate_4xx", "rate_5xx", "down_minutes"], "error_rates")
    if data.drop_nulls("rate_5xx").is_empty():
        return ui.empty_figure(title=title)
    data = data.sort("bucket")
    x = _naive(data, "bucket")
    fig = go.Figure()
    for name, column, color in (("4xx", "rate_4xx", P99_COLOR), ("5xx", "rate_5xx", BREACH_COLOR)):
        fig.add_scatter(
            x=x,
            y=data[column].to_list(),
            name=name,
            mode="lines",
            connectgaps=False,
            line={"color": color, "width": 2},
            hovertemplate=f"{_WHEN}<br>{name}: %{{y:.2%}}<extra></extra>",
        )
    down = data["down_minutes"].to_list()
    points = [(a, b, d) for a, b, d in zip(x, data["rate_5xx"].to_list(), down) if d > 0]
    if points:
        fig.add_scatter(
            x=[a for a, _, _ in points],
            y=[b for _, b, _ in points],
            customdata=[d for _, _, d in points],
            name="Down minutes (≥ 50 % 5xx)",
            mode="markers",
            marker={"color": BREACH_COLOR, "symbol": "x", "size": 11},
            hovertemplate=f"{_WHEN}<br>5xx: %{{y:.2%}}<br>down minutes: %{{customdata}}<extra></extra>",
        )
    fig.update_yaxes(tickformat=".1%", rangemode="tozero")
    return ui.finish(fig, title=title)


def throughput(frame: pl.DataFrame, *, title: str | None = None) -> go.Figure:
    """Requests per minute, averaged over each bucket. Frame: ``bucket``, ``rpm``."""
    data = ui.require(frame, ["bucket", "rpm"], "throughput")
    if data.is_empty() or not (data["rpm"].fill_null(0) > 0).any():
        return ui.empty_figure(title=title)
    data = data.sort("bucket")
    fig = go.Figure(
        go.Bar(
            x=_naive(data, "bucket"),
            y=data["rpm"].to_list(),
            name="Requests per minute",
            marker={"color": P95_COLOR},
            hovertemplate=f"{_WHEN}<br>%{{y:,.2f}} requests/min<extra></extra>",
        )
    )
    fig.update_yaxes(title_text="requests / min", rangemode="tozero")
    return ui.finish(fig, title=title)


def duration_bars(
    frame: pl.DataFrame,
    *,
    name: str,
    target_ms: float | None = None,
    title: str | None = None,
    limit: int = 15,
) -> go.Figure:
    """Horizontal p50 and p95 bars per ``name`` (a query or a page), slowest p95 on top.

    Frame: ``name`` column, ``p50_ms``, ``p95_ms``. With ``target_ms``, a dashed line at the target.
    Only the ``limit`` slowest are drawn.
    """
    columns: Sequence[str] = [name, "p50_ms", "p95_ms"]
    data = ui.require(frame, columns, "duration_bars").drop_nulls("p95_ms")
    if data.is_empty():
        return ui.empty_figure(title=title)
    data = data.sort("p95_ms", descending=True).head(limit).reverse()
    labels = data[name].to_list()
    fig = go.Figure()
    for series, color in (("p50_ms", P50_COLOR), ("p95_ms", P95_COLOR)):
        fig.add_bar(
            y=labels,
            x=data[series].to_list(),
            name=series.removesuffix("_ms"),
            orientation="h",
            marker={"color": color},
            hovertemplate=f"%{{y}}<br>{series.removesuffix('_ms')}: %{{x:,.1f}} ms<extra></extra>",
        )
    if target_ms is not None:
        fig.add_vline(
            x=target_ms,
            line={"color": TARGET_COLOR, "width": 1.5, "dash": "dash"},
            annotation_text=f"target {target_ms:,.0f} ms",
        )
    fig.update_layout(barmode="group", height=max(260, 60 + 28 * len(labels)))
    fig.update_xaxes(title_text="ms", rangemode="tozero")
    return ui.finish(fig, title=title)
