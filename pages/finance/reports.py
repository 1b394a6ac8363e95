"""Finance reports: a period's totals over all users by currency, category and month; top spenders;
comparisons; reconciliation with the soft-deleted expenses; exports (CSV, Parquet, Excel, PDF)."""

from __future__ import annotations

import streamlit as st

from dashboard.app.resources import get_jobs, get_runner
from dashboard.charts.categories import category_breakdown
from dashboard.charts.timeline import monthly_trend
from dashboard.core.periods import REPORT_PERIODS
from dashboard.ui.components import empty_state, left_out_notice, report_table
from dashboard.ui.exports import report_exports
from dashboard.ui.filters import period_picker
from dashboard.ui.partial import partial_caption
from dashboard.ui.signed_in import signed_in_user
from dashboard.views.finance import EXCLUDED_ROWS, build_report

runner = get_runner()
user = signed_in_user()
tz = runner.settings.report_timezone


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
left_out_notice(report.left_out, where=" They are listed under Reconciliation.")
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
report_table(report.with_comparisons(report.by_currency), "fr_currency")

currency = st.selectbox(
    "Currency", report.currencies, key="fr_currency_pick",
    help="The charts and the breakdown tables below show this currency only.",
)  # fmt: skip
left, right = st.columns(2)
with left:
    cats, months = report.chart_frames(currency)
    st.markdown("**By category**")
    st.plotly_chart(category_breakdown(cats, currency=currency), key="fr_cat_chart")
with right:
    st.markdown("**By month**")
    st.plotly_chart(monthly_trend(months, currency=currency), key="fr_month_chart")
    partial_caption(months, "month", unit="month", period=period, last_day=report.last_day)

tabs = st.tabs(["By category", "By month", "Top spenders", "Reconciliation"])
with tabs[0]:
    report_table(report.with_comparisons(report.by_category), "fr_categories", currency=currency)
with tabs[1]:
    report_table(report.by_month, "fr_months", currency=currency)
with tabs[2]:
    report_table(report.top_spenders, "fr_top", currency=currency)
with tabs[3]:
    report_table(report.reconciliation, "fr_reconciliation")
    st.caption(f"Soft-deleted expenses dated in the period ({report.deleted.height:,}):")
    report_table(report.deleted, "fr_deleted")
    st.caption(
        f"Left out as unusable ({report.left_out.total:,}; at most {EXCLUDED_ROWS:,} listed per "
        "reason), values as stored:"
    )
    report_table(report.excluded, "fr_excluded")
st.caption(runner.caption_since(mark))
report_exports(runner, user, report, jobs=get_jobs(runner.settings))
