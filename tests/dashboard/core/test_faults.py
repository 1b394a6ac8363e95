"""Fault messages: what failed and what to do, with no path, value or host in them."""

from __future__ import annotations

import errno

import pytest

from dashboard.core.faults import settings_fault, storage_fault


@pytest.mark.parametrize(
    ("code", "title", "hint"),
    [
        (errno.ENOSPC, "Disk full", "Free disk space"),
        (errno.EDQUOT, "Disk full", "Free disk space"),
        (errno.EROFS, "Data directory is read-only", "mount it read-write"),
        (errno.EACCES, "Data directory not writable", "fix the permissions"),
        (errno.ENOTDIR, "Data directory not writable", "fix the permissions"),
        (errno.EIO, "Storage error", "Check the server's disk"),
    ],
)
def test_each_storage_fault_says_what_to_do_without_the_file(
    code: int, title: str, hint: str
) -> None:
    exc = OSError(code, "some reason", "/srv/spendlens/data/budgets/.seg-1.arrow.tmp")
    fault = storage_fault(exc)
    assert fault.title == title
    assert hint in fault.hint
    assert (
        fault.message
        == "Spendlens could not save its data: some reason. This change was not saved."
    )
    assert "/srv" not in fault.message + fault.hint


def test_a_settings_fault_keeps_what_is_accepted_and_hides_values() -> None:
    text = (
        "Invalid configuration:\n"
        "  SPENDLENS_DATA_DIR='relative/dir' is not valid: expected an absolute path\n"
        "  MONGODB_MAX_TIME_MS='x' is not valid: expected a positive whole number of ms\n"
        "  AUTH_COOKIE_KEY is not set: production needs its own random key\n"
        "  MONGODB_URI points at mongodb://db1.internal:27017 in /etc/spendlens/env"
    )
    message = settings_fault(text).message
    assert message.splitlines() == [
        "Invalid configuration:",
        "  SPENDLENS_DATA_DIR is not valid: expected an absolute path",
        "  MONGODB_MAX_TIME_MS is not valid: expected a positive whole number of ms",
        "  AUTH_COOKIE_KEY is not set: production needs its own random key",
        "  MONGODB_URI points at <uri> in <path>",
    ]
