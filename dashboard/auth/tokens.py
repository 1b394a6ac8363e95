"""The signed cookies: the login cookie and the device cookie.

A login cookie is an HS256 JWT (PyJWT) signed with ``AUTH_COOKIE_KEY`` carrying ``typ: "login"``,
the account's id (``sub``, never the username: a deleted account's cookie cannot sign in a new
account that reuses the name), its session version (``ver``, see
:func:`dashboard.data.users.end_sessions`), a random token id (``jti``, for logging out that one
cookie) and an expiry (``exp``). Every run checks these against the account's document.

A device cookie (OWASP's "device cookie" against online guessing) says that this browser logged
in to the account before: ``typ: "device"``, ``sub``, a random ``jti`` (its failures are counted
by :mod:`dashboard.auth.throttle`) and ``exp``. It signs nobody in; a login attempt that presents
it is exempt from the per-username delay. The two ``typ`` values keep either from being read as
the other even though both are signed with the same key.

:func:`read_login_token` and :func:`read_device_token` answer None for anything else: another
``typ``, another algorithm (``none``, HS512, RS256…), a bad signature, a missing or past expiry,
missing or mistyped claims, a token too long to be ours, or text that is no JWT at all. The caller
then shows the login form (or gives no exemption).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import bson
import jwt

__all__ = [
    "ALGORITHM",
    "DeviceToken",
    "LoginToken",
    "issue_device_token",
    "issue_login_token",
    "read_device_token",
    "read_login_token",
]

ALGORITHM = "HS256"
#: Our tokens are about 250 characters; anything far longer is not one of them.
_MAX_TOKEN_CHARS = 2_048
_LOGIN, _DEVICE = "login", "device"
_REQUIRED = ("typ", "sub", "ver", "jti", "exp")
_DEVICE_REQUIRED = ("typ", "sub", "jti", "exp")


@dataclass(frozen=True)
class LoginToken:
    """The claims of a valid login cookie."""

    user_id: bson.ObjectId
    version: int
    token_id: str
    expires: float


def issue_login_token(
    user_id: bson.ObjectId, version: int, *, key: str, lifetime_s: float, now: float | None = None
) -> tuple[str, LoginToken]:
    """A new signed cookie value for this account and session version, and its claims."""
    issued = time.time() if now is None else now
    claims = LoginToken(
        user_id=user_id,
        version=version,
        token_id=secrets.token_urlsafe(16),
        expires=int(issued + lifetime_s),
    )
    payload = {
        "typ": _LOGIN,
        "sub": str(user_id),
        "ver": version,
        "jti": claims.token_id,
        "exp": int(claims.expires),
        "iat": int(issued),
    }
    return jwt.encode(payload, key, algorithm=ALGORITHM), claims


@dataclass(frozen=True)
class DeviceToken:
    """The claims of a valid device cookie."""

    user_id: bson.ObjectId
    token_id: str
    expires: float


def issue_device_token(
    user_id: bson.ObjectId, *, key: str, lifetime_s: float, now: float | None = None
) -> tuple[str, DeviceToken]:
    """A new signed device cookie value for this account, and its claims."""
    issued = time.time() if now is None else now
    claims = DeviceToken(user_id, secrets.token_urlsafe(16), int(issued + lifetime_s))
    payload = {
        "typ": _DEVICE,
        "sub": str(user_id),
        "jti": claims.token_id,
        "exp": int(claims.expires),
        "iat": int(issued),
    }
    return jwt.encode(payload, key, algorithm=ALGORITHM), claims


def _claims(token: object, key: str, typ: str, required: tuple[str, ...]) -> dict[str, Any] | None:
    """The payload of ``token`` if it is an unexpired HS256 JWT of type ``typ`` signed with
    ``key`` whose ``sub`` is an account id and ``jti`` a token id."""
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_CHARS:
        return None
    try:
        payload = jwt.decode(
            token, key, algorithms=[ALGORITHM], options={"require": list(required)}
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    sub, token_id = payload.get("sub"), payload.get("jti")
    if payload.get("typ") != typ:
        return None
    if not isinstance(sub, str) or not bson.ObjectId.is_valid(sub):
        return None
    if not isinstance(token_id, str) or not 0 < len(token_id) <= 64:
        return None
    return payload


def read_login_token(token: object, *, key: str) -> LoginToken | None:
    """The claims of ``token`` if it is a valid, unexpired login cookie signed with ``key``."""
    payload = _claims(token, key, _LOGIN, _REQUIRED)
    if payload is None:
        return None
    version = payload.get("ver")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        return None
    sub = bson.ObjectId(payload["sub"])
    return LoginToken(sub, version, payload["jti"], float(payload["exp"]))


def read_device_token(token: object, *, key: str) -> DeviceToken | None:
    """The claims of ``token`` if it is a valid, unexpired device cookie signed with ``key``."""
    payload = _claims(token, key, _DEVICE, _DEVICE_REQUIRED)
    if payload is None:
        return None
    return DeviceToken(bson.ObjectId(payload["sub"]), payload["jti"], float(payload["exp"]))
