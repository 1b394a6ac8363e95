"""Statement import end to end: a bank CSV of 100,000 rows into a user's expenses.

    python bench/import.py [--rows N] [--runs R] [--quick] [--json out.json]

Each run starts from a fresh embedded store on disk (as ``make run`` uses) holding one user with
20,000 expenses over the same year, 5,000 of them copies of rows drawn at random from the file (so
duplicate detection compares against real data and finds some). The file is a German bank export: UTF-8 with BOM, ``;``,
decimal commas, ``DD.MM.YYYY`` (generated once per process, deterministic).

Measured per run, with ``time.perf_counter``:

- **check**: what the Import page does before the user presses *Import*: detect the format, parse
  and check every row, apply rules, find duplicates (``read_statement`` + ``check_upload``);
- **job**: what the button and the worker do: store the upload, record and run the job (the
  ``immediate`` queue runs it in this process: the same code the worker runs), which checks the
  file again, stages the rows in chunks, merges them and records the batch;
- **end to end**: check + job: the target is under 30 s for 100,000 rows (issue #18).

Baseline, same process, same store state: ``insert_many`` of the same 100,000 expense documents
already built in memory, i.e. the bare cost of writing them. Memory: the peak resident set size
above the level before the run, sampled every 10 ms by a thread (``psutil``), for each run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import bson
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._app import machine_info, machine_line  # noqa: E402
from bench._stats import HEADER, Timing  # noqa: E402
from dashboard.cache import MemoryCache  # noqa: E402
from dashboard.core.identity import AuthUser  # noqa: E402
from dashboard.core.settings import Settings  # noqa: E402
from dashboard.core.statement_file import preview, read_statement  # noqa: E402
from dashboard.core.statement_mapping import suggest_mapping  # noqa: E402
from dashboard.data import jobs as job_records  # noqa: E402
from dashboard.data.runner import Runner  # noqa: E402
from dashboard.jobs import worker  # noqa: E402
from dashboard.jobs.context import JobContext  # noqa: E402
from dashboard.jobs.import_job import submit_import  # noqa: E402
from dashboard.store import connect  # noqa: E402
from dashboard.views.imports import check_upload, to_documents  # noqa: E402

USER = AuthUser(
    id=bson.ObjectId("650000000000000000000001"),
    username="bench",
    name="Bench",
    email=None,
    roles=("user",),
    timezone="Europe/Berlin",
    currency="EUR",
)
TARGET_S = 30.0
SHOPS = ["REWE", "EDEKA", "ALDI SUED", "DM DROGERIE", "DB VERTRIEB", "SHELL", "IKEA", "NETFLIX",
         "SPOTIFY", "AMAZON EU", "LIDL", "APOTHEKE AM MARKT", "STADTWERKE", "VODAFONE"]  # fmt: skip


def make_csv(rows: int, *, seed: int = 7) -> tuple[bytes, list[tuple[datetime, float, str]]]:
    """The statement's bytes and its rows (date, spending amount, description)."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    lines = ["Buchungstag;Verwendungszweck;Betrag;Währung"]
    kept = []
    for n in range(rows):
        day = start + timedelta(days=rng.randrange(365))
        cents = rng.randrange(100, 250_000)
        text = f"{rng.choice(SHOPS)} SAGT DANKE {n:06d}"
        euros, rest = divmod(cents, 100)
        amount = f"-{euros:,}".replace(",", ".") + f",{rest:02d}"
        lines.append(f"{day:%d.%m.%Y};{text};{amount};EUR")
        kept.append((day, cents / 100, text))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"), kept


def _fresh_store(folder: Path, existing: list[tuple[datetime, float, str]]):
    shutil.rmtree(folder, ignore_errors=True)
    store = connect(f"embedded://{folder}")
    store.insert_many("users", [{"_id": USER.id, "username": USER.username, "roles": ["user"]}])
    rng = random.Random(11)
    docs = []
    for n in range(20_000):
        if n % 4 == 0 and existing:  # a quarter of these are rows of the file
            day, amount, text = existing[rng.randrange(len(existing))]
            day = day.astimezone(UTC) - timedelta(hours=1)  # local midnight in Berlin (winter)
        else:
            day, amount, text = (datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=n % 365),
                                 float(n % 300 + 1), f"OLD {n}")  # fmt: skip
        docs.append({"userId": USER.id, "amount": amount, "currency": "EUR", "category": "Food",
                     "description": text, "date": day, "deletedAt": None})  # fmt: skip
    store.insert_many("expenses", docs)
    return store


