"""Deterministic, realistic demo data for Spendlens: users, expenses, budgets and the API request log.

``seed_store(store, users=500, months=14)`` writes a data set shaped like the Expense Tracker's real
one; ``generate(...)`` yields the same documents in batches without a store. Same ``seed``, ``users``,
``months`` and ``end`` give identical documents, ObjectIds and the demo accounts' password hashes
included: their bcrypt salt (cost 12) is derived from the seed and the username, which is fine for
demo passwords that are published anyway (and makes the 4 hashes cheap to reuse within a process).

What is in it (the dashboards and their tests rely on it): sign-ups spread over the period (a launch
cohort, then growth), churn, per-user spending level (log-normal) and category mix (Dirichlet), bills
and subscriptions on fixed days of the month, a weekend and a December peak, local hours of day
converted to UTC through each user's timezone; an API log consistent with that activity, hiding one
slow UTC day and one 30-60 minute error burst (both reported in :class:`SeedSummary`). The habits live
in :mod:`dashboard.seed_profiles`, the vectorised draws in :mod:`dashboard.seed_events` and
:mod:`dashboard.seed_api`; this module turns arrays into documents and writes them.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import bcrypt
import numpy as np
from bson import ObjectId

from dashboard.core.demo import DEMO_ACCOUNTS
from dashboard.data import bulk
from dashboard.data.indexes import ensure_indexes
from dashboard.seed import profiles
from dashboard.seed.api_log import ANONYMOUS, api_requests, incident_probes, pick_incidents
from dashboard.seed.events import (
    DESCRIPTIONS,
    Arrays,
    Calendar,
    Users,
    budgets,
    expenses,
    make_users,
)
from dashboard.store.base import Store

__all__ = ["COLLECTIONS", "SeedRefused", "SeedSummary", "generate", "seed_store"]

#: The collections the seed writes, in a safe insertion order.
COLLECTIONS: tuple[str, ...] = ("users", "expenses", "budgets", "api_requests")
Document = dict[str, Any]
Progress = Callable[[str, int, int | None], None]

_CHUNK_USERS = 500  # users generated together; fixed so that batch_size never changes the data
_BCRYPT_ROUNDS = 12
_STD_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_BCRYPT_B64 = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_CATEGORY = np.array(profiles.CATEGORIES, dtype=object)
_DESCRIPTION = np.array(DESCRIPTIONS, dtype=object)
_CURRENCY = np.array([z.currency for z in profiles.ZONES], dtype=object)
_METHOD = np.array([e.method for e in profiles.ENDPOINTS], dtype=object)
_ROUTE = np.array([e.route for e in profiles.ENDPOINTS], dtype=object)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAMES = {region: (first.split(), last.split()) for region, (first, last) in profiles.NAMES.items()}


class SeedRefused(ValueError):
    """The store already holds data in a collection the seed would write."""


@dataclass(frozen=True)
class SeedSummary:
    """What was written: document counts (demo accounts included in ``users``), the period
    [start, end), the slow UTC day and the error burst window [start, end)."""

    users: int
    expenses: int
    budgets: int
    api_requests: int
    slow_day: date
    error_burst: tuple[datetime, datetime]
    start: datetime
    end: datetime


def generate(
    *,
    users: int,
    months: int,
    seed: int = 42,
    end: datetime | None = None,
    batch_size: int = 50_000,
) -> Iterator[tuple[str, list[Document]]]:
    """Yield (collection, batch of documents) in an order safe to insert (users first).

    ``users`` ordinary users (plus the 4 demo accounts) over the ``months`` calendar months before
    ``end`` (default: today 00:00 UTC; a naive datetime is taken as UTC, as pymongo does). Batches
    hold ``batch_size`` documents except the last of each collection; they do not change the data.
    """
    if batch_size < 1:
        msg = f"batch_size must be at least 1, got {batch_size}"
        raise ValueError(msg)
    return _Plan(users=users, months=months, seed=seed, end=end).batches(batch_size)


def seed_store(
    store: Store,
    *,
    users: int,
    months: int,
    seed: int = 42,
    end: datetime | None = None,
    reset: bool = False,
    progress: Progress | None = None,
) -> SeedSummary:
    """Write the data set, then the indexes, then mark the store as the complete demo data set.

    Raises :class:`SeedRefused` when any of users/expenses/budgets/api_requests is non-empty and
    ``reset`` is False; with ``reset`` those 4 collections are dropped first (their indexes too).
    ``progress(collection, written, total)`` is told every collection's total first (written = 0),
    then after every batch; totals cost a second, array-only pass over the data.

    The seed's marker (:func:`dashboard.data.bulk.begin_seed`) is written before anything is
    dropped or loaded and marked complete only after the indexes exist, so a seed killed at any
    point leaves a store that says it is incomplete (``seed --if-empty`` then starts it again).
    """
    _check_size(users, months)
    busy = bulk.filled(store, COLLECTIONS)
    if busy and not reset:
        marker = bulk.seed_marker(store)
        unfinished = marker is not None and marker.get("complete") is not True
        why = " (an earlier seed was interrupted)" if unfinished else ""
        msg = (
            f"refusing to seed: {', '.join(busy)} not empty{why}; pass reset=True to drop and "
            "replace them"
        )
        raise SeedRefused(msg)
    plan = _Plan(users=users, months=months, seed=seed, end=end)
    bulk.begin_seed(store, {"users": users, "months": months, "seed": seed, "end": plan.end})
    if reset:
        bulk.drop(store, COLLECTIONS)
    totals = plan.totals() if progress is not None else dict.fromkeys(COLLECTIONS, 0)
    if progress is not None:
        for collection in COLLECTIONS:
            progress(collection, 0, totals[collection])
    written = dict.fromkeys(COLLECTIONS, 0)
    for collection, docs in plan.batches(50_000):
        bulk.insert(store, collection, docs)
        written[collection] += len(docs)
        if progress is not None:
            progress(collection, written[collection], totals[collection])
    # After the bulk load (faster), and a reset dropped the collections with their indexes.
    ensure_indexes(store)
    bulk.finish_seed(store)
    begin, end_ms = plan.incidents.burst
    return SeedSummary(
        **written,
        slow_day=_datetime(plan.incidents.slow_day).date(),
        error_burst=(_datetime(begin), _datetime(end_ms)),
        start=plan.start,
        end=plan.end,
    )


class _Plan:
    """One data set: the period, the incidents and the users are drawn up front; expenses, budgets
    and requests are drawn per chunk of users from a saved generator state (so they can be replayed)."""

    def __init__(self, *, users: int, months: int, seed: int, end: datetime | None) -> None:
        _check_size(users, months)
        self.end = _day_start(datetime.now(UTC)) if end is None else _to_utc_ms(end)
        self.start = _months_before(self.end, months)
        self.rng = np.random.Generator(np.random.PCG64(seed))
        self.cal = Calendar.covering(_ms(self.start), _ms(self.end))
        self.incidents = pick_incidents(self.rng, self.cal.start_ms, self.cal.end_ms)
        self._prefix = {c: self.rng.bytes(5) for c in COLLECTIONS}
        self._counter0 = {c: int(self.rng.integers(0, 1 << 24)) for c in COLLECTIONS}
        self.users = make_users(self.rng, self.cal, users, len(DEMO_ACCOUNTS))
        ids = self._ids("users", self.users.signup, 0)
        self.user_docs = _user_docs(self.rng, self.users, ids, seed)
        self._user_ids = np.empty(len(self.user_docs), dtype=object)
        self._user_ids[:] = [doc["_id"] for doc in self.user_docs]
        self._state = self.rng.bit_generator.state

    def _chunks(self) -> Iterator[tuple[str, Arrays, int]]:
        """(collection, arrays, first user row) in generation order, replayed from the saved state."""
        rng, cal, inc = self.rng, self.cal, self.incidents
        rng.bit_generator.state = self._state
        for lo in range(0, len(self.users), _CHUNK_USERS):
            chunk = self.users.take(lo, lo + _CHUNK_USERS)
            spent = expenses(rng, cal, chunk)
            yield "expenses", spent, lo
            yield "budgets", budgets(rng, cal, chunk), lo
            yield "api_requests", api_requests(rng, chunk, spent, inc, cal.start_ms, cal.end_ms), lo
        yield "api_requests", incident_probes(rng, inc), 0

    def totals(self) -> dict[str, int]:
        """How many documents each collection will get (an array-only pass)."""
        counts = dict.fromkeys(COLLECTIONS, 0)
        counts["users"] = len(self.user_docs)
        for collection, arrays, _ in self._chunks():
            counts[collection] += len(next(iter(arrays.values())))
        return counts

    def batches(self, batch_size: int) -> Iterator[tuple[str, list[Document]]]:
        """Documents in full batches per collection (users first, then as chunks are generated)."""
        for i in range(0, len(self.user_docs), batch_size):
            yield "users", self.user_docs[i : i + batch_size]
        built = dict.fromkeys(COLLECTIONS, 0)
        pending: dict[str, list[Document]] = {c: [] for c in COLLECTIONS[1:]}
        build = {
            "expenses": self._expense_docs,
            "budgets": self._budget_docs,
            "api_requests": self._api_docs,
        }
        for collection, arrays, lo in self._chunks():
            n, i = len(next(iter(arrays.values()))), 0
            while i < n:
                take = min(batch_size - len(pending[collection]), n - i)
                rows = {k: v[i : i + take] for k, v in arrays.items()}
                pending[collection] += build[collection](rows, lo, built[collection])
                built[collection] += take
                i += take
                if len(pending[collection]) == batch_size:
                    yield collection, pending[collection]
                    pending[collection] = []
        for collection, docs in pending.items():
            if docs:
                yield collection, docs

    def _ids(self, collection: str, ms: np.ndarray, index: int) -> list[ObjectId]:
        """ObjectIds like MongoDB's: creation second, 5 bytes per collection, a 3-byte counter."""
        n = len(ms)
        raw = np.empty((n, 12), dtype=np.uint8)
        raw[:, :4] = (ms // 1000).astype(">u4").view(np.uint8).reshape(n, 4)
        raw[:, 4:9] = np.frombuffer(self._prefix[collection], dtype=np.uint8)
        counter = (self._counter0[collection] + index + np.arange(n)) % (1 << 24)
        raw[:, 9:] = counter.astype(">u4").view(np.uint8).reshape(n, 4)[:, 1:]
        buf = raw.tobytes()
        return [ObjectId(buf[i : i + 12]) for i in range(0, 12 * n, 12)]

    def _expense_docs(self, rows: Arrays, lo: int, index: int) -> list[Document]:
        owner = rows["owner"] + lo
        created_ms, updated_ms = rows["created"].tolist(), rows["updated"].tolist()
        created = _datetimes(rows["created"])
        updated = [
            c if u == m else _datetime(u)
            for u, m, c in zip(updated_ms, created_ms, created, strict=True)
        ]
        deleted = [None if ms < 0 else _datetime(ms) for ms in rows["deleted"].tolist()]
        columns = zip(
            self._ids("expenses", rows["created"], index), self._user_ids[owner].tolist(),
            rows["amount"].tolist(), _CURRENCY[self.users.zone[owner]].tolist(),
            _CATEGORY[rows["cat"]].tolist(), _DESCRIPTION[rows["desc"]].tolist(), rows["recurring"].tolist(),
            _datetimes(rows["date"]), created, updated, deleted, strict=True,
        )  # fmt: skip
        return [
            {"_id": i, "userId": u, "amount": a, "currency": cur, "category": cat, "description": d,
             "tags": ["recurring"] if r else [], "date": t, "createdAt": c, "updatedAt": up, "deletedAt": x}
            for i, u, a, cur, cat, d, r, t, c, up, x in columns
        ]  # fmt: skip

    def _budget_docs(self, rows: Arrays, lo: int, index: int) -> list[Document]:
        columns = zip(
            self._ids("budgets", rows["created"], index), self._user_ids[rows["owner"] + lo].tolist(),
            _CATEGORY[rows["cat"]].tolist(), _datetimes(rows["month"]), rows["limit"].tolist(), strict=True,
        )  # fmt: skip
        return [
            {"_id": i, "userId": u, "category": c, "month": m, "limit": limit}
            for i, u, c, m, limit in columns
        ]

    def _api_docs(self, rows: Arrays, lo: int, index: int) -> list[Document]:
        ep, actor = rows["ep"], rows["actor"]
        anonymous = ANONYMOUS[ep] | (actor < 0)
        user = np.where(anonymous, None, self._user_ids[np.where(anonymous, 0, actor + lo)])
        columns = zip(
            self._ids("api_requests", rows["ts"], index), _datetimes(rows["ts"]), _METHOD[ep].tolist(),
            _ROUTE[ep].tolist(), rows["status"].tolist(), rows["latency"].tolist(), rows["db"].tolist(),
            user.tolist(), rows["bytes"].tolist(), strict=True,
        )  # fmt: skip
        return [
            {"_id": i, "ts": t, "method": m, "route": r, "status": s, "latencyMs": lat, "dbMs": db,
             "userId": u, "bytes": b}
            for i, t, m, r, s, lat, db, u, b in columns
        ]  # fmt: skip


def _check_size(users: int, months: int) -> None:
    if users < 0 or months < 1:
        msg = f"need users >= 0 and months >= 1, got users={users}, months={months}"
        raise ValueError(msg)


def _user_docs(
    rng: np.random.Generator, users: Users, ids: list[ObjectId], seed: int
) -> list[Document]:
    """User documents: demo accounts (with password hashes) first, then ordinary users with names
    from their region, unique usernames and emails at reserved example domains."""
    n, demo = len(ids), len(DEMO_ACCOUNTS)
    first, last, style = rng.random(n), rng.random(n), rng.integers(0, 4, n)
    digits = np.where(rng.random(n) < 0.4, rng.integers(1, 100, n), -1)
    domain = rng.integers(0, len(profiles.EMAIL_DOMAINS), n)
    taken = {account.username for account in DEMO_ACCOUNTS}
    docs: list[Document] = []
    for i in range(n):
        zone = profiles.ZONES[users.zone[i]]
        if i < demo:
            account = DEMO_ACCOUNTS[i]
            username, name, role = account.username, account.name, account.role
            email, roles = f"{username}@spendlens.example", [role]
        else:
            firsts, lasts = _NAMES[zone.region]
            given, family = firsts[int(first[i] * len(firsts))], lasts[int(last[i] * len(lasts))]
            name, roles = f"{given} {family}", ["user"]
            username = _unique(_username(given, family, int(style[i]), int(digits[i])), taken)
            email = f"{username}@{profiles.EMAIL_DOMAINS[domain[i]]}"
        doc: Document = {
            "_id": ids[i], "username": username, "name": name, "email": email,
            "createdAt": _datetime(int(users.signup[i])), "timezone": zone.name, "currency": zone.currency,
            "roles": roles, "lastActiveAt": _datetime(int(users.last[i])), "disabled": bool(users.disabled[i]),
        }  # fmt: skip
        if i < demo:
            salt = hashlib.blake2b(f"spendlens:{seed}:{username}".encode(), digest_size=16).digest()
            doc["passwordHash"] = _password_hash(DEMO_ACCOUNTS[i].password, salt)
            doc["mustChangePassword"] = False
        docs.append(doc)
    return docs


def _username(given: str, family: str, style: int, digits: int) -> str:
    """A login name in one of the usual shapes: ``ana.silva``, ``anasilva``, ``ana_silva``, ``asilva``."""
    g, f = (
        unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()
        for s in (given, family)
    )
    g, f = ("".join(ch for ch in s if ch.isalnum()) for s in (g, f))
    base = (f"{g}.{f}", f"{g}{f}", f"{g}_{f}", f"{g[:1]}{f}")[style]
    return f"{base}{digits}" if digits >= 0 else base


def _unique(username: str, taken: set[str]) -> str:
    """``username``, or it with the smallest suffix 2, 3, ... not yet taken (and take it)."""
    candidate, k = username, 1
    while candidate in taken:
        k += 1
        candidate = f"{username}{k}"
    taken.add(candidate)
    return candidate


@lru_cache(maxsize=64)
def _password_hash(password: str, salt: bytes) -> str:
    """bcrypt (cost 12) of ``password`` with 16 given salt bytes, encoded as ``gensalt`` does."""
    encoded = base64.b64encode(salt)[:22].translate(bytes.maketrans(_STD_B64, _BCRYPT_B64))
    return bcrypt.hashpw(password.encode(), b"$2b$%d$" % _BCRYPT_ROUNDS + encoded).decode()


def _datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _datetimes(ms: np.ndarray) -> list[datetime]:
    """Aware UTC datetimes of epoch milliseconds (exact: float seconds are precise to well under 1 µs)."""
    stamp = datetime.fromtimestamp
    return [stamp(s, UTC) for s in (ms / 1000).tolist()]


def _ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _to_utc_ms(moment: datetime) -> datetime:
    """``moment`` in UTC (naive means UTC) truncated to milliseconds, BSON's precision."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.replace(microsecond=aware.microsecond // 1000 * 1000)


def _day_start(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def _months_before(moment: datetime, months: int) -> datetime:
    """The same time ``months`` calendar months earlier (day clamped to the month's length)."""
    year, month0 = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month0 + 1)[1])
    return moment.replace(year=year, month=month0 + 1, day=day)
