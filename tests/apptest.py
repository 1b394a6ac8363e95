"""Helpers for driving app.py with AppTest: logging in, deep links, a recording store."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.store import Store

APP = str(Path(__file__).resolve().parents[1] / "app.py")
DEMO = {
    "user": ("demo-user", "demo-user-pass"),
    "product": ("demo-product", "demo-product-pass"),
    "finance": ("demo-finance", "demo-finance-pass"),
    "admin": ("demo-admin", "demo-admin-pass"),
}


class Clock:
    """A settable clock for the login throttle."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def login(at: AppTest, username: str, password: str) -> AppTest:
    """Fill and submit the login form (the app's own form: text inputs 0 and 1)."""
    at.run()
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    return at.run()


def answer_question(at: AppTest) -> None:
    """Type the right answer to the question the registration form shows (kept on the server)."""
    from dashboard.ui.account_forms import QUESTION_KEY

    question = at.session_state[QUESTION_KEY]
    answer = next(t for t in at.text_input if t.label == "Your answer (in digits)")
    answer.set_value(str(question.first + question.second))


def login_as(new_app: Any, role: str) -> AppTest:
    at = login(new_app(), *DEMO[role])
    assert not at.exception, at.exception
    assert at.session_state["authentication_status"] is True
    return at


def open_url_path(at: AppTest, url_path: str) -> AppTest:
    """What a deep link to ``/<url_path>`` does: run the page registered at that URL.

    AppTest.switch_page() only takes script files; a page outside the user's roles is registered as
    a callable at its URL, so we select it by its URL path (the browser tests do it for real).
    """
    for page_hash, info in at._registered_pages.items():
        if info.get("url_pathname") == url_path:
            at._page_hash = page_hash
            return at.run()
    msg = f"no page registered at /{url_path}"
    raise AssertionError(msg)


class RecordingStore:
    """Wraps a store and records every aggregate sent (collection, pipeline, comment)."""

    def __init__(self, inner: Store) -> None:
        self._inner = inner
        self.sent: list[tuple[str, list[dict[str, Any]], str | None]] = []

    def aggregate(self, collection: str, pipeline: Any, **kw: Any) -> Any:
        self.sent.append((collection, list(pipeline), kw.get("comment")))
        return self._inner.aggregate(collection, pipeline, **kw)

    def aggregate_frame(self, collection: str, pipeline: Any, **kw: Any) -> Any:
        self.sent.append((collection, list(pipeline), kw.get("comment")))
        return self._inner.aggregate_frame(collection, pipeline, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def money(text: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", text))


def raw_expenses(store: Store, username: str) -> tuple[dict, pl.DataFrame]:
    """The user's live expenses straight from the collection, independent of queries/."""
    user = store.find("users", {"username": username})[0]
    docs = [
        d
        for d in store.find("expenses", {})
        if d["userId"] == user["_id"] and d.get("deletedAt") is None
    ]
    frame = pl.DataFrame(
        [{"date": d["date"], "amount": d["amount"], "category": d["category"]} for d in docs],
        schema={"date": pl.Datetime("us", "UTC"), "amount": pl.Float64, "category": pl.String},
    )
    return user, frame


def assert_overview_kpis(at: AppTest, user: dict, raw: pl.DataFrame) -> float:
    """The Overview's total, count and largest expense against plain Polars over ``raw`` (the
    user's usable expenses) in the default period; returns that period's days."""
    from dashboard.core.periods import SPENDING_PERIODS, local_today, period_for

    period = period_for(
        SPENDING_PERIODS.default, today=local_today(user["timezone"]), tz=user["timezone"]
    )
    lo, hi = period.utc_bounds()
    inside = raw.filter((pl.col("date") >= lo) & (pl.col("date") < hi))
    metrics = {m.label: m.value for m in at.metric}
    assert money(metrics["Total spent"]) == pytest.approx(
        round(inside["amount"].sum(), 2), abs=0.005
    )
    assert int(metrics["Expenses"].replace(",", "")) == inside.height
    assert money(metrics["Largest expense"]) == pytest.approx(inside["amount"].max(), abs=0.005)
    return inside["amount"].sum() / period.days
