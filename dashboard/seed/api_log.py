"""The Expense Tracker API's request log for :mod:`dashboard.seed`, derived from the users' activity.

Every created expense is a ``POST /api/expenses`` with the reads, logins, edits and deletes a client
makes around it; browsing sessions, sign-ups and health checks come on top. Two incidents are hidden
in it: a slow UTC day (every latency several times higher) and a 30-60 minute error burst (many
500/503 responses, client retries, load-balancer health probes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dashboard.seed import profiles
from dashboard.seed.events import DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS, Arrays, Users

_MEDIAN = np.array([e.latency_ms for e in profiles.ENDPOINTS])
_SIGMA = np.array([e.latency_sigma for e in profiles.ENDPOINTS])
_DB_SHARE = np.array([e.db_share for e in profiles.ENDPOINTS])
_BYTES = np.array([e.bytes for e in profiles.ENDPOINTS])
ANONYMOUS = np.array([e.anonymous for e in profiles.ENDPOINTS])


@dataclass(frozen=True)
class Incidents:
    """The slow day (00:00 UTC of it, ms) and the error burst window [start, end) (ms)."""

    slow_day: int
    burst: tuple[int, int]


def pick_incidents(rng: np.random.Generator, start_ms: int, end_ms: int) -> Incidents:
    """A full UTC day in the last third of the period, and a burst on another day after the first
    15% of it, in the afternoon UTC when both the Americas and Europe are awake."""
    first_full, last_full = -(-start_ms // DAY_MS), end_ms // DAY_MS - 1
    span = end_ms - start_ms
    slow_from = max(first_full, -(-(start_ms + 2 * span // 3) // DAY_MS))
    slow = int(rng.integers(slow_from, last_full + 1))
    days = np.arange(max(first_full, -(-(start_ms + span * 15 // 100) // DAY_MS)), last_full + 1)
    day = int(rng.choice(days[days != slow]))
    begin = day * DAY_MS + 14 * HOUR_MS + int(rng.integers(0, 300)) * MINUTE_MS
    return Incidents(slow * DAY_MS, (begin, begin + int(rng.integers(30, 61)) * MINUTE_MS))


class _Log:
    """Columns of requests being collected: time, endpoint, acting user (-1: unknown), status (0: OK)."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(
        self, ts: np.ndarray, ep: int, actor: np.ndarray | int, status: np.ndarray | int = 0
    ) -> None:
        n = len(ts)
        self.parts.append(
            (ts, np.full(n, ep), np.broadcast_to(actor, n), np.broadcast_to(status, n))
        )

    def columns(self) -> tuple[np.ndarray, ...]:
        return tuple(
            np.concatenate(column).astype(np.int64) for column in zip(*self.parts, strict=True)
        )


def api_requests(
    rng: np.random.Generator, users: Users, exp: Arrays, inc: Incidents, start_ms: int, end_ms: int
) -> Arrays:
    """Requests of ``users`` (``actor`` indexes them) around their expenses ``exp``, sorted by time."""
    c, own, n = exp["created"], exp["owner"], len(exp["created"])
    s = SECOND_MS

    def u(lo: float, hi: float, k: int) -> np.ndarray:
        return rng.integers(int(lo), int(hi), k)

    log = _Log()
    log.add(c, profiles.CREATE, own)
    m = rng.random(n) < 0.03
    log.add(c[m] - u(5 * s, 40 * s, m.sum()), profiles.CREATE, own[m], 400)
    m = rng.random(n) < 0.3
    me, me_owner = c[m] - u(20 * s, 300 * s, m.sum()), own[m]
    log.add(me, profiles.ME, me_owner)
    m = rng.random(len(me)) < 0.4
    login, login_owner = me[m] - u(s, 5 * s, m.sum()), me_owner[m]
    log.add(login, profiles.LOGIN, login_owner)
    m = rng.random(len(login)) < 0.08
    refused = np.where(rng.random(m.sum()) < 0.85, 401, 429)
    log.add(login[m] - u(5 * s, 30 * s, m.sum()), profiles.LOGIN, login_owner[m], refused)
    m = rng.random(n) < 0.4
    log.add(c[m] - u(3 * s, 60 * s, m.sum()), profiles.LIST, own[m])
    m = rng.random(n) < 0.25
    log.add(c[m] + u(200, 3 * s, m.sum()), profiles.LIST, own[m])
    m = rng.random(n) < 0.12
    log.add(c[m] + u(5 * s, 120 * s, m.sum()), profiles.STATS, own[m])
    has_budget = (users.budget_cats >= 0).any(axis=1)
    m = rng.random(n) < np.where(has_budget[own], 0.2, 0.03)
    log.add(c[m] + u(5 * s, 200 * s, m.sum()), profiles.BUDGETS, own[m])
    upd, gone = exp["updated"], exp["deleted"]
    edited = (upd > c) & (gone < 0)
    log.add(upd[edited], profiles.UPDATE, own[edited])
    m = edited & (rng.random(n) < 0.5)
    log.add(upd[m] - u(2 * s, 30 * s, m.sum()), profiles.READ, own[m])
    log.add(gone[gone >= 0], profiles.DELETE, own[gone >= 0])
    m = rng.random(n) < 0.01
    log.add(c[m] + u(60 * s, DAY_MS, m.sum()), profiles.READ, own[m], 404)
    # browsing sessions that create nothing, near the user's usual times
    pick = rng.integers(0, max(n, 1), rng.poisson(0.08 * n))
    t = c[pick] + rng.integers(-3, 4, len(pick)) * DAY_MS + u(-HOUR_MS, HOUR_MS, len(pick))
    o = own[pick]
    ok = (t >= users.signup[o]) & (t <= users.last[o])
    t, o = t[ok], o[ok]
    log.add(t, profiles.ME, o)
    log.add(t + u(s, 5 * s, len(t)), profiles.LIST, o)
    m = rng.random(len(t)) < 0.5
    log.add(t[m] + u(5 * s, 60 * s, m.sum()), profiles.STATS, o[m])
    m = rng.random(len(t)) < np.where(has_budget[o], 0.4, 0.0)
    log.add(t[m] + u(5 * s, 90 * s, m.sum()), profiles.BUDGETS, o[m])
    # sign-ups (failed ones are anonymous and may be anyone), health checks
    joined = np.flatnonzero(users.registers)
    log.add(users.signup[joined], profiles.REGISTER, joined)
    m = rng.random(len(joined)) < 0.1
    log.add(users.signup[joined[m]] - u(10 * s, 120 * s, m.sum()), profiles.REGISTER, -1, 400)
    log.add(rng.integers(start_ms, end_ms, rng.poisson(0.05 * n)), profiles.HEALTH, -1)
    ts, ep, actor, status = log.columns()
    known = actor >= 0
    lo = np.where(known, users.signup[np.maximum(actor, 0)], start_ms)
    hi = np.where(known, users.last[np.maximum(actor, 0)], end_ms - 1)
    return _finish(rng, np.clip(ts, lo, hi), ep, actor, status, inc, latest=hi)


