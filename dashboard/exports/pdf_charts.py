"""The PDF statement's charts as PNG images, drawn with matplotlib's Agg backend (no browser).

One image per currency: spending by category (horizontal bars, largest on top) next to spending
by month. Figures are built with ``matplotlib.figure.Figure`` directly, not ``pyplot``, so nothing
global is touched and two exports can draw at the same time.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import polars as pl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from dashboard.charts.colors import category_colors
from dashboard.core.money import currency_decimals

__all__ = ["FONT_DIR", "currency_chart"]

#: DejaVu Sans ships with matplotlib; the PDF uses it too (it covers €, ₹, ¥ and accents).
FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_BAR = "#0077BB"


def _axis_money(currency: str) -> FuncFormatter:
    places = currency_decimals(currency)

    def fmt(value: float, _pos: int) -> str:
        if abs(value) >= 1_000_000:
            return f"{value / 1_000_000:,.1f}M"
        if abs(value) >= 10_000:
            return f"{value / 1_000:,.0f}k"
        return f"{value:,.{0 if abs(value) >= 100 else places}f}"

    return FuncFormatter(fmt)


def currency_chart(
    categories: pl.DataFrame, months: pl.DataFrame, *, currency: str, dpi: int = 150
) -> bytes:
    """A PNG: ``categories`` (category, total) as bars beside ``months`` (month, total)."""
    fig = Figure(figsize=(7.6, 2.7), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.25])
    cats = categories.sort("total").select("category", pl.col("total").cast(pl.Float64))
    names = cats["category"].to_list()
    colors = category_colors(names)
    left.barh(names, cats["total"].to_list(), color=[colors[n] for n in names])
    left.set_title(f"By category ({currency})", fontsize=9, loc="left")
    left.xaxis.set_major_formatter(_axis_money(currency))
    mon = months.sort("month").select("month", pl.col("total").cast(pl.Float64))
    labels = [f"{m:%b %y}" for m in mon["month"].to_list()]
    right.bar(range(len(labels)), mon["total"].to_list(), color=_BAR)
    right.set_xticks(range(len(labels)), labels, rotation=45 if len(labels) > 6 else 0)
    right.set_title(f"By month ({currency})", fontsize=9, loc="left")
    right.yaxis.set_major_formatter(_axis_money(currency))
    for ax in (left, right):
        ax.tick_params(labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x" if ax is left else "y", alpha=0.3)
        ax.set_axisbelow(True)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
