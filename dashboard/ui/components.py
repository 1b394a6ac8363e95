"""Small Streamlit pieces shared by the pages: a row of KPIs with their comparisons, empty states."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard.core.compare import Comparison
from dashboard.core.left_out import LeftOut
from dashboard.core.money import format_money
from dashboard.ui.tables import data_table
from dashboard.views.spending import BUDGET_RULE, Kpi

__all__ = [
    "comparison_note",
    "empty_state",
    "kpi_row",
    "left_out_notice",
    "report_table",
    "row_notes",
]


def _fmt(kpi: Kpi, currency: str) -> str:
    if kpi.value is None:
        return "—"
    if kpi.kind == "money":
        return format_money(kpi.value, currency)
    if kpi.kind == "share":
        return f"{kpi.value:.0%}"
    return f"{kpi.value:,.0f}"


def _said(comparison: Comparison, reference: str) -> str:
    """``+12% vs last year``; a note reads ``Last year: no data before Dec 2025``."""
    if comparison.change is None:
        return f"{reference.capitalize()}: {comparison.text()}"
    return f"{comparison.text()} vs {reference}"


def comparison_note(comparison: Comparison, reference: str) -> str | None:
    """What a metric's delta cannot show (``Previous period: no data before Dec 2025``, or a
    partial change in words); None when the delta says it all."""
    if comparison.change is None or comparison.partial:
        return _said(comparison, reference)
    return None


def row_notes(columns: Sequence[DeltaGenerator], notes: Sequence[str | None]) -> None:
    """Each metric's note under it, or once under the row when every metric has the same one."""
    if len(notes) > 1 and len(set(notes)) == 1:
        if notes[0]:
            st.caption(notes[0])
        return
    for column, note in zip(columns, notes, strict=True):
        if note:
            column.caption(note)


def kpi_row(kpis: Sequence[Kpi], *, currency: str) -> None:
    """One metric per KPI: the value, its change against the previous period (the delta, only
    when it is a real change), and last year's in the caption; notes say why one is missing."""
    columns = st.columns(len(kpis))
    for column, kpi in zip(columns, kpis, strict=True):
        previous, last_year = kpi.vs_previous, kpi.vs_last_year
        rule = f" {BUDGET_RULE}" if kpi.kind == "share" else ""
        column.metric(
            kpi.label,
            _fmt(kpi, currency),
            delta=previous.delta(),
            delta_color="inverse" if kpi.kind in ("money", "share") else "off",
            help=(
                f"Against the previous period of the same length: {previous.text()}. "
                f"Against the same period last year: {last_year.text()}.{rule}"
            ),
        )
    row_notes(columns, [_caption(kpi) for kpi in kpis])


def _caption(kpi: Kpi) -> str:
    """Last year's comparison, and the previous period's when the delta cannot show it."""
    note = comparison_note(kpi.vs_previous, "previous period")
    return " · ".join(n for n in (note, _said(kpi.vs_last_year, "last year")) if n)


def empty_state(title: str, body: str) -> None:
    """A friendly message that says what to do next, instead of empty axes."""
    st.info(f"**{title}** {body}", icon=":material/lightbulb:")


def left_out_notice(left_out: LeftOut, *, where: str = "") -> None:
    """A warning that counts the expenses left out of the figures as unusable (nothing if none).

    ``where`` says where they are listed, if anywhere (finance: the Reconciliation tab).
    """
    notice = left_out.notice()
    if notice is None:
        return
    st.warning(
        f"{notice} Their data in the Expense Tracker is unusable (a missing, non-numeric, "
        "infinite or implausibly large amount; no date or one outside 1970-2099; no category, "
        f"currency or owner).{where}",
        icon=":material/report:",
    )


def report_table(frame: pl.DataFrame, key: str, *, currency: str | None = None) -> None:
    """A finance report frame as a table by the shared cell rules (:mod:`dashboard.core.display`,
    as in the PDF): amounts with their currency's symbol and separators, changes in words, months
    as ``Nov 2026``; with ``currency``, only that currency's rows."""
    if currency is not None and "currency" in frame.columns:
        frame = frame.filter(pl.col("currency") == currency)
    if "month" in frame.columns and frame.schema["month"] == pl.Date:
        frame = frame.with_columns(pl.col("month").dt.strftime("%b %Y"))
    data_table(frame, key, currency=currency)
