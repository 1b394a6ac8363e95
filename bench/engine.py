"""Benchmark of the embedded engine against the same queries handwritten in Polars.

    python bench/engine.py            # the full run behind docs/performance.md (~10 minutes)
    python bench/engine.py --quick    # smaller data and fewer runs, to check the script works

Data: N expenses for N/100 users, generated vectorised with numpy, loaded with ``insert_many`` into
an embedded store (``embedded:///tmp/...``) with the production indexes (dashboard/indexes.py). Every
timing is repeated (``--runs``, ≥ 20 in the full run) after warm-up runs, and reported as median and
p95 next to a baseline measured in the same process on the same data: a plain Polars DataFrame and a
handwritten ``filter`` + ``group_by`` + ``sort``. Prints a Markdown table; ``--json`` saves the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bson
import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.data.indexes import INDEXES  # noqa: E402
from dashboard.store import connect  # noqa: E402
from dashboard.store.embedded import EmbeddedStore  # noqa: E402

CATEGORIES = ["Food", "Groceries", "Transport", "Housing", "Utilities", "Entertainment",
              "Shopping", "Health", "Travel", "Education", "Subscriptions", "Other"]  # fmt: skip
WORDS = ["coffee", "lunch", "taxi", "rent", "power bill", "cinema", "shoes", "pharmacy", "flight",
         "course", "streaming", "gift", "bakery", "fuel", "internet", "books"]  # fmt: skip
END = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
START = END - dt.timedelta(days=730)
WINDOW = (END - dt.timedelta(days=365), END)
CHUNK = 100_000


# -- data -------------------------------------------------------------------------------------------
class Data:
    """Columns of ``n`` expenses as numpy arrays (the same values feed the store and the baseline)."""

    def __init__(self, n: int, users: int, seed: int = 1) -> None:
        rng = np.random.default_rng(seed)
        self.n = n
        self.user_ids = [bson.ObjectId(rng.bytes(12)) for _ in range(users)]
        self.user = rng.integers(0, users, n)
        self.amount = np.round(rng.lognormal(3.0, 1.0, n), 2)
        self.category = rng.integers(0, len(CATEGORIES), n)
        self.word = rng.integers(0, len(WORDS), n)
        start_ms, end_ms = int(START.timestamp() * 1000), int(END.timestamp() * 1000)
        self.date = rng.integers(start_ms, end_ms, n)
        self.created = self.date + rng.integers(0, 86_400_000, n)
        self.deleted = np.where(
            rng.random(n) < 0.02, end_ms - rng.integers(0, 20 * 86_400_000, n), -1
        )

    def _dates(self, ms: np.ndarray) -> list[dt.datetime | None]:
        s = pl.Series(ms).cast(pl.Datetime("ms", "UTC"))
        return s.set(pl.Series(ms < 0), None).to_list()

    def documents(self, lo: int, hi: int) -> list[dict[str, Any]]:
        """Expense documents ``lo..hi`` as the Expense Tracker stores them."""
        users = [self.user_ids[i] for i in self.user[lo:hi].tolist()]
        cats = [CATEGORIES[i] for i in self.category[lo:hi].tolist()]
        words = [WORDS[i] for i in self.word[lo:hi].tolist()]
        keys = ("userId", "amount", "category", "description", "date", "deletedAt", "createdAt")
        columns = zip(
            users, self.amount[lo:hi].tolist(), cats, [f"{c} {w}" for c, w in zip(cats, words)],
            self._dates(self.date[lo:hi]), self._dates(self.deleted[lo:hi]),
            self._dates(self.created[lo:hi]), strict=True,
        )  # fmt: skip
        return [dict(zip(keys, row, strict=True)) for row in columns]

    def frame(self) -> pl.DataFrame:
        """The same expenses as a plain Polars DataFrame (the baseline's input)."""
        dates = pl.Series(self.date).cast(pl.Datetime("ms", "UTC"))
        deleted = pl.Series(self.deleted).cast(pl.Datetime("ms", "UTC"))
        cats = np.array(CATEGORIES)[self.category]
        return pl.DataFrame(
            {
                "userId": pl.Series([self.user_ids[i].binary for i in self.user.tolist()]),
                "amount": self.amount,
                "category": cats,
                "description": np.char.add(np.char.add(cats, " "), np.array(WORDS)[self.word]),
                "date": dates,
                "deletedAt": deleted.set(pl.Series(self.deleted < 0), None),
                "createdAt": pl.Series(self.created).cast(pl.Datetime("ms", "UTC")),
            }
        )


def build_store(path: Path, data: Data) -> tuple[EmbeddedStore, float]:
    """An embedded store at ``path`` with the production indexes and ``data`` inserted."""
    shutil.rmtree(path, ignore_errors=True)
    store = connect(f"embedded://{path}")
    assert isinstance(store, EmbeddedStore)
    for spec in INDEXES:
        if spec.collection == "expenses":
            store.create_index("expenses", spec.keys, **spec.options)
    started = time.perf_counter()
    for lo in range(0, data.n, CHUNK):
        store.insert_many("expenses", data.documents(lo, min(lo + CHUNK, data.n)))
    return store, time.perf_counter() - started


# -- queries ----------------------------------------------------------------------------------------
def user_pipeline(user: bson.ObjectId) -> list[dict[str, Any]]:
    return [
        {
            "$match": {
                "userId": user,
                "date": {"$gte": WINDOW[0], "$lt": WINDOW[1]},
                "deletedAt": None,
            }
        },
        {"$group": {"_id": "$category", "total": {"$sum": "$amount"}, "n": {"$sum": 1}}},
        {"$sort": {"total": -1}},
    ]


def user_polars(df: pl.DataFrame, user: bson.ObjectId) -> list[dict[str, Any]]:
    return (
        df.filter(
            (pl.col("userId") == user.binary)
            & (pl.col("date") >= WINDOW[0])
            & (pl.col("date") < WINDOW[1])
            & pl.col("deletedAt").is_null()
        )
        .group_by("category")
        .agg(total=pl.col("amount").sum(), n=pl.len())
        .sort("total", descending=True)
        .to_dicts()
    )


GLOBAL_PIPELINE = [
    {"$group": {"_id": {"$dateTrunc": {"date": "$date", "unit": "month"}},
                "total": {"$sum": "$amount"}, "n": {"$sum": 1}}},
    {"$sort": {"_id": 1}},
]  # fmt: skip


def global_polars(df: pl.DataFrame) -> list[dict[str, Any]]:
    return (
        df.group_by(pl.col("date").dt.truncate("1mo").alias("_id"))
        .agg(total=pl.col("amount").sum(), n=pl.len())
        .sort("_id")
        .to_dicts()
    )


# -- measuring --------------------------------------------------------------------------------------
def timed(fn: Callable[[int], Any], runs: int, warmup: int = 2) -> list[float]:
    """Seconds per call of ``fn(i)`` over ``runs`` calls, after ``warmup`` untimed calls.

    A call that returns a float reports its own duration (it timed only part of itself).
    """
    for i in range(warmup):
        fn(-1 - i)
    out = []
    for i in range(runs):
        started = time.perf_counter()
        result = fn(i)
        took = time.perf_counter() - started
        out.append(result if isinstance(result, float) else took)
    return out


def stats(samples: list[float]) -> dict[str, float]:
    return {
        "median": float(np.median(samples)),
        "p95": float(np.percentile(samples, 95)),
        "runs": len(samples),
    }


_CHILD = """
import json, sys, time
import psutil
sys.path.insert(0, sys.argv[1])
import bson, polars as pl
from dashboard.store import connect
import dashboard.store.embedded
sys.path.insert(0, sys.argv[1] + "/bench")
from engine import GLOBAL_PIPELINE, user_pipeline, user_polars, global_polars
kind, target, user = sys.argv[2], sys.argv[3], bson.ObjectId(sys.argv[4])
started = time.perf_counter()
if kind == "engine":
    store = connect("embedded://" + target)
    store.aggregate("expenses", user_pipeline(user))
    first = time.perf_counter() - started
    for _ in range(20):
        store.aggregate("expenses", user_pipeline(user))
    store.aggregate("expenses", GLOBAL_PIPELINE)
else:
    df = pl.read_ipc(target)
    user_polars(df, user)
    first = time.perf_counter() - started
    global_polars(df)
out = {"first": first, "rss": psutil.Process().memory_info().rss}
status = open("/proc/self/status").read().split("VmHWM:")[1]  # peak RSS (reset by exec)
out["peak"] = int(status.split()[0]) * 1024
if sys.argv[5] == "settle":  # freed memory goes back to the OS after a few idle seconds
    time.sleep(15)
    out["settled"] = psutil.Process().memory_info().rss
print(json.dumps(out))
"""


def in_child(
    kind: str, target: Path, user: bson.ObjectId, *, settle: bool = False
) -> dict[str, float]:
    """Open + first query time and resident memory of a fresh process (imports not timed)."""
    mode = "settle" if settle else "now"
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(ROOT), kind, str(target), str(user), mode],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return json.loads(out.splitlines()[-1])


