"""The signed login cookie: which account, under which session version, which token, until when.

A login cookie is an HS256 JWT (PyJWT) signed with ``AUTH_COOKIE_KEY`` carrying the account's id
(``sub``, never the username: a deleted account's cookie cannot sign in a new account that reuses
the name), its session version (``ver``, see :func:`dashboard.data.users.end_sessions`), a random
token id (``jti``, for logging out that one cookie) and an expiry (``exp``). Every run checks
these against the account's document.

:func:`read_login_token` answers None for anything else: another algorithm (``none``, HS512,
RS256…), a bad signature, a missing or past expiry, missing or mistyped claims, a token too long
to be ours, or text that is no JWT at all. The caller then shows the login form.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import bson
import jwt

__all__ = ["ALGORITHM", "LoginToken", "issue_login_token", "read_login_token"]

ALGORITHM = "HS256"
#: Our tokens are about 250 characters; anything far longer is not one of them.
_MAX_TOKEN_CHARS = 2_048
_REQUIRED = ("sub", "ver", "jti", "exp")


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
        "sub": str(user_id),
        "ver": version,
        "jti": claims.token_id,
        "exp": int(claims.expires),
        "iat": int(issued),
    }
    return jwt.encode(payload, key, algorithm=ALGORITHM), claims


def read_login_token(token: object, *, key: str) -> LoginToken | None:
    """The claims of ``token`` if it is a valid, unexpired login cookie signed with ``key``."""
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_CHARS:
        return None
    try:
        payload = jwt.decode(
            token, key, algorithms=[ALGORITHM], options={"require": list(_REQUIRED)}
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    sub, version, token_id = payload.get("sub"), payload.get("ver"), payload.get("jti")
    if not isinstance(sub, str) or not bson.ObjectId.is_valid(sub):
        return None
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        return None
    if not isinstance(token_id, str) or not 0 < len(token_id) <= 64:
        return None
    return LoginToken(bson.ObjectId(sub), version, token_id, float(payload["exp"]))