class PeakRss:
    """The peak resident set size above the starting level, sampled every 10 ms."""

    def __enter__(self) -> PeakRss:
        self._proc = psutil.Process()
        self.start = self._proc.memory_info().rss
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mib(self) -> float:
        return (self.peak - self.start) / 2**20


def _timing(name: str, samples: list[float]) -> Timing:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return Timing(name, len(samples), sorted(samples)[len(samples) // 2], p95)


def run(rows: int, runs: int) -> dict[str, Any]:
    data, kept = make_csv(rows)
    statement = read_statement(data)
    sample = preview(data, statement, rows=200)
    mapping = replace(
        suggest_mapping(statement.header, [list(r) for r in sample.drop("line").rows()]),
        default_currency="EUR",
    )
    checks, job_times, totals, baselines, peaks, imported = [], [], [], [], [], []
    root = Path(tempfile.mkdtemp(prefix="spendlens-bench-import-"))
    try:
        for n in range(runs):
            store = _fresh_store(root / f"db{n}", kept)
            settings = Settings(data_dir=root / f"db{n}", queue="immediate")
            context = JobContext(store=store, cache=MemoryCache(), settings=settings)
            runner = Runner(store=store, cache=context.cache, settings=settings)
            queue = worker.start_in_app(context)
            with PeakRss() as rss:
                t0 = time.perf_counter()
                check = check_upload(runner, USER, data, mapping, statement=read_statement(data))
                t1 = time.perf_counter()
                job_id = submit_import(context, queue, USER, data, mapping,
                                       file_name="bench.csv", account="Girokonto")  # fmt: skip
                t2 = time.perf_counter()
            job = job_records.get(store, job_id)
            assert job["state"] == "done", job
            assert job["counts"]["imported"] == check.rows.height
            imported.append(job["counts"]["imported"])
            checks.append((t1 - t0) * 1000)
            job_times.append((t2 - t1) * 1000)
            totals.append((t2 - t0) * 1000)
            peaks.append(rss.mib)
            docs = to_documents(check.rows, user_id=USER.id, import_id=bson.ObjectId(),
                                now=datetime.now(UTC))  # fmt: skip
            for doc in docs:
                doc["_id"] = bson.ObjectId()
            t3 = time.perf_counter()
            store.insert_many("expenses_baseline", docs)
            baselines.append((time.perf_counter() - t3) * 1000)
            worker.stop()
            store.close()
            shutil.rmtree(root / f"db{n}", ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    baseline = _timing("insert_many of the same documents", baselines)
    return {
        "rows": rows,
        "imported": imported[0],
        "bytes": len(data),
        "check": _timing(f"check ({rows:,} rows)", checks),
        "job": _timing("job (store file, check again, stage, merge)", job_times),
        "total": _timing(f"end to end ({rows:,} rows)", totals),
        "baseline": baseline,
        "peak_rss_mib": sorted(peaks),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="10,000 rows, 2 runs")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    rows, runs = (10_000, 2) if args.quick else (args.rows, args.runs)
    machine = machine_info()
    result = run(rows, runs)
    machine["load_after"] = os.getloadavg()
    print(machine_line(machine))
    print(f"\nFile: {result['bytes'] / 2**20:.1f} MB, {rows:,} rows, {result['imported']:,} imported "
          f"(the rest duplicates of existing expenses).\n")  # fmt: skip
    print(HEADER)
    print(result["check"].row())
    print(result["job"].row())
    print(result["total"].row(f"< {TARGET_S:.0f} s", result["baseline"]))
    print(result["baseline"].row())
    peaks = ", ".join(f"{p:.0f}" for p in result["peak_rss_mib"])
    print(f"\nPeak RSS above the start of each run (MiB): {peaks}")
    if args.json:
        args.json.write_text(json.dumps({k: (v.__dict__ if isinstance(v, Timing) else v)
                                         for k, v in result.items()}, indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
