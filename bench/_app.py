"""Helpers shared by the page benchmarks: seeding through the CLI, logging in with AppTest, checking
a page's run, recording the queries a run sends, and the machine's description."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")

Sent = list[tuple[str, list[Any], dict[str, Any]]]


def seed_if_empty(uri: str, *, users: int, months: int, end: dt.date) -> None:
    """Seed with the CLI (``python -m dashboard seed``: the data, the production indexes and the
    daily rollups) unless the store already holds users."""
    from dashboard.store import connect

    with connect(uri) as store:
        if "users" in store.list_collection_names() and store.count_documents("users", {}) > 0:
            return
    command = [sys.executable, "-m", "dashboard", "seed", "--uri", uri, "--users", str(users)]
    command += ["--months", str(months), "--end", end.isoformat()]
    print(f"seeding: {' '.join(command[1:])}", flush=True)
    subprocess.run(command, cwd=ROOT, check=True)


def login(at: Any, username: str, password: str) -> tuple[float, float]:
    """Log in through the form; the times of the form's run and of the submit run, in ms."""
    started = time.perf_counter()
    at.run()
    form_ms = (time.perf_counter() - started) * 1000
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    started = time.perf_counter()
    at.run()
    submit_ms = (time.perf_counter() - started) * 1000
    if at.session_state["authentication_status"] is not True:
        msg = f"could not log in as {username}"
        raise SystemExit(msg)
    return form_ms, submit_ms


def check_page(at: Any, page: str, title: str) -> None:
    """Stop the benchmark when the run raised or did not show the page's title."""
    if at.exception:
        msg = f"{page}: {at.exception[0].message}"
        raise SystemExit(msg)
    titles = [t.value for t in at.title]
    if not any(t.startswith(title) for t in titles):
        msg = f"{page}: expected the title {title!r}, the run showed {titles}"
        raise SystemExit(msg)


def record_queries(store: Any, run: Callable[[], object]) -> Sent:
    """The queries ``run`` sends to the store (through ``aggregate_frame``, as ``run_query`` does)."""
    sent: Sent = []
    original = store.aggregate_frame

    def recording(collection: str, pipeline: Any, **kw: Any) -> pl.DataFrame:
        sent.append((collection, list(pipeline), kw))
        return original(collection, pipeline, **kw)

    store.aggregate_frame = recording
    try:
        run()
    finally:
        del store.aggregate_frame  # back to the class's method
    return sent


def machine_info() -> dict[str, Any]:
    import streamlit

    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        ram = float("nan")
    return {
        "nproc": os.cpu_count(),
        "ram_gib": round(ram, 1),
        "python": platform.python_version(),
        "polars": pl.__version__,
        "streamlit": streamlit.__version__,
        "platform": platform.platform(),
        "load_before": os.getloadavg(),
    }


def machine_line(machine: dict[str, Any]) -> str:
    """The report's first line: the machine, the versions and the load around the run."""
    return (
        f"Machine: {machine['nproc']} CPUs, {machine['ram_gib']} GiB RAM, {machine['platform']}, "
        f"Python {machine['python']}, Polars {machine['polars']}, Streamlit "
        f"{machine['streamlit']}; load average before / after: "
        f"{machine['load_before'][0]:.2f} / {machine['load_after'][0]:.2f}."
    )
