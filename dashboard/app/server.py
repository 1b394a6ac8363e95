"""HTTP routes added to Streamlit's server: ``/health`` for load balancers (scaling notes).

``/health`` is anonymous, so it answers only the scaling notes' fields (``uptime``, ``timestamp``,
``database``, ``redis``) with 200 or 503, always as JSON. Why the database is unavailable (an
error text that can name the data directory, a lock holder's pid or the MongoDB hosts) goes to the
server log, never to the caller.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import signal
import sqlite3
from collections.abc import AsyncIterator

from redis.exceptions import RedisError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from dashboard.app.page_timings import PageLoadFlusher
from dashboard.core.settings import SettingsError, load_settings
from dashboard.store import DatabaseUnavailable, Store, open_store
from dashboard.views.health import check_health, health_details, public_health

__all__ = ["health_routes", "lifespan"]

log = logging.getLogger("spendlens.health")
_store: Store | None = None


def _get_store() -> Store:
    global _store
    if _store is None:
        settings = load_settings()
        if settings.uses_embedded:
            # The Streamlit script owns the embedded data directory; a second open would fail
            # on its lock, so the health route checks the directory the same store uses.
            from dashboard.app.resources import get_store

            _store = get_store(settings)
        else:
            _store = open_store(
                settings,
                server_selection_timeout_ms=min(settings.server_selection_timeout_ms, 2_000),
            )
    return _store


def _health_sync() -> tuple[int, dict[str, object]]:
    """The full health body (details included) and its status; never raises."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        status, body = check_health(None, redis_url=None)
        return status, {**body, "redis": "unknown", "error": f"configuration: {exc}"}
    try:
        store: Store | None = _get_store()
    except Exception as exc:  # noqa: BLE001 - unreachable, locked, unwritable (OSError): all 503
        store = None
        error: str | None = f"{type(exc).__name__}: {exc}"
    else:
        error = None
    status, body = check_health(store, redis_url=settings.redis_url)
    if error:
        body["databaseError"] = error
    return status, body


async def _health(request: Request) -> JSONResponse:
    try:
        status, body = await run_in_threadpool(_health_sync)
    except Exception:  # a bug in the check itself: still a JSON 503, details in the log
        log.exception("/health failed")
        return JSONResponse({"database": "unknown", "redis": "unknown"}, status_code=503)
    if status != 200:
        log.warning("/health answers %s: %s", status, health_details(body))
    return JSONResponse(public_health(body), status_code=status)


def health_routes() -> list[BaseRoute]:
    """The routes ``app.py`` adds to Streamlit's server."""
    return [Route("/health", _health, methods=["GET"])]


def _start_jobs() -> PageLoadFlusher | None:
    """Start the in-app job worker with the server, so jobs queued before a restart run without
    waiting for a page view (with the embedded engine, or ``SPENDLENS_IN_APP_WORKER=true``), and
    the page-load recorder that lets alerts see this replica's page times."""
    from dashboard.app.resources import get_jobs, get_settings, get_store

    try:
        settings = get_settings()
        if settings.runs_worker_in_app:
            get_jobs(settings)
        flusher = PageLoadFlusher(get_store(settings))
        flusher.start()
        return flusher
    except (SettingsError, OSError, sqlite3.Error, RedisError, DatabaseUnavailable):
        log.exception("the background-job worker could not start with the server")
        return None


def _stacks_on_signal() -> None:
    """``kill -USR1 <pid>`` prints every thread's stack to the server's stderr: the one way to see
    where a server that stopped answering is stuck (the browser tests do it on a failure)."""
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, all_threads=True)


@contextlib.asynccontextmanager
async def lifespan(app: object) -> AsyncIterator[None]:
    """The server's start and stop: the in-app worker starts with it, and on shutdown the jobs
    it is running finish first (a job cut short would be recovered, but need not be)."""
    from dashboard.jobs import worker

    _stacks_on_signal()
    flusher = await run_in_threadpool(_start_jobs)
    yield
    if flusher is not None:
        await run_in_threadpool(flusher.stop)
    await run_in_threadpool(worker.stop)
