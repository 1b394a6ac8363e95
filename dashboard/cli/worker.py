"""``python -m dashboard worker``: run background jobs (imports, large exports) until stopped.

For MongoDB deployments: run one or more beside the app replicas, all on the same Redis
(``REDIS_URL``). With the embedded engine the app runs the worker itself (its data directory has one
owner), so this command is only for a data directory no app has open.
"""

from __future__ import annotations

import argparse
import logging

from dashboard.cache import connect as connect_cache
from dashboard.core.settings import Settings
from dashboard.jobs.context import JobContext
from dashboard.jobs.worker import queue_for, run_forever
from dashboard.store import open_store

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    worker = sub.add_parser("worker", help="run background jobs (imports, large exports)")
    worker.add_argument(
        "--threads", type=int, default=None, help="jobs at once (default: SPENDLENS_WORKER_THREADS)"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Open the store and cache, then consume the queue until SIGINT or SIGTERM (which lets the
    running jobs finish)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if settings.queue_backend == "immediate":
        print("error: SPENDLENS_QUEUE=immediate runs jobs in the app; there is nothing to consume")
        return 2
    threads = args.threads or settings.worker_threads
    store = open_store(settings)
    cache = connect_cache(settings.redis_url)
    try:
        queue = queue_for(settings)
        print(
            f"Spendlens worker: {threads} thread(s) on {queue.backend} queue "
            f"{queue.huey.name!r}, store {store.description}",
            flush=True,
        )
        run_forever(JobContext(store=store, cache=cache, settings=settings), threads=threads)
    finally:
        cache.close()
        store.close()
    return 0
