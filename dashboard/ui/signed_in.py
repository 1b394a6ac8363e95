"""The signed-in user of this run, as the shell established it, for page scripts."""

from __future__ import annotations

import streamlit as st

from dashboard.core.identity import AuthUser

__all__ = ["SIGNED_IN_KEY", "signed_in_user"]

#: Set by the shell on every run from the login flow; never bound to a widget.
SIGNED_IN_KEY = "_spendlens_user"


def signed_in_user() -> AuthUser:
    """The user the shell signed in for this run; stops the page if there is none."""
    user = st.session_state.get(SIGNED_IN_KEY)
    if not isinstance(user, AuthUser):
        st.error("Please log in.")
        st.stop()
    return user
