"""The account forms: registration (anonymous), change password and update details (signed in).

Every field has a ``max_chars`` limit in the browser and the same limit is checked again by
:mod:`dashboard.auth.accounts` (a widget's limit can be bypassed). New passwords follow the one
policy of :mod:`dashboard.auth.passwords`; errors say what was wrong, never a traceback.
Registration is rate-limited per client and asks a plain-text question
(:mod:`dashboard.auth.registration`) instead of a picture captcha.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from dashboard.auth import accounts, passwords, registration
from dashboard.auth.throttle import LoginThrottle
from dashboard.cache import Cache
from dashboard.core.identity import AuthUser
from dashboard.core.settings import Settings
from dashboard.data.audit_log import audit
from dashboard.store import Store
from dashboard.ui import login, session
from queries.base import GLOBAL

__all__ = [
    "PASSWORD_HELP",
    "QUESTION_KEY",
    "password_form",
    "registration_form",
    "update_details_form",
]

PASSWORD_HELP = (
    f"{passwords.MIN_LENGTH} to {passwords.MAX_LENGTH:,} characters, any letters or symbols: a "
    "passphrase of several words is best. The most common passwords are refused."
)
#: Session key of the registration question shown (its answer stays on the server).
QUESTION_KEY = "spendlens_register_question"
_NAME_PART_MAX = accounts.NAME_MAX // 2
_cap = login.widget_limit


def _error(exc: Exception) -> None:
    text = str(exc)
    st.error(text[:1].upper() + text[1:] + ("" if text.endswith(".") else "."))


def _password_input(
    label: str, *, autocomplete: str, help: str | None = None, container: Any = st
) -> str:
    """A password field bounded like every password (:data:`passwords.MAX_LENGTH`)."""
    return container.text_input(
        label,
        type="password",
        max_chars=_cap(passwords.MAX_LENGTH),
        help=help,
        autocomplete=autocomplete,
    )


def registration_form(
    store: Store, settings: Settings, throttle: LoginThrottle, *, cache: Cache | None = None
) -> None:
    """Create a ``user`` account: bounded fields with their rules stated, a rate limit per client
    and a plain-text question, the password policy."""
    with st.form("spendlens_register", width=720):
        st.subheader("Register user")
        left, right = st.columns(2)
        first = left.text_input("First name", max_chars=_cap(_NAME_PART_MAX), autocomplete="off")
        last = right.text_input("Last name", max_chars=_cap(_NAME_PART_MAX), autocomplete="off")
        email = left.text_input("Email", max_chars=_cap(accounts.EMAIL_MAX), autocomplete="off")
        username = right.text_input(
            "Username",
            max_chars=_cap(accounts.USERNAME_NEW_MAX),
            autocomplete="off",
            help=accounts.USERNAME_RULE,
        )
        right.caption(accounts.USERNAME_RULE)
        left, right = st.columns(2)
        password = _password_input(
            "Password", autocomplete="new-password", help=PASSWORD_HELP, container=left
        )
        repeat = _password_input("Repeat password", autocomplete="new-password", container=right)
        question_text = st.empty()
        answer = st.text_input(
            "Your answer (in digits)",
            max_chars=_cap(4),
            autocomplete="off",
            help="A question anyone can read, to keep automated sign-ups out.",
        )
        submitted = st.form_submit_button("Register")
    shown = st.session_state.get(QUESTION_KEY)
    if submitted or not isinstance(shown, registration.Question):
        # A new question after every submit, right or wrong: one answer is good for one try.
        st.session_state[QUESTION_KEY] = registration.new_question()
    question_text.markdown(f"**Question:** {st.session_state[QUESTION_KEY].text}")
    if not submitted:
        return
    client = login.client_address(settings)
    attempt = registration.count_submit(throttle, client)  # counted before anything is checked
    if attempt.wait is not None:
        if attempt.first_refusal:  # once per lock, not once per refused submit
            audit(store, "registration.locked", actor=None,
                  details={"retry_after_s": round(attempt.wait), "client": client})  # fmt: skip
        st.error(
            "Too many registration attempts from your network, try again in "
            f"{_minutes(attempt.wait)}."
        )
        return
    if not isinstance(shown, registration.Question) or not shown.answered_by(str(answer or "")):
        st.error("The answer to the question is not right: answer the new question above.")
        return
    for label, value in (("first name", first), ("last name", last)):
        if isinstance(value, str) and len(value) > _NAME_PART_MAX:
            st.error(f"The {label} has at most {_NAME_PART_MAX} characters.")
            return
    try:
        accounts.register_account(
            store,
            username=str(username or ""),
            name=f"{str(first or '').strip()} {str(last or '').strip()}".strip(),
            email=str(email or ""),
            password=str(password or ""),
            repeat=str(repeat or ""),
        )
    except accounts.AccountError as exc:
        _error(exc)
        return
    if cache is not None:
        cache.invalidate(GLOBAL)  # user counts on the staff pages changed
    st.success("Account created. You can log in now.")


def _minutes(wait_s: float) -> str:
    minutes = max(1, math.ceil(wait_s / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def password_form(store: Store, settings: Settings, user: AuthUser) -> bool:
    """Change the signed-in user's password; True once changed. Every other session and cookie
    of the account ends; this session carries on with a new cookie."""
    with st.form("spendlens_password"):
        st.subheader("Change password")
        current = _password_input("Current password", autocomplete="current-password")
        new = _password_input("New password", autocomplete="new-password", help=PASSWORD_HELP)
        repeat = _password_input("Repeat password", autocomplete="new-password")
        submitted = st.form_submit_button("Change password")
    if not submitted:
        return False
    try:
        accounts.change_password(
            store, user, current=str(current or ""), new=str(new or ""), repeat=str(repeat or "")
        )
    except accounts.AccountError as exc:
        _error(exc)
        return False
    session.issue_cookie(store, settings, user.id)
    st.success("Password changed. Your other sessions were logged out.")
    return True


_FIELDS = {"First name": "first_name", "Last name": "last_name", "Email": "email"}


def _current_details(user: AuthUser) -> dict[str, str]:
    """The details as the form shows them: the name split at its first space (as
    :func:`accounts.update_details` splits it) and the email address."""
    first, _, last = (user.name or user.username).partition(" ")
    return {"First name": first, "Last name": last, "Email": user.email or ""}


def update_details_form(store: Store, user: AuthUser) -> None:
    """Update the signed-in user's first name, last name or email address: the fields show the
    current values, and only the ones changed are saved."""
    current = _current_details(user)
    limits = {"First name": accounts.NAME_MAX, "Last name": accounts.NAME_MAX,
              "Email": accounts.EMAIL_MAX}  # fmt: skip
    with st.form("spendlens_details"):
        st.subheader("Update user details")
        values = {
            label: st.text_input(
                label, value=current[label], max_chars=_cap(limits[label]), autocomplete="off"
            )
            for label in _FIELDS
        }
        submitted = st.form_submit_button("Update")
    if not submitted:
        return
    changed = [label for label in _FIELDS if str(values[label] or "") != current[label]]
    if not changed:
        st.info("Nothing changed: edit a field, then update.")
        return
    try:  # every changed field checked before any is saved
        for label in changed:
            if label == "Email":
                accounts.check_email(str(values[label]))
            else:
                accounts.check_name(str(values[label]), label=label.lower())
    except accounts.AccountError as exc:
        _error(exc)
        return
    for label in changed:
        try:
            accounts.update_details(store, user, field=_FIELDS[label], value=str(values[label]))
        except accounts.AccountError as exc:
            _error(exc)
            return
    st.success("Details updated.")
