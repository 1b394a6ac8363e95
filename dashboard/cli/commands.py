"""``python -m dashboard``: seed demo data, create indexes, build the daily rollups, check health,
write finance reports (for cron and deploys), run the background-job worker."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from bson import ObjectId

from dashboard.cli import worker
from dashboard.core.faults import storage_fault
from dashboard.core.identity import AuthUser, PermissionDenied
from dashboard.core.settings import Settings, SettingsError, load_settings
from dashboard.data import users
from dashboard.exports import FORMATS, offered
from dashboard.store import DatabaseUnavailable, Store, open_store

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
        help="seed only an empty embedded store, or again after an interrupted seed; never in "
        "production or on MongoDB (used by `make run`)",
    )

    indexes = sub.add_parser("indexes", help="create the indexes Spendlens needs (idempotent)")
    indexes.add_argument("--uri", default=None)

    built = sub.add_parser("rollups", help="bring the product pages' daily rollups up to date")
    built.add_argument("--uri", default=None)

    health = sub.add_parser("health", help="print health JSON; exit 0 when the database answers")
    health.add_argument("--uri", default=None)
    _report_parser(sub)
    worker.add_parser(sub)
    return parser


def _one_line_error(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _report_parser(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser(
        "report",
        help="write a finance period report (csv, xlsx, pdf, parquet)",
        description="Write a finance report over all users, e.g. for cron: "
        "python -m dashboard report --period 2025-10 --format xlsx --out report.xlsx",
    )
    report.error = _one_line_error  # type: ignore[method-assign]  # one line, not usage + error
    report.add_argument(
        "--period", required=True, help="YYYY-MM, YYYY-Qn, YYYY or FROM:TO (YYYY-MM-DD:YYYY-MM-DD)"
    )
    report.add_argument(
        "--format", required=True, choices=[fmt.key for fmt in offered("cli")], help="file format"
    )
    report.add_argument("--out", required=True, type=Path, help="the file to write")
    report.add_argument(
        "--timezone", default=None, help="IANA zone (default: SPENDLENS_REPORT_TIMEZONE, else UTC)"
    )
    report.add_argument("--bom", action="store_true", help="CSV: start with a UTF-8 BOM for Excel")
    report.add_argument(
        "--user",
        default=None,
        help="audit the export as this finance account (default: cli:<os user>)",
    )
    report.add_argument("--uri", default=None, help="store URI (default: from settings)")
    report.add_argument("--quiet", action="store_true", help="no progress bar")


def _open(uri: str | None) -> Store:
    return open_store(_settings(), uri=uri)


def _settings() -> Settings:
    """This process's settings; the command line signs no login cookie, so needs no cookie key."""
    return load_settings(signs_cookies=False)


def _settings_for(uri: str | None) -> Settings:
    """The settings the app would read for the store at ``uri``: with a MongoDB URI, production
    unless ``SPENDLENS_ENV`` says otherwise; with an embedded one, development unless it says
    ``production``."""
    settings = _settings()
    if uri is None or (os.environ.get("SPENDLENS_ENV") or "").strip():
        return settings
    mongodb = uri.startswith(("mongodb://", "mongodb+srv://"))
    return replace(settings, env="production" if mongodb else "development")


_PRODUCTION_NEVER_SEEDS = (
    "production never seeds the demo data set: its accounts' passwords are published. "
    "Seed an embedded store in development to try Spendlens"
)


def _seed(args: argparse.Namespace) -> int:
    from dashboard.cli.progress import TerminalProgress
    from dashboard.data import bulk
    from dashboard.seed.dataset import SeedRefused, seed_store
    from dashboard.store.embedded import EmbeddedStore

    settings = _settings_for(args.uri)
    reset = args.reset
    with open_store(settings, uri=args.uri) as store:
        if args.if_empty:
            if not isinstance(store, EmbeddedStore):
                print(f"{store.description}: not seeding a MongoDB database automatically")
                return 0
            if settings.is_production:
                print(f"{store.description}: not seeding ({_PRODUCTION_NEVER_SEEDS})")
                return 0
            kind = bulk.store_kind(store)
            if kind in ("demo", "other"):
                label = "demo data" if kind == "demo" else "data"
                print(f"{store.description}: {label} present, not seeding")
                return 0
            if kind == "incomplete":
                # Start again rather than resume: the data set depends on the day it is seeded
                # (``--end`` defaults to today) and on the options, and a batch may be half-written.
                print(f"An earlier seed of {store.description} did not finish: seeding it again")
                reset = True
            else:
                print(f"First run: seeding a demo data set into {store.description}")
        elif settings.is_production:
            raise CliError(
                f"{_PRODUCTION_NEVER_SEEDS} (SPENDLENS_ENV=development seeds a MongoDB database)."
            )
        try:
            summary = seed_store(
                store,
                users=args.users,
                months=args.months,
                seed=args.seed,
                end=args.end,
                reset=reset,
                progress=TerminalProgress(),
            )
        except SeedRefused as exc:
            raise CliError(str(exc)) from exc
        print(
            f"seeded {store.description}: {summary.users:,} users, {summary.expenses:,} expenses, "
            f"{summary.budgets:,} budgets, {summary.api_requests:,} API requests "
            f"({summary.start:%Y-%m-%d} to {summary.end:%Y-%m-%d})"
        )
        _build_rollups(store)
        _invalidate_cache()
    return 0


