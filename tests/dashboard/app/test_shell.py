"""The shell through app.py: a damaged profile, and the start-up rules on which key signs login
cookies and where the demo accounts are listed (issue 15 #1, #2)."""

from __future__ import annotations

import time
from pathlib import Path

import bcrypt
import jwt
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.core.settings import DEMO_COOKIE_KEY
from dashboard.store import Store, connect
from tests.apptest import APP, login_as, open_url_path


def test_a_stored_zone_spendlens_cannot_use_is_named_on_every_page(
    new_app, app_store: Store
) -> None:
    app_store.update_many(
        "users", {"username": "demo-user"}, {"$set": {"timezone": "Mars/Base", "weekStart": 0}}
    )
    at = login_as(new_app, "user").switch_page("pages/spending/overview.py").run()
    assert not at.exception, at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "time zone 'Mars/Base' is not a time zone Spendlens knows" in warnings
    assert "first day of the week (0)" in warnings
    assert "· UTC" in at.caption[0].value  # the page reads UTC days, and says so


# -- safe defaults: which key signs login cookies, and where the demo accounts are listed --------

MONGODB = "mongodb://db.example:27017/?directConnection=true"


def _forged_admin_cookie() -> dict[str, str]:
    """What anyone can make from the public demo key: streamlit-authenticator 0.4's cookie
    (a PyJWT HS256 token of the username and an expiry) naming the demo admin."""
    token = jwt.encode(
        {"username": "demo-admin", "exp_date": time.time() + 3600}, DEMO_COOKIE_KEY, "HS256"
    )
    return {"spendlens_auth": token}


def _browser_sends(monkeypatch: pytest.MonkeyPatch, cookies: dict[str, str]) -> None:
    """The cookies a new tab's request carries (AppTest cannot seed ``st.context.cookies``)."""
    monkeypatch.setattr(type(st.context), "cookies", property(lambda self: cookies))


def _signed_in(at: AppTest) -> bool:
    return "authentication_status" in at.session_state and bool(
        at.session_state["authentication_status"]
    )


def _mongodb_holds(monkeypatch: pytest.MonkeyPatch, store: Store) -> None:
    """MONGODB_URI is set; ``store`` (the seeded copy, demo-admin included) stands in for it."""
    monkeypatch.setenv("MONGODB_URI", MONGODB)
    for module in ("dashboard.app.resources", "dashboard.app.shell"):
        monkeypatch.setattr(f"{module}.get_store", lambda settings: store, raising=False)


def test_with_mongodb_uri_set_and_no_cookie_key_the_app_refuses_to_start(
    new_app, app_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15 #1: the default used to be development, whose public key signed this cookie."""
    _mongodb_holds(monkeypatch, app_store)
    _browser_sends(monkeypatch, _forged_admin_cookie())
    at = new_app().run()
    assert not at.exception
    assert not _signed_in(at)
    assert at.title[0].value == "Configuration error"
    assert "AUTH_COOKIE_KEY is not set" in at.error[0].value
    assert "MONGODB_URI is set" in at.error[0].value
    assert not at.text_input  # no login form, no page at all


def test_with_mongodb_uri_and_a_key_a_demo_key_cookie_opens_no_admin_page(
    new_app, app_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _mongodb_holds(monkeypatch, app_store)
    monkeypatch.setenv("AUTH_COOKIE_KEY", "operator-key-" + "x" * 40)
    _browser_sends(monkeypatch, _forged_admin_cookie())
    at = open_url_path(new_app().run(), "admin-users")
    assert not at.exception, at.exception
    assert not _signed_in(at)
    assert [t.label for t in at.text_input] == ["Username", "Password"]  # the login form
    assert "demo-admin-pass" not in str([t.value for t in at.table])  # no demo list
    assert not [t for t in at.title if t.value == "Users"]


def _hand_made_data(data_dir: Path) -> None:
    """A store that is not the demo data set: one account, no seed marker."""
    from tests.apptest import DEMO

    with connect(f"embedded://{data_dir}") as store:
        store.insert_many(
            "users",
            [{"username": "ops", "email": "ops@example.org", "roles": ["admin"],
              "passwordHash": bcrypt.hashpw(b"Ops-pass-1!", bcrypt.gensalt(rounds=4)).decode()}],
        )  # fmt: skip
        assert not store.find("users", {"username": DEMO["admin"][0]})


@pytest.fixture
def other_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "other"
    for var in ("MONGODB_URI", "REDIS_URL", "SPENDLENS_ENV", "AUTH_COOKIE_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SPENDLENS_DATA_DIR", str(path))
    _hand_made_data(path)
    return path


def test_development_refuses_the_public_key_on_data_that_is_not_the_demo(
    other_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forged ``ops`` cookie would open this data's admin pages: refuse to start instead."""
    monkeypatch.setenv("SPENDLENS_ENV", "development")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Configuration error"
    assert "not Spendlens' demo data set" in at.error[0].value
    assert "AUTH_COOKIE_KEY" in at.error[0].value
    assert not at.text_input


def test_development_with_its_own_key_on_other_data_warns_and_lists_no_demo_accounts(
    other_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTH_COOKIE_KEY", "dev-key-" + "d" * 40)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "Development mode on data that is not the demo data set" in at.warning[0].value
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert len(at.table) == 0
