"""The password policy and scheme: long Unicode passphrases, whole-passphrase hashes, common
passwords refused, old bcrypt hashes still verifying, a dummy check for unknown accounts."""

from __future__ import annotations

import unicodedata

import bcrypt
import pytest

from dashboard.auth import passwords
from dashboard.auth.passwords import PasswordRejected, check_policy, hash_password, verify_password

#: 74 characters (the policy allows 64 and more), 93 bytes in UTF-8: past bcrypt's 72-byte limit.
PASSPHRASE = "Ünsere kleine Kätzchen schläft ruhig unter dem großen grünen Baum, 猫は静かに眠る"


def test_long_unicode_passphrases_are_accepted_up_to_1024_characters() -> None:
    assert len(PASSPHRASE) == 74 and len(PASSPHRASE.encode()) == 93
    check_policy(PASSPHRASE, username="ana")
    check_policy("ж" * 1024, username="ana")
    with pytest.raises(PasswordRejected, match="at most 1,024 characters, this one has 1,025"):
        check_policy("ж" * 1025, username="ana")
    with pytest.raises(PasswordRejected, match="at least 8 characters"):
        check_policy("Zq7!x", username="ana")


def test_common_passwords_demo_passwords_and_the_username_are_refused() -> None:
    # From the shipped list (lower case): "password1", "qwerty123", "iloveyou".
    for common in ("password1", "Password1", "QWERTY123", "iloveyou"):
        with pytest.raises(PasswordRejected, match="most common passwords"):
            check_policy(common, username="ana")
    with pytest.raises(PasswordRejected, match="published demo passwords"):
        check_policy("demo-admin-pass", username="ana")  # production refuses it at login
    with pytest.raises(PasswordRejected, match="not be your username"):
        check_policy("Ana.Lovelace", username="ana.lovelace")
    assert len(passwords._common_passwords()) == 10_000


def test_the_whole_passphrase_counts_not_only_its_first_72_bytes() -> None:
    """Plain bcrypt ignores everything after byte 72 (bcrypt 5 raises instead)."""
    stored = hash_password(PASSPHRASE)
    assert stored.startswith("sha256-bcrypt$$2b$12$")
    assert verify_password(PASSPHRASE, stored)
    head = PASSPHRASE.encode()[:72].decode("utf-8", "ignore")
    assert not verify_password(head, stored)
    assert not verify_password(PASSPHRASE[:-1] + "X", stored)


def test_nothing_is_stripped_and_the_same_text_typed_two_ways_matches() -> None:
    stored = hash_password("  spaced passphrase  ")
    assert not verify_password("spaced passphrase", stored)
    assert verify_password("  spaced passphrase  ", stored)
    composed = unicodedata.normalize("NFC", "café crème brûlée")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert verify_password(decomposed, hash_password(composed))


def test_plain_bcrypt_hashes_keep_verifying() -> None:
    """The tracker's own hashes and the seed's are plain bcrypt of the password's bytes."""
    legacy = bcrypt.hashpw(b"demo-user-pass", bcrypt.gensalt(rounds=4)).decode()
    assert verify_password("demo-user-pass", legacy)
    assert not verify_password("demo-user-pas", legacy)
    # Older bcrypt hashed only the first 72 bytes of a longer password: those still verify.
    long_legacy = bcrypt.hashpw(PASSPHRASE.encode()[:72], bcrypt.gensalt(rounds=4)).decode()
    assert verify_password(PASSPHRASE, long_legacy)


@pytest.mark.parametrize("stored", [None, "", "not a hash", "sha256-bcrypt$garbage", 42])
def test_a_missing_or_unusable_hash_costs_one_bcrypt_check_and_never_matches(
    stored: object, checkpw_calls
) -> None:
    assert verify_password("whatever-they-typed", stored) is False
    assert checkpw_calls.calls == 1
    # The dummy hash has the cost of new hashes (12), so it takes as long as a real check.
    assert passwords._DUMMY_HASH.removeprefix(passwords.SCHEME_PREFIX).startswith("$2b$12$")


def test_plain_bcrypt_and_cheaper_hashes_need_a_rehash_current_ones_do_not() -> None:
    """A known user's cheaper hash answers faster than the unknown-username check (cost 12)."""
    plain = bcrypt.hashpw(b"demo-user-pass", bcrypt.gensalt(rounds=12)).decode()
    cheap = "sha256-bcrypt$" + bcrypt.hashpw(b"x", bcrypt.gensalt(rounds=4)).decode()
    assert passwords.needs_rehash(plain)
    assert passwords.needs_rehash(cheap)
    assert passwords.needs_rehash(None) and passwords.needs_rehash("sha256-bcrypt$garbage")
    assert not passwords.needs_rehash(hash_password("a current passphrase"))
    stronger = "sha256-bcrypt$" + bcrypt.hashpw(b"x", bcrypt.gensalt(rounds=13)).decode()
    assert not passwords.needs_rehash(stronger)