def _build_rollups(store: Store) -> None:
    """Rebuild or refresh the daily rollups, a line per rollup, so the first page view is quick."""
    import time

    from dashboard.cache import MemoryCache
    from dashboard.data import rollups
    from dashboard.data.runner import Runner

    runner = Runner(store=store, cache=MemoryCache(), settings=_settings())
    system = AuthUser(
        id=ObjectId("0" * 24), username="cli", name="cli", email=None, roles=("product",)
    )
    for rollup in rollups.ROLLUPS:
        print(f"daily rollup {rollup.collection}: ", end="", flush=True)
        started = time.perf_counter()
        outcome = rollups.refresh_rollup(
            runner, system, rollup, now=datetime.now(UTC), force=True, wait=True
        )
        if outcome == "failed":
            raise CliError(f"building {rollup.collection} failed (the log above says why)")
        print(f"{outcome} in {time.perf_counter() - started:.1f} s")


def _rollups(args: argparse.Namespace) -> int:
    with _open(args.uri) as store:
        _build_rollups(store)
    _invalidate_cache()
    return 0


def _invalidate_cache() -> None:
    """New data: every cached result of every replica is stale (Redis; in-process caches expire).

    Fails the command when Redis did not record it: the data is written, but the replicas would
    go on serving results computed before it until they expire.
    """
    settings = _settings()
    if not settings.redis_url:
        return
    from dashboard.cache import connect as connect_cache
    from dashboard.cache.keys import KEY_VERSION

    cache = connect_cache(settings.redis_url)
    try:
        cache.invalidate_all()
        delivered = cache.flush_invalidations()
    finally:
        cache.close()
    if not delivered:
        raise CliError(
            f"the data is written, but {cache.description} did not record that cached results are "
            "now stale: the app may show older results until they expire (at most about 35 "
            f"minutes). Once Redis answers, run `redis-cli INCR spendlens:{KEY_VERSION}:gen` or this "
            "command again."
        )


def _indexes(args: argparse.Namespace) -> int:
    from dashboard.data.indexes import ensure_indexes

    with _open(args.uri) as store:
        for name in ensure_indexes(store):
            print(name)
    return 0


def _health(args: argparse.Namespace) -> int:
    from dashboard.views.health import check_health

    settings = _settings()
    try:
        store: Store | None = _open(args.uri)
    except (DatabaseUnavailable, OSError) as exc:
        store = None
        print(f"database unavailable: {exc}", file=sys.stderr)
    try:
        status, body = check_health(store, redis_url=settings.redis_url)
    finally:
        if store is not None:
            store.close()
    print(json.dumps(body))
    return 0 if status == 200 else 1


def _report_user(store: Store, username: str | None) -> AuthUser:
    if username is None:
        return AuthUser(
            id=ObjectId("0" * 24),
            username=f"cli:{getpass.getuser()}",
            name="command line",
            email=None,
            roles=("finance",),
        )
    found = users.by_username(store, username)
    if found is None:
        raise CliError(f"no user named {username!r}")
    user = AuthUser.from_document(found)
    if found.get("disabled") or not user.has_role("finance"):
        raise CliError(f"user {username!r} is disabled or lacks the finance role")
    return user


def _report(args: argparse.Namespace) -> int:
    from dashboard.cache import connect as connect_cache
    from dashboard.cli.progress import TerminalProgress
    from dashboard.core.periods import parse_period
    from dashboard.data.runner import Runner
    from dashboard.exports.write import export_file

    settings = _settings()
    period = parse_period(args.period, tz=args.timezone or settings.report_timezone)
    out = args.out.expanduser().resolve()
    if not out.parent.is_dir():
        raise CliError(f"cannot write {args.out}: folder {out.parent} does not exist")
    reads_rows = FORMATS[args.format].reads_rows
    progress = None if args.quiet or not reads_rows else TerminalProgress()
    with _open(args.uri) as store:
        runner = Runner(store=store, cache=connect_cache(None), settings=settings)
        user = _report_user(store, args.user)
        try:
            result = export_file(
                runner, user, period, fmt=args.format, path=out, bom=args.bom, progress=progress
            )
        except PermissionDenied as exc:
            raise CliError(str(exc)) from exc
        except OSError as exc:
            raise CliError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
        finally:
            if progress is not None:
                progress.close()
    if result.note:
        print(f"note: {result.note}", file=sys.stderr)
    print(f"wrote {args.out}: {period.label()} ({period.tz}), {args.format}, {result.rows:,} rows")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        message = f"unrecognized arguments: {' '.join(extra)}"
        if args.command == "report":
            _one_line_error(message)
        parser.error(message)
    commands = {
        "seed": _seed,
        "indexes": _indexes,
        "rollups": _rollups,
        "health": _health,
        "report": _report,
        "worker": lambda args: worker.run(args, _settings()),
    }
    try:
        return commands[args.command](args)
    except (CliError, SettingsError, DatabaseUnavailable, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # disk full, read-only or unwritable data directory: no traceback
        print(_storage_error(exc), file=sys.stderr)
        return 2


def _storage_error(exc: OSError) -> str:
    """What failed, where (the operator runs the command: the path helps) and what to do."""
    fault = storage_fault(exc, doing="write or open its data", outcome="")
    where = f" File: {exc.filename}" if exc.filename else ""
    return f"error: {fault.message}{where}\n{fault.hint}"
