"""The one password policy and hashing scheme: login, registration, password changes, temporary
passwords.

Policy (NIST SP 800-63B style): 8 to 1,024 characters of any script (long Unicode passphrases are
welcome), not one of the 10,000 most common passwords (``common_passwords.txt``, see its LICENSE
file for the source), not a published demo password (production refuses those at login), not the
username. Nothing is stripped or changed: a password with leading
spaces is that password; only Unicode normalisation (NFC) makes the same text typed on two devices
hash alike.

Hashing: bcrypt reads only the first 72 bytes of its input (and bcrypt 5 refuses longer input), so a
new hash is bcrypt (cost 12) over the base64 of the SHA-256 of the whole passphrase (44 bytes),
stored as ``sha256-bcrypt$<bcrypt hash>``. A stored plain ``$2a$/$2b$/$2y$`` hash (the Expense
Tracker's own and the demo seed's) keeps verifying as plain bcrypt, and so does a hash of a lower
cost; :func:`needs_rehash` tells the login to replace such a hash by a new one after a successful
login, so that every known user's check converges on the cost of the unknown-username check
(a cheaper hash answers faster, which tells who has an account).

>>> stored = hash_password("correct horse battery staple " * 4)
>>> stored.startswith(SCHEME_PREFIX)
True
>>> verify_password("correct horse battery staple " * 4, stored)
True
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import unicodedata
from pathlib import Path

import bcrypt

from dashboard.core.demo import DEMO_PASSWORDS

__all__ = [
    "MAX_LENGTH",
    "MIN_LENGTH",
    "SCHEME_PREFIX",
    "PasswordRejected",
    "check_policy",
    "hash_password",
    "is_common",
    "needs_rehash",
    "verify_password",
]

MIN_LENGTH = 8
MAX_LENGTH = 1_024
#: Marks a hash of the SHA-256 scheme; anything else that looks like bcrypt is plain bcrypt.
SCHEME_PREFIX = "sha256-bcrypt$"
_ROUNDS = 12
_PLAIN_BCRYPT = re.compile(r"^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$")
_BCRYPT_INPUT_LIMIT = 72
#: A fixed hash of a random, forgotten passphrase at the same cost: checked when the username is
#: unknown (or its hash unusable), so that a login for a missing account costs the same bcrypt work.
_DUMMY_HASH = SCHEME_PREFIX + "$2b$12$Ew9OLSUQ/dmdLs1KVP2gw.QnJvsyODdUIWFJ36aJaLHliMrGf2ERi"
_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


class PasswordRejected(ValueError):
    """A new password does not meet the policy; the message says which rule and how to fix it."""


@functools.cache
def _common_passwords() -> frozenset[str]:
    with _COMMON_FILE.open(encoding="utf-8") as lines:
        return frozenset(line.rstrip("\n") for line in lines if line.strip())


def is_common(password: str) -> bool:
    """Whether ``password`` (compared in lower case) is on the shipped common-passwords list."""
    return unicodedata.normalize("NFC", password).lower() in _common_passwords()


def check_policy(password: str, *, username: str | None = None) -> None:
    """Raise :class:`PasswordRejected` when ``password`` may not be chosen as a new password."""
    if not isinstance(password, str):
        msg = "the password must be text"
        raise PasswordRejected(msg)
    length = len(unicodedata.normalize("NFC", password))
    if length < MIN_LENGTH:
        msg = f"the password is too short: use at least {MIN_LENGTH} characters (a passphrase of several words is best)"
        raise PasswordRejected(msg)
    if length > MAX_LENGTH:
        msg = (
            f"the password is too long: at most {MAX_LENGTH:,} characters, this one has {length:,}"
        )
        raise PasswordRejected(msg)
    if password in DEMO_PASSWORDS:
        msg = "this is one of the published demo passwords: choose your own"
        raise PasswordRejected(msg)
    if is_common(password):
        msg = (
            "this password is one of the most common passwords: choose one that is harder to guess"
        )
        raise PasswordRejected(msg)
    if username and password.strip().lower() == username.strip().lower():
        msg = "the password must not be your username"
        raise PasswordRejected(msg)


def _prehash(password: str) -> bytes:
    digest = hashlib.sha256(unicodedata.normalize("NFC", password).encode("utf-8")).digest()
    return base64.b64encode(digest)


def hash_password(password: str) -> str:
    """A new stored hash of ``password`` covering all of it (see the module docstring)."""
    hashed = bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds=_ROUNDS)).decode("ascii")
    return SCHEME_PREFIX + hashed


def needs_rehash(stored: object) -> bool:
    """Whether ``stored`` is not a hash of the current scheme at the current cost (plain bcrypt,
    a lower cost, or unusable): replace it once the password is known to be right."""
    if not isinstance(stored, str) or not stored.startswith(SCHEME_PREFIX):
        return True
    inner = stored.removeprefix(SCHEME_PREFIX)
    return not _PLAIN_BCRYPT.match(inner) or int(inner[4:6]) < _ROUNDS


def verify_password(password: str, stored: object) -> bool:
    """Whether ``password`` matches ``stored`` (either scheme). A missing or unusable ``stored``
    hash is answered False after the same bcrypt work as a real check."""
    if not isinstance(password, str):
        password = ""
    if isinstance(stored, str) and stored.startswith(SCHEME_PREFIX):
        inner = stored.removeprefix(SCHEME_PREFIX)
        if _PLAIN_BCRYPT.match(inner):
            return bcrypt.checkpw(_prehash(password), inner.encode("ascii"))
    elif isinstance(stored, str) and _PLAIN_BCRYPT.match(stored):
        # A plain bcrypt hash was made over at most 72 bytes (older bcrypt cut the rest silently).
        raw = password.encode("utf-8")[:_BCRYPT_INPUT_LIMIT]
        return bcrypt.checkpw(raw, stored.encode("ascii"))
    bcrypt.checkpw(_prehash(password), _DUMMY_HASH.removeprefix(SCHEME_PREFIX).encode("ascii"))
    return False
