"""Tests of the demo data generator: shape, invariants, determinism, realism and the hidden incidents."""

from __future__ import annotations

import io
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import bcrypt
import bson
import polars as pl
import pytest
from bson import ObjectId
from bson.codec_options import CodecOptions

from dashboard.cli.progress import TerminalProgress
from dashboard.seed.dataset import COLLECTIONS, SeedRefused, SeedSummary, generate, seed_store
from dashboard.store.base import Store

END = datetime(2025, 3, 1, tzinfo=UTC)  # 14 months back covers December 2024
CATEGORIES = {"Food", "Groceries", "Transport", "Housing", "Utilities", "Entertainment", "Shopping",
              "Health", "Travel", "Education", "Subscriptions", "Other"}  # fmt: skip
ROUTES = {"/api/auth/login", "/api/auth/register", "/api/expenses", "/api/expenses/:id",
          "/api/expenses/stats", "/api/budgets", "/api/users/me", "/api/health"}  # fmt: skip
ANONYMOUS_ROUTES = {"/api/auth/login", "/api/auth/register", "/api/health"}
DEMO = {
    "demo-user": "user",
    "demo-product": "product",
    "demo-finance": "finance",
    "demo-admin": "admin",
}


class FakeStore:
    """Just enough of :class:`Store` for seeding: collections of documents in dicts."""

    def __init__(self) -> None:
        self.data: dict[str, list[dict[str, Any]]] = {}
        self.indexes: dict[str, list[tuple[Any, dict[str, Any]]]] = {}

    def insert_many(self, collection: str, documents: Sequence[Mapping[str, Any]]) -> list[Any]:
        docs = [dict(d) for d in documents]
        self.data.setdefault(collection, []).extend(docs)
        return [d["_id"] for d in docs]

    def count_documents(self, collection: str, filter: Mapping[str, Any]) -> int:
        assert filter == {}
        return len(self.data.get(collection, []))

    def delete_many(self, collection: str, filter: Mapping[str, Any]) -> int:
        assert filter == {}
        count = len(self.data.get(collection, []))
        self.data[collection] = []
        return count

    def drop_collection(self, collection: str) -> None:
        self.data.pop(collection, None)

    def list_collection_names(self) -> list[str]:
        return list(self.data)

    def find(
        self, collection: str, filter: Mapping[str, Any], *, limit: int = 0, **_: Any
    ) -> list[dict[str, Any]]:
        found = [
            d
            for d in self.data.get(collection, [])
            if all(d.get(k) == v for k, v in filter.items())
        ]
        return found[:limit] if limit else found

    def update_many(
        self,
        collection: str,
        filter: Mapping[str, Any],
        update: Mapping[str, Any],
        *,
        upsert: bool = False,
    ) -> int:
        assert set(update) == {"$set"}
        found = self.find(collection, filter)
        if not found and upsert:
            self.insert_many(collection, [{**filter, **update["$set"]}])
        for doc in found:
            doc.update(update["$set"])
        return len(found)

    def create_index(self, collection: str, keys: Any, **options: Any) -> str:
        self.indexes.setdefault(collection, []).append((keys, options))
        return "_".join(f"{f}_{d}" for f, d in keys)


def _seed(store: FakeStore, **options: Any) -> SeedSummary:
    return seed_store(cast(Store, store), **options)


@pytest.fixture(scope="module")
def seeded() -> tuple[dict[str, list[dict[str, Any]]], SeedSummary]:
    store = FakeStore()
    summary = _seed(store, users=50, months=14, seed=42, end=END)
    return {c: store.data[c] for c in COLLECTIONS}, summary  # the data set, without the marker


@pytest.fixture(scope="module")
def users_by_id(
    seeded: tuple[dict[str, list[dict[str, Any]]], SeedSummary],
) -> dict[ObjectId, dict[str, Any]]:
    return {u["_id"]: u for u in seeded[0]["users"]}


@pytest.fixture(scope="module")
def api_frame(seeded: tuple[dict[str, list[dict[str, Any]]], SeedSummary]) -> pl.DataFrame:
    rows = [
        {"ts": r["ts"], "status": r["status"], "latencyMs": r["latencyMs"]}
        for r in seeded[0]["api_requests"]
    ]
    return pl.DataFrame(rows)


def _all_datetimes(doc: Mapping[str, Any]) -> list[datetime]:
    return [v for v in doc.values() if isinstance(v, datetime)]


