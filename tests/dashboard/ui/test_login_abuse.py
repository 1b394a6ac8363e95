"""Login abuse through app.py, after the security review of the login flow: guessing that keeps
the per-username delay running (device cookies), parallel logins from one client, a locked-out
client submitting again and again."""

from __future__ import annotations

from collections.abc import Callable

import bson
import jwt
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.app import shell
from dashboard.auth import passwords
from dashboard.auth.tokens import issue_device_token
from dashboard.core.settings import DEMO_COOKIE_KEY
from dashboard.data import users
from dashboard.store import Store
from tests.apptest import DEMO, Clock, login, login_as

DEVICE_COOKIE = "spendlens_auth_device"


def _from(monkeypatch, address: str, cookies: dict[str, str] | None = None) -> None:
    """Requests from ``address`` carrying ``cookies`` (AppTest has neither)."""
    monkeypatch.setattr(type(st.context), "ip_address", property(lambda self: address))
    jar = dict(cookies or {})
    monkeypatch.setattr(type(st.context), "cookies", property(lambda self: jar))


def _audit_count(store: Store, event: str) -> int:
    return len(store.find("audit_log", {"event": event}))


def _keep_the_delay_running(new_app: Callable[[], AppTest], monkeypatch, clock: Clock) -> None:
    """The reviewer's attack: from 4 addresses (4 guesses each, under every per-client limit),
    one wrong guess on demo-admin each time the per-username delay runs out."""
    throttle = shell.get_throttle(None)
    attacker = new_app()
    for i in range(16):
        address = f"203.0.113.{i % 4}"
        clock.now += throttle.retry_after("demo-admin", address) or 0
        _from(monkeypatch, address)
        login(attacker, "demo-admin", f"guess-{i}")
        assert attacker.session_state["authentication_status"] is not True
    # 16 failures on the username: the next try from anywhere waits 2^6 s, capped at 60 s.
    assert throttle.retry_after("demo-admin", "198.51.100.7") == 60


def test_guessing_that_keeps_the_delay_running_does_not_keep_out_an_owner_with_a_device_cookie(
    new_app, app_store: Store, monkeypatch, clock: Clock
) -> None:
    """Before: the owner was refused on 389 of 514 tries while 4 addresses kept the delay
    running. Now the browser the owner logged in with before carries a device cookie."""
    _from(monkeypatch, "198.51.100.7")
    owner = login_as(new_app, "admin")
    device = owner.session_state["_spendlens_device_write"]["token"]
    owner.button(key="spendlens_logout").click().run()
    assert owner.session_state["_spendlens_device_write"]["token"] == device  # kept at logout
    _keep_the_delay_running(new_app, monkeypatch, clock)

    _from(monkeypatch, "198.51.100.7")  # the owner's address, but another browser: delayed
    elsewhere = login(new_app(), *DEMO["admin"])
    assert elsewhere.session_state["authentication_status"] is not True
    assert elsewhere.error[0].value == "Too many attempts, try again in 1 minute."

    _from(monkeypatch, "192.0.2.200", {DEVICE_COOKIE: device})  # the owner's browser, anywhere
    at = login(new_app(), *DEMO["admin"])
    assert at.session_state["authentication_status"] is True
    (success,) = [e for e in app_store.find("audit_log", {"event": "login.success"})
                  if e["details"]["client"] == "192.0.2.200"]  # fmt: skip
    assert success["details"]["known_device"] is True


def test_a_forged_foreign_or_login_cookie_gives_no_exemption(
    new_app, app_store: Store, monkeypatch, clock: Clock
) -> None:
    _from(monkeypatch, "198.51.100.7")
    owner = login_as(new_app, "admin")
    login_cookie = owner.session_state["_spendlens_cookie_write"]["token"]
    device = owner.session_state["_spendlens_device_write"]["token"]
    _from(monkeypatch, "198.51.100.8")
    user = login_as(new_app, "user")
    users_device = user.session_state["_spendlens_device_write"]["token"]
    admin_id = users.by_username(app_store, "demo-admin")["_id"]
    claims = jwt.decode(device, DEMO_COOKIE_KEY, algorithms=["HS256"])
    _keep_the_delay_running(new_app, monkeypatch, clock)
    candidates = {
        "another account's device cookie": users_device,
        "the admin's login cookie": login_cookie,
        "signed with another key": jwt.encode(claims, "another-key-of-32-characters-or-more!"),
        "a device cookie of a deleted account": issue_device_token(
            bson.ObjectId(), key=DEMO_COOKIE_KEY, lifetime_s=3600
        )[0],
        "typ changed": jwt.encode({**claims, "typ": "login"}, DEMO_COOKIE_KEY),
    }
    assert admin_id != users.by_username(app_store, "demo-user")["_id"]
    for name, cookie in candidates.items():
        _from(monkeypatch, "192.0.2.200", {DEVICE_COOKIE: cookie})
        at = login(new_app(), *DEMO["admin"])
        assert at.session_state["authentication_status"] is not True, name
        assert at.error[0].value == "Too many attempts, try again in 1 minute.", name


def test_each_attempt_is_counted_before_its_password_is_checked(
    new_app, app_store: Store, monkeypatch
) -> None:
    """Before: the check came first, then bcrypt (~0.2 s), then the failure was recorded, so
    parallel logins all passed the check (60 parallel guesses against a limit of 20). Now the
    attempt is counted when its password is checked, so a parallel one already sees it. (The
    race itself, with threads, is in tests/dashboard/auth/test_throttle.py: AppTest sessions are
    not safe to drive from threads.)"""
    _from(monkeypatch, "203.0.113.9")
    throttle = shell.get_throttle(None)
    counted_at_check: list[int] = []
    verify = passwords.verify_password

    def checking(password: str, stored: object) -> bool:
        # What a parallel attempt from this client would see now: the failures counted so far.
        counted_at_check.append(throttle.counted("demo-user", "203.0.113.9"))
        return verify(password, stored)

    monkeypatch.setattr(passwords, "verify_password", checking)
    at = new_app()
    for _ in range(5):
        login(at, "demo-user", "wrong-password")
    assert counted_at_check == [1, 2, 3, 4, 5]  # this attempt included, before bcrypt ran
    login(at, "demo-user", "wrong-password")  # the 6th is refused without a password check
    assert counted_at_check == [1, 2, 3, 4, 5]
    assert at.error[0].value.startswith("Too many attempts")
    assert _audit_count(app_store, "login.failure") == 5


def test_a_locked_out_client_is_audited_once_per_lock_not_per_submit(
    new_app, app_store: Store, monkeypatch, clock: Clock
) -> None:
    """Before: 200 submits from a locked-out client wrote 200 login.locked entries."""
    _from(monkeypatch, "203.0.113.9")
    at = new_app()
    for _ in range(5):
        login(at, "demo-user", "wrong")
    for _ in range(25):
        login(at, "demo-user", "wrong")
        assert at.error[0].value == "Too many attempts, try again in 15 minutes."
    assert _audit_count(app_store, "login.locked") == 1
    assert _audit_count(app_store, "login.failure") == 5
    clock.now += 15 * 60  # the lock is over; five new failures lock again: one more entry
    for _ in range(8):
        login(at, "demo-user", "wrong")
    assert _audit_count(app_store, "login.locked") == 2