# -- the run ----------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every measurement; the data lives in a temporary directory removed at the end."""
    results: dict[str, Any] = {"machine": machine(), "n": args.n, "big": args.big, "rows": {}}
    results["runs"] = args.runs
    work = Path(tempfile.mkdtemp(prefix="spendlens-bench-"))
    try:
        _at_n(results, work, args.n, args.runs)
        gc.collect()
        _at_big(results, work, args.big, args.n // 100, args.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def _at_n(results: dict[str, Any], work: Path, n: int, runs: int) -> None:
    """Queries, inserts, reopening and memory at ``n`` expenses; mongomock at n/10 (≤ 100,000)."""
    rng = np.random.default_rng(7)
    data = Data(n, users=n // 100)
    store, results["load_s"] = build_store(work / "db", data)
    df = data.frame()
    users = [data.user_ids[i] for i in rng.integers(0, len(data.user_ids), runs + 10)]
    row = results["rows"]
    _check_same(store, df, users[0])
    row["user"] = _pair(
        lambda i: store.aggregate("expenses", user_pipeline(users[i])),
        lambda i: user_polars(df, users[i]),
        runs,
    )
    row["global"] = _pair(
        lambda i: store.aggregate("expenses", GLOBAL_PIPELINE), lambda i: global_polars(df), runs
    )
    docs = data.documents(0, CHUNK)
    row["insert"] = _pair(
        lambda i: _insert_fresh(work / "ins", docs), lambda i: pl.from_dicts(docs), runs, warmup=1
    )
    store.close()
    df.write_ipc(work / "plain.arrow")
    reopen = [in_child("engine", work / "db", users[i]) for i in range(runs)]
    plain = [in_child("polars", work / "plain.arrow", users[i]) for i in range(runs)]
    row["reopen"] = {
        "engine": stats([r["first"] for r in reopen]),
        "baseline": stats([r["first"] for r in plain]),
    }
    settled = {
        kind: [in_child(kind, target, users[i], settle=True) for i in range(3)]
        for kind, target in (("engine", work / "db"), ("polars", work / "plain.arrow"))
    }
    results["rss_mb"] = {
        kind: {
            key: float(np.median([r[key] for r in settled[kind]])) / 2**20
            for key in ("peak", "rss", "settled")
        }
        for kind in settled
    }
    results["mongomock"] = mongomock_once(data, min(n // 10, 100_000))


def _at_big(results: dict[str, Any], work: Path, big: int, users: int, runs: int) -> None:
    """The user pipeline at ``big`` expenses (the same users, so 5x more rows each), timed
    interleaved with the same pipeline on the reopened ``n``-expense store."""
    rng = np.random.default_rng(8)
    data = Data(big, users=users, seed=1)  # seed 1: the same user ids as the n-expense data
    store, results["big_load_s"] = build_store(work / "big", data)
    small = connect(f"embedded://{work / 'db'}")
    df = data.frame()
    picked = [data.user_ids[i] for i in rng.integers(0, users, runs + 10)]
    rows = _interleaved(
        {
            "engine": lambda i: store.aggregate("expenses", user_pipeline(picked[i])),
            "baseline": lambda i: user_polars(df, picked[i]),
            "engine_at_n": lambda i: small.aggregate("expenses", user_pipeline(picked[i])),
        },
        runs,
    )
    results["rows"]["user_big"] = rows
    results["scale"] = rows["engine"]["median"] / rows["engine_at_n"]["median"]
    store.close()
    small.close()


def _pair(
    engine: Callable[[int], Any], baseline: Callable[[int], Any], runs: int, warmup: int = 3
) -> dict[str, Any]:
    """Engine and baseline timings, interleaved call by call so both see the same machine load."""
    return _interleaved({"engine": engine, "baseline": baseline}, runs, warmup)


def _interleaved(
    fns: dict[str, Callable[[int], Any]], runs: int, warmup: int = 3
) -> dict[str, Any]:
    """Timings of each of ``fns``, called in turn run after run (the same machine load for all)."""
    for i in range(warmup):
        for fn in fns.values():
            fn(-1 - i)
    gc.collect()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for i in range(runs):
        for name, fn in fns.items():
            samples[name] += timed(lambda _, fn=fn, i=i: fn(i), 1, warmup=0)
    return {name: stats(values) for name, values in samples.items()}


def _insert_fresh(path: Path, docs: list[dict[str, Any]]) -> float:
    """Seconds ``insert_many(docs)`` takes in a new persisted store (opening it not counted)."""
    shutil.rmtree(path, ignore_errors=True)
    with connect(f"embedded://{path}") as store:
        for spec in INDEXES:
            if spec.collection == "expenses":
                store.create_index("expenses", spec.keys, **spec.options)
        started = time.perf_counter()
        store.insert_many("expenses", docs)
        return time.perf_counter() - started


def _check_same(store: EmbeddedStore, df: pl.DataFrame, user: bson.ObjectId) -> None:
    """The engine and the handwritten query must agree before their timings mean anything."""
    got = store.aggregate("expenses", user_pipeline(user))
    want = user_polars(df, user)
    assert [(d["_id"], d["n"]) for d in got] == [(d["category"], d["n"]) for d in want], (got, want)
    assert all(abs(g["total"] - w["total"]) < 1e-6 for g, w in zip(got, want, strict=True))
    got_g = store.aggregate("expenses", GLOBAL_PIPELINE)
    want_g = global_polars(df)
    assert [(d["_id"], d["n"]) for d in got_g] == [(d["_id"], d["n"]) for d in want_g]


def mongomock_once(data: Data, n: int) -> dict[str, float]:
    """The user pipeline once on mongomock (pure Python) vs the engine, both on ``n`` documents."""
    import mongomock

    docs = data.documents(0, n)
    user = docs[0]["userId"]
    coll = mongomock.MongoClient().db.expenses
    coll.insert_many([dict(d) for d in docs])
    started = time.perf_counter()
    list(coll.aggregate(user_pipeline(user)))
    mock_s = time.perf_counter() - started
    with connect("memory://") as store:
        store.insert_many("expenses", docs)
        store.create_index("expenses", [("userId", 1), ("date", -1)])
        store.aggregate("expenses", user_pipeline(user))
        engine = timed(lambda _: store.aggregate("expenses", user_pipeline(user)), 20)
    return {"n": n, "mongomock_s": mock_s, "engine_median_s": float(np.median(engine))}


def machine() -> dict[str, Any]:
    import psutil

    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    return {
        "cpu": cpu,
        "cores": psutil.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "polars": pl.__version__,
        "numpy": np.__version__,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


# -- report -----------------------------------------------------------------------------------------
def report(r: dict[str, Any]) -> str:
    ms = 1000.0
    rows = r["rows"]
    lines = [
        f"Machine: {r['machine']['cpu']}, {r['machine']['cores']} cores, {r['machine']['ram_gb']} GB; "
        f"Python {r['machine']['python']}, Polars {r['machine']['polars']} ({r['machine']['when']})",
        f"Data: {r['n']:,} expenses ({r['n'] // 100:,} users), loaded in {r['load_s']:.1f} s; "
        f"{r['runs']} timed runs per figure",
        "",
        "| measurement | engine median | engine p95 | Polars median | Polars p95 | ratio (median) | target |",
        "|---|---|---|---|---|---|---|",
    ]
    labels = {
        "user": ("user dashboard pipeline", "p95 < 20 ms, ≤ 1.5x"),
        "global": ("global $dateTrunc month pipeline", "< 250 ms, ≤ 1.5x"),
        "insert": (f"insert_many {CHUNK:,} docs (baseline: pl.from_dicts)", "< 2 s"),
        "reopen": ("reopen + first query (baseline: read_ipc + query)", "< 3 s"),
        "user_big": (f"user pipeline at {r['big']:,} expenses", "≤ 1.5x the time at 1x"),
    }
    for key, (label, target) in labels.items():
        e, b = rows[key]["engine"], rows[key]["baseline"]
        lines.append(
            f"| {label} | {e['median'] * ms:.2f} ms | {e['p95'] * ms:.2f} ms | {b['median'] * ms:.2f} ms "
            f"| {b['p95'] * ms:.2f} ms | {e['median'] / b['median']:.2f}x | {target} |"
        )
    at_n = rows["user_big"]["engine_at_n"]
    mm, mem = r["mongomock"], r["rss_mb"]
    lines += [
        "",
        f"User pipeline at {r['big']:,} vs {r['n']:,} expenses (same users, interleaved runs): "
        f"{r['scale']:.2f}x the median at {r['n']:,} ({at_n['median'] * ms:.2f} ms median, "
        f"{at_n['p95'] * ms:.2f} ms p95 there); target ≤ 1.5x.",
        "Resident memory of a process that opened the store and ran 21 user queries and the "
        f"global one: engine peak {mem['engine']['peak']:.0f} MB, after the queries "
        f"{mem['engine']['rss']:.0f} MB, after 15 s idle {mem['engine']['settled']:.0f} MB; plain "
        f"Polars (read_ipc + the same queries) {mem['polars']['peak']:.0f} / "
        f"{mem['polars']['rss']:.0f} / {mem['polars']['settled']:.0f} MB (target < 600 MB).",
        f"mongomock, user pipeline on {mm['n']:,} documents, once: {mm['mongomock_s'] * ms:.0f} ms "
        f"(engine on the same data: {mm['engine_median_s'] * ms:.2f} ms median).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100k/500k expenses, 5 runs")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    args.n, args.big, args.runs = (
        (100_000, 500_000, 5) if args.quick else (1_000_000, 5_000_000, 30)
    )
    results = run(args)
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
