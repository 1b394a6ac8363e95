"""The Import page from upload to undo, as a user goes through it (jobs run in the page run: the
tests' queue is ``immediate``).

The statement below is written by hand; every expected figure is counted from it by hand:

- line 2 REWE 12,50, line 3 NETFLIX 13,99, line 5 DB 1.234,56, line 7 REWE 12,50: imported (4);
- line 4 salary +2.500,00: money in, left out (1);
- line 6 31.02.2025: not a date, rejected (1);
- line 8: the same date, amount and description as line 7, a duplicate within the file (1).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.store import Store
from tests.apptest import login_as

PAGE = "pages/spending/import.py"
STATEMENT = (
    "\ufeffBuchungstag;Verwendungszweck;Betrag;Währung\r\n"
    "01.03.2025;REWE SAGT DANKE;-12,50;EUR\r\n"
    "02.03.2025;NETFLIX.COM;-13,99;EUR\r\n"
    "03.03.2025;Gehalt März;2.500,00;EUR\r\n"
    '04.03.2025;"DB Vertrieb; Fahrkarte";-1.234,56;EUR\r\n'
    "31.02.2025;Kaputt;-1,00;EUR\r\n"
    "05.03.2025;REWE SAGT DANKE;-12,50;EUR\r\n"
    "05.03.2025;REWE SAGT DANKE;-12,50;EUR\r\n"
).encode()
IMPORTED_CENTS = 1250 + 1399 + 123456 + 1250


def _widget(widgets, label: str):
    (found,) = [w for w in widgets if w.label == label]
    return found


def _metric(at: AppTest, label: str) -> str:
    return _widget(at.metric, label).value


def _upload(at: AppTest, data: bytes = STATEMENT, *, account: str = "Girokonto") -> AppTest:
    at.text_input(key="imp_account").set_value(account)
    at.file_uploader[0].set_value(("march.csv", data, "text/csv"))
    at.run()
    assert not at.exception, at.exception
    return at


def _imported(store: Store, username: str = "demo-user") -> list[dict]:
    user = store.find("users", {"username": username})[0]
    return [d for d in store.find("expenses", {"userId": user["_id"]}) if "importId" in d]


@pytest.fixture
def page(new_app) -> AppTest:
    at = login_as(new_app, "user").switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def test_the_empty_page_says_what_to_do(page: AppTest) -> None:
    assert any("Export a CSV statement from your bank" in i.value for i in page.info)
    assert any("No imports yet" in c.value for c in page.caption)


def test_the_check_shows_every_count_before_anything_is_written(
    page: AppTest, app_store: Store
) -> None:
    at = _upload(page)
    assert _widget(at.selectbox, "Date column").value == "Buchungstag"
    assert _widget(at.selectbox, "Description column").value == "Verwendungszweck"
    assert _widget(at.selectbox, "Amount column").value == "Betrag"
    assert _widget(at.selectbox, "Date format").value == "%d.%m.%Y"
    assert _widget(at.checkbox, "Decimal comma (1.234,56)").value is True
    assert _metric(at, "Rows in the file") == "7"
    assert _metric(at, "To import") == "4"
    assert _metric(at, "Duplicates (skipped)") == "1"
    assert _metric(at, "Rejected rows") == "1"
    assert any("1 rows of money in are left out" in c.value for c in at.caption)
    problems = at.dataframe[1].value  # the preview, then the problems
    assert problems["line"].tolist() == [6]
    assert _imported(app_store) == []  # nothing written yet
    assert app_store.count_documents("jobs", {}) == 0


def test_importing_adds_the_good_rows_once_and_undo_removes_them(
    page: AppTest, app_store: Store
) -> None:
    at = _upload(page)
    at.button(key="imp_start").click().run()
    assert not at.exception, at.exception
    assert any(
        "4 expenses imported, 1 duplicates skipped, 1 rows rejected" in s.value for s in at.success
    )
    rows = _imported(app_store)
    assert len(rows) == 4
    assert sum(round(d["amount"] * 100) for d in rows) == IMPORTED_CENTS
    assert {d["currency"] for d in rows} == {"EUR"}
    first = min(rows, key=lambda d: d["date"])
    # 1 March in the demo user's zone (Los Angeles, UTC-8 in winter), stored as its UTC instant.
    assert first["date"] == datetime(2025, 3, 1, 8, tzinfo=UTC)
    assert first["description"] == "REWE SAGT DANKE"
    assert any(d["description"] == "DB Vertrieb; Fahrkarte" for d in rows)
    (batch,) = app_store.find("imports", {})
    assert (batch["state"], batch["counts"]["imported"]) == ("applied", 4)
    assert app_store.count_documents("audit_log", {"event": "import.applied"}) == 1

    # The same statement again: every row is now a duplicate of the user's own expenses.
    at.file_uploader[0].set_value(("march.csv", STATEMENT, "text/csv")).run()
    assert _metric(at, "To import") == "0"
    assert _metric(at, "Duplicates (skipped)") == "5"
    assert any("Nothing to import" in i.value for i in at.info)

    at.button(key="imp_undo").click().run()
    assert not at.exception, at.exception
    assert _imported(app_store) == []
    assert app_store.find("imports", {})[0]["state"] == "undone"


def test_the_mapping_is_remembered_for_the_account(page: AppTest, new_app) -> None:
    at = _upload(page)
    _widget(at.radio, "Money in (refunds, salary)").set_value("refund").run()
    assert _metric(at, "To import") == "5"  # the salary too, as a refund
    at.button(key="imp_start").click().run()
    assert not at.exception, at.exception
    assert any("5 expenses imported" in s.value for s in at.success)
    again = _upload(login_as(new_app, "user").switch_page(PAGE).run())
    assert _widget(again.radio, "Money in (refunds, salary)").value == "refund"
    assert _metric(again, "To import") == "0"
    assert _metric(again, "Duplicates (skipped)") == "6"  # 5 already imported, 1 within the file


def test_a_file_that_is_not_a_statement_is_refused_with_its_reason(page: AppTest) -> None:
    at = _upload(page, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert at.error
    assert "march.csv" in at.error[0].value


def test_a_file_over_the_size_limit_is_refused_with_both_sizes(
    page: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMPORT_MAX_MB", "0.0001")
    at = _upload(page.run())
    assert [e.value for e in at.error] == [
        f"march.csv is {len(STATEMENT)} bytes; the limit is 0.0001 MB (IMPORT_MAX_MB). Split the "
        "statement into smaller periods and import each."
    ]


def test_rules_categorise_on_import(page: AppTest, app_store: Store) -> None:
    user = app_store.find("users", {"username": "demo-user"})[0]
    app_store.insert_many(
        "category_rules",
        [{"userId": user["_id"], "rules": [{"contains": "netflix", "category": "Subscriptions"}]}],
    )
    at = _upload(page.run())
    assert any("1 rows categorised by your rules" in c.value for c in at.caption)
    at.button(key="imp_start").click().run()
    categories = {d["description"]: d["category"] for d in _imported(app_store)}
    assert categories["NETFLIX.COM"] == "Subscriptions"
    assert categories["REWE SAGT DANKE"] == "Uncategorized"


def test_the_check_runs_once_per_file_and_mapping_not_on_every_rerun(
    page: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard.ui import import_form

    calls = []
    original = import_form.check_upload
    monkeypatch.setattr(
        import_form, "check_upload", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    at = _upload(page)
    at.run()  # another widget's rerun: the same file and mapping
    assert len(calls) == 1
    assert _metric(at, "To import") == "4"
    _widget(at.radio, "Money in (refunds, salary)").set_value("refund").run()  # a new mapping
    assert len(calls) == 2
    assert _metric(at, "To import") == "5"
