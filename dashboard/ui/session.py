"""The signed-in session: the login cookie, every run's check, signing out, checked downloads.

The signed-in user is kept in ``st.session_state`` under the keys streamlit-authenticator uses
(``authentication_status``, ``username``, ``name``, ``email``, ``roles``), plus this session's login
(:data:`_LOGIN`: the account id, its session version and the token id of its cookie). Every run
re-reads the account by id and ends the session when the account is gone (a new account that
reuses the name has another id), disabled, or its session version moved on (password changed,
temporary password, disabled, "log out everywhere"), or when this cookie was logged out.

The login cookie is ours (:mod:`dashboard.auth.tokens`); streamlit-authenticator only provides the
browser-side cookie component. A successful login (the form is :mod:`dashboard.ui.login`) also
gives the browser a long-lived **device cookie** for the account (it survives logout), which
exempts it from the per-username delay. The account forms are in :mod:`dashboard.ui.account_forms`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import streamlit as st
import streamlit_authenticator as stauth

from dashboard.auth import accounts
from dashboard.auth.tokens import (
    LoginToken,
    issue_device_token,
    issue_login_token,
    read_device_token,
    read_login_token,
)
from dashboard.core.identity import AuthUser, PermissionDenied
from dashboard.core.settings import Settings
from dashboard.data import users
from dashboard.data.audit_log import audit
from dashboard.store import Store

__all__ = [
    "SESSION_KEYS",
    "begin_run",
    "current_user",
    "deferred",
    "device_cookie_id",
    "device_cookie_name",
    "give_device_cookie",
    "issue_cookie",
    "logout",
    "logout_everywhere",
    "sign_in",
]

SESSION_KEYS = ("authentication_status", "username", "name", "email", "roles")

_RUN_KEY = "_spendlens_authenticator"
#: This session's login: ``{"uid", "ver", "jti", "exp"}`` of its cookie's claims.
_LOGIN = "_spendlens_login"
_COOKIE_WRITE = "_spendlens_cookie_write"
#: The device cookie to keep writing: ``{"token", "expires"}`` (logout leaves it).
_DEVICE_WRITE = "_spendlens_device_write"
#: How long a device cookie exempts its browser from the per-username delay.
DEVICE_COOKIE_DAYS = 365
#: The cookie writes drawn in this run (a component key may be drawn once per run).
_DRAWN = "_spendlens_cookie_drawn"
_NOTICE = "_spendlens_notice"


def begin_run(settings: Settings) -> None:
    """Create this run's one cookie component (it may be rendered once per run)."""
    st.session_state[_RUN_KEY] = stauth.Authenticate(
        {"usernames": {}},
        settings.cookie_name,
        settings.effective_cookie_key,
        settings.cookie_expiry_days,
        auto_hash=False,
        login_sleep_time=0,
    )
    st.session_state[_DRAWN] = set()
    _keep_cookie_write(settings)


def device_cookie_name(settings: Settings) -> str:
    """The device cookie's name: the login cookie's with ``_device`` appended."""
    return f"{settings.cookie_name}_device"


def _keep_cookie_write(settings: Settings) -> None:
    """Render the pending cookie writes (the login cookie's set or delete, the device cookie's
    set) again on this run.

    The cookies are written by a browser-side component. Login and logout rerun the script right
    after asking for the write, and a component that the next run does not draw again is removed,
    sometimes before its script ran (seen under load): so each write is drawn again, with the same
    arguments, on every run of this session until it logs in or out again (identical arguments
    keep the component mounted, so the browser does the write once). The device cookie has its
    own component key and is kept through logout.
    """
    authenticator = st.session_state.get(_RUN_KEY)
    if authenticator is None:
        return
    drawn: set[str] = st.session_state.setdefault(_DRAWN, set())
    manager = authenticator.cookie_controller.cookie_model.cookie_manager
    device = st.session_state.get(_DEVICE_WRITE)
    if device and "device" not in drawn:
        drawn.add("device")
        manager.set(
            device_cookie_name(settings),
            device["token"],
            key="device-set",
            expires_at=dt.datetime.fromtimestamp(device["expires"]),
        )
    pending = st.session_state.get(_COOKIE_WRITE)
    if not pending or pending["op"] in drawn:
        return
    drawn.add(pending["op"])
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


