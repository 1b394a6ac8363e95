"""The app shell run by ``app.py``: settings, the store, and the navigation for this run."""

from __future__ import annotations

import streamlit as st

from dashboard.config import SettingsError
from dashboard.runtime import get_settings, get_store
from dashboard.store import DatabaseUnavailable

__all__ = ["run"]


def _stop_with(title: str, body: str, *, hint: str) -> None:
    st.title(title)
    st.error(body)
    st.info(hint)
    st.stop()


def run() -> None:
    """Set up the page, check the configuration and the database, then run the chosen page."""
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
    st.session_state["_spendlens_store_description"] = store.description
    pages = [
        st.Page(
            "pages/home.py", title="Home", icon=":material/home:", url_path="home", default=True
        )
    ]
    st.navigation(pages).run()
