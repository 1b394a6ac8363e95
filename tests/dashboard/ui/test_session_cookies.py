"""Login cookies through app.py: each carries the account id, its session version and a token id;
logout ends that cookie, a password change, a temporary password or disabling end them all, and a
forged or foreign cookie shows the login form (never an exception)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable

import bson
import jwt
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.auth import accounts
from dashboard.auth.tokens import issue_device_token
from dashboard.core.identity import AuthUser
from dashboard.core.settings import DEMO_COOKIE_KEY
from dashboard.data import users
from dashboard.store import Store
from tests.apptest import login_as

COOKIE = "spendlens_auth"


def _cookie(at: AppTest) -> str:
    """The cookie value the app asked the browser to keep."""
    return at.session_state["_spendlens_cookie_write"]["token"]


def _new_tab(new_app: Callable[[], AppTest], monkeypatch, cookie: str) -> AppTest:
    """A new tab whose request carries ``cookie`` (AppTest cannot seed ``st.context.cookies``)."""
    monkeypatch.setattr(type(st.context), "cookies", property(lambda self: {COOKIE: cookie}))
    at = new_app().run()
    assert not at.exception, at.exception
    return at


def _signed_in(at: AppTest) -> bool:
    return at.session_state["authentication_status"] is True


def _shows_login_form(at: AppTest) -> bool:
    return [t.label for t in at.text_input] == ["Username", "Password"]


def _user(store: Store, username: str) -> AuthUser:
    return AuthUser.from_document(users.by_username(store, username))


def test_logout_ends_that_cookie_only(new_app, app_store: Store, monkeypatch) -> None:
    """The browser deletes the cookie only when its component runs, after the login form shows:
    a reload before that (or a copy of the cookie) must not sign in again."""
    one, two = login_as(new_app, "user"), login_as(new_app, "user")
    first, second = _cookie(one), _cookie(two)
    assert _signed_in(_new_tab(new_app, monkeypatch, first))
    one.button(key="spendlens_logout").click().run()
    assert len(users.by_username(app_store, "demo-user")[users.REVOKED_TOKENS]) == 1
    reloaded = _new_tab(new_app, monkeypatch, first)
    assert not _signed_in(reloaded) and _shows_login_form(reloaded)
    assert _signed_in(_new_tab(new_app, monkeypatch, second))
    two.run()
    assert _signed_in(two)


def test_a_password_change_ends_every_other_session_and_cookie(
    new_app, app_store: Store, monkeypatch
) -> None:
    mine, other = login_as(new_app, "user"), login_as(new_app, "user")
    old_mine, old_other = _cookie(mine), _cookie(other)
    mine.switch_page("pages/common/account.py").run()
    inputs = {t.label: t for t in mine.text_input}
    inputs["Current password"].input("demo-user-pass")
    inputs["New password"].input("a new and rather long passphrase")
    inputs["Repeat password"].input("a new and rather long passphrase")
    next(b for b in mine.button if b.label == "Change password").click().run()
    assert not mine.exception
    assert "Password changed" in mine.success[0].value
    other.run()
    assert not _signed_in(other)
    assert "signed out" in other.warning[0].value
    for cookie in (old_mine, old_other):
        assert not _signed_in(_new_tab(new_app, monkeypatch, cookie))
    mine.run()
    assert _signed_in(mine)  # this session carries on, with a new cookie
    assert _signed_in(_new_tab(new_app, monkeypatch, _cookie(mine)))


def test_a_temporary_password_or_disabling_ends_the_accounts_sessions(
    new_app, app_store: Store, monkeypatch
) -> None:
    admin, user = _user(app_store, "demo-admin"), _user(app_store, "demo-user")
    at = login_as(new_app, "user")
    cookie = _cookie(at)
    accounts.issue_temporary_password(app_store, admin, user.id)
    at.run()
    assert not _signed_in(at)
    assert not _signed_in(_new_tab(new_app, monkeypatch, cookie))

    at = login_as(new_app, "finance")
    cookie = _cookie(at)
    finance = _user(app_store, "demo-finance")
    accounts.set_disabled(app_store, admin, finance.id, disabled=True)
    accounts.set_disabled(app_store, admin, finance.id, disabled=False)
    # Enabled again, but the cookies from before the disabling stay void.
    assert not _signed_in(_new_tab(new_app, monkeypatch, cookie))
    at.run()
    assert not _signed_in(at)


def test_a_deleted_users_cookie_does_not_sign_in_a_new_account_with_that_name(
    new_app, app_store: Store, monkeypatch
) -> None:
    at = login_as(new_app, "user")
    cookie = _cookie(at)
    old = users.by_username(app_store, "demo-user")
    users.delete(app_store, old["_id"])
    new_id = users.insert(app_store, {**{k: v for k, v in old.items() if k != "_id"},
                                      "email": "someone.else@example.org"})  # fmt: skip
    assert new_id != old["_id"]
    tab = _new_tab(new_app, monkeypatch, cookie)
    assert not _signed_in(tab) and _shows_login_form(tab)
    at.run()  # the signed-in session of the deleted account ends too
    assert not _signed_in(at)
    assert at.warning[0].value == "Your account no longer exists."


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256(header: dict, payload: bytes, key: str) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(payload)}"
    mac = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def _without(claims: dict, name: str) -> dict:
    return {k: v for k, v in claims.items() if k != name}


def _forged(kind: str, user_id: str) -> str:
    now = int(time.time())
    good = {"typ": "login", "sub": user_id, "ver": 0, "jti": "t" * 22, "exp": now + 3600}
    key = DEMO_COOKIE_KEY
    return {
        "alg none": lambda: jwt.encode(good, None, algorithm="none"),
        "HS512": lambda: jwt.encode(good, key, algorithm="HS512"),
        "bad signature": lambda: jwt.encode(good, "another-key-of-32-characters-or-more", "HS256"),
        "missing expiry": lambda: jwt.encode(_without(good, "exp"), key, "HS256"),
        "past expiry": lambda: jwt.encode({**good, "exp": now - 10}, key, "HS256"),
        "text expiry": lambda: jwt.encode({**good, "exp": "tomorrow"}, key, "HS256"),
        "payload not JSON": lambda: _hs256({"alg": "HS256", "typ": "JWT"}, b"{not json", key),
        "payload a list": lambda: _hs256({"alg": "HS256", "typ": "JWT"}, b"[1, 2]", key),
        "username instead of id": lambda: jwt.encode({**good, "sub": "demo-admin"}, key, "HS256"),
        "version as text": lambda: jwt.encode({**good, "ver": "0"}, key, "HS256"),
        "stale version": lambda: jwt.encode({**good, "ver": 7}, key, "HS256"),
        "no token id": lambda: jwt.encode(_without(good, "jti"), key, "HS256"),
        "old format": lambda: jwt.encode(
            {"username": "demo-admin", "exp_date": now + 3600}, key, "HS256"
        ),
        "old format without expiry": lambda: jwt.encode({"username": "demo-admin"}, key, "HS256"),
        "not a JWT": lambda: "not-a-jwt",
        "three dots": lambda: "a.b.c",
        "huge": lambda: "x" * 100_000,
        "no type": lambda: jwt.encode(_without(good, "typ"), key, "HS256"),
        "a device cookie": lambda: issue_device_token(
            bson.ObjectId(user_id), key=key, lifetime_s=3600
        )[0],
    }[kind]()


@pytest.mark.filterwarnings("ignore:The HMAC key is .* below the minimum")
@pytest.mark.parametrize(
    "kind",
    ["alg none", "HS512", "bad signature", "missing expiry", "past expiry", "text expiry",
     "payload not JSON", "payload a list", "username instead of id", "version as text",
     "stale version", "no token id", "old format", "old format without expiry", "not a JWT",
     "three dots", "huge", "no type", "a device cookie"],
)  # fmt: skip
def test_a_forged_or_foreign_cookie_shows_the_login_form(
    kind: str, new_app, app_store: Store, monkeypatch
) -> None:
    """Every claim but the algorithm, signature or format is the admin's; before, some of these
    raised (blocking the form until the cookie was cleared) and the old format signed in."""
    admin_id = str(users.by_username(app_store, "demo-admin")["_id"])
    at = _new_tab(new_app, monkeypatch, _forged(kind, admin_id))
    assert not _signed_in(at)
    assert _shows_login_form(at)
    assert at.session_state["_spendlens_cookie_write"] == {"op": "delete"}


def test_a_genuine_cookie_for_those_claims_does_sign_in(
    new_app, app_store: Store, monkeypatch
) -> None:
    """The control for the forgeries above: the same claims, rightly signed, are accepted."""
    admin_id = str(users.by_username(app_store, "demo-admin")["_id"])
    claims = {
        "typ": "login",
        "sub": admin_id,
        "ver": 0,
        "jti": "t" * 22,
        "exp": int(time.time()) + 3600,
    }
    at = _new_tab(new_app, monkeypatch, jwt.encode(claims, DEMO_COOKIE_KEY, "HS256"))
    assert _signed_in(at)
    assert at.session_state["username"] == "demo-admin"