def _clear_session() -> None:
    for key in SESSION_KEYS:
        st.session_state[key] = None
    st.session_state.pop(_LOGIN, None)


def _establish(doc: Mapping[str, Any], token: LoginToken) -> None:
    """Make ``doc``'s account this session's signed-in user under ``token``."""
    user = AuthUser.from_document(doc)
    st.session_state["authentication_status"] = True
    st.session_state["username"] = user.username
    st.session_state["name"] = user.name
    st.session_state["email"] = user.email
    st.session_state["roles"] = list(user.roles)
    st.session_state["logout"] = None
    st.session_state[_LOGIN] = {
        "uid": token.user_id,
        "ver": token.version,
        "jti": token.token_id,
        "exp": token.expires,
    }


def issue_cookie(store: Store, settings: Settings, user_id: Any) -> bool:
    """Sign this session in as the account ``user_id`` with a new cookie under its current
    session version (after this user's own password change); False when the account is gone."""
    doc = users.by_id(store, user_id)
    if doc is None:
        return False
    sign_in(doc, settings)
    return True


def sign_in(doc: Mapping[str, Any], settings: Settings) -> None:
    """Sign this session in as ``doc``'s account with a new login cookie under the session
    version of ``doc`` (for a login: the document whose password was checked)."""
    value, token = issue_login_token(
        doc["_id"],
        max(users.session_version(doc), 0),
        key=settings.effective_cookie_key,
        lifetime_s=settings.cookie_expiry_days * 86_400,
    )
    _establish(doc, token)
    st.session_state[_COOKIE_WRITE] = {"op": "set", "token": value, "expires": token.expires}


def give_device_cookie(doc: Mapping[str, Any], settings: Settings) -> None:
    """After a successful login: a new device cookie of this account for this browser."""
    value, token = issue_device_token(
        doc["_id"], key=settings.effective_cookie_key, lifetime_s=DEVICE_COOKIE_DAYS * 86_400
    )
    st.session_state[_DEVICE_WRITE] = {"token": value, "expires": token.expires}


def device_cookie_id(doc: Mapping[str, Any] | None, settings: Settings) -> str | None:
    """The id of the device cookie this browser presents, when it is valid and ``doc``'s."""
    raw = st.context.cookies.get(device_cookie_name(settings))
    token = read_device_token(raw, key=settings.effective_cookie_key)
    if doc is None or token is None or token.user_id != doc.get("_id"):
        return None
    return token.token_id


def _ended_because(doc: Mapping[str, Any] | None, login: Mapping[str, Any]) -> str | None:
    """Why the login ``login`` no longer holds for the account ``doc`` (None: it holds)."""
    if doc is None:
        return "removed"
    if doc.get("disabled"):
        return "disabled"
    if users.session_version(doc) != login.get("ver"):
        return "sessions ended"
    if users.is_token_revoked(doc, str(login.get("jti"))):
        return "logged out"
    exp = login.get("exp")
    if not isinstance(exp, int | float) or exp <= time.time():
        return "expired"
    return None


def _drop_cookie(settings: Settings) -> None:
    """This browser holds a cookie that does not sign in: stay signed out and delete it."""
    st.session_state["logout"] = True
    st.session_state[_COOKIE_WRITE] = {"op": "delete"}
    _keep_cookie_write(settings)


def _restore_from_cookie(store: Store, settings: Settings) -> None:
    """Sign in from a valid login cookie (a reload keeps the user signed in)."""
    raw = st.context.cookies.get(settings.cookie_name)
    if st.session_state.get("logout") or not isinstance(raw, str) or not raw:
        return
    token = read_login_token(raw, key=settings.effective_cookie_key)
    doc = users.by_id(store, token.user_id) if token is not None else None
    login = {"ver": token.version, "jti": token.token_id, "exp": token.expires} if token else {}
    if token is None or doc is None or _ended_because(doc, login) is not None:
        _drop_cookie(settings)
        return
    _establish(doc, token)


