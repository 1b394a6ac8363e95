"""The app shell run by ``app.py``: settings, the store, the signed-in user and their navigation."""

from __future__ import annotations

import streamlit as st

from dashboard.app.navigation import build_navigation
from dashboard.app.page_timings import PAGE_TIMINGS
from dashboard.app.resources import get_cache, get_settings, get_store, get_throttle
from dashboard.core.demo import DEMO_ACCOUNTS
from dashboard.core.settings import SettingsError
from dashboard.store import DatabaseUnavailable
from dashboard.ui import account_forms, session
from dashboard.ui.signed_in import SIGNED_IN_KEY

__all__ = ["run"]


def _stop_with(title: str, body: str, *, hint: str) -> None:
    st.title(title)
    st.error(body)
    st.info(hint)
    st.stop()


def run() -> None:
    """Set up the page, check configuration and database, sign the user in, run the chosen page."""
    st.set_page_config(page_title="Spendlens", page_icon=":material/insights:", layout="wide")
    try:
        settings = get_settings()
    except SettingsError as exc:
        _stop_with(
            "Configuration error",
            str(exc),
            hint="Fix the variable named above (see the README's configuration table) and restart.",
        )
        return
    try:
        store = get_store(settings)
        store.ping()
    except DatabaseUnavailable as exc:
        _stop_with(
            "Database unavailable",
            f"Spendlens cannot reach its database. {exc}",
            hint="Check that MongoDB is running and MONGODB_URI is right; this page retries on reload.",
        )
        return
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
        session.login_form(store, settings, get_throttle(settings))
        st.caption("Forgot your password? Ask an admin: they can issue a temporary one.")
        if not settings.is_production:
            with st.expander("Demo accounts (development only)"):
                st.table(
                    {
                        "username": [a.username for a in DEMO_ACCOUNTS],
                        "password": [a.password for a in DEMO_ACCOUNTS],
                        "role": [a.role for a in DEMO_ACCOUNTS],
                    }
                )

    def register() -> None:
        st.title("Create an account")
        account_forms.registration_form(store, settings, cache=get_cache(settings))

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
    page = st.navigation(nav)
    if user is not None:
        with st.sidebar:
            st.caption(f"Signed in as **{user.name}** ({', '.join(user.roles)})")
            if st.button("Log out", key="spendlens_logout", icon=":material/logout:"):
                session.logout(settings, store)
                st.rerun()
    # Every page view is timed for the System performance page ("page load < 2 s").
    with PAGE_TIMINGS.measure(page.title):
        page.run()
