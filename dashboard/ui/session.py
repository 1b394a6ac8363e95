"""The login flow in Streamlit, with streamlit-authenticator for cookies, hashing and its forms.

The signed-in user is what streamlit-authenticator keeps in ``st.session_state``
(``authentication_status``, ``username``, ``name``, ``email``, ``roles``). Every run re-reads that
user from ``users``, so a disabled account or a role change takes effect at once. No widget of ours
uses those keys.

Logging out also revokes the login cookie on the server (``revokedLogins`` on the user's document):
the browser deletes the cookie only when its component runs, which can be after the login form
shows, and a reload or a new tab before that would otherwise sign the user in again.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import math
from typing import Any

import streamlit as st
import streamlit_authenticator as stauth

from dashboard.auth.accounts import (
    AccountError,
    credentials_for,
    register_account,
    save_credentials,
)
from dashboard.auth.throttle import LoginThrottle
from dashboard.cache import Cache
from dashboard.core.identity import AuthUser
from dashboard.core.settings import Settings
from dashboard.data import users
from dashboard.data.audit_log import audit
from dashboard.store import Store
from queries.base import GLOBAL

__all__ = [
    "SESSION_KEYS",
    "begin_run",
    "current_user",
    "login_form",
    "logout",
    "password_form",
    "registration_form",
    "update_details_form",
]

SESSION_KEYS = ("authentication_status", "username", "name", "email", "roles")


_RUN_KEY = "_spendlens_authenticator"
#: The expiry (``exp_date``) of this session's login cookie: it tells that cookie apart.
_LOGIN_EXPIRES = "_spendlens_login_expires"


def begin_run(settings: Settings) -> None:
    """Create this run's one authenticator (its cookie component may be rendered once per run)."""
    st.session_state[_RUN_KEY] = stauth.Authenticate(
        {"usernames": {}},
        settings.cookie_name,
        settings.effective_cookie_key,
        settings.cookie_expiry_days,
        auto_hash=False,
        login_sleep_time=0,
    )
    _keep_cookie_write(settings)


_COOKIE_WRITE = "_spendlens_cookie_write"


def _keep_cookie_write(settings: Settings) -> None:
    """Render the pending cookie write (set or delete) again on this run.

    The cookie is written by a browser-side component. Login and logout rerun the script right
    after asking for the write, and a component that the next run does not draw again is removed,
    sometimes before its script ran (seen under load): so the write is drawn again, with the same
    arguments, on every run of this session until it logs in or out again (identical arguments
    keep the component mounted, so the browser does the write once).
    """
    pending = st.session_state.get(_COOKIE_WRITE)
    if not pending:
        return
    manager = st.session_state[_RUN_KEY].cookie_controller.cookie_model.cookie_manager
    if pending["op"] == "set":
        manager.set(
            settings.cookie_name,
            pending["token"],
            key="set",
            expires_at=dt.datetime.fromtimestamp(pending["expires"]),
        )
    else:
        # The component is drawn before the library forgets the name (KeyError if it never knew).
        with contextlib.suppress(KeyError):
            manager.delete(settings.cookie_name, key="delete")


def _remember_cookie_write(authenticator: stauth.Authenticate, settings: Settings, op: str) -> None:
    model = authenticator.cookie_controller.cookie_model
    if op == "set":
        token = model.cookie_manager.cookies.get(settings.cookie_name)
        if token and model.exp_date:
            st.session_state[_COOKIE_WRITE] = {
                "op": "set",
                "token": token,
                "expires": model.exp_date,
            }
    else:
        st.session_state[_COOKIE_WRITE] = {"op": "delete"}


def _authenticator(settings: Settings, credentials: dict[str, Any]) -> stauth.Authenticate:
    """This run's authenticator, working on ``credentials`` (built from ``users`` for the task)."""
    authenticator = st.session_state.get(_RUN_KEY)
    if not isinstance(authenticator, stauth.Authenticate):
        begin_run(settings)
        authenticator = st.session_state[_RUN_KEY]
    authenticator.authentication_controller.authentication_model.credentials = credentials
    return authenticator


def _clear_session() -> None:
    for key in SESSION_KEYS:
        st.session_state[key] = None
    st.session_state.pop(_LOGIN_EXPIRES, None)


def _drop_revoked_cookie(settings: Settings) -> None:
    """This browser holds a logged-out cookie: stay signed out and delete it (again)."""
    st.session_state["logout"] = True
    st.session_state[_COOKIE_WRITE] = {"op": "delete"}
    _keep_cookie_write(settings)


def _restore_from_cookie(store: Store, settings: Settings) -> None:
    """Sign in from a valid login cookie (a reload keeps the user signed in)."""
    raw = st.context.cookies.get(settings.cookie_name)
    if st.session_state.get("logout") or not isinstance(raw, str) or not raw:
        return
    authenticator = _authenticator(settings, {"usernames": {}})
    token = authenticator.cookie_controller.get_cookie()
    if not token or "username" not in token:
        return
    doc = users.by_username(store, token["username"])
    credentials = credentials_for([doc] if doc else [])
    if token["username"] not in credentials["usernames"]:
        return
    if doc and users.is_revoked(doc, token.get("exp_date")):
        _drop_revoked_cookie(settings)
        return
    _authenticator(settings, credentials).authentication_controller.login(token=token)
    st.session_state[_LOGIN_EXPIRES] = token.get("exp_date")


