"""Logging in and out through app.py: success, failure, lockout and release, disabled accounts,
login abuse (many usernames, many clients), bounded input, demo passwords in production.
The login cookie's life is in ``test_session_cookies.py``."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

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


def _from_address(monkeypatch, address: str | None, forwarded: list[str] | None = None) -> None:
    """Requests from ``address`` carrying these X-Forwarded-For headers (AppTest has neither)."""

    class _Headers(dict):
        def get_all(self, key: str) -> list[str]:
            return list(forwarded or []) if key.lower() == "x-forwarded-for" else []

    monkeypatch.setattr(type(st.context), "ip_address", property(lambda self: address))
    monkeypatch.setattr(type(st.context), "headers", property(lambda self: _Headers()))


def test_an_attacker_locked_out_does_not_lock_out_the_owner(new_app, monkeypatch) -> None:
    """Before: 5 bad tries from anyone kept the account (an admin's too) locked for everyone."""
    _from_address(monkeypatch, "203.0.113.9")
    attacker = new_app()
    for _ in range(5):
        login(attacker, "demo-admin", "guess")
    assert attacker.error[0].value == "Too many attempts, try again in 15 minutes."
    _from_address(monkeypatch, "198.51.100.7")
    owner = login(new_app(), *DEMO["admin"])
    assert owner.session_state["authentication_status"] is True


def test_one_client_cannot_try_many_usernames(new_app, app_store: Store, monkeypatch) -> None:
    """Before: one client tried 40 usernames unhindered. Now 20 failures lock that client out."""
    _from_address(monkeypatch, "203.0.113.9")
    at = new_app()
    for i in range(20):
        login(at, f"someone-{i}", "guess")
    assert at.error[0].value == "Too many attempts, try again in 15 minutes."
    login(at, *DEMO["user"])  # even a right password, from that client
    assert at.session_state["authentication_status"] is not True
    assert _audit(app_store, "login.locked", "demo-user").height == 1
    _from_address(monkeypatch, "198.51.100.7")
    assert login(new_app(), *DEMO["user"]).session_state["authentication_status"] is True


@pytest.mark.parametrize(
    ("proxies", "expected"), [(None, "10.0.0.2"), ("1", "198.51.100.7"), ("2", "203.0.113.9")]
)
def test_the_forwarded_header_counts_only_behind_configured_proxies(
    proxies: str | None, expected: str, new_app, app_store: Store, monkeypatch
) -> None:
    """Anyone can send X-Forwarded-For; it names the client only with SPENDLENS_TRUSTED_PROXIES,
    and then the entry that the outermost trusted proxy added (counted from the right)."""
    if proxies:
        monkeypatch.setenv("SPENDLENS_TRUSTED_PROXIES", proxies)
    _from_address(monkeypatch, "10.0.0.2", ["1.2.3.4, 203.0.113.9", "198.51.100.7"])
    login(new_app(), "demo-user", "wrong")
    (entry,) = app_store.find("audit_log", {"event": "login.failure"})
    assert entry["details"]["client"] == expected


def test_an_unknown_username_costs_the_same_bcrypt_check(new_app, checkpw_calls) -> None:
    """Before: an unknown name answered at once, telling which usernames exist."""
    at = new_app().run()
    login(at, "nobody-by-that-name", "whatever")
    assert checkpw_calls.calls == 1
    assert at.error[0].value == "Username or password is incorrect."
    login(at, "demo-user", "wrong")
    assert checkpw_calls.calls == 2


def test_a_disabled_accounts_message_needs_the_right_password(new_app, app_store: Store) -> None:
    """Before: any password revealed that the account exists and is disabled."""
    app_store.update_many("users", {"username": "demo-user"}, {"$set": {"disabled": True}})
    at = login(new_app(), "demo-user", "wrong")
    assert at.error[0].value == "Username or password is incorrect."
    login(at, *DEMO["user"])
    assert at.error[0].value == "This account is disabled. Ask an admin to enable it."
    assert at.session_state["authentication_status"] is not True


def test_production_refuses_a_demo_password_even_when_it_matches(
    new_app, app_store: Store, monkeypatch
) -> None:
    monkeypatch.setenv("SPENDLENS_ENV", "production")
    monkeypatch.setenv("AUTH_COOKIE_KEY", "k" * 40)
    at = login(new_app(), *DEMO["admin"])
    assert not at.exception
    assert at.session_state["authentication_status"] is not True
    assert "published demo passwords" in at.error[0].value
    (entry,) = app_store.find("audit_log", {"event": "login.refused"})
    assert entry["actor"] == "demo-admin"
    assert entry["details"]["reason"] == "demo password"
    assert _audit(app_store, "login.success").height == 0


@pytest.mark.parametrize(
    ("username", "password"), [("x" * 1_000_000, "whatever"), ("demo-user", "p" * 1_025)]
)
def test_over_long_login_input_is_refused_before_anything_is_written(
    username: str, password: str, new_app, app_store: Store
) -> None:
    """The widgets have max_chars, which a client can bypass (as AppTest does): the server checks
    too. Before: each failure wrote the 1 MB name to audit_log and to the throttle."""
    at = new_app().run()
    at.text_input[0].set_value(username)  # set_value skips max_chars, as a crafted request can
    at.text_input[1].set_value(password)
    at.button[0].click().run()
    assert not at.exception
    assert at.error[0].value == (
        "Usernames have at most 64 characters and passwords at most 1,024."
    )
    assert app_store.find("audit_log", {}) == []


def test_login_widgets_are_bounded(new_app) -> None:
    at = new_app().run()
    assert [t.max_chars for t in at.text_input] == [65, 1025]  # one more: see widget_limit