def incident_probes(rng: np.random.Generator, inc: Incidents) -> Arrays:
    """The load balancer re-checking ``/api/health`` every 30 s while the burst lasts."""
    begin, end = inc.burst
    ts = np.arange(begin, end - 2 * SECOND_MS, 30 * SECOND_MS) + rng.integers(0, 2 * SECOND_MS)
    status = np.where(rng.random(len(ts)) < 0.7, 503, 200)
    return _finish(rng, ts, np.full(len(ts), profiles.HEALTH), np.full(len(ts), -1), status, inc)


def _finish(
    rng: np.random.Generator,
    ts: np.ndarray,
    ep: np.ndarray,
    actor: np.ndarray,
    status: np.ndarray,
    inc: Incidents,
    *,
    latest: np.ndarray | None = None,
) -> Arrays:
    """Statuses (background errors, the burst and its retries), latencies, sizes; sorted by time.

    With ``latest`` (per request, the last moment its client is active) the burst hits these
    requests and the clients retry failed calls; without, statuses are kept (the burst's probes).
    """
    status = np.where(status == 0, profiles.OK_STATUS[ep], status)
    r = rng.random(len(ts))
    status = np.where(r < 0.0015, 500, np.where(r < 0.002, 503, status))
    if latest is not None:
        begin, end = inc.burst
        burst = (ts >= begin) & (ts < end)
        r = rng.random(len(ts))
        status = np.where(burst & (r < 0.35), 500, np.where(burst & (r < 0.6), 503, status))
        failed = np.flatnonzero(burst & (status >= 500) & (ep != profiles.HEALTH))
        src = np.repeat(failed, rng.poisson(1.5, len(failed)))
        again = np.where(rng.random(len(src)) < 0.5, 500, 503)
        again = np.where(rng.random(len(src)) < 0.75, again, profiles.OK_STATUS[ep[src]])
        retry_ts = ts[src] + rng.integers(SECOND_MS, 45 * SECOND_MS, len(src))
        retry_ts = np.minimum(retry_ts, np.minimum(latest[src], end - 1))
        ts, ep = np.concatenate([ts, retry_ts]), np.concatenate([ep, ep[src]])
        actor, status = np.concatenate([actor, actor[src]]), np.concatenate([status, again])
    n = len(ts)
    latency = _MEDIAN[ep] * np.exp(_SIGMA[ep] * rng.normal(size=n))
    latency = np.where(status == 500, latency * rng.uniform(1, 3, n), latency)
    latency = np.where(np.isin(status, (400, 404)), latency * 0.6, latency)
    latency = np.where(status == 429, rng.uniform(1, 3, n), latency)
    latency = np.where(status == 503, np.exp(rng.normal(np.log(3), 0.5, n)), latency)
    share = rng.beta(_DB_SHARE[ep] * 8, (1 - _DB_SHARE[ep]) * 8)
    share = np.where(np.isin(status, (429, 503)), share * 0.05, share)
    slow = (ts >= inc.slow_day) & (ts < inc.slow_day + DAY_MS)
    latency = np.where(slow, latency * 6.0 * np.exp(rng.normal(0, 0.25, n)), latency)
    share = np.where(slow, 1 - (1 - share) * 0.3, share)
    latency = np.round(np.maximum(latency, 0.3), 3)
    db = np.maximum(np.minimum(np.round(latency * share, 3), latency - 0.001), 0.0)
    size = _BYTES[ep] * np.exp(np.where(ep == profiles.LIST, 0.8, 0.35) * rng.normal(size=n))
    size = np.where(status >= 400, np.exp(rng.normal(np.log(120), 0.3, n)), size)
    size = np.where(status == 204, 0, np.rint(size)).astype(np.int64)
    order = np.argsort(ts, kind="stable")
    out = {
        "ts": ts,
        "ep": ep,
        "actor": actor,
        "status": status,
        "latency": latency,
        "db": db,
        "bytes": size,
    }
    return {k: v[order] for k, v in out.items()}
