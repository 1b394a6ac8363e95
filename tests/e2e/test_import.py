"""The Import page in a real browser: upload a 10,000-row statement, watch the background job (the
app's own worker threads on its SQLite queue) import it, then undo it."""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.conftest import ROOT, Server
from tests.e2e.test_browser import login, wait_idle

pytestmark = pytest.mark.browser
STATEMENTS = ROOT / "tests" / "data" / "statements"


def test_uploading_a_statement_imports_it_in_the_background_and_undo_removes_it(
    page, server: Server
) -> None:
    expected = json.loads((STATEMENTS / "large_10000.expected.json").read_text())["expenses"]
    count = f"{expected:,}"
    login(page, server, "user")
    page.goto(f"{server.url}/import")
    page.get_by_role("heading", name="Import a statement").wait_for()
    wait_idle(page)
    page.get_by_role("textbox", name="Account name").fill("Visa card")
    page.get_by_role("textbox", name="Account name").press("Enter")
    wait_idle(page)
    page.locator("input[type=file]").set_input_files(str(STATEMENTS / "large_10000.csv"))
    to_import = page.get_by_test_id("stMetric").filter(has_text="To import")
    to_import.wait_for(timeout=60_000)
    assert to_import.get_by_test_id("stMetricValue").inner_text() == count
    wait_idle(page)
    page.get_by_role("button", name=f"Import {count} expenses").click()
    page.get_by_text(re.compile(rf"{count} expenses imported, 0 duplicates skipped")).wait_for(
        timeout=90_000
    )
    assert page.get_by_test_id("stException").count() == 0
    wait_idle(page)
    page.get_by_role("heading", name="Past imports").wait_for()
    page.get_by_role("button", name="Undo import").click()
    page.get_by_text(f"Removed {count} imported expenses.").wait_for(timeout=30_000)
    assert "Traceback" not in page.content()