def test_counts_match_summary(seeded: tuple[dict[str, list[dict[str, Any]]], SeedSummary]) -> None:
    data, summary = seeded
    assert summary.users == len(data["users"]) == 54
    assert summary.expenses == len(data["expenses"]) > 0
    assert summary.budgets == len(data["budgets"]) > 0
    assert summary.api_requests == len(data["api_requests"]) > 0
    assert summary.end == END
    assert summary.start == datetime(2024, 1, 1, tzinfo=UTC)


def test_ids_unique_and_carry_creation_time(
    seeded: tuple[dict[str, list[dict[str, Any]]], SeedSummary],
) -> None:
    data, _ = seeded
    ids = [d["_id"] for docs in data.values() for d in docs]
    assert all(isinstance(i, ObjectId) for i in ids)
    assert len(set(ids)) == len(ids)
    created = {"users": "createdAt", "expenses": "createdAt", "api_requests": "ts"}
    for collection, field in created.items():
        for doc in data[collection]:
            assert doc["_id"].generation_time == doc[field].replace(microsecond=0)


def test_documents_survive_bson(
    seeded: tuple[dict[str, list[dict[str, Any]]], SeedSummary],
) -> None:
    """Documents are plain BSON types, equal to what pymongo (tz_aware=True) reads back."""
    options = CodecOptions(tz_aware=True)
    for docs in seeded[0].values():
        for doc in docs:
            assert bson.decode(bson.encode(doc), codec_options=options) == doc


def test_dates_within_period(seeded: tuple[dict[str, list[dict[str, Any]]], SeedSummary]) -> None:
    data, summary = seeded
    for docs in data.values():
        for doc in docs:
            for moment in _all_datetimes(doc):
                assert moment.tzinfo is not None
                assert moment.utcoffset() == timedelta(0)
                assert moment.microsecond % 1000 == 0  # BSON's millisecond precision
                assert summary.start <= moment <= summary.end


def test_expenses_follow_their_user(
    seeded: tuple[dict[str, list[dict[str, Any]]], SeedSummary],
    users_by_id: dict[ObjectId, dict[str, Any]],
) -> None:
    for expense in seeded[0]["expenses"]:
        user = users_by_id[expense["userId"]]
        assert expense["date"] >= user["createdAt"]
        assert (
            expense["date"] <= expense["createdAt"] <= expense["updatedAt"] <= user["lastActiveAt"]
        )
        assert expense["currency"] == user["currency"]
        assert "deletedAt" in expense
        assert expense["deletedAt"] is None or expense["deletedAt"] > expense["createdAt"]


def test_expense_fields(seeded: tuple[dict[str, list[dict[str, Any]]], SeedSummary]) -> None:
    expenses = seeded[0]["expenses"]
    for expense in expenses:
        amount = expense["amount"]
        assert isinstance(amount, float)
        assert amount > 0
        assert round(amount, 2) == amount
        assert expense["category"] in CATEGORIES
        assert isinstance(expense["description"], str) and expense["description"]
        assert expense["tags"] in ([], ["recurring"])
    deleted = sum(e["deletedAt"] is not None for e in expenses) / len(expenses)
    assert 0.005 < deleted < 0.05
    assert {e["category"] for e in expenses} == CATEGORIES
    recurring = {e["description"] for e in expenses if e["tags"]}
    assert {"Rent", "Electricity bill", "Netflix"} <= recurring


def test_users(seeded: tuple[dict[str, list[dict[str, Any]]], SeedSummary]) -> None:
    users = seeded[0]["users"]
    assert len({u["username"] for u in users}) == len(users)
    assert len({u["email"] for u in users}) == len(users)
    ordinary = [u for u in users if u["username"] not in DEMO]
    assert all(u["roles"] == ["user"] for u in ordinary)
    assert all("passwordHash" not in u and "mustChangePassword" not in u for u in ordinary)
    assert all(u["createdAt"] <= u["lastActiveAt"] for u in users)
    assert sum(u["timezone"] == "UTC" for u in users) >= 5
    assert len({u["timezone"] for u in users}) >= 4
    for user in users:
        if user["timezone"].startswith("America/"):
            assert user["currency"] in ("USD", "BRL")
        if user["timezone"] in ("Europe/Berlin", "Europe/Paris"):
            assert user["currency"] == "EUR"


