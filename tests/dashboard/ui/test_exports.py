"""The Finance page's prepared exports: written by an export job, kept in the database, handed over
once, only to their owner while they still hold the finance role, and deleted after an hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import bson
import pytest
import streamlit as st

from dashboard.core.identity import AuthUser
from dashboard.data import job_files, jobs, users
from dashboard.jobs.export_job import KEPT_FOR, take_export
from dashboard.store import Store
from tests.apptest import login_as

PAGE = "pages/finance/reports.py"


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """AppTest has no server to run a download's deferred callable: keep it to run it as a click."""
    kept: dict[str, object] = {}
    original = st.download_button

    def recording(*args, **kwargs):
        kept[kwargs.get("key")] = kwargs.get("data")
        return original(*args, **kwargs)

    monkeypatch.setattr(st, "download_button", recording)
    return kept


def _prepare(new_app, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("dashboard.ui.exports.LARGE_EXPORT_ROWS", 0)  # every period is "large"
    at = login_as(new_app, "finance").switch_page(PAGE).run()
    at.selectbox(key="fr_month").set_value("2026-05").run()
    at.button(key="fr_prepare").click().run()
    assert not at.exception, at.exception
    return at


def _export_job(store: Store) -> dict:
    (job,) = store.find("jobs", {"kind": "export"})
    return job


def test_a_prepared_export_is_a_job_whose_file_is_handed_over_once(
    new_app, app_store: Store, monkeypatch: pytest.MonkeyPatch, downloads: dict
) -> None:
    at = _prepare(new_app, monkeypatch)
    job = _export_job(app_store)
    assert (job["state"], job["params"]["format"], job["params"]["period"]) == (
        "done",
        "csv",
        "2026-05",
    )
    rows = job["counts"]["rows"]
    assert rows > 0
    label = [b.proto.label for b in at.get("download_button")][-1]
    assert label == f"Download CSV ({rows:,} rows)"
    body = downloads["fr_dl_prepared"]()  # the click
    text = body.decode("utf-8-sig")
    assert text.startswith("date,")
    assert len(text.strip().splitlines()) == rows + 1  # header + every row the job counted
    assert app_store.count_documents("job_files", {}) == 0  # downloaded: gone from the database
    with pytest.raises(FileNotFoundError, match="already been downloaded"):
        downloads["fr_dl_prepared"]()
    at.run()
    assert not at.exception, at.exception
    assert not [b for b in at.get("download_button") if b.proto.label.startswith("Download CSV")]
    assert any("has been deleted from the server" in c.value for c in at.caption)


def test_another_user_cannot_take_the_export(
    new_app, app_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _prepare(new_app, monkeypatch)
    job = _export_job(app_store)
    other = AuthUser.from_document(users.by_username(app_store, "demo-admin"))
    with pytest.raises(FileNotFoundError):
        take_export(app_store, other, str(job["_id"]))
    assert app_store.count_documents("job_files", {}) == 1


def test_an_export_nobody_downloads_is_deleted_after_an_hour(
    new_app, app_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _prepare(new_app, monkeypatch)
    later = datetime.now(UTC) + KEPT_FOR + timedelta(minutes=1)
    assert job_files.delete_older_than(app_store, KEPT_FOR, kind="upload", now=later) == 0
    assert job_files.delete_older_than(app_store, KEPT_FOR, kind="export", now=later) == 1
    assert jobs.get(app_store, bson.ObjectId(str(_export_job(app_store)["_id"])))["state"] == "done"
