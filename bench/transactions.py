"""The transactions table for a user with 100,000 expenses among 1,000,000: server-side paging.

    python bench/transactions.py [--rows 100000] [--others 900000] [--runs 20]

Each figure is the median and p95 of ``fetch_page`` with the cache cleared before every call (so it
is the store's work), next to the same page computed by handwritten Polars over the same frame.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import bson
import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._stats import HEADER, measure
from dashboard.cache import MemoryCache
from dashboard.core.identity import AuthUser
from dashboard.core.periods import Period
from dashboard.core.settings import Settings
from dashboard.data.indexes import ensure_indexes
from dashboard.data.runner import Runner
from dashboard.store import connect
from dashboard.views.transactions import fetch_page
from queries.transactions import TransactionFilter

WORDS = ["Coffee", "Lunch", "Rent", "Uber ride", "Netflix", "Groceries", "Train ticket", "Pharmacy"]
CATEGORIES = ["Food", "Housing", "Transport", "Subscriptions", "Groceries", "Health"]


def _documents(user_ids: np.ndarray, rng: np.random.Generator) -> list[dict]:
    n = len(user_ids)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    seconds = rng.integers(0, 700 * 86400, n)
    amounts = np.round(rng.lognormal(3, 1, n), 2)
    words = rng.integers(0, len(WORDS), n)
    cats = rng.integers(0, len(CATEGORIES), n)
    return [
        {
            "userId": uid,
            "amount": float(a),
            "currency": "USD",
            "category": CATEGORIES[c],
            "description": WORDS[w],
            "tags": [],
            "date": start + dt.timedelta(seconds=int(s)),
            "createdAt": start,
            "updatedAt": start,
            "deletedAt": None,
        }
        for uid, a, w, c, s in zip(user_ids, amounts, words, cats, seconds, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--others", type=int, default=900_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(5)
    store = connect("memory://")
    ensure_indexes(store)
    heavy = bson.ObjectId()
    others = np.array([bson.ObjectId() for _ in range(5000)], dtype=object)
    docs = _documents(np.array([heavy] * args.rows, dtype=object), rng)
    docs += _documents(others[rng.integers(0, len(others), args.others)], rng)
    for i in range(0, len(docs), 100_000):
        store.insert_many("expenses", docs[i : i + 100_000])
    user = AuthUser(id=heavy, username="heavy", name="Heavy", email=None, roles=("user",))
    cache = MemoryCache()
    runner = Runner(store=store, cache=cache, settings=Settings())
    period = Period(dt.date(2025, 1, 1), dt.date(2026, 12, 31))
    frame = store.aggregate_frame("expenses", [{"$match": {"userId": heavy}}])  # baseline input

    def cold(**kw: object) -> object:
        cache.invalidate_all()
        return fetch_page(runner, user, kw.pop("f", TransactionFilter(period=period)), **kw)  # type: ignore[arg-type]

    def polars_page(sort: str, desc: bool, page: int, needle: str | None = None) -> pl.DataFrame:
        rows = frame.filter(pl.col("deletedAt").is_null())
        if needle:
            rows = rows.filter(pl.col("description").str.to_lowercase().str.contains(needle))
        return rows.sort([sort, "_id"], descending=[desc, desc]).slice((page - 1) * 50, 50)

    cases = [
        ("page 1, newest first", {}, ("date", True, 1, None)),
        ("page 1,000, newest first", {"page": 1000}, ("date", True, 1000, None)),
        ("page 1, largest amount first", {"sort_by": "amount"}, ("amount", True, 1, None)),
        (
            "search 'coffee', page 1",
            {"f": TransactionFilter(period=period, search="coffee")},
            ("date", True, 1, "coffee"),
        ),
    ]
    print(f"{args.rows:,} expenses for one user among {args.rows + args.others:,}\n")
    print(HEADER)
    for name, kw, base in cases:
        baseline = measure(
            f"{name} (handwritten Polars)", lambda base=base: polars_page(*base), runs=args.runs
        )
        timing = measure(name, lambda kw=kw: cold(**dict(kw)), runs=args.runs)
        print(baseline.row())
        print(timing.row("fast at 100,000+ rows", baseline))


if __name__ == "__main__":
    main()
