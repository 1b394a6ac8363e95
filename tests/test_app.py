"""The app shell through ``app.py``: home page, configuration errors, an unreachable database."""

from __future__ import annotations

from pathlib import Path

import bcrypt
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.store import connect

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("MONGODB_URI", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("SPENDLENS_DATA_DIR", str(tmp_path / "data"))
    # These stores hold hand-made data, not the demo data set: the public demo key may not sign
    # their cookies (tests/dashboard/app/test_shell.py), so development needs a key of its own.
    monkeypatch.setenv("AUTH_COOKIE_KEY", "t" * 40)
    return tmp_path / "data"


def _staff_account() -> dict:
    return {
        "username": "ops",
        "name": "Ops Person",
        "roles": ["product"],
        "passwordHash": bcrypt.hashpw(b"Ops-pass-1!", bcrypt.gensalt(rounds=4)).decode(),
    }


def _login(at: AppTest) -> AppTest:
    at.run()
    at.text_input[0].input("ops")
    at.text_input[1].input("Ops-pass-1!")
    at.button[0].click()
    return at.run()


def test_home_says_which_database_and_cache_and_counts_the_data(data_dir: Path) -> None:
    with connect(f"embedded://{data_dir}") as store:
        store.insert_many("users", [_staff_account(), {"username": "b"}])
        store.insert_many("expenses", [{"amount": float(i)} for i in range(7)])
    at = _login(AppTest.from_file(APP, default_timeout=30))
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Users": "2", "Expenses": "7", "Budgets": "0", "API requests": "0"}
    text = " ".join(m.value for m in at.markdown)
    assert f"embedded engine in {data_dir}" in text
    assert "in-process cache" in text
    assert not at.info


def test_empty_database_says_how_to_load_demo_data(data_dir: Path) -> None:
    with connect(f"embedded://{data_dir}") as store:
        store.insert_many("users", [_staff_account()])
    at = _login(AppTest.from_file(APP, default_timeout=30))
    assert not at.exception
    assert "python -m dashboard seed" in at.info[0].value


def test_invalid_setting_stops_with_one_clear_message(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPENDLENS_ENV", "staging")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "Configuration error"
    assert "SPENDLENS_ENV" in at.error[0].value
    assert "development, production" in at.error[0].value


def test_unreachable_mongodb_shows_database_unavailable_not_a_traceback(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONGODB_URI", "mongodb://127.0.0.1:1/?directConnection=true")
    monkeypatch.setenv("MONGODB_SERVER_SELECTION_TIMEOUT_MS", "300")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "Database unavailable"
    assert "cannot reach its database" in at.error[0].value


def test_production_with_the_demo_cookie_key_refuses_to_start(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard.core.settings import DEMO_COOKIE_KEY

    monkeypatch.setenv("SPENDLENS_ENV", "production")
    monkeypatch.setenv("AUTH_COOKIE_KEY", DEMO_COOKIE_KEY)
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert at.title[0].value == "Configuration error"
    assert "public demo key" in at.error[0].value
    assert not at.text_input  # no login form


def test_starting_the_server_logs_no_missing_script_run_context_warning(
    data_dir: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``streamlit run`` imports app.py outside any script run to build the server; that import
    used to log Streamlit's "missing ScriptRunContext!" warning at every start. It also turns off
    Streamlit's legacy pages/ router (a fresh server's first deep link got its "Page not found")."""
    import runpy

    from streamlit.runtime.pages_manager import PagesManager

    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)
    with caplog.at_level("WARNING"):
        namespace = runpy.run_path(APP, run_name="spendlens_app_module")
    assert "app" in namespace  # the server's st.App was built (the module branch ran)
    assert not [r for r in caplog.records if "ScriptRunContext" in r.getMessage()]
    assert PagesManager.uses_pages_directory is False
