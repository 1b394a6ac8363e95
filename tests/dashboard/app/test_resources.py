"""Process-wide resources: what the app checks on its store once per process at start-up."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.app.resources import get_settings, get_store
from dashboard.data import bulk
from dashboard.seed.dataset import generate
from dashboard.store import connect
from tests.apptest import APP, answer_question, open_url_path


@pytest.fixture
def half_seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """What a seed killed after its users left behind before the fix: users, no indexes."""
    path = tmp_path / "data"
    for var in ("MONGODB_URI", "REDIS_URL", "SPENDLENS_ENV", "AUTH_COOKIE_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SPENDLENS_DATA_DIR", str(path))
    end = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    with connect(f"embedded://{path}") as store:
        bulk.begin_seed(store, {"users": 3, "months": 1})
        collection, docs = next(iter(generate(users=3, months=1, seed=5, end=end)))
        assert collection == "users"
        bulk.insert(store, "users", docs)
        assert "username_1" not in store.index_information("users")
    return path


def _register(at: AppTest, *, username: str, email: str) -> AppTest:
    open_url_path(at, "register")
    inputs = {t.label: t for t in at.text_input}
    inputs["First name"].input("Dana")
    inputs["Last name"].input("Again")
    inputs["Email"].input(email)
    inputs["Username"].input(username)
    inputs["Password"].input("Analytical-1!")
    inputs["Repeat password"].input("Analytical-1!")
    answer_question(at)
    at.button[0].click()
    return at.run()


def test_a_store_without_indexes_gets_them_at_app_start(half_seeded: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    assert "seed was interrupted" in at.warning[0].value  # and says how to finish it
    # Registration relies on the unique indexes: a taken username and a taken email are refused.
    taken = (("demo-user", "new@example.org"), ("new-user", "demo-user@spendlens.example"))
    for username, email in taken:
        at = _register(
            AppTest.from_file(APP, default_timeout=60).run(), username=username, email=email
        )
        assert not at.exception, at.exception
        assert "already registered" in at.error[0].value
    store = get_store(get_settings())  # the app's own store (it holds the directory's lock)
    assert store.count_documents("users", {"username": "demo-user"}) == 1
    assert store.count_documents("users", {"email": "demo-user@spendlens.example"}) == 1
    assert not store.find("users", {"username": "new-user"})
    users = store.index_information("users")
    assert users["username_1"]["unique"] is True
    assert users["email_1"]["unique"] is True
    assert store.index_information("budgets")["userId_1_month_1_category_1"]["unique"] is True