def test_demo_accounts(
    seeded: tuple[dict[str, list[dict[str, Any]]], SeedSummary],
    users_by_id: dict[ObjectId, dict[str, Any]],
) -> None:
    data, summary = seeded
    accounts = {u["username"]: u for u in data["users"] if u["username"] in DEMO}
    assert set(accounts) == set(DEMO)
    for username, role in DEMO.items():
        account = accounts[username]
        assert account["roles"] == [role]
        assert account["mustChangePassword"] is False
        assert account["disabled"] is False
        assert account["passwordHash"].startswith("$2b$12$")
        assert bcrypt.checkpw(f"{username}-pass".encode(), account["passwordHash"].encode())
    assert not bcrypt.checkpw(b"demo-admin-pass", accounts["demo-user"]["passwordHash"].encode())
    demo = accounts["demo-user"]
    assert (demo["timezone"], demo["currency"], demo["createdAt"]) == (
        "America/Los_Angeles",
        "USD",
        summary.start,
    )
    owned = [e for e in data["expenses"] if e["userId"] == demo["_id"]]
    months = {(e["date"].year, e["date"].month) for e in owned}
    assert len(owned) > 14 * 25 and len(months) == 14
    assert any(b["userId"] == demo["_id"] for b in data["budgets"])
    others = {accounts[name]["_id"] for name in DEMO if name != "demo-user"}
    assert not any(e["userId"] in others for e in data["expenses"])


def test_recurring_bills_are_stable(
    seeded: tuple[dict[str, list[dict[str, Any]]], SeedSummary],
) -> None:
    data, _ = seeded
    demo = next(u for u in data["users"] if u["username"] == "demo-user")
    zone = ZoneInfo(demo["timezone"])
    rent = [
        e for e in data["expenses"] if e["userId"] == demo["_id"] and e["description"] == "Rent"
    ]
    assert len(rent) == 14
    assert len({e["amount"] for e in rent}) == 1
    assert {e["date"].astimezone(zone).day for e in rent} == {1}
    assert all(e["category"] == "Housing" and e["tags"] == ["recurring"] for e in rent)


def test_local_time_patterns(
    seeded: tuple[dict[str, list[dict[str, Any]]], SeedSummary],
    users_by_id: dict[ObjectId, dict[str, Any]],
) -> None:
    by_weekend: dict[bool, list[str]] = defaultdict(list)
    night = 0
    expenses = seeded[0]["expenses"]
    for expense in expenses:
        local = expense["date"].astimezone(ZoneInfo(users_by_id[expense["userId"]]["timezone"]))
        by_weekend[local.weekday() >= 5].append(expense["category"])
        night += 1 <= local.hour < 5
    assert night / len(expenses) < 0.02
    share = {k: v.count("Entertainment") / len(v) for k, v in by_weekend.items()}
    assert share[True] > 1.3 * share[False]
    per_day = {k: len(v) / (2 if k else 5) for k, v in by_weekend.items()}
    assert per_day[True] > per_day[False]


