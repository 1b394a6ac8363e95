"""The Account page: details (emails unique whatever their case), password change under the one
policy, and "Log out everywhere"."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.data import users
from dashboard.store import Store
from tests.apptest import login_as


def _account(new_app, role: str = "user") -> AppTest:
    at = login_as(new_app, role)
    return at.switch_page("pages/common/account.py").run()


def _update(at: AppTest, field: str, value: str) -> AppTest:
    next(t for t in at.text_input if t.label == field).set_value(value)
    return next(b for b in at.button if b.label == "Update").click().run()


def test_the_details_tab_shows_the_current_name_and_email(new_app, app_store: Store) -> None:
    """Before: a field picker and an empty "New value": the current details were nowhere."""
    doc = users.by_username(app_store, "demo-user")
    first, last = doc["name"].split(" ", 1)  # "Dana Demo" in the seed
    at = _account(new_app)
    shown = {
        t.label: t.value for t in at.text_input if t.label in ("First name", "Last name", "Email")
    }
    assert shown == {"First name": first, "Last name": last, "Email": doc["email"]}
    at = _update(at, "Last name", "Dawson")  # only the changed field is saved
    assert "Details updated" in at.success[0].value
    assert users.by_username(app_store, "demo-user")["name"] == f"{first} Dawson"
    assert users.by_username(app_store, "demo-user")["email"] == doc["email"]
    entries = app_store.find("audit_log", {"event": "account.updated", "target": "demo-user"})
    assert [e["details"]["fields"] for e in entries] == [["name"]]
    shown = {t.label: t.value for t in _account(new_app).text_input}
    assert shown["Last name"] == "Dawson"


def test_a_bad_field_saves_none_of_the_changes(new_app, app_store: Store) -> None:
    at = _account(new_app)
    next(t for t in at.text_input if t.label == "First name").set_value("Daniela")
    at = _update(at, "Email", "not-an-address")
    assert at.error[0].value == "Email: enter an address such as name@example.org."
    assert users.by_username(app_store, "demo-user")["name"] == "Dana Demo"


@pytest.mark.parametrize("email", ["Demo-Admin@spendlens.example", "DEMO-ADMIN@SPENDLENS.EXAMPLE"])
def test_another_accounts_email_is_refused_whatever_its_case(
    email: str, new_app, app_store: Store
) -> None:
    """Before: ``Demo-Admin@…`` was saved for demo-user beside demo-admin's ``demo-admin@…``."""
    at = _update(_account(new_app), "Email", email)
    assert not at.exception
    assert at.error[0].value == "That email address belongs to another account."
    assert users.by_username(app_store, "demo-user")["email"] == "demo-user@spendlens.example"


def test_an_email_stored_in_mixed_case_by_the_tracker_still_counts(
    new_app, app_store: Store
) -> None:
    app_store.update_many(
        "users", {"username": "demo-admin"}, {"$set": {"email": "Alex.Admin@Example.COM"}}
    )
    at = _update(_account(new_app), "Email", "alex.admin@example.com")
    assert at.error[0].value == "That email address belongs to another account."


def test_a_new_email_is_stored_lower_case(new_app, app_store: Store) -> None:
    at = _update(_account(new_app), "Email", "Dana.Demo@New.Example")
    assert "Details updated" in at.success[0].value
    assert users.by_username(app_store, "demo-user")["email"] == "dana.demo@new.example"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("First name", "D" * 101, "First name: at most 100 characters, got 101."),
        ("Email", "not-an-address", "Email: enter an address such as name@example.org."),
        ("Last name", "   ", "Last name: enter a value."),
    ],
)
def test_bad_details_get_a_message(
    field: str, value: str, message: str, new_app, app_store: Store
) -> None:
    at = _update(_account(new_app), field, value)
    assert not at.exception
    assert at.error[0].value == message
    assert users.by_username(app_store, "demo-user")["name"] == "Dana Demo"


def test_a_password_change_follows_the_policy(new_app, app_store: Store) -> None:
    at = _account(new_app)
    inputs = {t.label: t for t in at.text_input}
    inputs["Current password"].input("demo-user-pass")
    inputs["New password"].input("password123")
    inputs["Repeat password"].input("password123")
    next(b for b in at.button if b.label == "Change password").click().run()
    assert "most common passwords" in at.error[0].value
    inputs = {t.label: t for t in at.text_input}
    inputs["Current password"].input("not-my-password")
    inputs["New password"].input("a perfectly fine passphrase")
    inputs["Repeat password"].input("a perfectly fine passphrase")
    next(b for b in at.button if b.label == "Change password").click().run()
    assert at.error[0].value == "The current password is not right."
    assert not app_store.find("audit_log", {"event": "password.changed"})


def test_log_out_everywhere_ends_every_session_and_cookie(
    new_app, app_store: Store, monkeypatch
) -> None:
    here, elsewhere = _account(new_app), login_as(new_app, "user")
    cookies = [a.session_state["_spendlens_cookie_write"]["token"] for a in (here, elsewhere)]
    next(b for b in here.button if b.label == "Log out everywhere").click().run()
    assert not here.exception
    assert here.session_state["authentication_status"] is not True
    assert "logged out everywhere" in here.warning[0].value
    elsewhere.run()
    assert elsewhere.session_state["authentication_status"] is not True
    for cookie in cookies:
        monkeypatch.setattr(
            type(st.context), "cookies", property(lambda self, c=cookie: {"spendlens_auth": c})
        )
        tab = new_app().run()
        assert tab.session_state["authentication_status"] is not True
    assert app_store.find("audit_log", {"event": "logout.everywhere", "actor": "demo-user"})
    assert login_as(new_app, "user").session_state["authentication_status"] is True