_ENDED_NOTICES = {
    "disabled": "Your account is disabled. Ask an admin for help.",
    "removed": "Your account no longer exists.",
    "sessions ended": "You were signed out: your password changed or your sessions were ended. "
    "Log in again.",
    "logged out": "You were signed out. Log in again.",
    "expired": "Your login expired. Log in again.",
}


def current_user(store: Store, settings: Settings) -> AuthUser | None:
    """The signed-in user, re-read from ``users``; None (and signed out) when there is none."""
    st.session_state.setdefault("logout", None)
    if not st.session_state.get("authentication_status"):
        _restore_from_cookie(store, settings)
    if not st.session_state.get("authentication_status"):
        return None
    login = st.session_state.get(_LOGIN)
    if not isinstance(login, Mapping):
        login = {}
    doc = users.by_id(store, login["uid"]) if login.get("uid") is not None else None
    # A session signed in without our login record (before an upgrade) logs in again.
    reason = _ended_because(doc, login) if login else "logged out"
    if reason is not None:
        username = st.session_state.get("username")
        audit(store, "login.revoked", actor=username, details={"reason": reason})
        logout(settings, store, audited=False)
        st.session_state[_NOTICE] = _ENDED_NOTICES[reason]
        return None
    user = AuthUser.from_document(doc)  # type: ignore[arg-type]
    st.session_state["username"] = user.username
    st.session_state["roles"] = list(user.roles)
    st.session_state["name"] = user.name
    st.session_state["email"] = user.email
    return user


def logout(settings: Settings, store: Store, *, audited: bool = True) -> None:
    """Sign out: clear the session, end its login cookie on the server and delete it from the
    browser."""
    username = st.session_state.get("username")
    login = st.session_state.get(_LOGIN)
    _clear_session()
    st.session_state["logout"] = True
    st.session_state[_COOKIE_WRITE] = {"op": "delete"}
    _keep_cookie_write(settings)
    if isinstance(login, Mapping) and login.get("uid") is not None and login.get("jti"):
        users.revoke_token(store, login["uid"], str(login["jti"]), float(login.get("exp") or 0))
    if audited and username:
        audit(store, "logout", actor=username)


def logout_everywhere(settings: Settings, store: Store, user: AuthUser) -> None:
    """End every login cookie and session of ``user``, this one included."""
    accounts.end_all_sessions(store, user)
    logout(settings, store, audited=False)
    st.session_state[_NOTICE] = "You were logged out everywhere, this browser included."


_T = TypeVar("_T")


def deferred(
    store: Store, make: Callable[[AuthUser], _T], *, roles: tuple[str, ...] = ()
) -> Callable[[], _T]:
    """``make`` for a download button's deferred data, checked when it runs, not when drawn.

    Streamlit calls a button's data function on the click, without running the page again, so
    the page's checks of this session (:func:`current_user`) do not run. The function returned
    re-reads the account then: a login that has ended since the page was drawn (logged out,
    password changed, disabled, deleted, "log out everywhere") or an account that lost
    ``roles`` gets :class:`PermissionDenied`, and ``make`` gets the account as it is then.
    """
    login = dict(st.session_state.get(_LOGIN) or {})

    def run() -> _T:
        doc = users.by_id(store, login["uid"]) if login.get("uid") is not None else None
        if doc is None or _ended_because(doc, login) is not None:
            msg = "this session has ended: reload the page and log in again"
            raise PermissionDenied(msg)
        user = AuthUser.from_document(doc)
        if roles and not user.has_role(*roles):
            msg = f"this download needs the {' or '.join(roles)} role"
            raise PermissionDenied(msg)
        return make(user)

    return run
