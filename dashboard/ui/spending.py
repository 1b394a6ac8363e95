"""What every spending page starts from: the signed-in user, their categories and the filter bar."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboard.core.identity import AuthUser
from dashboard.data.runner import Runner
from dashboard.ui.components import empty_state, left_out_notice
from dashboard.ui.filters import SpendingFilters, spending_filters
from dashboard.ui.signed_in import signed_in_user
from dashboard.views.spending import left_out, left_out_ever
from queries.spending import categories as category_query

__all__ = ["SpendingPage", "spending_page"]


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


def spending_page(runner: Runner, title: str, *, empty: str) -> SpendingPage:
    """Title, the user's categories, the filters, and a counted notice of the period's expenses
    left out as unusable; or the empty state (and stop) without usable expenses, after the count
    of the unusable ones, if any."""
    user = signed_in_user()
    st.title(title)
    options = runner.frame(category_query(user))["category"].to_list()
    if not options:
        left_out_notice(left_out_ever(runner, user))
        empty_state("No expenses yet.", empty)
        st.stop()
    filters = spending_filters(user, options=options)
    left_out_notice(left_out(runner, user, filters.period, categories=filters.categories))
    return SpendingPage(runner=runner, user=user, filters=filters, options=tuple(options))