def test_activity_rates(
    seeded: tuple[dict[str, list[dict[str, Any]]], SeedSummary],
    users_by_id: dict[ObjectId, dict[str, Any]],
) -> None:
    data, summary = seeded
    spenders = [
        u for u in data["users"] if u["username"] not in DEMO or u["username"] == "demo-user"
    ]
    active_months = sum((u["lastActiveAt"] - u["createdAt"]).total_seconds() for u in spenders) / (
        30.44 * 86400
    )
    assert 22 <= len(data["expenses"]) / active_months <= 38
    assert 2.0 <= len(data["api_requests"]) / len(data["expenses"]) <= 3.5
    signups = sorted(u["createdAt"] for u in data["users"])
    span = summary.end - summary.start
    assert signups[len(signups) // 4] < summary.start + span / 4  # a launch cohort
    assert (
        sum(u["lastActiveAt"] < summary.end - timedelta(days=14) for u in data["users"]) >= 5
    )  # churn
    assert any(u["disabled"] for u in data["users"])
    budgeted = {b["userId"] for b in data["budgets"]}
    assert 0.45 <= len(budgeted) / len(spenders) <= 0.9
    for budget in data["budgets"]:
        month = budget["month"]
        assert (month.day, month.hour, month.minute, month.second, month.microsecond) == (
            1,
            0,
            0,
            0,
            0,
        )
        assert budget["limit"] > 0 and round(budget["limit"], 2) == budget["limit"]
    per_month: dict[tuple[ObjectId, datetime], int] = defaultdict(int)
    for budget in data["budgets"]:
        per_month[budget["userId"], budget["month"]] += 1
    assert set(per_month.values()) <= {2, 3, 4, 5}


def test_api_requests_shape(
    seeded: tuple[dict[str, list[dict[str, Any]]], SeedSummary],
    users_by_id: dict[ObjectId, dict[str, Any]],
) -> None:
    data, _ = seeded
    for request in data["api_requests"]:
        assert request["method"] in ("GET", "POST", "PUT", "DELETE")
        assert request["route"] in ROUTES
        assert request["status"] in (200, 201, 204, 400, 401, 404, 429, 500, 503)
        assert isinstance(request["latencyMs"], float) and isinstance(request["dbMs"], float)
        assert 0 <= request["dbMs"] < request["latencyMs"]
        assert isinstance(request["bytes"], int) and request["bytes"] >= 0
        if request["route"] in ANONYMOUS_ROUTES:
            assert request["userId"] is None
        else:
            user = users_by_id[request["userId"]]
            assert user["createdAt"] <= request["ts"] <= user["lastActiveAt"]
    posts = sum(
        r["method"] == "POST" and r["route"] == "/api/expenses" for r in data["api_requests"]
    )
    assert posts >= len(data["expenses"])
    latency: dict[str, list[float]] = defaultdict(list)
    for request in data["api_requests"]:
        latency[request["route"]].append(request["latencyMs"])
    stats = statistics.median(latency["/api/expenses/stats"])
    assert stats > 2 * max(
        statistics.median(latency[r]) for r in ("/api/expenses", "/api/users/me")
    )


def test_slow_day(
    seeded: tuple[dict[str, list[dict[str, Any]]], SeedSummary], api_frame: pl.DataFrame
) -> None:
    _, summary = seeded
    span = summary.end - summary.start
    slow_start = datetime(
        summary.slow_day.year, summary.slow_day.month, summary.slow_day.day, tzinfo=UTC
    )
    assert slow_start >= summary.start + span * 2 / 3
    assert slow_start + timedelta(days=1) <= summary.end
    daily = api_frame.group_by(pl.col("ts").dt.date().alias("day")).agg(
        pl.col("latencyMs").median().alias("median"), pl.len().alias("requests")
    )
    slow = daily.filter(pl.col("day") == summary.slow_day)["median"].item()
    others = daily.filter(pl.col("day") != summary.slow_day)
    assert slow > 3 * others["median"].median()
    assert slow > others.filter(pl.col("requests") >= 30)["median"].max()


def test_error_burst(
    seeded: tuple[dict[str, list[dict[str, Any]]], SeedSummary], api_frame: pl.DataFrame
) -> None:
    _, summary = seeded
    begin, end = summary.error_burst
    assert timedelta(minutes=30) <= end - begin <= timedelta(minutes=60)
    assert summary.start <= begin < end <= summary.end
    inside = pl.col("ts").is_between(begin, end, closed="left")
    error = (pl.col("status") >= 500).cast(pl.Float64)
    rates = api_frame.group_by(inside.alias("inside")).agg(error.mean().alias("rate"), pl.len())
    rate = {row["inside"]: row["rate"] for row in rates.iter_rows(named=True)}
    assert rates.filter(pl.col("inside"))["len"].item() >= 30
    assert rate[True] > 0.3
    assert rate[True] > 20 * rate[False]


def test_december_peak(seeded: tuple[dict[str, list[dict[str, Any]]], SeedSummary]) -> None:
    data, summary = seeded
    usd = {u["_id"]: u for u in data["users"] if u["currency"] == "USD"}
    totals: dict[tuple[int, int], float] = defaultdict(float)
    for expense in data["expenses"]:
        if expense["userId"] in usd and expense["deletedAt"] is None:
            totals[expense["date"].year, expense["date"].month] += expense["amount"]
    per_user = {}
    for year, month in totals:
        first = datetime(year, month, 1, tzinfo=UTC)
        following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        if first < summary.start or following > summary.end:
            continue
        active = sum(
            u["createdAt"] < following and u["lastActiveAt"] >= first for u in usd.values()
        )
        per_user[year, month] = totals[year, month] / active
    assert per_user[2024, 12] > 1.1 * statistics.median(per_user.values())


def _by_collection(batches: list[tuple[str, list[dict[str, Any]]]]) -> dict[str, list[Any]]:
    return {c: [d for name, docs in batches if name == c for d in docs] for c in COLLECTIONS}


def test_deterministic() -> None:
    first = list(generate(users=12, months=3, seed=7, end=END))
    again = list(generate(users=12, months=3, seed=7, end=END, batch_size=500))
    assert _by_collection(first) == _by_collection(again)
    assert all(len(docs) <= 500 for _, docs in again)
    assert next(name for name, _ in first) == "users"
    other = _by_collection(list(generate(users=12, months=3, seed=8, end=END)))
    assert other["expenses"] != _by_collection(first)["expenses"]
    assert {d["_id"] for d in other["users"]}.isdisjoint(
        d["_id"] for d in _by_collection(first)["users"]
    )


def test_refuses_non_empty_store_and_reset_replaces() -> None:
    store = FakeStore()
    store.insert_many("api_requests", [{"_id": 1}])
    store.insert_many("other", [{"_id": 1}])
    with pytest.raises(SeedRefused, match="api_requests") as refused:
        _seed(store, users=3, months=1, end=END)
    assert isinstance(refused.value, ValueError)
    assert store.data["api_requests"] == [{"_id": 1}]
    summary = _seed(store, users=3, months=1, end=END, reset=True)
    assert store.data["other"] == [{"_id": 1}]
    assert {c: len(store.data[c]) for c in COLLECTIONS} == {
        "users": summary.users, "expenses": summary.expenses,
        "budgets": summary.budgets, "api_requests": summary.api_requests,
    }  # fmt: skip
    with pytest.raises(SeedRefused, match="users, expenses"):
        _seed(store, users=3, months=1, end=END)
    again = _seed(store, users=3, months=1, seed=5, end=END, reset=True)
    assert len(store.data["users"]) == again.users == 7


def test_progress_reports_totals() -> None:
    calls: list[tuple[str, int, int | None]] = []
    summary = _seed(FakeStore(), users=5, months=2, end=END, progress=lambda *a: calls.append(a))
    assert [c[0] for c in calls[:4]] == list(COLLECTIONS) and all(c[1] == 0 for c in calls[:4])
    final = {name: (done, total) for name, done, total in calls}
    assert final["expenses"] == (summary.expenses, summary.expenses)
    assert final["api_requests"] == (summary.api_requests, summary.api_requests)


def test_terminal_progress_draws_one_line() -> None:
    stream = io.StringIO()
    stream.isatty = lambda: True  # type: ignore[method-assign]
    ticks = iter(range(100))
    progress = TerminalProgress(stream=stream, clock=lambda: next(ticks) * 0.05)
    progress("users", 0, 10)
    progress("expenses", 0, 90)
    progress("expenses", 45, 90)
    progress("users", 10, 10)
    progress("expenses", 90, 90)
    text = stream.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1
    assert "100%" in text and "90/90" in text and "/s" in text
    progress.close()
    assert stream.getvalue() == text


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="months"):
        generate(users=5, months=0, end=END)
    with pytest.raises(ValueError, match="users"):
        generate(users=-1, months=2, end=END)
    with pytest.raises(ValueError, match="batch_size"):
        generate(users=5, months=2, end=END, batch_size=0)


