"""The Finance page's prepared exports: written to a private temporary folder, deleted once
downloaded, and never left behind longer than their bounded age (swept at start-up too)."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest
import streamlit as st

from dashboard.exports import write
from tests.apptest import login_as

PAGE = "pages/finance/reports.py"


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary directory this test's exports go to (not the machine's /tmp)."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def _folder(root: Path) -> Path:
    return root / f"spendlens-exports-{os.getuid()}"


def test_a_prepared_export_is_deleted_once_downloaded(
    new_app, temp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dashboard.ui.exports.LARGE_EXPORT_ROWS", 0)  # every period is "large"
    # AppTest has no server to run a download's deferred callable: keep it to run it as a click.
    downloads: dict[str, object] = {}
    original = st.download_button

    def recording(*args, **kwargs):
        downloads[kwargs.get("key")] = kwargs.get("data")
        return original(*args, **kwargs)

    monkeypatch.setattr(st, "download_button", recording)
    at = login_as(new_app, "finance").switch_page(PAGE).run()
    at.selectbox(key="fr_month").set_value("2026-05").run()
    at.button(key="fr_prepare").click().run()
    assert not at.exception, at.exception
    (prepared,) = _folder(temp_root).iterdir()
    assert oct(_folder(temp_root).stat().st_mode & 0o777) == "0o700"
    assert [b.proto.label for b in at.get("download_button")][-1].startswith("Download CSV")
    body = downloads["fr_dl_prepared"]()  # the click
    assert body.decode("utf-8-sig").startswith("date,")
    assert not prepared.exists()  # downloaded: gone from the server's disk
    at.run()
    assert not at.exception, at.exception
    assert not [b for b in at.get("download_button") if b.proto.label.startswith("Download CSV")]
    assert any("has been deleted from the server" in c.value for c in at.caption)


def test_prepared_exports_past_their_age_are_swept_and_fresh_ones_kept(temp_root: Path) -> None:
    folder = _folder(temp_root)
    folder.mkdir(mode=0o700)
    now = time.time()
    old, part, fresh = folder / "a-old.csv", folder / ".b.csv.x1.part", folder / "c-new.csv"
    for path in (old, part, fresh):
        path.write_bytes(b"date,amount\n")
    for path in (old, part):  # written 61 minutes ago
        os.utime(path, (now - 61 * 60, now - 61 * 60))
    os.utime(fresh, (now - 59 * 60, now - 59 * 60))
    assert write.clean_prepared_exports(now=now) == 2
    assert sorted(p.name for p in folder.iterdir()) == ["c-new.csv"]


def test_leftovers_of_an_earlier_process_are_swept_when_the_app_starts(
    new_app, temp_root: Path
) -> None:
    from dashboard.ui.exports import clean_prepared_exports_at_start

    clean_prepared_exports_at_start.clear()  # a new process
    folder = _folder(temp_root)
    folder.mkdir(mode=0o700)
    left = folder / "650000000000000000000001-spendlens-finance-2026-05.csv"
    left.write_bytes(b"date,amount\n")
    two_hours_ago = time.time() - 2 * 3600
    os.utime(left, (two_hours_ago, two_hours_ago))
    at = new_app().run()  # the login page: nobody has opened the finance page
    assert not at.exception, at.exception
    assert not left.exists()


def test_someone_elses_folder_is_refused(temp_root: Path) -> None:
    target = temp_root / "elsewhere"
    target.mkdir()
    _folder(temp_root).symlink_to(target)
    with pytest.raises(ValueError, match="is not a directory of this user"):
        write.clean_prepared_exports()
