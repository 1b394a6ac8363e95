"""Logging in and out through app.py: success, failure, lockout and release, disabled accounts."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.data import users
from dashboard.store import Store
from tests.apptest import DEMO, Clock, login, login_as


def _audit(store: Store, event: str, actor: str | None = None) -> pl.DataFrame:
    query: dict = {"event": event}
    if actor:
        query["actor"] = actor
    return pl.DataFrame(store.find("audit_log", query), infer_schema_length=None)


def test_login_page_lists_demo_accounts_only_in_development(new_app, monkeypatch) -> None:
    at = new_app().run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert "demo-user-pass" in str(at.table[0].value.to_dict())
    monkeypatch.setenv("SPENDLENS_ENV", "production")
    monkeypatch.setenv("AUTH_COOKIE_KEY", "k" * 40)
    at = new_app().run()
    assert not at.exception
    assert len(at.table) == 0


def test_successful_login_shows_the_users_home_and_is_audited(new_app, app_store: Store) -> None:
    at = login_as(new_app, "user")
    assert at.session_state["username"] == "demo-user"
    assert at.session_state["roles"] == ["user"]
    assert at.title[0].value.startswith("Welcome, ")
    assert _audit(app_store, "login.success", "demo-user").height == 1


def test_wrong_password_fails_with_a_message_and_is_audited(new_app, app_store: Store) -> None:
    at = login(new_app(), "demo-user", "wrong-password")
    assert not at.exception
    assert at.session_state["authentication_status"] is not True
    assert at.error[0].value == "Username or password is incorrect."
    assert _audit(app_store, "login.failure", "demo-user").height == 1


def test_unknown_user_fails_the_same_way(new_app) -> None:
    at = login(new_app(), "nobody", "whatever")
    assert at.error[0].value == "Username or password is incorrect."


def test_lockout_after_five_failures_and_release_after_the_window(
    new_app, app_store: Store, clock: Clock
) -> None:
    at = new_app()
    for _ in range(4):
        login(at, "demo-user", "wrong")
        assert at.error[0].value == "Username or password is incorrect."
    login(at, "demo-user", "wrong")
    assert at.error[0].value == "Too many attempts, try again in 15 minutes."
    assert _audit(app_store, "login.lockout", "demo-user").height == 1
    # Even the right password is refused while locked.
    login(at, "demo-user", "demo-user-pass")
    assert at.session_state["authentication_status"] is not True
    assert at.error[0].value == "Too many attempts, try again in 15 minutes."
    clock.now += 10 * 60
    login(at, "demo-user", "demo-user-pass")
    assert at.error[0].value == "Too many attempts, try again in 5 minutes."
    clock.now += 5 * 60 + 1
    login(at, "demo-user", "demo-user-pass")
    assert not at.error
    assert at.session_state["authentication_status"] is True


def test_lockout_is_per_username(new_app, clock: Clock) -> None:
    at = new_app()
    for _ in range(5):
        login(at, "demo-user", "wrong")
    at = login_as(new_app, "admin")
    assert at.session_state["username"] == "demo-admin"


def test_logout_clears_the_session_and_is_audited(new_app, app_store: Store) -> None:
    at = login_as(new_app, "user")
    at.button(key="spendlens_logout").click().run()
    assert not at.exception
    assert at.session_state["authentication_status"] is None
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert _audit(app_store, "logout", "demo-user").height == 1


def _browser_sends(monkeypatch, cookies: dict[str, str]) -> None:
    """The cookies a new tab's request carries (AppTest cannot seed ``st.context.cookies``)."""
    monkeypatch.setattr(type(st.context), "cookies", property(lambda self: cookies))


def test_a_logged_out_cookie_no_longer_signs_in(new_app, app_store: Store, monkeypatch) -> None:
    """The browser deletes the cookie only when its component runs, after the login form shows:
    a reload before that sends the old cookie, which must not sign the user in again."""
    at = login_as(new_app, "user")
    cookie = {"spendlens_auth": at.session_state["_spendlens_cookie_write"]["token"]}
    _browser_sends(monkeypatch, cookie)
    reloaded = new_app().run()
    assert reloaded.session_state["authentication_status"] is True  # the cookie signs in...
    at.button(key="spendlens_logout").click().run()
    assert len(users.by_username(app_store, "demo-user")[users.REVOKED_LOGINS]) == 1
    reloaded = new_app().run()  # ...until its login is logged out
    assert not reloaded.exception
    assert reloaded.session_state["authentication_status"] is not True
    assert [t.label for t in reloaded.text_input] == ["Username", "Password"]
    at = login_as(new_app, "user")  # logging in again works, with a new cookie
    assert at.session_state["_spendlens_cookie_write"]["token"] != cookie["spendlens_auth"]


def test_disabled_account_cannot_log_in(new_app, app_store: Store) -> None:
    app_store.update_many("users", {"username": "demo-user"}, {"$set": {"disabled": True}})
    at = login(new_app(), *DEMO["user"])
    assert at.session_state["authentication_status"] is not True
    assert "disabled" in at.error[0].value


def test_disabling_a_signed_in_user_signs_them_out_on_the_next_run(
    new_app: Callable[[], AppTest], app_store: Store
) -> None:
    at = login_as(new_app, "user")
    app_store.update_many("users", {"username": "demo-user"}, {"$set": {"disabled": True}})
    at.run()
    assert at.session_state["authentication_status"] is None
    assert "disabled" in at.warning[0].value
    assert _audit(app_store, "login.revoked", "demo-user").height == 1


def test_a_role_change_takes_effect_on_the_next_run(new_app, app_store: Store) -> None:
    at = login_as(new_app, "user")
    app_store.update_many(
        "users", {"username": "demo-user"}, {"$set": {"roles": ["user", "admin"]}}
    )
    at.run()
    assert at.session_state["roles"] == ["user", "admin"]
    at.switch_page("pages/admin/users.py").run()
    assert not at.exception
    assert at.title[0].value == "Users"


def test_no_widget_uses_the_authenticators_session_keys() -> None:
    """The authenticator owns these keys; a widget with one of them would overwrite the login."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    reserved = ("authentication_status", "username", "name", "email", "roles", "logout")
    for path in [root / "app.py", *root.glob("pages/**/*.py"), *root.glob("dashboard/**/*.py")]:
        for key in re.findall(r"key=[\"']([^\"']+)[\"']", path.read_text()):
            assert key not in reserved, f"{path.name} uses the reserved widget key {key!r}"
