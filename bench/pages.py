"""The spending pages with 1,000,000 expenses: each page's script run, cold and warm cache.

    python bench/pages.py [--data DIR] [--quick] [--json out.json]

Data: an embedded store in ``--data`` (default ``/tmp/spendlens-bench-pages/data``), seeded with the
demo data set (``python -m dashboard seed``: 6,600 users over 12 months ending today, then the
production indexes) only when it holds no users, so later runs reuse it. That writes about 1,024,000
expenses; the first read runs the TTL index's sweep (expenses soft-deleted more than 30 days ago),
which leaves just over 1,000,000. ``--quick`` uses its own directory with 660 users (about 100,000
expenses) and fewer runs, to check the script.

Users: the *typical* user (median expense count among the enabled users with the ``user`` role)
and the user with the *largest* history (most expenses). Accounts without a password get
``bench-pass-1!`` (a bcrypt hash with 4 rounds) in this data directory only.

Method: ``AppTest.from_file("app.py")`` logs in through the form, then each page runs with
``at.switch_page(page).run()``. **Cold**: the process-wide result cache
(``dashboard.app.resources.get_cache(settings)``) is emptied with ``invalidate_all()`` before every run, so
every query reaches the store; **warm**: the same run again, every query answered by the cache. Each
figure is the median and p95 (``bench/_stats.py``) next to two references measured in the same
process on the same data:

- **store queries**: the page's own queries (recorded from a cold run of the page) sent straight to
  the store, without the cache: the engine's share of a cold run;
- **handwritten Polars** (the baseline column): the same query results computed by handwritten
  Polars (``filter`` + ``group_by`` + ``sort``) from the user's expenses and budgets as in-memory
  DataFrames, checked equal to the store's results before timing.

What is left of a run after the queries is Streamlit (script run, widgets, Plotly figures) and the
pages' Polars shaping. Environment variables ``MONGODB_URI`` and ``REDIS_URL`` are ignored: this
measures the embedded engine and the in-process cache.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import statistics
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import bson
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._app import (  # noqa: E402
    APP,
    check_page,
    login,
    machine_info,
    machine_line,
    record_queries,
    seed_if_empty,
)
from bench._stats import HEADER, Timing, measure  # noqa: E402
from dashboard.store import connect  # noqa: E402

PAGES = {
    "home": ("pages/common/home.py", "Welcome"),
    "overview": ("pages/spending/overview.py", "Overview"),
    "categories": ("pages/spending/categories.py", "Categories"),
    "budgets": ("pages/spending/budgets.py", "Budgets"),
    "transactions": ("pages/spending/transactions.py", "Transactions"),
    "insights": ("pages/spending/insights.py", "Insights"),
}
COLD_TARGET_MS, WARM_TARGET_MS = 2000.0, 300.0
BENCH_PASSWORD = "bench-pass-1!"  # a benchmark account, bench data only
DEMO_PASSWORDS = {"demo-user": "demo-user-pass"}
MS_UTC = pl.Datetime("ms", "UTC")


# -- data -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BenchUser:
    label: str  # "typical" or "largest"
    id: str
    username: str
    password: str
    timezone: str
    expenses: int


def _ensure_indexes(uri: str) -> None:
    """The production indexes (a no-op when present): the embedded engine slices a user's rows by
    the first one, so without them every query would scan all expenses."""
    from dashboard.data.indexes import ensure_indexes

    with connect(uri) as store:
        ensure_indexes(store)


def _pick_users(uri: str) -> tuple[list[BenchUser], dict[str, int]]:
    """The typical and the largest user; gives them a password if they have none (bench data only)."""
    with connect(uri) as store:
        counts = store.aggregate_frame(
            "expenses",
            [
                {"$match": {"deletedAt": None}},
                {"$group": {"_id": "$userId", "n": {"$sum": 1}}},
            ],
            schema={"_id": pl.String, "n": pl.Int64},
        )
        people = store.aggregate_frame(
            "users",
            [{"$project": {"_id": 1, "username": 1, "roles": 1, "disabled": 1, "timezone": 1}}],
            schema={
                "_id": pl.String,
                "username": pl.String,
                "roles": pl.List(pl.String),
                "disabled": pl.Boolean,
                "timezone": pl.String,
            },
        )
        pool = (
            people.filter(
                pl.col("roles").list.contains("user"), ~pl.col("disabled").fill_null(False)
            )
            .join(counts, on="_id", how="left")
            .with_columns(pl.col("n").fill_null(0))
            .sort("n", "username")
        )
        sizes = {
            "users": people.height,
            "expenses": store.count_documents("expenses", {}),
            "live_expenses": int(counts["n"].sum()),
            "budgets": store.count_documents("budgets", {}),
        }
        chosen = {
            "typical": pool.row((pool.height - 1) // 2, named=True),
            "largest": pool.row(-1, named=True),
        }
        picked = []
        for label, row in chosen.items():
            password = DEMO_PASSWORDS.get(row["username"], BENCH_PASSWORD)
            doc = store.find("users", {"username": {"$eq": row["username"]}}, limit=1)[0]
            stored = doc.get("passwordHash")
            if not stored or not bcrypt.checkpw(password.encode(), stored.encode()):
                hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
                store.update_many(
                    "users",
                    {"username": {"$eq": row["username"]}},
                    {"$set": {"passwordHash": hashed, "mustChangePassword": False}},
                )
            picked.append(
                BenchUser(label, row["_id"], row["username"], password, row["timezone"], row["n"])
            )
        return picked, sizes


def _user_frames(uri: str, user_id: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """All of one user's expenses (soft-deleted ones too) and budgets, as plain DataFrames."""
    oid = bson.ObjectId(user_id)
    with connect(uri) as store:
        rows = store.aggregate_frame(
            "expenses",
            [
                {"$match": {"userId": oid}},
                {
                    "$project": {
                        "_id": 0,
                        "id": {"$toString": "$_id"},
                        "date": 1,
                        "amount": 1,
                        "category": 1,
                        "description": 1,
                        "currency": 1,
                        "deletedAt": 1,
                    }
                },
            ],
            schema={
                "id": pl.String,
                "date": MS_UTC,
                "amount": pl.Float64,
                "category": pl.String,
                "description": pl.String,
                "currency": pl.String,
                "deletedAt": MS_UTC,
            },
        )
        budgets = store.aggregate_frame(
            "budgets",
            [
                {"$match": {"userId": oid}},
                {"$project": {"_id": 0, "month": 1, "category": 1, "limit": 1}},
            ],
            schema={"month": MS_UTC, "category": pl.String, "limit": pl.Float64},
        )
    return rows, budgets


