"""The worker: Huey's consumer running Spendlens jobs with this process's store and cache.

Two ways to run it:

- ``python -m dashboard worker`` (``make worker``): a process of its own, for MongoDB deployments
  (one or more beside the app replicas; the compose file has a ``worker`` service);
- inside the app process (:func:`start_in_app`): always with the embedded engine, whose data
  directory has one owner, so ``make run`` needs nothing else.

On start, and every minute after, the worker puts back on the queue the jobs whose worker died
mid-way (no heartbeat for a minute) and jobs left queued from before a restart; claiming a job is
one conditional update, so a job queued twice still runs once.
"""

from __future__ import annotations

import logging
import threading

from huey.consumer import Consumer

from dashboard.core.settings import Settings
from dashboard.data import job_files, jobs
from dashboard.jobs import alert_job, export_job, import_job
from dashboard.jobs.context import JobContext
from dashboard.jobs.queue import JobQueue, make_queue
from dashboard.jobs.runner import execute

__all__ = [
    "attach", "context", "queue_for", "recover", "run_forever", "start_in_app", "stop", "tick",
]  # fmt: skip

_log = logging.getLogger("spendlens.jobs")
_lock = threading.Lock()
_context: JobContext | None = None
_queues: dict[tuple[str, str, str], JobQueue] = {}
_consumers: dict[int, Consumer] = {}


def attach(job_context: JobContext) -> None:
    """Make ``job_context`` the resources this process runs jobs with."""
    global _context
    _context = job_context


def context() -> JobContext:
    if _context is None:
        msg = "no job context: call dashboard.jobs.worker.attach() first"
        raise RuntimeError(msg)
    return _context


#: How long a job that waits for another (the same user's earlier import) waits before it looks again.
BUSY_DELAY_S = 3.0


def _run_job(job_id: str, task: object = None) -> str:
    retries_left = getattr(task, "retries", 0) or 0
    state = execute(context(), job_id, retries_left=retries_left)
    if state == "busy":
        queue_for(context().settings).run_job.schedule((job_id,), delay=BUSY_DELAY_S)
    return state


def _on_queue(queue: JobQueue) -> set[str]:
    """Job ids already waiting in the queue (now or scheduled)."""
    tasks = [*queue.huey.pending(), *queue.huey.scheduled()]
    return {str(task.args[0]) for task in tasks if task.args}


def recover() -> int:
    """Queue again every job a dead worker left behind, and delete job files past their time
    (uploads never imported, exports never downloaded); return how many jobs were queued."""
    if _context is None:
        return 0
    queue = queue_for(_context.settings)
    job_files.delete_older_than(_context.store, export_job.KEPT_FOR, kind="export")
    job_files.delete_older_than(_context.store, import_job.UPLOAD_KEPT_FOR, kind="upload")
    waiting = _on_queue(queue)
    found = [job for job in jobs.stalled(_context.store) if str(job["_id"]) not in waiting]
    for job in found:
        _log.warning("job %s (%s) put back on the queue", job["_id"], job.get("kind"))
        queue.submit(job["_id"])
    return len(found)


def tick() -> int:
    """Queue the alert subscriptions that are due (every minute on the worker)."""
    if _context is None:
        return 0
    return alert_job.tick(_context, queue_for(_context.settings))


def queue_for(settings: Settings) -> JobQueue:
    """The one queue of this process for these settings."""
    key = (settings.store_uri, settings.mongodb_db, settings.queue_backend)
    with _lock:
        if key not in _queues:
            _queues[key] = make_queue(settings, run_job=_run_job, recover=recover, tick=tick)
        return _queues[key]


class _InAppConsumer(Consumer):
    """Huey's consumer without its signal handlers: the app server owns the process's signals."""

    def _set_signal_handlers(self) -> None:
        return None


def start_in_app(job_context: JobContext) -> JobQueue:
    """Start worker threads in this process (once) and return the queue to submit to."""
    attach(job_context)
    queue = queue_for(job_context.settings)
    if queue.huey.immediate:
        return queue
    with _lock:
        if id(queue) not in _consumers:
            consumer = _InAppConsumer(
                queue.huey,
                workers=job_context.settings.worker_threads,
                worker_type="thread",
                periodic=True,
                check_worker_health=False,
                initial_delay=0.1,
                max_delay=1.0,
            )
            consumer.start()
            _consumers[id(queue)] = consumer
    recover()
    return queue


def stop() -> None:
    """Stop the in-app worker threads, letting running jobs finish, and forget this process's
    queues and context (tests; a process that shuts down)."""
    global _context
    with _lock:
        consumers = list(_consumers.values())
        _consumers.clear()
        _queues.clear()
    for consumer in consumers:
        consumer.stop(graceful=True)
    _context = None


def run_forever(job_context: JobContext, *, threads: int) -> None:
    """Run the worker in the foreground until SIGINT/SIGTERM (the worker command)."""
    attach(job_context)
    queue = queue_for(job_context.settings)
    recover()
    Consumer(
        queue.huey,
        workers=threads,
        worker_type="thread",
        periodic=True,
        max_delay=1.0,
        graceful_signal="TERM",
    ).run()
