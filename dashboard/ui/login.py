"""The login form: bounded input, attempts counted before the password is checked, audited.

Attempts are counted by :mod:`dashboard.auth.throttle` per (username, client), client and username,
each one before its password is checked (parallel attempts cannot all pass). Unknown usernames cost
the same bcrypt work as known ones, a disabled account or (in production) a demo password is
refused only after a right password, and a login that a password change overtook fails. A
successful login signs the session in (:mod:`dashboard.ui.session`) and gives the browser a device
cookie that exempts it from the per-username delay.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from dashboard.auth import accounts, passwords, signin
from dashboard.auth.throttle import Attempt, LoginThrottle
from dashboard.core.demo import DEMO_PASSWORDS
from dashboard.core.settings import Settings
from dashboard.data import users
from dashboard.data.audit_log import audit
from dashboard.store import Store
from dashboard.ui import session

__all__ = ["FORM_WIDTH", "client_address", "login_form", "widget_limit"]

_MAX_ADDRESS_CHARS = 64
#: The login form's width in pixels: two short fields, not the page's full width.
FORM_WIDTH = 420


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


def login_form(store: Store, settings: Settings, throttle: LoginThrottle) -> None:
    """Our login form: bounded, throttled per (username, client), audited; a disabled account or
    (in production) a demo password is refused only after a right password."""
    with st.form("spendlens_login", width=FORM_WIDTH):
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
    device = session.device_cookie_id(doc, settings)
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
    # Audited before the session exists: a login that cannot be recorded (a full or read-only
    # disk) does not sign in.
    audit(store, "login.success", actor=username,
          details={"client": client, "known_device": device is not None})  # fmt: skip
    signin.upgrade_hash(store, doc, password)
    session.sign_in(doc, settings)
    session.give_device_cookie(doc, settings)
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
