"""The one period picker every page uses, and the spending pages' filter bar (period and categories).

:func:`period_picker` draws any :class:`~dashboard.core.periods.PeriodMenu` in the sidebar: a preset
(bound to the URL for menus that ask for it, so a link reproduces a view), the month, quarter or
year of a calendar preset, or a custom range. Streamlit's bound widgets silently drop a URL value
they cannot use; the picker checks the values first and says so ("ignored …, showing …"), so a
broken link never looks like a different answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard.core.identity import AuthUser
from dashboard.core.periods import (
    PRESETS,
    SPENDING_PERIODS,
    Period,
    PeriodMenu,
    local_today,
    parse_period,
    recent_specs,
)

__all__ = ["SpendingFilters", "period_picker", "show_notices", "spending_filters"]


#: Session state: page → the notices about its link not dismissed yet, in the order they came.
_KEPT = "_spendlens_link_notices"
#: Session state: page → the link notices the user dismissed.
_DISMISSED = "_spendlens_dismissed_link_notices"


def _page_id() -> str:
    """The page this run draws (its script hash): link notices belong to the link of one page."""
    ctx = get_script_run_ctx()
    return ctx.page_script_hash if ctx is not None else ""


def _dismiss(page: str) -> None:
    """Hide the page's link notices for the rest of the session (the link may still carry the
    bad value until a bound widget cleans it: it must not bring them back)."""
    gone = st.session_state.get(_KEPT, {}).pop(page, [])
    st.session_state.setdefault(_DISMISSED, {}).setdefault(page, set()).update(gone)


def _keep(notices: Sequence[str]) -> None:
    """Add notices about this page's link to those kept for it (each once, unless dismissed)."""
    page = _page_id()
    dismissed = st.session_state.get(_DISMISSED, {}).get(page, set())
    mine = st.session_state.setdefault(_KEPT, {}).setdefault(page, [])
    mine.extend(n for n in notices if n not in mine and n not in dismissed)


def show_notices(notices: Sequence[str] = (), *, link: bool = True) -> None:
    """Draw the notices about this page's link, kept until the user dismisses them, then
    ``notices`` (kept with them when ``link``). Call it once per run.

    Bound widgets clean a value they cannot use out of the URL on the next run, so a notice
    computed from the URL alone would vanish a moment after it appeared. Link notices are kept in
    the session per page and shown with a "Dismiss" button; other notices (``link=False``: about
    the current choice, such as a range given end first) show while their cause lasts.
    """
    if link:
        _keep(notices)
        notices = ()
    page = _page_id()
    kept = st.session_state.get(_KEPT, {}).get(page, [])
    for notice in kept:
        st.warning(notice, icon=":material/link_off:")
    for notice in notices:
        st.warning(notice, icon=":material/info:")
    if kept:
        st.button(
            "Dismiss",
            key="spendlens_dismiss_link_notices",
            on_click=_dismiss,
            args=(page,),
            icon=":material/close:",
            help="Hide the notices about this link",
        )


def _parse_day(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _link_notices(menu: PeriodMenu) -> list[str]:
    """What is wrong with the period values of the current link, if anything."""
    if not menu.bind:
        return []
    notices = []
    labels = menu.labels()
    raw = st.query_params.get(menu.key)
    # A bound selectbox writes its *label* to the URL (?period=Last+30+days).
    if raw is not None and raw not in labels.values():
        notices.append(
            f"The link's period “{raw}” is not one this page knows; showing "
            f"{labels[menu.default].lower()} instead."
        )
    for end in ("from", "to"):
        value = st.query_params.get(f"{menu.prefix}{end}")
        if value is not None and _parse_day(value) is None:
            notices.append(
                f"The link's “{end}” date “{value}” is not a date (YYYY-MM-DD); it was ignored."
            )
    return notices


def _custom_range(menu: PeriodMenu, today: dt.date, bind: dict[str, Any]) -> tuple[dt.date, ...]:
    first = today - dt.timedelta(days=29)
    start = st.date_input("From", value=first, key=f"{menu.prefix}from", **bind) or first
    end = st.date_input("To", value=today, key=f"{menu.prefix}to", **bind) or today
    return start, end


def period_picker(
    menu: PeriodMenu,
    *,
    tz: str,
    today: dt.date | None = None,
    heading: str = "Filters",
    sidebar_extra: Any = None,
) -> Period:
    """Draw ``menu``'s period choice in the sidebar and return the chosen period in zone ``tz``.

    Notices about the link's values show in the page until dismissed (:func:`show_notices`); one
    about a custom range given end first shows while the range is so.
    ``sidebar_extra`` (a no-argument callable) draws more filters below the period, in the sidebar.
    """
    today = today or local_today(tz)
    _keep(_link_notices(menu))
    choice_notices: list[str] = []
    bind: dict[str, Any] = {"bind": "query-params"} if menu.bind else {}
    labels = menu.labels()
    with st.sidebar:
        st.subheader(heading)
        preset = st.selectbox(
            "Period",
            list(labels),
            index=list(labels).index(menu.default),
            format_func=labels.__getitem__,
            key=menu.key,
            **bind,
        )
        preset = preset or menu.default
        mode = PRESETS[preset].mode
        instance, custom = None, None
        if mode == "calendar":
            choice = PRESETS[preset]
            specs = recent_specs(preset, today, choice.count)  # type: ignore[arg-type]
            instance = st.selectbox(
                choice.label,
                specs,
                index=choice.default,
                format_func=lambda spec: parse_period(spec, tz=tz).label(),
                key=f"{menu.prefix}{preset}",
            )
        elif mode == "custom":
            start, end = _custom_range(menu, today, bind)
            if end < start:
                choice_notices.append(
                    f"The range was given end first ({start:%d %b %Y} to {end:%d %b %Y}); "
                    f"showing {end:%d %b %Y} – {start:%d %b %Y}."
                )
                start, end = end, start
            custom = (start, end)
        if sidebar_extra is not None:
            sidebar_extra()
    show_notices(choice_notices, link=False)
    return menu.period_for(preset, today=today, tz=tz, custom=custom, instance=instance)


@dataclass(frozen=True)
class SpendingFilters:
    """The spending pages' filter values: the period and the chosen categories (none: all)."""

    period: Period
    categories: tuple[str, ...]


def spending_filters(
    user: AuthUser, *, options: Sequence[str], today: dt.date | None = None
) -> SpendingFilters:
    """The spending pages' filter bar: the period (in the user's zone) and categories, in the URL."""
    unknown = [c for c in st.query_params.get_all("categories") if c not in options]
    chosen: list[str] = []

    def categories() -> None:
        chosen.extend(
            st.multiselect(
                "Categories",
                list(options),
                key="categories",
                bind="query-params",
                placeholder="All categories",
            )
        )

    if unknown:  # kept before the picker draws this page's notices
        _keep(
            [
                f"Ignored categories from the link that you have no expenses in: {', '.join(unknown)}."
            ]
        )
    period = period_picker(
        SPENDING_PERIODS, tz=user.timezone, today=today, sidebar_extra=categories
    )
    return SpendingFilters(period=period, categories=tuple(c for c in chosen if c in options))