def test_grouping_an_empty_chunk_yields_nothing() -> None:
    """A chunk of users with no spending of a kind (seen with 2,000 users over 12 months)."""
    import numpy as np

    from dashboard.seed.events import _groups

    assert list(_groups(np.array([], dtype=np.int64))) == []


def test_the_marker_is_written_first_and_completed_last_after_the_indexes() -> None:
    """A seed killed at any point leaves a store that says it is incomplete (issue 15 #8)."""
    events: list[str] = []

    class Recording(FakeStore):
        def insert_many(self, collection: str, documents: Sequence[Mapping[str, Any]]) -> list[Any]:
            events.append(f"insert {collection}")
            return super().insert_many(collection, documents)

        def update_many(
            self, collection: str, filter: Mapping[str, Any], update: Any, **kw: Any
        ) -> int:
            events.append(f"marker complete={update['$set']['complete']}")
            return super().update_many(collection, filter, update, **kw)

        def create_index(self, collection: str, keys: Any, **options: Any) -> str:
            events.append("index")
            return super().create_index(collection, keys, **options)

    store = Recording()
    _seed(store, users=3, months=1, seed=4, end=END)
    assert events[0] == "marker complete=False"
    assert events[-1] == "marker complete=True"
    assert events.index("index") > max(i for i, e in enumerate(events) if e.startswith("insert"))
    (marker,) = store.data["spendlens_seed"]
    assert marker["complete"] is True
    assert (marker["users"], marker["months"], marker["seed"], marker["end"]) == (3, 1, 4, END)
    unique = {
        tuple(k) for k, o in (i for ixs in store.indexes.values() for i in ixs) if o.get("unique")
    }
    assert {(("username", 1),), (("email", 1),)} <= unique
