"""The password check of a login through app.py: a password change or "log out everywhere" that
lands while the password is being checked wins, and an old or cheaper hash is upgraded."""

from __future__ import annotations

import bcrypt
import pytest

from dashboard.auth import passwords
from dashboard.data import users
from dashboard.store import Store
from tests.apptest import DEMO, login

NEW_PASSPHRASE = "a new and rather long passphrase"


def _change_password(store: Store, username: str) -> None:
    """What Account → Password does: a new hash, and every session of the account ends."""
    doc = users.by_username(store, username)
    users.set_fields(store, doc["_id"], {"passwordHash": passwords.hash_password(NEW_PASSPHRASE)})
    users.end_sessions(store, doc["_id"])


def _log_out_everywhere(store: Store, username: str) -> None:
    users.end_sessions(store, users.by_username(store, username)["_id"])


@pytest.mark.parametrize("change", [_change_password, _log_out_everywhere])
def test_a_change_that_lands_during_the_password_check_fails_the_login(
    change, new_app, app_store: Store, monkeypatch
) -> None:
    """Before: the old password was checked against the document read first, and the cookie was
    signed with the account's new session version: a valid login after the change."""
    check = passwords.verify_password
    landed: list[bool] = []

    def racing(password: str, stored: object) -> bool:
        if not landed:
            change(app_store, "demo-user")
            landed.append(True)
        return check(password, stored)

    monkeypatch.setattr(passwords, "verify_password", racing)
    at = login(new_app(), *DEMO["user"])
    assert landed
    assert at.session_state["authentication_status"] is not True
    assert at.error[0].value == "Username or password is incorrect."
    assert "_spendlens_cookie_write" not in at.session_state
    (failure,) = app_store.find("audit_log", {"event": "login.failure"})
    assert failure["details"]["reason"] == "changed during login"
    assert app_store.find("audit_log", {"event": "login.success"}) == []


def test_a_legacy_low_cost_hash_is_upgraded_at_login_and_still_verifies(
    new_app, app_store: Store
) -> None:
    """Before: a plain bcrypt hash of cost 4 stayed, and its check answered in a fraction of
    the unknown-username check's time (cost 12): a timing oracle for which accounts exist."""
    legacy = bcrypt.hashpw(b"demo-user-pass", bcrypt.gensalt(rounds=4)).decode()
    doc = users.by_username(app_store, "demo-user")
    users.set_fields(app_store, doc["_id"], {"passwordHash": legacy})
    at = login(new_app(), *DEMO["user"])
    assert at.session_state["authentication_status"] is True
    stored = users.by_username(app_store, "demo-user")
    assert stored["passwordHash"].startswith("sha256-bcrypt$$2b$12$")
    assert passwords.verify_password("demo-user-pass", stored["passwordHash"])
    assert not passwords.verify_password("demo-user-pas", stored["passwordHash"])
    assert users.session_version(stored) == users.session_version(doc)  # no session ended
    at.run()
    assert at.session_state["authentication_status"] is True  # this session carries on
    again = login(new_app(), *DEMO["user"])
    assert again.session_state["authentication_status"] is True
    assert users.by_username(app_store, "demo-user")["passwordHash"] == stored["passwordHash"]
