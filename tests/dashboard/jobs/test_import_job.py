"""The import job: all or nothing, and safe to run again.

The kill tests run the real worker command in a child process on the real Redis queue and an
embedded store on disk, and kill it with SIGKILL at a chosen step (the child patches that step to
kill itself, so the moment is exact); the test then opens the same store and looks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import bson
import pytest

from dashboard.cache import MemoryCache
from dashboard.core.identity import AuthUser
from dashboard.core.settings import Settings
from dashboard.core.statement_file import preview, read_statement
from dashboard.core.statement_mapping import suggest_mapping
from dashboard.data import imports, jobs
from dashboard.jobs import worker
from dashboard.jobs.context import JobContext
from dashboard.jobs.import_job import CHUNK_ROWS, submit_import
from dashboard.store import Store, connect
from tests.dashboard.cache.conftest import until

ROOT = Path(__file__).resolve().parents[3]
STATEMENTS = ROOT / "tests" / "data" / "statements"
ANA = AuthUser(
    id=bson.ObjectId("650000000000000000000001"),
    username="ana",
    name="Ana",
    email=None,
    roles=("user",),
    timezone="Europe/Berlin",
    currency="EUR",
)


def _mapping(data: bytes):
    statement = read_statement(data)
    sample = preview(data, statement, rows=50)
    return suggest_mapping(statement.header, [list(r) for r in sample.drop("line").rows()])


def _large() -> tuple[bytes, int]:
    """The 10,000-row statement and how many of its rows are spending (its generator says)."""
    import json

    expected = json.loads((STATEMENTS / "large_10000.expected.json").read_text())
    return (STATEMENTS / "large_10000.csv").read_bytes(), int(expected["expenses"])


def _import_ids(store: Store) -> list[bson.ObjectId]:
    return [d["_id"] for d in store.find("expenses", {"importId": {"$exists": True}})]


def test_a_job_on_the_embedded_backend_imports_the_whole_file(
    job_context: Callable[..., JobContext],
) -> None:
    context = job_context("sqlite")
    data, spending = _large()
    queue = worker.start_in_app(context)
    job_id = submit_import(
        context, queue, ANA, data, _mapping(data), file_name="l.csv", account="A"
    )
    assert until(
        lambda: (jobs.get(context.store, job_id) or {}).get("state") == "done", within_s=60
    )
    job = jobs.get(context.store, job_id)
    assert job["counts"]["imported"] == spending
    assert len(set(_import_ids(context.store))) == spending
    assert context.store.count_documents("import_rows", {}) == 0  # staging cleared
    assert context.store.count_documents("job_files", {}) == 0  # the upload is deleted


_CHILD = """
import os, signal, sys
from dashboard.data import imports
{patch}
from dashboard.cli import main
sys.exit(main(["worker", "--threads", "1"]))
"""
_KILL_AFTER_ONE_CHUNK = """
_stage = imports.stage
def stage(store, documents):
    _stage(store, documents)
    os.kill(os.getpid(), signal.SIGKILL)
imports.stage = stage
"""
_KILL_AFTER_MERGE = """
_merge = imports.merge_stage
def merge_stage(store, import_id):
    _merge(store, import_id)
    os.kill(os.getpid(), signal.SIGKILL)
