"""The login cookie's claims: issued and read back, and None for anything we did not sign."""

from __future__ import annotations

import time

import bson
import jwt

from dashboard.auth.tokens import (
    issue_device_token,
    issue_login_token,
    read_device_token,
    read_login_token,
)

KEY = "k" * 40


def test_a_token_round_trips_and_each_one_is_new() -> None:
    user_id = bson.ObjectId()
    value, claims = issue_login_token(user_id, 3, key=KEY, lifetime_s=86_400, now=time.time())
    again, other = issue_login_token(user_id, 3, key=KEY, lifetime_s=86_400)
    assert read_login_token(value, key=KEY) == claims
    assert (claims.user_id, claims.version) == (user_id, 3)
    assert claims.token_id != other.token_id and value != again
    # The username is not in the cookie: the account is named by its id only.
    assert set(jwt.decode(value, KEY, algorithms=["HS256"])) == {
        "typ",
        "sub",
        "ver",
        "jti",
        "exp",
        "iat",
    }


def test_anything_else_reads_as_none() -> None:
    user_id = str(bson.ObjectId())
    good = {"typ": "login", "sub": user_id, "ver": 0, "jti": "abc", "exp": int(time.time()) + 60}
    assert read_login_token(jwt.encode(good, KEY, "HS256"), key=KEY) is not None
    for token in (
        jwt.encode(good, "another key that is long enough!!", "HS256"),
        jwt.encode(good, None, algorithm="none"),
        jwt.encode({**good, "exp": int(time.time()) - 1}, KEY, "HS256"),
        jwt.encode({**good, "ver": -1}, KEY, "HS256"),
        jwt.encode({**good, "ver": True}, KEY, "HS256"),
        jwt.encode({**good, "jti": "x" * 65}, KEY, "HS256"),
        jwt.encode({**good, "sub": "demo-admin"}, KEY, "HS256"),
        jwt.encode({k: v for k, v in good.items() if k != "typ"}, KEY, "HS256"),
        jwt.encode({**good, "typ": "device"}, KEY, "HS256"),
        None,
        "",
        12,
    ):
        assert read_login_token(token, key=KEY) is None


def test_a_device_cookie_and_a_login_cookie_are_never_read_as_each_other() -> None:
    """Both are signed with the cookie key; their ``typ`` keeps them apart."""
    user_id = bson.ObjectId()
    device, claims = issue_device_token(user_id, key=KEY, lifetime_s=86_400)
    login, _ = issue_login_token(user_id, 0, key=KEY, lifetime_s=86_400)
    assert read_device_token(device, key=KEY) == claims
    assert claims.user_id == user_id and len(claims.token_id) >= 16
    assert read_login_token(device, key=KEY) is None
    assert read_device_token(login, key=KEY) is None
    # A device cookie with a session version added is still no login cookie.
    payload = jwt.decode(device, KEY, algorithms=["HS256"])
    assert read_login_token(jwt.encode({**payload, "ver": 0}, KEY, "HS256"), key=KEY) is None


def test_a_forged_device_cookie_reads_as_none() -> None:
    user_id = str(bson.ObjectId())
    good = {"typ": "device", "sub": user_id, "jti": "abc", "exp": int(time.time()) + 60}
    assert read_device_token(jwt.encode(good, KEY, "HS256"), key=KEY) is not None
    for token in (
        jwt.encode(good, "another key that is long enough!!", "HS256"),
        jwt.encode(good, None, algorithm="none"),
        jwt.encode({**good, "exp": int(time.time()) - 1}, KEY, "HS256"),
        jwt.encode({k: v for k, v in good.items() if k != "exp"}, KEY, "HS256"),
        jwt.encode({**good, "sub": "demo-admin"}, KEY, "HS256"),
        jwt.encode({**good, "typ": "Device"}, KEY, "HS256"),
        "x" * 100_000,
        None,
    ):
        assert read_device_token(token, key=KEY) is None
