"""The app shell run by ``app.py``: settings, the store, the signed-in user and their navigation.

Error pages here can be the first thing an anonymous visitor sees, so they say what failed and what
to do in plain words, without paths, pids or hosts; the exception itself goes to the server log.
"""

from __future__ import annotations

import logging

import streamlit as st

from dashboard.app.navigation import build_navigation, requested_url_path, with_not_found
from dashboard.app.page_timings import PAGE_TIMINGS
from dashboard.app.resources import (
    get_cache,
    get_registration_throttle,
    get_settings,
    get_store,
    get_throttle,
    store_startup,
)
from dashboard.core.demo import DEMO_ACCOUNTS
from dashboard.core.faults import Fault, settings_fault, storage_fault
from dashboard.core.settings import Settings, SettingsError, StartupCheck, startup_check
from dashboard.store import DatabaseUnavailable, Store
from dashboard.ui import account_forms, session
from dashboard.ui.login import login_form
from dashboard.ui.signed_in import SIGNED_IN_KEY

__all__ = ["run"]

log = logging.getLogger("spendlens.shell")


def _stop_with(title: str, body: str, *, hint: str) -> None:
    st.title(title)
    st.error(body)
    st.info(hint)
    st.stop()


def _stop_with_fault(fault: Fault) -> None:
    _stop_with(fault.title, fault.message, hint=fault.hint)


def _show_storage_fault(exc: OSError) -> None:
    """A write failed (disk full, read-only data directory): say so instead of a traceback."""
    log.error("a write to the store failed", exc_info=exc)
    fault = storage_fault(exc)
    st.error(f"**{fault.title}.** {fault.message}", icon=":material/hard_drive:")
    st.info(fault.hint)


def run() -> None:
    """Set up the page, check configuration and database, sign the user in, run the chosen page."""
    st.set_page_config(page_title="Spendlens", page_icon=":material/insights:", layout="wide")
    try:
        settings = get_settings()
    except SettingsError as exc:
        log.error("%s", exc)
        _stop_with_fault(settings_fault(str(exc)))
        return
    try:
        store = get_store(settings)
        store.ping()
        startup = startup_check(settings, store_kind=store_startup(settings, store).kind)
    except DatabaseUnavailable as exc:
        log.error("database unavailable: %s", exc)
        _stop_with(
            "Database unavailable",
            "Spendlens cannot reach its database right now.",
            hint="Operators: check that MongoDB is running and MONGODB_URI is right, or that no "
            "other process holds the embedded data directory; the server log has the details. "
            "This page retries on reload.",
        )
        return
    except OSError as exc:
        log.error("cannot open the data directory", exc_info=exc)
        _stop_with_fault(
            storage_fault(exc, doing="open its data directory", outcome="Nothing was changed.")
        )
        return
    if startup.refusal:
        _stop_with(
            "Configuration error",
            startup.refusal,
            hint="See the README's section on environments, then restart.",
        )
        return
    if startup.banner:
        st.warning(startup.banner, icon=":material/warning:")
    try:
        _run_signed_in(settings, store, startup)
    except OSError as exc:
        _show_storage_fault(exc)


def _run_signed_in(settings: Settings, store: Store, startup: StartupCheck) -> None:
    """Sign the user in and run the page they chose (writes may raise :class:`OSError`)."""
    session.begin_run(settings)
    user = session.current_user(store, settings)
    st.session_state[SIGNED_IN_KEY] = user
    notice = st.session_state.pop("_spendlens_notice", None)
    if notice:
        st.warning(notice)
    for problem in user.problems if user is not None else ():
        st.warning(problem, icon=":material/schedule:")

    def login() -> None:
        st.title("Spendlens")
        st.caption("Analytics and reports for your Expense Tracker data.")
        login_form(store, settings, get_throttle(settings))
        st.caption("Forgot your password? Ask an admin: they can issue a temporary one.")
        if startup.list_demo_accounts:
            with st.expander("Demo accounts (development on the demo data only)"):
                st.table(
                    {
                        "username": [a.username for a in DEMO_ACCOUNTS],
                        "password": [a.password for a in DEMO_ACCOUNTS],
                        "role": [a.role for a in DEMO_ACCOUNTS],
                    }
                )

    def register() -> None:
        st.title("Create an account")
        account_forms.registration_form(
            store, settings, get_registration_throttle(settings), cache=get_cache(settings)
        )

    def change_password() -> None:
        st.title("Change your password")
        st.info("An admin issued you a temporary password: choose your own to continue.")
        if account_forms.password_form(store, settings, user):  # type: ignore[arg-type]
            st.rerun()

    nav = build_navigation(
        user,
        store,
        login=login,
        register=register if settings.allow_registration else None,
        change_password=change_password,
    )
    # Shell widgets come after st.navigation: it resolves the page, and widget ids include the
    # page, so a button drawn before it would change id between the run after login and the next.
    # An unknown URL lands on our own "Page not found" page, not Streamlit's blocking dialog.
    nav = with_not_found(nav, requested_url_path())
    page = st.navigation(nav, expanded=True)  # an admin has 14 pages: show them all
    if user is not None:
        with st.sidebar:
            st.caption(f"Signed in as **{user.name}** ({', '.join(user.roles)})")
            if st.button("Log out", key="spendlens_logout", icon=":material/logout:"):
                session.logout(settings, store)
                st.rerun()
    # Every page view is timed for the System performance page ("page load < 2 s").
    with PAGE_TIMINGS.measure(page.title):
        page.run()
