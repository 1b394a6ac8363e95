"""The login flow in Streamlit: the login form, the login cookie, signing out, every run's check.

The signed-in user is kept in ``st.session_state`` under the keys streamlit-authenticator uses
(``authentication_status``, ``username``, ``name``, ``email``, ``roles``), plus this session's login
(:data:`_LOGIN`: the account id, its session version and the token id of its cookie). Every run
re-reads the account by id and ends the session when the account is gone (a new account that
reuses the name has another id), disabled, or its session version moved on (password changed,
temporary password, disabled, "log out everywhere"), or when this cookie was logged out.

The login cookie is ours (:mod:`dashboard.auth.tokens`); streamlit-authenticator only provides the
browser-side cookie component. Passwords are checked by :mod:`dashboard.auth.passwords`, login
attempts counted by :mod:`dashboard.auth.throttle` per (username, client), client and username,
each one before its password is checked. A successful login also gives the browser a long-lived
**device cookie** for the account (it survives logout): a later attempt that presents it is exempt
from the per-username delay, so guessing that keeps the delay running does not keep the owner out.
The account forms (registration, password, details) are in :mod:`dashboard.ui.account_forms`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import streamlit as st
import streamlit_authenticator as stauth

from dashboard.auth import accounts, passwords, signin
from dashboard.auth.throttle import Attempt, LoginThrottle
from dashboard.auth.tokens import (
    LoginToken,
    issue_device_token,
    issue_login_token,
    read_device_token,
    read_login_token,
)
from dashboard.core.demo import DEMO_PASSWORDS
from dashboard.core.identity import AuthUser, PermissionDenied
from dashboard.core.settings import Settings
from dashboard.data import users
from dashboard.data.audit_log import audit
from dashboard.store import Store

__all__ = [
    "SESSION_KEYS",
    "begin_run",
    "client_address",
    "current_user",
    "deferred",
    "device_cookie_name",
    "issue_cookie",
    "login_form",
    "logout",
    "logout_everywhere",
    "widget_limit",
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
_MAX_ADDRESS_CHARS = 64


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


def widget_limit(limit: int) -> int:
    """A text widget's ``max_chars`` for a field of at most ``limit`` characters: one more.

    Streamlit cuts a widget's value to ``max_chars`` on the server, even from a crafted request,
    which bounds what a visitor can send; at exactly ``limit`` a longer paste (a password!) would
    be cut silently and accepted. One more character lets our own check refuse it with a message.
    """
    return limit + 1


def client_address(settings: Settings) -> str:
    """The visitor's address for the login throttle.

    The connection's address, or with ``SPENDLENS_TRUSTED_PROXIES=N`` the N-th address from the
    right of ``X-Forwarded-For`` (what the outermost trusted proxy saw; entries further left are
    whatever the client wrote). ``local`` when Streamlit reports none (localhost, tests).
    """
    address = st.context.ip_address
    if not isinstance(address, str):
        address = None
    if settings.trusted_proxies:
        headers = st.context.headers
        values = headers.get_all("X-Forwarded-For") if hasattr(headers, "get_all") else []
        hops = [h.strip() for v in values for h in str(v).split(",") if h.strip()]
        if len(hops) >= settings.trusted_proxies:
            address = hops[-settings.trusted_proxies]
    return (address or "local")[:_MAX_ADDRESS_CHARS]


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
    _sign_in(doc, settings)
    return True


def _sign_in(doc: Mapping[str, Any], settings: Settings) -> None:
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


def _give_device_cookie(doc: Mapping[str, Any], settings: Settings) -> None:
    """After a successful login: a new device cookie of this account for this browser."""
    value, token = issue_device_token(
        doc["_id"], key=settings.effective_cookie_key, lifetime_s=DEVICE_COOKIE_DAYS * 86_400
    )
    st.session_state[_DEVICE_WRITE] = {"token": value, "expires": token.expires}


def _device_cookie_id(doc: Mapping[str, Any] | None, settings: Settings) -> str | None:
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


def login_form(store: Store, settings: Settings, throttle: LoginThrottle) -> None:
    """Our login form: bounded, throttled per (username, client), audited; a disabled account or
    (in production) a demo password is refused only after a right password."""
    with st.form("spendlens_login"):
        st.subheader("Log in")
        username = st.text_input(
            "Username", autocomplete="username", max_chars=widget_limit(accounts.USERNAME_MAX)
        )
        password = st.text_input(
            "Password",
            type="password",
            autocomplete="current-password",
            max_chars=widget_limit(passwords.MAX_LENGTH),
        )
        submitted = st.form_submit_button("Log in", type="primary")
    if not submitted:
        return
    if not isinstance(username, str) or not isinstance(password, str):
        username, password = "", ""
    if len(username) > accounts.USERNAME_MAX or len(password) > passwords.MAX_LENGTH:
        st.error(
            f"Usernames have at most {accounts.USERNAME_MAX} characters and passwords at most "
            f"{passwords.MAX_LENGTH:,}."
        )
        return
    username = username.strip().lower()
    if not username or not password:
        st.error("Enter your username and password.")
        return
    client = client_address(settings)
    doc = users.by_username(store, username)
    device = _device_cookie_id(doc, settings)
    # Counted before the password check, atomically: parallel attempts cannot all pass.
    attempt = throttle.attempt(username, client, device=device)
    if attempt.wait is not None:
        if attempt.first_refusal:  # once per lock, not once per refused submit
            audit(store, "login.locked", actor=username,
                  details={"retry_after_s": round(attempt.wait), "client": client})  # fmt: skip
        st.error(_too_many(attempt.wait))
        return
    # Unknown usernames cost the same bcrypt work (verify_password checks a dummy hash).
    right = passwords.verify_password(password, doc.get("passwordHash") if doc else None)
    if doc is None or not right:
        _failed(store, throttle, attempt, username, client, device=device)
        return
    if signin.changed_meanwhile(store, doc):
        _failed(store, throttle, attempt, username, client, device=device,
                reason="changed during login")  # fmt: skip
        return
    if doc.get("disabled"):
        audit(store, "login.failure", actor=username, details={"reason": "disabled"})
        st.error("This account is disabled. Ask an admin to enable it.")
        return
    if settings.is_production and password in DEMO_PASSWORDS:
        audit(store, "login.refused", actor=username, details={"reason": "demo password"})
        st.error(
            "This is one of the published demo passwords, which production refuses. Ask an "
            "admin for a temporary password."
        )
        return
    throttle.succeeded(attempt)
    signin.upgrade_hash(store, doc, password)
    _sign_in(doc, settings)
    _give_device_cookie(doc, settings)
    audit(store, "login.success", actor=username,
          details={"client": client, "known_device": device is not None})  # fmt: skip
    users.record_login(store, username)
    st.rerun()


def _failed(
    store: Store,
    throttle: LoginThrottle,
    attempt: Attempt,
    username: str,
    client: str,
    *,
    device: str | None,
    reason: str | None = None,
) -> None:
    """The attempt failed (it stays counted): audit it and say so, or how long to wait."""
    failures = attempt.failures
    details: dict[str, Any] = {"attempt": failures, "client": client}
    if reason:
        details["reason"] = reason
    audit(store, "login.failure", actor=username, details=details)
    wait = throttle.retry_after(username, client, device=device)
    if wait is not None and failures >= throttle.max_attempts:
        audit(store, "login.lockout", actor=username, details={"failures": failures})
    if wait is not None:
        st.error(_too_many(wait))
    else:
        st.error("Username or password is incorrect.")


def _too_many(wait_s: float) -> str:
    if wait_s < 60:
        seconds = max(1, math.ceil(wait_s))
        return f"Too many attempts, try again in {seconds} second{'s' if seconds != 1 else ''}."
    minutes = max(1, math.ceil(wait_s / 60))
    return f"Too many attempts, try again in {minutes} minute{'s' if minutes != 1 else ''}."


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