# -- the handwritten Polars baseline -----------------------------------------------------------------
class Unsupported(Exception):
    """A recorded query this baseline has no handwritten equivalent for."""


def _find_key(value: Any, key: str) -> Any:
    if isinstance(value, Mapping):
        if key in value:
            return value[key]
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            found = _find_key(item, key)
            if found is not None:
                return found
    return None


def _stage(pipeline: Sequence[Mapping[str, Any]], name: str) -> Any:
    return next((s[name] for s in pipeline if name in s), None)


class Handwritten:
    """The page queries' results, computed with plain Polars from one user's frames."""

    def __init__(self, rows: pl.DataFrame, budgets: pl.DataFrame, timezone: str) -> None:
        self.rows, self.budgets, self.tz = rows, budgets, timezone

    def _matched(self, match: Mapping[str, Any]) -> pl.LazyFrame:
        conditions = [pl.col("deletedAt").is_null()]
        for name, cond in match.items():
            if name in ("userId", "deletedAt"):
                continue
            if name not in ("date", "category", "amount") or not isinstance(cond, Mapping):
                raise Unsupported(name)
            for op, value in cond.items():
                col = pl.col(name)
                expr = {
                    "$gte": lambda c, v: c >= v,
                    "$gt": lambda c, v: c > v,
                    "$lt": lambda c, v: c < v,
                    "$lte": lambda c, v: c <= v,
                    "$eq": lambda c, v: c == v,
                    "$in": lambda c, v: c.is_in(list(v)),
                }.get(op)
                if expr is None:
                    raise Unsupported(f"{name}.{op}")
                conditions.append(expr(col, value))
        return self.rows.lazy().filter(*conditions)

    def _local(self) -> pl.Expr:
        return pl.col("date").dt.convert_time_zone(self.tz)

    def _bucket(self, unit: str, week_start: str | None) -> pl.Expr:
        local = self._local()
        if unit == "week":
            names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
            shift = names.index((week_start or "sunday").lower())
            start = local.dt.offset_by(f"-{shift}d").dt.truncate("1w").dt.offset_by(f"{shift}d")
        else:
            start = local.dt.truncate({"day": "1d", "month": "1mo"}[unit])
        return start.dt.convert_time_zone("UTC").alias("bucket")

    def run(self, name: str, pipeline: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
        match = pipeline[0]["$match"]
        total = pl.col("amount").sum().alias("total")
        count = pl.len().cast(pl.Int64).alias("count")
        if name == "budgets.between":
            month = match.get("month", {})
            return (
                self.budgets.lazy()
                .filter(pl.col("month") >= month["$gte"], pl.col("month") <= month["$lte"])
                .select("month", "category", "limit")
                .sort("month", "category")
                .collect()
            )
        lf = self._matched(match)
        kind, _, unit = name.removeprefix("spending.").partition(".")
        if name == "profile.my_summary":
            out = lf.select(
                pl.len().cast(pl.Int64).alias("expenses"),
                total,
                pl.col("date").min().alias("first"),
                pl.col("date").max().alias("last"),
            ).filter(pl.col("expenses") > 0)
        elif name == "spending.categories":
            out = lf.select(pl.col("category").unique().sort())
        elif kind == "totals":
            out = lf.select(total, count, pl.col("amount").max().alias("largest"))
            out = out.filter(pl.col("count") > 0)
        elif kind == "by_category":
            out = lf.group_by("category").agg(total, count)
            out = out.sort(["total", "category"], descending=[True, False])
        elif kind == "over_time":
            week = _find_key(pipeline, "startOfWeek")
            out = lf.group_by(self._bucket(unit, week)).agg(total, count).sort("bucket")
        elif kind == "by_category_over_time":
            week = _find_key(pipeline, "startOfWeek")
            out = lf.group_by(self._bucket(unit, week), "category").agg(total)
            out = out.sort("bucket", "category")
        elif kind == "by_weekday":
            out = lf.group_by(self._local().dt.weekday().alias("weekday")).agg(total, count)
            out = out.sort("weekday")
        elif kind == "by_hour":
            out = lf.group_by(self._local().dt.hour().alias("hour")).agg(total, count).sort("hour")
        elif kind == "top_descriptions":
            out = lf.group_by("description").agg(total, count)
            out = out.sort(["total", "description"], descending=[True, False])
            out = out.head(int(_stage(pipeline, "$limit")))
        elif kind == "expense_rows":
            out = lf.sort("date", maintain_order=True)
            out = out.select("id", "date", "category", "description", "amount")
        elif name == "transactions.count":
            out = lf.select(pl.len().cast(pl.Int64).alias("n")).filter(pl.col("n") > 0)
        elif name == "transactions.page":
            (field_name, direction), _ = _stage(pipeline, "$sort").items()
            skip, limit = int(_stage(pipeline, "$skip") or 0), int(_stage(pipeline, "$limit"))
            out = lf.sort([field_name, "id"], descending=direction < 0).slice(skip, limit)
            out = out.select("id", "date", "category", "description", "amount", "currency")
        else:
            raise Unsupported(name)
        return out.collect()


def _same(engine: pl.DataFrame, mine: pl.DataFrame) -> bool:
    """Same rows, up to order and float rounding: equal heights, sums and sorted values."""
    if engine.height != mine.height or set(engine.columns) != set(mine.columns):
        return False
    for name in engine.columns:
        a, b = engine[name], mine[name]
        if a.dtype.is_numeric():
            if not math.isclose(a.sum() or 0, b.sum() or 0, rel_tol=1e-9, abs_tol=1e-6):
                return False
        elif a.cast(pl.String).sort().to_list() != b.cast(pl.String).sort().to_list():
            return False
    return True


# -- the pages --------------------------------------------------------------------------------------
@dataclass
class PageResult:
    page: str
    user: str
    queries: int
    cold: Timing
    warm: Timing
    store: Timing
    polars: Timing | None
    unsupported: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    #: queries whose first stage does not pin ``userId`` (they scan every user's rows)
    unscoped: list[str] = field(default_factory=list)
    #: queries the page sent more than once in one cold run
    repeated: list[str] = field(default_factory=list)

    @property
    def meets(self) -> bool:
        return self.cold.p95_ms < COLD_TARGET_MS and self.warm.p95_ms < WARM_TARGET_MS


def bench_user(user: BenchUser, frames: tuple[pl.DataFrame, pl.DataFrame], args: Any) -> dict:
    from streamlit.testing.v1 import AppTest

    from dashboard.app.resources import get_cache, get_settings, get_store

    at = AppTest.from_file(APP, default_timeout=300)
    form_ms, login_ms = login(at, user.username, user.password)
    settings = get_settings()
    cache, store = get_cache(settings), get_store(settings)
    handwritten = Handwritten(*frames, user.timezone)

    results = []
    for page, (path, title) in PAGES.items():
        at.switch_page(path).run()  # the script's first run compiles it: not measured
        check_page(at, path, title)

        def cold(path: str = path) -> None:
            cache.invalidate_all()
            at.switch_page(path).run()

        sent = record_queries(store, cold)
        check_page(at, path, title)
        name = f"{page} · {user.label}"
        cold_t = measure(f"{name} · cold", cold, runs=args.cold_runs, warmup=1)
        check_page(at, path, title)
        warm_t = measure(
            f"{name} · warm", lambda path=path: at.switch_page(path).run(), runs=args.warm_runs
        )
        check_page(at, path, title)

        def replay(sent: list = sent) -> None:
            for collection, pipeline, kw in sent:
                store.aggregate_frame(collection, pipeline, **kw)

        store_t = measure(
            f"{name} · store queries, no cache ({len(sent)})", replay, runs=args.warm_runs
        )
        unscoped = [
            kw.get("comment") or c
            for c, p, kw in sent
            if not (p and "userId" in (p[0].get("$match") or {}))
        ]
        keys = [(c, repr(p)) for c, p, _ in sent]
        repeated = sorted(
            {
                kw.get("comment") or c
                for (c, _, kw), k in zip(sent, keys, strict=True)
                if keys.count(k) > 1
            }
        )
        unsupported, mismatched, jobs = [], [], []
        for collection, pipeline, kw in sent:
            label = kw.get("comment") or collection
            try:
                mine = handwritten.run(label, pipeline)
            except Unsupported:
                unsupported.append(label)
                continue
            if not _same(store.aggregate_frame(collection, pipeline, **kw), mine):
                mismatched.append(label)
            jobs.append((label, pipeline))
        polars_t = None
        if jobs:
            polars_t = measure(
                f"{name} · handwritten Polars",
                lambda jobs=jobs: [handwritten.run(label, p) for label, p in jobs],
                runs=args.warm_runs,
            )
        results.append(
            PageResult(
                page,
                user.label,
                len(sent),
                cold_t,
                warm_t,
                store_t,
                polars_t,
                unsupported,
                mismatched,
                unscoped,
                repeated,
            )
        )
        print(
            f"  {page:<12} cold {cold_t.median_ms:7.1f} ms  warm {warm_t.median_ms:6.1f} ms  "
            f"store {store_t.median_ms:6.1f} ms  ({len(sent)} queries)",
            flush=True,
        )
    return {"form_ms": form_ms, "login_ms": login_ms, "pages": results}


# -- report -----------------------------------------------------------------------------------------
def _fmt(t: Timing | None) -> str:
    return f"{t.median_ms:.1f} / {t.p95_ms:.1f}" if t else "n/a"


def report(machine: dict, sizes: dict, users: list[BenchUser], runs: dict, args: Any) -> str:
    lines = [
        machine_line(machine),
        f"Data: {args.data}: {sizes['users']:,} users, {sizes['expenses']:,} expenses "
        f"({sizes['live_expenses']:,} not soft-deleted), {sizes['budgets']:,} budgets.",
        "Users: "
        + "; ".join(
            f"{u.label} = {u.username} ({u.expenses:,} expenses, {u.timezone})" for u in users
        )
        + ".",
        f"Runs: {args.cold_runs} cold, {args.warm_runs} warm per page and user (after one "
        "untimed run of each); default filters (last 12 months, all categories).",
        "",
        "| page | user | queries | cold median / p95 ms | warm median / p95 ms | "
        "store queries, no cache | handwritten Polars (baseline) | targets |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for page in PAGES:
        for user in users:
            r = next(p for p in runs[user.label]["pages"] if p.page == page)
            lines.append(
                f"| {page} | {user.label} | {r.queries} | **{_fmt(r.cold)}** | **{_fmt(r.warm)}** "
                f"| {_fmt(r.store)} | {_fmt(r.polars)} | {'met' if r.meets else '**missed**'} |"
            )
    lines += [
        "",
        "Targets: every page's script run under 2,000 ms with a cold cache and under 300 ms warm "
        "(checked on the p95).",
        "",
        "Once per user, not part of the targets: the login form's run and the login submit, which "
        "checks the password (bcrypt) and runs the home page; for the first user these are the "
        "process's first runs, when the store opens and loads the collections from disk: "
        + "; ".join(
            f"{u.label}: form {runs[u.label]['form_ms']:.0f} ms, submit + home "
            f"{runs[u.label]['login_ms']:.0f} ms"
            for u in users
        )
        + ".",
    ]
    notes = [
        f"{r.page} ({u.label}): no handwritten equivalent for {', '.join(r.unsupported)}"
        for u in users
        for r in runs[u.label]["pages"]
        if r.unsupported
    ] + [
        f"{r.page} ({u.label}): handwritten result differs for {', '.join(r.mismatched)}"
        for u in users
        for r in runs[u.label]["pages"]
        if r.mismatched
    ]
    notes += [
        f"{r.page} ({u.label}): {what} {', '.join(names)}"
        for u in users
        for r in runs[u.label]["pages"]
        for what, names in (
            ("first stage does not pin userId (scans all users):", r.unscoped),
            ("the same query sent twice in one run:", r.repeated),
        )
        if names
    ]
    if notes:
        lines += ["", *[f"- {n}" for n in notes]]
    if not any(r.unscoped or r.repeated for run in runs.values() for r in run["pages"]):
        lines += [
            "",
            "Every query of every page starts with a `$match` that pins `userId` (the engine reads "
            "only the user's rows); no page sent the same query twice in a run.",
        ]
    lines += [
        "",
        "Every measurement (`bench/_stats.py` format, baseline = handwritten Polars):",
        "",
    ]
    lines.append(HEADER)
    for user in users:
        for r in runs[user.label]["pages"]:
            lines.append(r.cold.row(f"< {COLD_TARGET_MS:,.0f} ms", r.polars))
            lines.append(r.warm.row(f"< {WARM_TARGET_MS:,.0f} ms", r.polars))
            lines.append(r.store.row("", r.polars))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=None, help="embedded store directory")
    parser.add_argument("--quick", action="store_true", help="100,000 expenses, fewer runs")
    parser.add_argument("--users", type=int, default=None, help="users to seed (empty store only)")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument(
        "--end", type=dt.date.fromisoformat, default=None, help="seed's last day (default: today)"
    )
    parser.add_argument("--cold-runs", type=int, default=None)
    parser.add_argument("--warm-runs", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also save the figures here")
    args = parser.parse_args()
    base = Path("/tmp/spendlens-bench-pages")
    args.data = (args.data or base / ("quick" if args.quick else "data")).resolve()
    args.users = args.users or (660 if args.quick else 6600)
    args.cold_runs = args.cold_runs or (3 if args.quick else 10)
    args.warm_runs = args.warm_runs or (5 if args.quick else 20)
    end = args.end or dt.datetime.now(dt.UTC).date()

    for name in ("MONGODB_URI", "REDIS_URL"):
        os.environ.pop(name, None)
    os.environ["SPENDLENS_DATA_DIR"] = str(args.data)
    machine = machine_info()
    uri = f"embedded://{args.data}"
    args.data.mkdir(parents=True, exist_ok=True)
    seed_if_empty(uri, users=args.users, months=args.months, end=end)
    _ensure_indexes(uri)
    users, sizes = _pick_users(uri)
    frames = {u.label: _user_frames(uri, u.id) for u in users}
    print(
        f"{sizes['expenses']:,} expenses; users: "
        + ", ".join(f"{u.label} {u.username} ({u.expenses})" for u in users),
        flush=True,
    )

    runs = {}
    for user in users:
        print(f"{user.label}: {user.username}", flush=True)
        runs[user.label] = bench_user(user, frames[user.label], args)
    machine["load_after"] = os.getloadavg()
    text = report(machine, sizes, users, runs, args)
    print()
    print(text)
    if args.json:
        payload = {
            "machine": machine,
            "sizes": sizes,
            "users": [asdict(u) | {"password": None} for u in users],
            "runs": {
                label: {
                    "form_ms": run["form_ms"],
                    "login_ms": run["login_ms"],
                    "pages": [asdict(p) for p in run["pages"]],
                }
                for label, run in runs.items()
            },
            "median_of_cold_medians_ms": statistics.median(
                p.cold.median_ms for run in runs.values() for p in run["pages"]
            ),
        }
        args.json.write_text(json.dumps(payload, indent=1, default=str))
    missed = [
        f"{p.page} ({label})" for label, run in runs.items() for p in run["pages"] if not p.meets
    ]
    if missed:
        print(f"\nMISSED the targets: {', '.join(missed)}")


if __name__ == "__main__":
    main()
