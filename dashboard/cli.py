"""``python -m dashboard``: seed demo data, create indexes, check health (for cron and deploys)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from dashboard.config import SettingsError, load_settings
from dashboard.store import DatabaseUnavailable, Store, connect

__all__ = ["main"]

DEMO_USERS = 2_000
DEMO_MONTHS = 12


class CliError(Exception):
    """A one-line error for the terminal; exit code 2."""


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {number}")
    return number


def _date(value: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    seed = sub.add_parser("seed", help="write a deterministic demo data set")
    seed.add_argument("--users", type=_positive, default=DEMO_USERS, help="ordinary users")
    seed.add_argument("--months", type=_positive, default=DEMO_MONTHS, help="months of history")
    seed.add_argument("--seed", type=int, default=42, help="random seed (same seed, same data)")
    seed.add_argument("--end", type=_date, default=None, help="last day (default: today, UTC)")
    seed.add_argument("--uri", default=None, help="store URI (default: from settings)")
    seed.add_argument("--reset", action="store_true", help="replace existing data")
    seed.add_argument(
        "--if-empty",
        action="store_true",
        help="seed only when the database holds no users (used by `make run`)",
    )

    indexes = sub.add_parser("indexes", help="create the indexes Spendlens needs (idempotent)")
    indexes.add_argument("--uri", default=None)

    health = sub.add_parser("health", help="print health JSON; exit 0 when the database answers")
    health.add_argument("--uri", default=None)
    return parser


def _open(uri: str | None) -> Store:
    settings = load_settings()
    return connect(
        uri or settings.store_uri,
        db_name=settings.mongodb_db,
        **(
            {
                "read_preference": settings.read_preference,
                "max_time_ms": settings.max_time_ms,
                "server_selection_timeout_ms": settings.server_selection_timeout_ms,
                "max_pool_size": settings.max_pool_size,
            }
            if (uri or settings.store_uri).startswith("mongodb")
            else {}
        ),
    )


def _seed(args: argparse.Namespace) -> int:
    from dashboard.indexes import ensure_indexes
    from dashboard.progress import TerminalProgress
    from dashboard.seed import SeedRefused, seed_store
    from dashboard.store.embedded import EmbeddedStore

    with _open(args.uri) as store:
        if args.if_empty:
            if not isinstance(store, EmbeddedStore):
                print(f"{store.description}: not seeding a MongoDB database automatically")
                return 0
            if store.count_documents("users", {}) > 0:
                print(f"{store.description}: data present, not seeding")
                return 0
            print(f"First run: seeding a demo data set into {store.description}")
        try:
            summary = seed_store(
                store,
                users=args.users,
                months=args.months,
                seed=args.seed,
                end=args.end,
                reset=args.reset,
                progress=TerminalProgress(),
            )
        except SeedRefused as exc:
            raise CliError(str(exc)) from exc
        # After the bulk load: faster, and a --reset dropped the collections with their indexes.
        ensure_indexes(store)
        _invalidate_cache()
        print(
            f"seeded {store.description}: {summary.users:,} users, {summary.expenses:,} expenses, "
            f"{summary.budgets:,} budgets, {summary.api_requests:,} API requests "
            f"({summary.start:%Y-%m-%d} to {summary.end:%Y-%m-%d})"
        )
    return 0


def _invalidate_cache() -> None:
    """New data: every cached result of every replica is stale (Redis; in-process caches expire)."""
    settings = load_settings()
    if settings.redis_url:
        from dashboard.cache import connect as connect_cache

        cache = connect_cache(settings.redis_url)
        cache.invalidate_all()
        cache.close()


def _indexes(args: argparse.Namespace) -> int:
    from dashboard.indexes import ensure_indexes

    with _open(args.uri) as store:
        for name in ensure_indexes(store):
            print(name)
    return 0


def _health(args: argparse.Namespace) -> int:
    from dashboard.health import check_health

    settings = load_settings()
    try:
        store: Store | None = _open(args.uri)
    except DatabaseUnavailable as exc:
        store = None
        print(f"database unavailable: {exc}", file=sys.stderr)
    try:
        status, body = check_health(store, redis_url=settings.redis_url)
    finally:
        if store is not None:
            store.close()
    print(json.dumps(body))
    return 0 if status == 200 else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {"seed": _seed, "indexes": _indexes, "health": _health}
    try:
        return commands[args.command](args)
    except (CliError, SettingsError, DatabaseUnavailable, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
