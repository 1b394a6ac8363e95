"""Finance reports: a period's totals over all users by currency, category and month; top spenders;
comparisons; reconciliation with the soft-deleted expenses; exports (CSV, Parquet, Excel, PDF)."""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

import polars as pl
import streamlit as st

from dashboard.app.resources import get_runner
from dashboard.charts.categories import category_breakdown
from dashboard.charts.timeline import monthly_trend
from dashboard.core.periods import REPORT_PERIODS
from dashboard.exports import EXCEL_MAX_ROWS, FORMATS, export_bytes, export_file, file_name
from dashboard.exports.xlsx_export import rows_note
from dashboard.ui.components import empty_state
from dashboard.ui.filters import period_picker
from dashboard.ui.signed_in import signed_in_user
from dashboard.views.finance import Report, as_floats, build_report

#: Above this many rows, row exports are prepared on the server with a progress bar first.
LARGE_EXPORT_ROWS = 100_000

runner = get_runner()
user = signed_in_user()
tz = runner.settings.report_timezone


_MONEY = st.column_config.NumberColumn(format="%.2f")
_CHANGE = st.column_config.NumberColumn(format="percent")


def _table(frame: pl.DataFrame, key: str, **columns: object) -> None:
    config = {name: _MONEY for name, dtype in frame.schema.items() if isinstance(dtype, pl.Decimal)}
    config |= {name: _CHANGE for name in ("vs_previous", "vs_last_year", "share") if name in frame}
    st.dataframe(
        as_floats(frame), hide_index=True, width="stretch", column_config=config | columns, key=key
    )


def _exports(report: Report) -> None:
    st.subheader("Export")
    bom = st.checkbox("CSV with a byte-order mark (for Excel)", value=True, key="fr_bom")
    note = rows_note(report.expenses, max_rows=EXCEL_MAX_ROWS)
    if note:
        st.info(note, icon=":material/info:")
    large = report.expenses > LARGE_EXPORT_ROWS
    labels = {"csv": "CSV (rows)", "parquet": "Parquet (rows)", "xlsx": "Excel", "pdf": "PDF"}
    for column, fmt in zip(st.columns(4), labels, strict=True):
        if large and fmt != "pdf":
            continue
        column.download_button(
            labels[fmt],
            data=partial(export_bytes, runner, user, report, fmt=fmt, bom=bom),
            file_name=file_name(report.period, fmt),
            mime=FORMATS[fmt],
            on_click="ignore",
            icon=":material/download:",
            key=f"fr_dl_{fmt}",
        )
    if large:
        _prepare_large(report, bom=bom)


def _prepare_large(report: Report, *, bom: bool) -> None:
    st.caption(
        f"{report.expenses:,} rows: row exports are written on the server first, in chunks, "
        "then downloaded."
    )
    left, right = st.columns([2, 1])
    fmt = left.selectbox("Format", ["csv", "parquet", "xlsx"], key="fr_big_format")
    if right.button("Prepare export", key="fr_prepare", icon=":material/build:"):
        previous = st.session_state.pop("fr_prepared", None)
        if previous:
            Path(previous[0]).unlink(missing_ok=True)
        folder = Path(tempfile.gettempdir()) / "spendlens-exports"
        folder.mkdir(exist_ok=True)
        path = folder / f"{user.id}-{file_name(report.period, fmt)}"
        bar = st.progress(0.0, text="Exporting…")

        def progress(_label: str, done: int, total: int | None) -> None:
            share = done / total if total else 1.0
            bar.progress(min(share, 1.0), text=f"{done:,} of {total or 0:,} rows")

        result = export_file(runner, user, report, fmt=fmt, path=path, bom=bom, progress=progress)
        st.session_state["fr_prepared"] = (str(path), fmt, report.period.spec, result.rows)
    prepared = st.session_state.get("fr_prepared")
    if prepared and prepared[2] == report.period.spec and Path(prepared[0]).exists():
        path, fmt, _, rows = prepared
        st.download_button(
            f"Download {fmt.upper()} ({rows:,} rows)",
            data=lambda: Path(path).read_bytes(),
            file_name=file_name(report.period, fmt),
            mime=FORMATS[fmt],
            on_click="ignore",
            icon=":material/download:",
            key="fr_dl_prepared",
        )


st.title("Finance reports")
period = period_picker(REPORT_PERIODS, tz=tz, heading="Report period")
mark = runner.mark()
report = build_report(runner, user, period)
st.caption(
    f"{period.label()} · {period.days_label()} · days in {tz} · all users · "
    "soft-deleted expenses excluded from every total"
)
a, b, c, d = st.columns(4)
a.metric("Expenses", f"{report.expenses:,}")
b.metric("Spenders", f"{report.spenders:,}")
c.metric("Currencies", f"{len(report.currencies)}")
d.metric("Soft-deleted", f"{report.deleted.height:,}", help="Excluded; listed under Reconciliation")
if report.expenses == 0:
    empty_state("No expenses in this period.", "Pick another period in the sidebar.")
    st.stop()
if report.reconciled:
    st.success(
        "Reconciled: in every currency the category and monthly totals add up exactly to the "
        "grand total.",
        icon=":material/task_alt:",
    )
else:
    st.error("Not reconciled: see the Reconciliation tab.", icon=":material/error:")

st.subheader("Totals by currency")
st.caption(
    f"Compared with the previous period ({period.previous().days_label()}) and the same period last "
    f"year ({period.year_before().days_label()}). Amounts in different currencies are never added."
)
_table(report.by_currency, "fr_currency")

currency = st.selectbox("Charts for currency", report.currencies, key="fr_currency_pick")
left, right = st.columns(2)
with left:
    cats, months = report.chart_frames(currency)
    st.plotly_chart(category_breakdown(cats, currency=currency), key="fr_cat_chart")
with right:
    st.plotly_chart(monthly_trend(months, currency=currency), key="fr_month_chart")

tabs = st.tabs(["By category", "By month", "Top spenders", "Reconciliation"])
with tabs[0]:
    _table(report.by_category, "fr_categories")
with tabs[1]:
    _table(report.by_month, "fr_months", month=st.column_config.DateColumn(format="MMM YYYY"))
with tabs[2]:
    _table(report.top_spenders, "fr_top")
with tabs[3]:
    _table(report.reconciliation, "fr_reconciliation")
    st.caption(f"Soft-deleted expenses dated in the period ({report.deleted.height:,}):")
    _table(report.deleted, "fr_deleted")
st.caption(runner.caption_since(mark))
_exports(report)