imports.merge_stage = merge_stage
"""


def _import_in_a_worker_killed(
    tmp_path: Path, redis_url: str, data: bytes, patch: str
) -> tuple[Settings, bson.ObjectId]:
    """Queue an import on Redis, then run the real worker command in a child process whose
    ``patch`` kills it (SIGKILL) at a chosen step; return the settings and the job id."""
    settings = Settings(data_dir=tmp_path / "data", redis_url=redis_url, queue="redis")
    with connect(settings.store_uri) as store:
        context = JobContext(store=store, cache=MemoryCache(), settings=settings)
        queue = worker.queue_for(settings)  # the app's queue: no worker started here
        queue.huey.flush()
        job_id = submit_import(context, queue, ANA, data, _mapping(data), file_name="l.csv",
                               account="A")  # fmt: skip
    # The worker process owns the data directory now.
    env = {**os.environ, "SPENDLENS_DATA_DIR": str(settings.data_dir), "REDIS_URL": redis_url,
           "SPENDLENS_QUEUE": "redis", "SPENDLENS_ENV": "development"}  # fmt: skip
    env.pop("MONGODB_URI", None)
    child = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_CHILD.format(patch=patch))],
        cwd=ROOT, env=env, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]
    return settings, job_id


@pytest.mark.parametrize(
    ("patch", "visible"),
    [(_KILL_AFTER_ONE_CHUNK, "none"), (_KILL_AFTER_MERGE, "all")],
    ids=["killed-while-staging", "killed-after-the-merge"],
)
def test_a_worker_killed_mid_import_leaves_nothing_half_applied_and_the_retry_finishes(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch, patch: str, visible: str
) -> None:
    data, spending = _large()
    assert spending > CHUNK_ROWS  # more than one chunk: killed after the first, half is staged
    settings, job_id = _import_in_a_worker_killed(tmp_path, redis_url, data, patch)
    context = JobContext(store=connect(settings.store_uri), cache=MemoryCache(), settings=settings)
    store = context.store
    queue = worker.queue_for(settings)
    job = jobs.get(store, job_id)
    assert job["state"] == "running"  # as the dead worker left it
    merged = len(_import_ids(store))
    if visible == "none":
        assert merged == 0
        assert store.count_documents("import_rows", {}) == CHUNK_ROWS  # staged, invisible
    else:
        assert merged == spending
    assert imports.batch(store, ANA.id, job_id)["state"] == "importing"

    # A worker starts again: the job's heartbeat is old, so it is put back and runs to the end.
    # (A live job's heartbeat is never that old: it beats at every step, well under a second here.)
    monkeypatch.setattr(jobs, "STALE_AFTER", timedelta(seconds=2))
    time.sleep(2.1)
    worker.start_in_app(context)
    assert until(lambda: (jobs.get(store, job_id) or {}).get("state") == "done", within_s=60)
    job = jobs.get(store, job_id)
    ids = _import_ids(store)
    assert len(ids) == len(set(ids)) == spending  # every row once
    assert (job["counts"]["imported"], job["counts"]["duplicates_existing"], job["attempts"]) == (
        spending, 0, 2,
    )  # fmt: skip
    assert store.count_documents("import_rows", {}) == 0
    assert imports.batch(store, ANA.id, job_id)["state"] == "applied"
    worker.stop()
    store.close()
    queue.huey.flush()


_KILL_AFTER_RECORDING_THE_BATCH = """
_record = imports.record_batch
def record_batch(store, import_id, *, user_id, fields):
    _record(store, import_id, user_id=user_id, fields=fields)
    if fields.get("state") == "applied":
        os.kill(os.getpid(), signal.SIGKILL)
imports.record_batch = record_batch
"""


def test_an_import_undone_before_its_killed_job_is_recovered_stays_undone(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, spending = _large()
    settings, job_id = _import_in_a_worker_killed(
        tmp_path, redis_url, data, _KILL_AFTER_RECORDING_THE_BATCH
    )
    context = JobContext(store=connect(settings.store_uri), cache=MemoryCache(), settings=settings)
    store = context.store
    queue = worker.queue_for(settings)
    assert len(_import_ids(store)) == spending
    assert imports.undo(store, ANA.id, job_id) == spending  # the user undoes it meanwhile
    monkeypatch.setattr(jobs, "STALE_AFTER", timedelta(seconds=2))
    time.sleep(2.1)
    worker.start_in_app(context)
    assert until(lambda: (jobs.get(store, job_id) or {}).get("state") == "done", within_s=60)
    assert _import_ids(store) == []  # not imported again
    assert imports.batch(store, ANA.id, job_id)["state"] == "undone"
    assert store.count_documents("audit_log", {"event": "import.applied"}) == 1
    assert store.count_documents("job_files", {}) == 0
    worker.stop()
    store.close()
    queue.huey.flush()


def test_a_file_cannot_set_another_owner_or_an_operator(
    job_context: Callable[..., JobContext],
) -> None:
    context = job_context("immediate")
    data = (
        b"date,description,amount,userId,category\n"
        b'2025-03-01,"{""$gt"": """"}",-5.00,650000000000000000000002,$where\n'
    )
    mapping = replace(_mapping(data), category="category")
    queue = worker.start_in_app(context)
    submit_import(context, queue, ANA, data, mapping, file_name="x.csv", account="A")
    (doc,) = context.store.find("expenses", {})
    assert doc["userId"] == ANA.id
    assert (doc["description"], doc["category"]) == ('{"$gt": ""}', "$where")


def test_two_imports_of_one_user_run_one_after_the_other(
    job_context: Callable[..., JobContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two worker threads; the same statement submitted twice at once. Run together, both would
    # find no duplicates and import every row twice; the second waits for the first instead.
    monkeypatch.setattr(worker, "BUSY_DELAY_S", 0.2)
    context = job_context("sqlite", worker_threads=2)
    data, spending = _large()
    queue = worker.start_in_app(context)
    first, second = (
        submit_import(context, queue, ANA, data, _mapping(data), file_name="l.csv", account="A")
        for _ in range(2)
    )

    def ended() -> bool:
        return all(jobs.get(context.store, j)["state"] == "done" for j in (first, second))

    assert until(ended, within_s=90)
    ids = _import_ids(context.store)
    assert len(ids) == len(set(ids)) == spending
    counts = jobs.get(context.store, second)["counts"]
    assert (counts["imported"], counts["duplicates_existing"]) == (0, spending)
