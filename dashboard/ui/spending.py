"""Small Streamlit rendering helpers shared by the pages: page set-up, KPI rows, empty states."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from dashboard.app.resources import get_runner, get_settings
from dashboard.core.identity import AuthUser
from dashboard.core.money import format_money
from dashboard.data.runner import Runner
from dashboard.ui.filters import SpendingFilters, spending_filters
from dashboard.ui.signed_in import signed_in_user
from dashboard.views.spending import Kpi
from queries.spending import categories as category_query

__all__ = ["SpendingPage", "empty_state", "kpi_row", "spending_page"]


def _fmt(kpi: Kpi, currency: str) -> str:
    if kpi.value is None:
        return "—"
    if kpi.kind == "money":
        return format_money(kpi.value, currency)
    if kpi.kind == "share":
        return f"{kpi.value:.0%}"
    return f"{kpi.value:,.0f}"


def _pct(value: float | None) -> str | None:
    return None if value is None else f"{value:+.0%}"


def kpi_row(kpis: Sequence[Kpi], *, currency: str) -> None:
    """One metric per KPI: the value, its change against the previous period, and last year's."""
    for column, kpi in zip(st.columns(len(kpis)), kpis, strict=True):
        column.metric(
            kpi.label,
            _fmt(kpi, currency),
            delta=_pct(kpi.vs_previous),
            delta_color="inverse" if kpi.kind in ("money", "share") else "off",
            help=(
                f"Change against the previous period of the same length: "
                f"{_pct(kpi.vs_previous) or 'no data'}. Against the same period last year: "
                f"{_pct(kpi.vs_last_year) or 'no data'}."
            ),
        )
        column.caption(f"{_pct(kpi.vs_last_year) or '—'} vs last year")


def empty_state(title: str, body: str) -> None:
    """A friendly message that says what to do next, instead of empty axes."""
    st.info(f"**{title}** {body}", icon=":material/lightbulb:")


@dataclass(frozen=True)
class SpendingPage:
    """What every spending page starts from: the runner, the signed-in user and the filters."""

    runner: Runner
    user: AuthUser
    filters: SpendingFilters
    #: Every category the user has spent in (the filters' options).
    options: tuple[str, ...]

    @property
    def currency(self) -> str:
        return self.user.currency


def spending_page(title: str, *, empty: str) -> SpendingPage:
    """Title, the user's categories, the filters; or the empty state (and stop) without expenses."""
    runner = get_runner(get_settings())
    user = signed_in_user()
    st.title(title)
    options = runner.frame(category_query(user))["category"].to_list()
    if not options:
        empty_state("No expenses yet.", empty)
        st.stop()
    filters = spending_filters(user, options=options)
    return SpendingPage(runner=runner, user=user, filters=filters, options=tuple(options))
