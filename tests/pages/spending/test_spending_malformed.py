"""Every spending page through app.py with malformed expenses and a malformed profile: no
traceback, the figures of the usable expenses, and a notice that counts what was left out."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

from dashboard.store import Store
from tests.apptest import assert_overview_kpis, login_as, raw_expenses
from tests.factories import MISSING, broken_expense

PAGES = (
    "pages/spending/overview.py",
    "pages/spending/categories.py",
    "pages/spending/insights.py",
    "pages/spending/budgets.py",
    "pages/spending/transactions.py",
)
#: One of each unusable value the embedded engine can hold; the notice counts them by hand.
BROKEN = (
    {"amount": math.nan}, {"amount": math.inf}, {"amount": -math.inf}, {"amount": 1e308},
    {"amount": None}, {"amount": MISSING}, {"category": None}, {"category": MISSING},
    {"category": ""}, {"currency": None}, {"date": None},
)  # fmt: skip
NOTICE = (
    "1 expense without a valid date, 6 expenses with an invalid amount, 3 expenses without a "
    "category and 1 expense without a currency were left out."
)


def _break(store: Store, username: str) -> dt.datetime:
    """Add :data:`BROKEN` expenses to ``username``, dated yesterday (inside every default period);
    return when."""
    user = store.find("users", {"username": username})[0]
    when = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=1)
    store.insert_many("expenses", [broken_expense(user["_id"], when, **f) for f in BROKEN])
    return when


def test_every_spending_page_counts_what_it_left_out(new_app, app_store: Store) -> None:
    user, raw = raw_expenses(app_store, "demo-user")  # before the broken ones: all usable
    when = _break(app_store, "demo-user")
    at = login_as(new_app, "user")
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        if page.endswith("budgets.py"):  # one month: the one the broken expenses are in
            month = when.astimezone(ZoneInfo(user["timezone"])).date().replace(day=1)
            at.selectbox(key="budget_month").set_value(month).run()
            assert not at.exception, (page, at.exception)
        warnings = [w.value for w in at.warning]
        assert any(w.startswith(NOTICE) for w in warnings), (page, warnings)

    at.switch_page("pages/spending/overview.py").run()
    assert_overview_kpis(at, user, raw)

    at.switch_page("pages/spending/categories.py").run()
    assert at.selectbox(key="category").options == sorted(set(raw["category"]))


def test_a_profile_zone_spendlens_cannot_use_reads_as_utc_on_every_page(
    new_app, app_store: Store
) -> None:
    zone = "Mars/Olympus"
    app_store.update_many("users", {"username": "demo-user"}, {"$set": {"timezone": zone}})
    _break(app_store, "demo-user")
    at = login_as(new_app, "user")
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        texts = [w.value for w in at.warning] + [e.value for e in at.error]
        assert any(f"time zone {zone!r}" in t for t in texts), (page, texts)


def test_a_user_whose_expenses_are_all_unusable_is_told_why_there_are_none(
    new_app, app_store: Store
) -> None:
    owner = app_store.find("users", {"username": "demo-user"})[0]["_id"]
    live = app_store.find("expenses", {"userId": owner, "deletedAt": None})
    app_store.update_many("expenses", {"userId": owner}, {"$set": {"amount": math.nan}})
    at = login_as(new_app, "user")
    for page in PAGES:
        if page.endswith("budgets.py"):  # not a list of expenses: it has no empty state
            continue
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert [w.value.split(".")[0] for w in at.warning] == [
            f"{len(live):,} expenses with an invalid amount were left out"
        ], page
        assert any("No expenses yet" in i.value for i in at.info), page
