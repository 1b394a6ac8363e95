"""Health of the app's dependencies, as the scaling notes' ``/health`` endpoint reports it.

:func:`check_health` measures everything (ping latencies, the database's own error text); the
anonymous ``/health`` route shows only :func:`public_health`'s fields, because an error text can
name the data directory, the pid holding its lock or the MongoDB hosts. The details go to the log
(:func:`health_details`) and to signed-in staff pages.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from dashboard.store.base import Store

__all__ = ["PUBLIC_FIELDS", "STARTED", "check_health", "health_details", "public_health"]

STARTED = time.monotonic()
#: The scaling notes' fields: all an anonymous caller of ``/health`` gets.
PUBLIC_FIELDS = ("uptime", "timestamp", "database", "redis")


def _redis_status(redis_url: str | None) -> tuple[str, float | None]:
    if not redis_url:
        return "not configured", None
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis.from_url(
        redis_url, socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )
    started = time.perf_counter()
    try:
        client.ping()
    except redis.exceptions.RedisError:
        return "disconnected", None
    finally:
        client.close()
    return "connected", (time.perf_counter() - started) * 1000


def check_health(store: Store | None, *, redis_url: str | None) -> tuple[int, dict[str, Any]]:
    """``(status, body)``: 200 when the database answers a ping, 503 when it does not.

    ``body`` has the scaling notes' fields ``uptime``, ``timestamp``, ``database``, ``redis``, plus
    ping latencies in milliseconds and, when the database does not answer, ``databaseError`` (its
    text may name internal paths and hosts: see :func:`public_health`).
    """
    body: dict[str, Any] = {
        "uptime": round(time.monotonic() - STARTED, 3),
        "timestamp": int(datetime.now(UTC).timestamp() * 1000),
        "database": "disconnected",
        "redis": "not configured",
    }
    if store is not None:
        started = time.perf_counter()
        try:
            store.ping()
        except Exception as exc:  # noqa: BLE001 - any failure means the database is not usable
            body["databaseError"] = str(exc)
        else:
            body["database"] = "connected"
            body["databasePingMs"] = round((time.perf_counter() - started) * 1000, 3)
    body["redis"], redis_ms = _redis_status(redis_url)
    if redis_ms is not None:
        body["redisPingMs"] = round(redis_ms, 3)
    return (200 if body["database"] == "connected" else 503), body


def public_health(body: dict[str, Any]) -> dict[str, Any]:
    """Only the :data:`PUBLIC_FIELDS` of a :func:`check_health` body (for anonymous callers)."""
    return {field: body[field] for field in PUBLIC_FIELDS if field in body}


def health_details(body: dict[str, Any]) -> dict[str, Any]:
    """What :func:`public_health` leaves out (latencies, error texts): for the log and staff."""
    return {field: value for field, value in body.items() if field not in PUBLIC_FIELDS}