def current_user(store: Store, settings: Settings) -> AuthUser | None:
    """The signed-in user, re-read from ``users``; None (and signed out) when there is none."""
    st.session_state.setdefault("logout", None)
    if not st.session_state.get("authentication_status"):
        _restore_from_cookie(store, settings)
    username = st.session_state.get("username")
    if not st.session_state.get("authentication_status") or not username:
        return None
    doc = users.by_username(store, username)
    if doc is None or doc.get("disabled"):
        audit(store, "login.revoked", actor=username, details={"reason": "disabled or removed"})
        logout(settings, store, audited=False)
        st.session_state["_spendlens_notice"] = "Your account is disabled. Ask an admin for help."
        return None
    user = AuthUser.from_document(doc)
    st.session_state["roles"] = list(user.roles)
    st.session_state["name"] = user.name
    st.session_state["email"] = user.email
    return user


def login_form(store: Store, settings: Settings, throttle: LoginThrottle) -> None:
    """Our login form: throttled per username, audited, refusing disabled accounts."""
    with st.form("spendlens_login"):
        st.subheader("Log in")
        username = st.text_input("Username", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Log in", type="primary")
    if not submitted:
        return
    username = username.strip().lower()
    if not username or not password:
        st.error("Enter your username and password.")
        return
    wait = throttle.retry_after(username)
    if wait is not None:
        audit(store, "login.locked", actor=username, details={"retry_after_s": round(wait)})
        st.error(_too_many(wait))
        return
    doc = users.by_username(store, username)
    if doc is not None and doc.get("disabled"):
        audit(store, "login.failure", actor=username, details={"reason": "disabled"})
        st.error("This account is disabled. Ask an admin to enable it.")
        return
    authenticator = _authenticator(settings, credentials_for([doc] if doc else []))
    if authenticator.authentication_controller.login(username, password):
        throttle.reset(username)
        authenticator.cookie_controller.set_cookie()
        _remember_cookie_write(authenticator, settings, "set")
        st.session_state[_LOGIN_EXPIRES] = authenticator.cookie_controller.cookie_model.exp_date
        audit(store, "login.success", actor=username)
        users.record_login(store, username)
        st.session_state["logout"] = None
        st.rerun()
    failures = throttle.record_failure(username)
    audit(store, "login.failure", actor=username, details={"attempt": failures})
    wait = throttle.retry_after(username)
    if wait is not None:
        audit(store, "login.lockout", actor=username, details={"failures": failures})
        st.error(_too_many(wait))
    else:
        st.error("Username or password is incorrect.")


def _too_many(wait_s: float) -> str:
    minutes = max(1, math.ceil(wait_s / 60))
    return f"Too many attempts, try again in {minutes} minute{'s' if minutes != 1 else ''}."


def logout(settings: Settings, store: Store, *, audited: bool = True) -> None:
    """Sign out: clear the session, revoke the login cookie and delete it from the browser."""
    username = st.session_state.get("username")
    expires = st.session_state.get(_LOGIN_EXPIRES)
    authenticator = _authenticator(settings, {"usernames": {}})
    authenticator.authentication_controller.logout()
    authenticator.cookie_controller.delete_cookie()
    _remember_cookie_write(authenticator, settings, "delete")
    _clear_session()
    st.session_state["logout"] = True
    if username and isinstance(expires, int | float):
        users.revoke_login(store, username, expires)
    if audited and username:
        audit(store, "logout", actor=username)


def registration_form(store: Store, settings: Settings, *, cache: Cache | None = None) -> None:
    """streamlit-authenticator's registration form; the new account is written to ``users``."""
    credentials: dict[str, Any] = {"usernames": {}}
    authenticator = _authenticator(settings, credentials)
    try:
        result = authenticator.register_user(roles=["user"], password_hint=False, captcha=True)
    except (stauth.RegisterError, stauth.LoginError) as exc:
        st.error(str(exc))
        return
    if not result or not result[1]:
        return
    email, username, name = result
    entry = credentials["usernames"].get(username) or credentials["usernames"].get(username.lower())
    try:
        register_account(
            store, username=username, name=name, email=email, password_hash=entry["password"]
        )
    except AccountError as exc:
        st.error(str(exc))
        return
    if cache is not None:
        cache.invalidate(GLOBAL)  # user counts on the staff pages changed
    st.success("Account created. You can log in now.")


def _own_credentials(store: Store, user: AuthUser) -> dict[str, Any]:
    doc = users.by_username(store, user.username)
    return credentials_for([doc] if doc else [])


def password_form(store: Store, settings: Settings, user: AuthUser) -> bool:
    """Change the signed-in user's password; True once changed (clears must-change-password)."""
    credentials = _own_credentials(store, user)
    before = copy.deepcopy(credentials)
    authenticator = _authenticator(settings, credentials)
    try:
        changed = authenticator.reset_password(
            user.username, fields={"Form name": "Change password", "Reset": "Change password"}
        )
    except (stauth.ResetError, stauth.CredentialsError) as exc:
        st.error(str(exc))
        return False
    if changed:
        save_credentials(store, before, credentials, actor=user.username)
        audit(store, "password.changed", actor=user.username, target=user.username)
        st.success("Password changed.")
        return True
    return False


def update_details_form(store: Store, settings: Settings, user: AuthUser) -> None:
    """Update the signed-in user's name or email."""
    credentials = _own_credentials(store, user)
    before = copy.deepcopy(credentials)
    authenticator = _authenticator(settings, credentials)
    try:
        updated = authenticator.update_user_details(user.username)
    except (stauth.UpdateError, stauth.CredentialsError) as exc:
        st.error(str(exc))
        return
    if updated:
        try:
            save_credentials(store, before, credentials, actor=user.username)
        except AccountError as exc:
            st.error(str(exc))
            return
        st.success("Details updated.")
