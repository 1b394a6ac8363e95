"""The import job: a checked statement file into the user's expenses, all or nothing.

Steps (each safe to repeat, so a retry or a recovered job simply starts again): read the upload,
check it again exactly as the page did (:func:`dashboard.views.imports.check_import`, ignoring
this batch's own rows from an earlier attempt), write the new expenses into the staging area in
chunks with progress, move them into ``expenses`` with one ``$merge``, clear the staging area, then
record the batch, clear the user's cached figures and audit it. Killed before the merge, nothing
is visible; killed after it, the rows are there once (their ids are derived from batch and line).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import bson

from dashboard.core.identity import AuthUser, user_scope
from dashboard.core.statement_file import StatementError
from dashboard.core.statement_mapping import ColumnMapping
from dashboard.data import audit_log, imports, job_files, jobs
from dashboard.data.audit_log import audit
from dashboard.jobs.context import BadInput, Busy, JobContext, JobRun
from dashboard.jobs.queue import JobQueue
from dashboard.jobs.submit import submit_job
from dashboard.views.imports import ImportCheck, check_import, rules_of, to_documents

__all__ = ["CHUNK_ROWS", "PROBLEMS_KEPT", "UPLOAD_KEPT_FOR", "run", "submit_import"]

#: Rows written to the staging area per insert (one progress step each).
CHUNK_ROWS = 5_000
#: How long an upload waits to be imported before it is deleted.
UPLOAD_KEPT_FOR = timedelta(days=1)
#: Problems kept in the job's result for the page (the count is always complete); each keeps at
#: most 200 characters of its value, so the job's document stays far below 16 MB.
PROBLEMS_KEPT = 2_000


def _mapping(params: Mapping[str, Any]) -> ColumnMapping:
    try:
        return ColumnMapping.from_document(params.get("mapping") or {})
    except (TypeError, ValueError) as exc:
        raise BadInput(f"The column mapping is not valid: {exc}") from exc


def _finish_batch(job: JobRun, batch: dict[str, Any]) -> dict[str, Any]:
    """The steps after the batch is recorded, safe to repeat: a worker killed after recording it
    (or after an undo) must not import the file again, but must still clear the cache and audit."""
    store, user_id, import_id = job.context.store, job.user_id, job.id
    counts = dict(batch.get("counts") or {})
    file_id = job.params.get("file_id")
    if isinstance(file_id, str) and bson.ObjectId.is_valid(file_id):
        job_files.delete(store, bson.ObjectId(file_id))
    job.context.cache.invalidate(user_scope(user_id))
    if not audit_log.exists(store, "import.applied", target=str(import_id)):
        audit(
            store,
            "import.applied",
            actor=job.job.get("username"),
            target=str(import_id),
            details={"file": job.params.get("file_name"), **counts},
        )
    return {"counts": counts, "result": {"import_id": str(import_id)}}


def run(job: JobRun) -> dict[str, Any]:
    """Import the job's file (``params``: ``file_id``, ``mapping``, ``timezone``, ``file_name``,
    ``account``); return its counts and result."""
    store = job.context.store
    params = job.params
    import_id = job.id
    user_id = job.user_id
    file_id = bson.ObjectId(str(params.get("file_id")))
    mapping = _mapping(params)
    batch = imports.batch(store, user_id, import_id)
    if batch is not None and batch.get("state") in ("applied", "undone"):
        return _finish_batch(job, batch)  # killed after the batch was recorded
    if earlier := jobs.active_before(store, job.job):
        # Two imports of one user must not check for duplicates at the same time.
        raise Busy(f"Waiting for {earlier.get('title', 'your other import')} to finish")
    job.progress("Reading the file")
    data = job_files.read(store, file_id, owner_id=user_id)
    if data is None:
        raise BadInput("The uploaded file is no longer there; upload it again.")
    imports.record_batch(
        store,
        import_id,
        user_id=user_id,
        fields={
            "jobId": job.id,
            "fileName": params.get("file_name"),
            "account": params.get("account"),
            "state": "importing",
        },
    )
    try:
        check = _apply(job, data, mapping)
    except BadInput as exc:
        imports.clear_stage(store, import_id)
        imports.record_batch(
            store, import_id, user_id=user_id, fields={"state": "failed", "error": str(exc)}
        )
        raise
    counts = {**check.counts, "imported": imports.imported_count(store, user_id, import_id)}
    batch = {"state": "applied", "counts": counts}
    imports.record_batch(store, import_id, user_id=user_id, fields=batch)
    outcome = _finish_batch(job, batch)
    outcome["result"]["problems"] = [
        {"line": p.line, "column": p.column, "value": p.value, "reason": p.reason}
        for p in check.problems[:PROBLEMS_KEPT]
    ]
    return outcome


def _apply(job: JobRun, data: bytes, mapping: ColumnMapping) -> ImportCheck:
    """Check the file again, stage the new expenses in chunks, merge them in one command."""
    store, user_id, import_id = job.context.store, job.user_id, job.id
    job.progress("Checking every row")
    rules = rules_of(imports.rules_for(store, user_id))
    try:
        check = check_import(
            store,
            user_id,
            data,
            mapping,
            timezone=str(job.params.get("timezone") or "UTC"),
            rules=rules,
            exclude_import=import_id,
        )
    except (StatementError, ValueError) as exc:
        raise BadInput(str(exc)) from exc
    imports.clear_stage(store, import_id)
    now = datetime.now(UTC)
    total = check.rows.height
    job.progress("Writing expenses", 0, total)
    for start in range(0, total, CHUNK_ROWS):
        chunk = check.rows.slice(start, CHUNK_ROWS)
        imports.stage(store, to_documents(chunk, user_id=user_id, import_id=import_id, now=now))
        job.progress("Writing expenses", min(start + CHUNK_ROWS, total), total)
    job.progress("Adding them to your expenses", total, total)
    imports.merge_stage(store, import_id)
    job.progress("Tidying up", total, total)
    imports.clear_stage(store, import_id)
    return check


def submit_import(
    context: JobContext,
    queue: JobQueue,
    user: AuthUser,
    data: bytes,
    mapping: ColumnMapping,
    *,
    file_name: str,
    account: str,
) -> bson.ObjectId:
    """Keep the upload where any worker can read it, remember the mapping for ``account``, record
    the job and queue it; return the job id (which is also the import batch's id)."""
    store = context.store
    file_id = job_files.put(store, data, owner_id=user.id, name=file_name, kind="upload")
    imports.save_mapping(store, user.id, account, mapping.to_document())
    return submit_job(
        context,
        queue,
        user,
        kind="import",
        title=f"Import {file_name}",
        params={
            "file_id": str(file_id),
            "file_name": file_name,
            "account": account,
            "mapping": mapping.to_document(),
            "timezone": user.timezone,
        },
    )
