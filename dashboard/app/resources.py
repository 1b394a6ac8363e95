"""Process-wide resources for the Streamlit app: settings and the store, created once per process."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import streamlit as st

from dashboard.auth.registration import make_registration_throttle
from dashboard.auth.throttle import LoginThrottle, make_throttle
from dashboard.cache import Cache
from dashboard.cache import connect as connect_cache
from dashboard.core.settings import Settings, load_settings
from dashboard.data import bulk
from dashboard.data.indexes import ensure_unique_indexes
from dashboard.data.runner import Runner
from dashboard.jobs.context import JobContext
from dashboard.jobs.queue import JobQueue
from dashboard.jobs.worker import queue_for, start_in_app
from dashboard.store import Store, open_store
from dashboard.store.connect import store_options

__all__ = [
    "StoreStartup",
    "get_cache",
    "get_jobs",
    "get_registration_throttle",
    "get_runner",
    "get_settings",
    "get_store",
    "get_throttle",
    "store_startup",
]

_log = logging.getLogger(__name__)


def _secrets() -> dict[str, Any]:
    try:
        return dict(st.secrets)
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return {}


def get_settings() -> Settings:
    """Settings from the environment and ``.streamlit/secrets.toml`` (read on every run: cheap)."""
    return load_settings(secrets=_secrets())


@st.cache_resource(show_spinner=False)
def _open_store(key: tuple[Any, ...], _settings: Settings) -> Store:
    return open_store(_settings)


def get_store(settings: Settings) -> Store:
    """The one store of this process for these settings (a MongoClient pool or the embedded engine)."""
    options = store_options(settings, settings.store_uri)
    key = (settings.store_uri, settings.mongodb_db, *sorted(options.items()))
    return _open_store(key, settings)


@dataclass(frozen=True)
class StoreStartup:
    """What the app checked on its store at start-up: what it holds (``empty``, ``demo``,
    ``incomplete`` or ``other``, see :func:`dashboard.data.bulk.store_kind`) and the unique
    indexes it could not create (each also logged as an error)."""

    kind: str
    index_problems: tuple[str, ...] = ()


@st.cache_resource(show_spinner=False)
def _store_startup(key: tuple[Any, ...], _store: Store) -> StoreStartup:
    problems = ensure_unique_indexes(_store)
    for problem in problems:
        _log.error("%s: %s", _store.description, problem)
    return StoreStartup(kind=bulk.store_kind(_store), index_problems=tuple(problems))


def store_startup(settings: Settings, store: Store) -> StoreStartup:
    """Once per process and store: ensure the unique indexes the app relies on (a store loaded
    without them would accept a duplicate username) and read what the store holds."""
    return _store_startup((settings.store_uri, settings.mongodb_db), store)


@st.cache_resource(show_spinner=False)
def _open_cache(url: str | None) -> Cache:
    return connect_cache(url)


def get_cache(settings: Settings) -> Cache:
    """The one result cache of this process: Redis when ``REDIS_URL`` is set, else in-process."""
    return _open_cache(settings.redis_url)


@st.cache_resource(show_spinner=False)
def _open_throttle(redis_url: str | None, *limits: int) -> LoginThrottle:
    max_attempts, window_minutes, client_max_attempts, username_soft_limit = limits
    return make_throttle(
        redis_url,
        max_attempts=max_attempts,
        window_minutes=window_minutes,
        client_max_attempts=client_max_attempts,
        username_soft_limit=username_soft_limit,
    )


def get_throttle(settings: Settings) -> LoginThrottle:
    """The login throttle of this process (its counters in Redis when configured)."""
    return _open_throttle(
        settings.redis_url,
        settings.login_max_attempts,
        settings.login_window_minutes,
        settings.login_client_max_attempts,
        settings.login_username_soft_limit,
    )


@st.cache_resource(show_spinner=False)
def _open_registration_throttle(redis_url: str | None) -> LoginThrottle:
    return make_registration_throttle(redis_url)


def get_registration_throttle(settings: Settings) -> LoginThrottle:
    """The registration rate limit of this process (its counters in Redis when configured)."""
    return _open_registration_throttle(settings.redis_url)


def get_runner(settings: Settings | None = None) -> Runner:
    """The store, cache and settings bundled for a page's data functions (this run's settings
    unless given)."""
    settings = settings or get_settings()
    return Runner(store=get_store(settings), cache=get_cache(settings), settings=settings)


@st.cache_resource(show_spinner=False)
def _start_jobs(key: tuple[Any, ...], _context: JobContext) -> JobQueue:
    return start_in_app(_context)


def get_jobs(settings: Settings | None = None) -> tuple[JobContext, JobQueue]:
    """This process's job context and queue. With the embedded engine (or
    ``SPENDLENS_IN_APP_WORKER=true``) the first call starts the worker threads in this process."""
    settings = settings or get_settings()
    context = JobContext(store=get_store(settings), cache=get_cache(settings), settings=settings)
    if settings.runs_worker_in_app:
        key = (settings.store_uri, settings.mongodb_db, settings.queue_backend, settings.redis_url)
        return context, _start_jobs(key, context)
    return context, queue_for(settings)
