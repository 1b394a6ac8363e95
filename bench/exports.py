"""Finance exports of a full year (about 1,000,000 expenses): time and peak resident memory.

    python bench/exports.py --store /tmp/seed1m [--period 2025-11-28:2026-11-28] [--runs 5]
                            [--formats csv,parquet] [--xlsx-runs 0]

The store directory is copied first (an embedded store is opened by one process at a time). Every
run is a fresh process, so each peak RSS is that run's own:

- ``cli``: ``python -m dashboard report --format csv`` as cron runs it, timed from outside
  (imports, opening the store, planning, export); peak RSS from ``/usr/bin/time -v`` (else psutil).
- ``export``: inside a process that has already opened the store, the export call alone.
- ``baseline``: Polars ``write_csv`` / ``write_parquet`` of the same rows already in memory (read
  before timing), the floor a streaming exporter can approach.

Prints a Markdown table of median and p95 over the runs.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(mode: str, uri: str, period: str, fmt: str) -> None:
    """One measured run in this process; prints JSON."""
    import bson
    import polars as pl

    from dashboard.cache import MemoryCache
    from dashboard.core.identity import AuthUser
    from dashboard.core.periods import parse_period
    from dashboard.core.settings import Settings
    from dashboard.data.runner import Runner
    from dashboard.exports.rows import iter_rows
    from dashboard.exports.write import export_report
    from dashboard.store import connect

    user = AuthUser(bson.ObjectId(), "bench", "Bench", None, ("finance",))
    store = connect(uri)
    started = time.perf_counter()
    store.count_documents("expenses", {})  # load the collection: not part of the export
    loaded = time.perf_counter() - started
    runner = Runner(store=store, cache=MemoryCache(), settings=Settings())
    rp = parse_period(period, tz="UTC")
    out = Path(tempfile.mkdtemp()) / f"out.{fmt}"
    before = _peak_mb()
    if mode == "export":
        started = time.perf_counter()
        with out.open("wb") as handle:
            rows = export_report(runner, user, rp, fmt=fmt, out=handle).rows
        seconds = time.perf_counter() - started
    else:
        frame = pl.concat(list(iter_rows(runner, user, rp)))
        rows = frame.height
        started = time.perf_counter()
        if fmt == "csv":
            frame.write_csv(out)
        else:
            frame.write_parquet(out)
        seconds = time.perf_counter() - started
    size = out.stat().st_size
    shutil.rmtree(out.parent)
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_mb": _peak_mb(), "size": size,
                      "load_s": loaded, "peak_before_mb": before}))  # fmt: skip


def _run_child(mode: str, uri: str, period: str, fmt: str) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--uri", uri, "--period", period,
           "--formats", fmt]  # fmt: skip
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _run_cli(uri: str, period: str, fmt: str) -> dict:
    out = Path(tempfile.mkdtemp()) / f"report.{fmt}"
    cmd = [sys.executable, "-m", "dashboard", "report", "--uri", uri, "--period", period,
           "--format", fmt, "--out", str(out), "--timezone", "UTC", "--quiet"]  # fmt: skip
    timer = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    if timer:
        done = subprocess.run([timer, "-v", *cmd], cwd=ROOT, capture_output=True, text=True,
                              env=env, check=True)  # fmt: skip
        seconds = time.perf_counter() - started
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        peak = int(match[1]) / 1024 if match else float("nan")
    else:
        import psutil

        proc = psutil.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, proc.memory_info().rss / 2**20)
            time.sleep(0.02)
        seconds = time.perf_counter() - started
    rows = int(re.search(r"([\d,]+) rows", done.stdout)[1].replace(",", "")) if timer else -1
    size = out.stat().st_size
    shutil.rmtree(out.parent)
    return {"seconds": seconds, "rows": rows, "peak_mb": peak, "size": size}


def _stats(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path("/tmp/seed1m"))
    parser.add_argument("--uri", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--period", default="2025-11-28:2026-11-28")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--formats", default="csv,parquet")
    parser.add_argument("--xlsx-runs", type=int, default=0, help="also time xlsx (slow)")
    parser.add_argument("--child", choices=("export", "baseline"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.uri, args.period, args.formats)
        return
    work = Path(tempfile.mkdtemp(prefix="bench-exports-"))
    copy = work / "store"
    shutil.copytree(args.store, copy, ignore=shutil.ignore_patterns(".lock"))
    uri = f"embedded://{copy}"
    # Open the copy once, unmeasured: the first open of a seeded snapshot runs the TTL sweep, which
    # rewrites the collection once (a CLI run that did it peaked at 586 MB): not an export cost.
    warm = "from dashboard.store import connect; connect(%r).count_documents('expenses', {})"
    subprocess.run([sys.executable, "-c", warm % uri], cwd=ROOT, check=True)
    plan = [(fmt, args.runs) for fmt in args.formats.split(",")]
    if args.xlsx_runs:
        plan.append(("xlsx", args.xlsx_runs))
    print(f"store: {args.store} (copied), period {args.period}, {sys.version.split()[0]}\n")
    print("| format | measurement | runs | rows | median s | p95 s | peak RSS median / max MB "
          "| file MB |\n| --- | --- | --- | --- | --- | --- | --- | --- |")  # fmt: skip
    try:
        for fmt, runs in plan:
            results: dict[str, list[dict]] = {"cli": [], "export": [], "baseline": []}
            for _ in range(runs):  # interleaved, so all three see the same machine load
                results["cli"].append(_run_cli(uri, args.period, fmt))
                results["export"].append(_run_child("export", uri, args.period, fmt))
                if fmt != "xlsx":
                    results["baseline"].append(_run_child("baseline", uri, args.period, fmt))
            for name, samples in results.items():
                if not samples:
                    continue
                median, p95 = _stats([s["seconds"] for s in samples])
                peaks = [s["peak_mb"] for s in samples]
                loaded = [s["peak_before_mb"] for s in samples if "peak_before_mb" in s]
                opened = f" (store open: {statistics.median(loaded):.0f})" if loaded else ""
                print(f"| {fmt} | {name} | {len(samples)} | {samples[0]['rows']:,} | "
                      f"{median:.2f} | {p95:.2f} | {statistics.median(peaks):.0f} / "
                      f"{max(peaks):.0f}{opened} | {samples[0]['size'] / 2**20:.0f} |")  # fmt: skip
            sys.stdout.flush()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.stdout = io.TextIOWrapper(sys.stdout.buffer, line_buffering=True)
    main()
