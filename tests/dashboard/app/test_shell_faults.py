"""The shell through app.py when the machine fails: a full disk, a read-only data directory, a
data directory held by another process. Each says what failed and what to do, with no traceback,
no internal path or pid, and a failed save leaves the stored data as it was."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.app.resources import get_settings, get_store
from dashboard.store import connect
from tests.apptest import DEMO, login, login_as
from tests.diskfaults import copy_into, fill, read_only, require_mounts, small_disk


def _page_text(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "error", "info", "warning", "success", "markdown")
             for e in getattr(at, kind)]  # fmt: skip
    return "\n".join(str(p) for p in parts)


def _budget(store, month: dt.date, category: str) -> list[float]:
    user = store.find("users", {"username": "demo-user"})[0]
    first = dt.datetime.combine(month, dt.time(), tzinfo=dt.UTC)
    docs = store.find("budgets", {"userId": user["_id"], "month": first, "category": category})
    return [d["limit"] for d in docs]


def test_saving_a_budget_on_a_full_disk_says_so_and_keeps_the_stored_budget(
    new_app, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_mounts(tmp_path)
    with small_disk(tmp_path / "disk") as disk:
        full = copy_into(data_dir, disk)
        monkeypatch.setenv("SPENDLENS_DATA_DIR", str(full))
        at = login_as(new_app, "user").switch_page("pages/spending/budgets.py").run()
        month = at.selectbox(key="budget_form_month").value
        category = at.selectbox(key="budget_form_category").value
        store = get_store(get_settings())
        before = _budget(store, month, category)
        at.number_input(key="budget_form_limit").set_value(before[0] + 11 if before else 123.45)
        filler = fill(disk)
        next(b for b in at.button if b.label == "Save budget").click().run()

        assert not at.exception, at.exception
        text = _page_text(at)
        assert "Disk full" in text
        assert "No space left on device" in text
        assert "Free disk space" in text
        assert "Saved" not in text
        assert str(full) not in text
        assert _budget(store, month, category) == before  # in memory ...
        filler.unlink()
        store.close()
        with connect(f"embedded://{full}") as fresh:  # ... and on disk
            assert _budget(fresh, month, category) == before
            assert fresh.count_documents("users", {}) > 0


def test_signing_in_when_the_data_directory_turned_read_only_says_so(
    new_app, data_dir: Path, tmp_path: Path
) -> None:
    require_mounts(tmp_path)
    at = new_app()
    # Logged in once and out: the store is open (and holds its lock) before the directory turns
    # read-only, and the password hash is current, so the login's first write is its audit entry.
    at = login(at, *DEMO["user"])
    at.button(key="spendlens_logout").click().run()
    assert at.session_state["authentication_status"] is not True
    with read_only(data_dir):
        at = login(at, *DEMO["user"])
        assert not at.exception, at.exception
        text = _page_text(at)
        assert "Data directory is read-only" in text
        assert "Read-only file system" in text
        assert "mount it read-write" in text
        assert str(data_dir) not in text
    # The login could not be audited, so it did not happen: the next run is signed out.
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["authentication_status"] is not True


def test_a_read_only_data_directory_at_start_is_a_clear_page_without_the_path(
    new_app, data_dir: Path, tmp_path: Path
) -> None:
    require_mounts(tmp_path)
    with read_only(data_dir):
        at = new_app().run()
        assert not at.exception, at.exception
        text = _page_text(at)
        assert "Data directory is read-only" in text
        assert "could not open its data directory: Read-only file system" in text
        assert str(data_dir) not in text


def test_a_data_directory_held_by_another_process_names_no_path_or_pid(
    new_app, data_dir: Path
) -> None:
    with connect(f"embedded://{data_dir}"):  # holds the directory's lock
        at = new_app().run()
    assert not at.exception, at.exception
    text = _page_text(at)
    assert at.title[0].value == "Database unavailable"
    assert "cannot reach its database" in text
    assert str(data_dir) not in text
    assert "pid" not in text


def test_a_configuration_error_names_the_variable_but_not_its_value(
    new_app, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONGODB_MAX_TIME_MS", "/srv/secret-host:27017")
    at = new_app().run()
    assert not at.exception, at.exception
    text = _page_text(at)
    assert at.title[0].value == "Configuration error"
    assert "MONGODB_MAX_TIME_MS" in text
    assert "/srv/secret-host" not in text
