"""Accounts and their rules: registration, roles, disabling, temporary passwords, login throttling
and data rights (download everything, deletion). No Streamlit here: the login forms are in
:mod:`dashboard.ui.session`; the signed-in user's type is :class:`dashboard.core.identity.AuthUser`."""
