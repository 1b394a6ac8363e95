"""HTTP routes added to Streamlit's server: ``/health`` for load balancers (scaling notes)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from dashboard.core.settings import SettingsError, load_settings
from dashboard.store import DatabaseUnavailable, Store, open_store
from dashboard.views.health import check_health

__all__ = ["health_routes"]

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
    try:
        settings = load_settings()
    except SettingsError as exc:
        return 503, {"database": "disconnected", "redis": "unknown", "error": str(exc)}
    try:
        store: Store | None = _get_store()
    except DatabaseUnavailable as exc:
        store = None
        error = str(exc)
    else:
        error = None
    status, body = check_health(store, redis_url=settings.redis_url)
    if error:
        body["databaseError"] = error
    return status, body


async def _health(request: Request) -> JSONResponse:
    status, body = await run_in_threadpool(_health_sync)
    return JSONResponse(body, status_code=status)


def health_routes() -> list[BaseRoute]:
    return [Route("/health", _health, methods=["GET"])]
