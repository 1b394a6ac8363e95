"""The spending pages' filters: period and categories, bound to the URL so a link reproduces a view.

Streamlit's bound widgets silently drop a URL value they cannot use; we check the values first and
say so ("ignored …, showing …"), so a broken link never looks like a different answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from dashboard.core.identity import AuthUser
from dashboard.core.periods import DEFAULT_PRESET, PRESETS, Period, local_today, period_for

__all__ = [
    "PeriodChoice",
    "SpendingFilters",
    "period_filter",
    "period_notices",
    "show_notices",
    "spending_filters",
]


@dataclass(frozen=True)
class SpendingFilters:
    preset: str
    period: Period
    categories: tuple[str, ...]
    notices: tuple[str, ...] = ()


def _parse_day(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def period_notices() -> list[str]:
    """What is wrong with the period values of the current link, if anything."""
    notices = []
    raw = st.query_params.get("period")
    # A bound selectbox writes its *label* to the URL (?period=Last+30+days).
    if raw is not None and raw not in PRESETS.values():
        notices.append(
            f"The link's period “{raw}” is not one Spendlens knows; showing "
            f"{PRESETS[DEFAULT_PRESET].lower()} instead."
        )
    for key in ("from", "to"):
        value = st.query_params.get(key)
        if value is not None and _parse_day(value) is None:
            notices.append(
                f"The link's “{key}” date “{value}” is not a date (YYYY-MM-DD); it was ignored."
            )
    return notices


def _url_notices(options: Sequence[str]) -> list[str]:
    notices = period_notices()
    unknown = [c for c in st.query_params.get_all("categories") if c not in options]
    if unknown:
        notices.append(
            f"Ignored categories from the link that you have no expenses in: {', '.join(unknown)}."
        )
    return notices


@dataclass(frozen=True)
class PeriodChoice:
    preset: str
    period: Period


def period_filter(*, tz: str, today: dt.date | None = None) -> PeriodChoice:
    """Draw the sidebar's period filter (presets, custom range), bound to the URL, in zone ``tz``.

    Call it from inside ``st.sidebar``; pages add their own filters below it.
    """
    today = today or local_today(tz)
    presets = list(PRESETS)
    st.subheader("Filters")
    preset = st.selectbox(
        "Period",
        presets,
        index=presets.index(DEFAULT_PRESET),
        format_func=PRESETS.__getitem__,
        key="period",
        bind="query-params",
    )
    custom = None
    if preset == "custom":
        default_start = today - dt.timedelta(days=29)
        start = st.date_input("From", value=default_start, key="from", bind="query-params")
        end = st.date_input("To", value=today, key="to", bind="query-params")
        custom = (start or default_start, end or today)
    preset = preset or DEFAULT_PRESET
    return PeriodChoice(preset, period_for(preset, today=today, tz=tz, custom=custom))


def show_notices(notices: Sequence[str]) -> None:
    for notice in notices:
        st.warning(notice, icon=":material/link_off:")


def spending_filters(
    user: AuthUser, *, options: Sequence[str], today: dt.date | None = None
) -> SpendingFilters:
    """Draw the period and category filters in the sidebar and return what they select."""
    notices = _url_notices(options)
    with st.sidebar:
        choice = period_filter(tz=user.timezone, today=today)
        chosen = st.multiselect(
            "Categories",
            list(options),
            key="categories",
            bind="query-params",
            placeholder="All categories",
        )
    show_notices(notices)
    return SpendingFilters(
        preset=choice.preset,
        period=choice.period,
        categories=tuple(c for c in chosen if c in options),
        notices=tuple(notices),
    )
