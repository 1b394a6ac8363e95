"""The export job: a large finance export written by a worker, kept as a job file until the user
downloads it (once) or it is an hour old.

The worker re-reads the account and its roles before writing: a user who lost the finance role
after asking gets nothing. The file is written through a temporary file (never half a report),
then stored in ``job_files`` so that any app replica can serve the download.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import bson

from dashboard.core.identity import AuthUser, PermissionDenied
from dashboard.core.periods import Period, parse_period
from dashboard.data import job_files, jobs, users
from dashboard.data.runner import Runner
from dashboard.exports.formats import FORMATS
from dashboard.exports.write import export_file, file_name
from dashboard.jobs.context import BadInput, JobContext, JobRun
from dashboard.jobs.queue import JobQueue
from dashboard.jobs.submit import submit_job
from dashboard.store import Store

__all__ = ["KEPT_FOR", "export_ready", "run", "submit_export", "take_export"]

#: How long a prepared export waits for its download.
KEPT_FOR = timedelta(hours=1)


def run(job: JobRun) -> dict[str, Any]:
    """Write the export (``params``: ``period`` spec, ``timezone``, ``format``, ``bom``)."""
    store = job.context.store
    params = job.params
    doc = users.by_id(store, job.user_id)
    if doc is None or doc.get("disabled"):
        raise BadInput("The account that asked for this export no longer exists or is disabled.")
    user = AuthUser.from_document(doc)
    fmt = str(params.get("format"))
    if fmt not in FORMATS or not FORMATS[fmt].reads_rows:
        raise BadInput(f"Unknown export format {fmt!r}.")
    try:
        period = parse_period(str(params.get("period")), tz=str(params.get("timezone") or "UTC"))
    except ValueError as exc:
        raise BadInput(f"The period is not valid: {exc}") from exc
    runner = Runner(store=store, cache=job.context.cache, settings=job.context.settings)
    job_files.delete_older_than(store, KEPT_FOR, kind="export")

    def progress(_label: str, done: int, total: int | None) -> None:
        job.progress("Writing rows", done, total)

    name = file_name(period, fmt)
    with tempfile.TemporaryDirectory(prefix="spendlens-export-") as folder:
        path = Path(folder) / name
        try:
            result = export_file(
                runner, user, period, fmt=fmt, path=path, bom=bool(params.get("bom")),
                progress=progress,
            )  # fmt: skip
        except PermissionDenied as exc:
            raise BadInput(str(exc)) from exc
        job.progress("Saving the file", result.rows, result.rows)
        file_id = job_files.put(
            store, path.read_bytes(), owner_id=job.user_id, name=name, kind="export"
        )
    return {
        "counts": {"rows": result.rows},
        "result": {
            "file_id": str(file_id),
            "file_name": name,
            "format": fmt,
            "mime": FORMATS[fmt].mime,
            "period": period.spec,
            "note": result.note,
        },
    }


def submit_export(
    context: JobContext, queue: JobQueue, user: AuthUser, *, period: Period, fmt: str, bom: bool
) -> bson.ObjectId:
    """Ask a worker for the period's export in ``fmt``; return the job id."""
    return submit_job(
        context,
        queue,
        user,
        kind="export",
        title=f"{fmt.upper()} export of {period.label()}",
        params={"period": period.spec, "timezone": period.tz, "format": fmt, "bom": bom},
    )


def _file_id(job: dict[str, Any]) -> bson.ObjectId | None:
    raw = (job.get("result") or {}).get("file_id")
    return bson.ObjectId(raw) if isinstance(raw, str) and bson.ObjectId.is_valid(raw) else None


def export_ready(store: Store, job: dict[str, Any]) -> bool:
    """Whether the job's export is still there to download."""
    file_id = _file_id(job)
    return (
        file_id is not None and job_files.size(store, file_id, owner_id=job["userId"]) is not None
    )


def take_export(store: Store, user: AuthUser, job_id: str) -> bytes:
    """The export's bytes, once: the file is deleted as it is handed over. Only its owner's."""
    job = (
        jobs.get(store, bson.ObjectId(job_id), user_id=user.id)
        if bson.ObjectId.is_valid(job_id)
        else None
    )
    file_id = _file_id(job) if job else None
    data = job_files.read(store, file_id, owner_id=user.id) if file_id else None
    if data is None:
        msg = "this export has already been downloaded or has expired: prepare it again"
        raise FileNotFoundError(msg)
    job_files.delete(store, file_id)
    return data
