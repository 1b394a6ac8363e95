"""Benchmark of the engine's checked arithmetic (run-time error checks, exact division, ``$mod``).

    python bench/checks.py            # 1,000,000 documents, 15 runs
    python bench/checks.py --quick    # 100,000 documents, 5 runs

A ``$project`` of the arithmetic a finance page writes (a share: ``$divide`` of two fields, ``$mod``,
``$round``) over N documents, each operator carrying MongoDB's run-time checks. Baseline in the same
process on the same data: the same arithmetic handwritten in Polars, without checks. Reported as
median and p95 of the engine, the baseline, and their ratio. Run it in two checkouts to compare
commits (the figures in docs/performance.md were taken that way).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.store import connect  # noqa: E402

PIPELINE = [
    {
        "$project": {
            "_id": 0,
            "share": {"$round": [{"$multiply": [{"$divide": ["$amount", "$budget"]}, 100]}, 1]},
            "cents": {"$mod": ["$amount", 1]},
            "per_day": {"$divide": ["$amount", 30]},
        }
    },
    {"$group": {"_id": None, "share": {"$sum": "$share"}, "cents": {"$sum": "$cents"}}},
]


def _baseline(df: pl.DataFrame) -> pl.DataFrame:
    share = ((pl.col("amount") / pl.col("budget")) * 100).round(1)
    cents = pl.col("amount") % 1
    return df.lazy().select(share.sum().alias("share"), cents.sum().alias("cents")).collect()


def _check_same(store: object, df: pl.DataFrame) -> None:
    """The engine and the handwritten query must agree before their timings mean anything."""
    (got,) = store.aggregate("expenses", PIPELINE)  # type: ignore[attr-defined]
    want = _baseline(df).row(0, named=True)
    assert abs(got["share"] - want["share"]) < 1e-6 * abs(want["share"]), (got, want)
    assert abs(got["cents"] - want["cents"]) < 1e-6 * abs(want["cents"]), (got, want)


def _stats(samples: list[float]) -> tuple[float, float]:
    return float(np.median(samples)) * 1000, float(np.percentile(samples, 95)) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 documents, 5 runs")
    args = parser.parse_args(argv)
    n, runs = (100_000, 5) if args.quick else (1_000_000, 15)
    rng = np.random.default_rng(16)
    df = pl.DataFrame(
        {"amount": rng.gamma(2.0, 30.0, n).round(2), "budget": rng.uniform(100, 900, n).round(0)}
    )
    with connect("memory://") as store:
        store.insert_many("expenses", df.to_dicts())
        _check_same(store, df)
        engine: list[float] = []
        baseline: list[float] = []
        for i in range(runs + 2):  # two warm-up rounds, then interleaved timings
            started = time.perf_counter()
            store.aggregate("expenses", PIPELINE)
            middle = time.perf_counter()
            _baseline(df)
            if i >= 2:
                engine.append(middle - started)
                baseline.append(time.perf_counter() - middle)
    (em, ep), (bm, bp) = _stats(engine), _stats(baseline)
    print(f"{n:,} documents, {runs} runs, Polars {pl.__version__}")
    print("| measurement | median | p95 |")
    print("|---|---|---|")
    print(f"| engine: checked $divide/$mod/$round + $group | {em:.1f} ms | {ep:.1f} ms |")
    print(f"| baseline: the same arithmetic in Polars | {bm:.1f} ms | {bp:.1f} ms |")
    print(f"| ratio (median) | {em / bm:.2f}x | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
