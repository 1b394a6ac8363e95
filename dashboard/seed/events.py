"""Vectorised event generation for :mod:`dashboard.seed`: users' habits, expenses, budgets, API requests.

Everything here is numpy arrays (times are int64 milliseconds since the epoch, UTC unless named
``local``); :mod:`dashboard.seed` turns them into documents. Every function draws from the one
generator it is given, in a fixed order, so the same inputs give the same arrays.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields

import numpy as np
import polars as pl

from dashboard.seed import profiles

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000
SECOND_MS = 1_000
_MONTH_DAYS = 30.44
_N_CAT = len(profiles.CATEGORIES)
Arrays = dict[str, np.ndarray]


def _vocab_tables() -> tuple[list[str], np.ndarray, np.ndarray, list[tuple[int, np.ndarray]]]:
    """Flatten every description into one table; a vocabulary is (first row, frequencies).

    Vocabulary keys: a category index, then ``_N_CAT + 0/1`` for Food at lunch/dinner (the Food key
    itself is breakfast), then one key per recurring bill.
    """
    groups = [
        profiles.FOOD_SLOTS[0] if c == "Food" else profiles.VOCAB[c] for c in profiles.CATEGORIES
    ]
    groups += [profiles.FOOD_SLOTS[1], profiles.FOOD_SLOTS[2]]
    groups += [[(r.description, r.median, 0.0, 1.0)] for r in profiles.RECURRING]
    text: list[str] = []
    median: list[float] = []
    sigma: list[float] = []
    vocabs: list[tuple[int, np.ndarray]] = []
    for entries in groups:
        weights = np.array([e[3] for e in entries], dtype=float)
        vocabs.append((len(text), weights / weights.sum()))
        text += [e[0] for e in entries]
        median += [e[1] for e in entries]
        sigma += [e[2] for e in entries]
    return text, np.array(median), np.array(sigma), vocabs


DESCRIPTIONS, _DESC_MEDIAN, _DESC_SIGMA, _VOCABS = _vocab_tables()
_RECURRING_KEY0 = _N_CAT + 2
_FOOD = profiles.CAT["Food"]
#: Mean amount (USD) of a discretionary expense per category, for budget limits.
_MEAN_AMOUNT = np.array([
    np.mean([
        float(np.sum(w * _DESC_MEDIAN[i0 : i0 + len(w)] * np.exp(_DESC_SIGMA[i0 : i0 + len(w)] ** 2 / 2)))
        for i0, w in ([_VOCABS[c]] if c != _FOOD else [_VOCABS[c], *_VOCABS[_N_CAT : _N_CAT + 2]])
    ])
    for c in range(_N_CAT)
])  # fmt: skip
_PRICE = np.array([profiles.CURRENCIES[z.currency].price_level for z in profiles.ZONES])
_SCALE = np.array([10.0 ** profiles.CURRENCIES[z.currency].decimals for z in profiles.ZONES])
_BUDGET_STEP = np.array([profiles.CURRENCIES[z.currency].budget_step for z in profiles.ZONES])


@dataclass(frozen=True)
class Calendar:
    """Local calendar days covering the period, with two days of margin for every timezone."""

    start_ms: int
    end_ms: int
    day0: int  # epoch day number of grid day 0
    weekday: np.ndarray  # per grid day, 0 = Monday
    month: np.ndarray  # per grid day, 0 = January
    cum_volume: np.ndarray  # cumulative expected expense volume, one more entry than days
    month_day0: np.ndarray  # epoch day of the 1st of every month touching the grid
    month_len: np.ndarray  # days in those months

    @classmethod
    def covering(cls, start_ms: int, end_ms: int) -> Calendar:
        """The calendar of the period [start_ms, end_ms)."""
        day0 = start_ms // DAY_MS - 2
        days = day0 + np.arange(end_ms // DAY_MS + 3 - day0)
        months = days.astype("datetime64[D]").astype("datetime64[M]")
        month = months.astype(np.int64) % 12
        weekday = (days + 3) % 7
        volume = profiles.WEEKDAY_VOLUME[weekday] * profiles.MONTH_VOLUME[month]
        first = np.arange(months[0], months[-1] + 2)
        month_day0 = first.astype("datetime64[D]").astype(np.int64)
        return cls(
            start_ms, end_ms, int(day0), weekday, month, np.concatenate([[0.0], np.cumsum(volume)]),
            month_day0[:-1], np.diff(month_day0),
        )  # fmt: skip


def _zone_convert(ms: np.ndarray, zone: np.ndarray, *, to_local: bool) -> np.ndarray:
    """Convert instants to local wall-clock times (or back), per row's zone, with polars' tz database.

    Wall-clock times skipped by a DST change move forward one hour; repeated ones take the first.
    """
    out = ms.copy()
    for z in np.unique(zone):
        name = profiles.ZONES[z].name
        if name == "UTC":
            continue
        rows = np.flatnonzero(zone == z)
        if to_local:
            series = pl.Series(ms[rows]).cast(pl.Datetime("ms", "UTC")).dt.convert_time_zone(name)
            out[rows] = series.dt.replace_time_zone(None).dt.epoch("ms").to_numpy()
            continue
        for shift in (0, HOUR_MS):
            wall = pl.Series(ms[rows] + shift).cast(pl.Datetime("ms"))
            utc = wall.dt.replace_time_zone(name, ambiguous="earliest", non_existent="null")
            values = utc.dt.epoch("ms").fill_null(-1).to_numpy()
            ok = values != -1
            out[rows[ok]] = values[ok]
            rows = rows[~ok]
    return out


def _groups(key: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """(key value, row indices) for every value present, in increasing key order."""
    if key.size == 0:
        return
    order = np.argsort(key, kind="stable")
    values, starts = np.unique(key[order], return_index=True)
    yield from zip(values.tolist(), np.split(order, starts[1:]), strict=True)


def _uniform_ms(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    """``n`` random durations in [lo, hi) milliseconds."""
    return rng.integers(int(lo), int(hi), n)


@dataclass(frozen=True)
class Users:
    """Everyone's habits as arrays, one row per user (demo accounts included)."""

    signup: np.ndarray  # createdAt, ms
    last: np.ndarray  # lastActiveAt, ms: every event of the user lies in [signup, last]
    zone: np.ndarray  # index into ZONES
    level: np.ndarray  # spending level multiplier (log-normal)
    rate: np.ndarray  # discretionary expenses per month (0: never spends)
    mix: np.ndarray  # (users, categories) discretionary category mix (Dirichlet)
    bills: np.ndarray  # (users, RECURRING) has this bill
    due_day: np.ndarray  # (users, RECURRING) day of month it is paid
    bill_amount: np.ndarray  # (users, RECURRING) amount in the user's currency
    budget_cats: np.ndarray  # (users, 5) categories with a monthly budget, -1 padded
    registers: np.ndarray  # signed up through the API (demo accounts were provisioned)
    disabled: np.ndarray
    first_day: np.ndarray  # first and last grid day with discretionary spending
    last_day: np.ndarray

    def __len__(self) -> int:
        return len(self.signup)

    def take(self, lo: int, hi: int) -> Users:
        """Rows [lo, hi) (views)."""
        return Users(**{f.name: getattr(self, f.name)[lo:hi] for f in fields(self)})


def make_users(rng: np.random.Generator, cal: Calendar, ordinary: int, demo: int) -> Users:
    """Draw habits for ``demo`` provisioned accounts (rows first, signed up at the start) and
    ``ordinary`` users (sorted by signup: a launch cohort, steady arrivals and growth)."""
    n = demo + ordinary
    span = cal.end_ms - cal.start_ms
    kind = rng.choice(3, ordinary, p=[0.25, 0.35, 0.40])
    u = rng.random(ordinary)
    frac = np.select(
        [kind == 0, kind == 1], [np.minimum(rng.exponential(0.04, ordinary), 0.2), u], np.sqrt(u)
    )
    signup = np.concatenate(
        [np.full(demo, cal.start_ms), np.sort(cal.start_ms + (frac * span).astype(np.int64))]
    )
    churned = rng.random(n) < 0.35
    life = (rng.exponential(120, n) + 3) * DAY_MS
    stays = cal.end_ms - 1 - (rng.exponential(1.5, n) * DAY_MS).astype(np.int64)
    last = np.clip(np.where(churned, signup + life.astype(np.int64), stays), signup, cal.end_ms - 1)
    zone = rng.choice(len(profiles.ZONES), n, p=[z.weight for z in profiles.ZONES])
    level = np.exp(rng.normal(-0.1, 0.45, n))
    rate = 23.0 * np.exp(rng.normal(-0.06, 0.35, n))
    gamma = rng.gamma(np.maximum(profiles.MIX_ALPHA * 1.5, 1e-9), size=(n, _N_CAT)) * (
        profiles.MIX_ALPHA > 0
    )
    mix = gamma / gamma.sum(axis=1, keepdims=True)
    bills = np.zeros((n, len(profiles.RECURRING)), dtype=bool)
    group_draw: dict[str, tuple[np.ndarray, float]] = {}
    for i, bill in enumerate(profiles.RECURRING):
        draw, below = group_draw.get(bill.group, (rng.random(n), 0.0))
        bills[:, i] = (draw >= below) & (draw < below + bill.share)
        if bill.group:
            group_draw[bill.group] = (draw, below + bill.share)
    first_of = np.array([r.first_of_month for r in profiles.RECURRING])
    due_day = np.where(rng.random(bills.shape) < first_of, 1, rng.integers(1, 29, bills.shape))
    median = np.array([r.median for r in profiles.RECURRING])
    elastic = np.array([r.elasticity for r in profiles.RECURRING])
    spread = np.array([r.spread for r in profiles.RECURRING]) * rng.normal(size=bills.shape)
    bill_amount = median * level[:, None] ** elastic * np.exp(spread) * _PRICE[zone][:, None]
    expected = mix[:, profiles.BUDGET_CATEGORIES] * _MEAN_AMOUNT[profiles.BUDGET_CATEGORIES]
    ranked = profiles.BUDGET_CATEGORIES[np.argsort(-expected, axis=1, kind="stable")][:, :5]
    keep = np.arange(5) < rng.integers(2, 6, n)[:, None]
    budget_cats = np.where(keep & (rng.random(n) < 0.7)[:, None], ranked, -1)
    # a few accounts (3%, at least one) are disabled, churned ones first
    score = np.where(np.arange(n) < demo, np.inf, rng.random(n) - churned)
    few = max(1, round(0.03 * ordinary)) if ordinary else 0
    disabled = np.zeros(n, dtype=bool)
    disabled[np.argsort(score, kind="stable")[:few]] = True
    registers = np.arange(n) >= demo
    if demo:  # demo-user: a rich, steady, budgeted history in Los Angeles; the others never spend
        zone[:demo] = profiles.ZONE_INDEX["UTC"]
        zone[0] = profiles.ZONE_INDEX["America/Los_Angeles"]
        level[0], rate[0], rate[1:demo] = 1.0, 32.0, 0.0
        mix[0] = profiles.MIX_ALPHA / profiles.MIX_ALPHA.sum()
        names = [r.description for r in profiles.RECURRING]
        wanted = {"Rent": 1, "Electricity bill": 12, "Internet": 8, "Phone bill": 20, "Netflix": 15,
                  "Spotify": 3, "Gym membership": 5}  # fmt: skip
        bills[:demo] = False
        for name, day in wanted.items():
            bills[0, names.index(name)], due_day[0, names.index(name)] = True, day
        bill_amount[0] = median * np.where(median > 1000, 1.2, 1.0)
        budget_cats[:demo] = -1
        budget_cats[0, :4] = ranked[0, :4]
        last[:demo] = cal.end_ms - rng.integers(HOUR_MS, 2 * DAY_MS, demo)
    local = _zone_convert(
        np.concatenate([signup, last]), np.concatenate([zone, zone]), to_local=True
    )
    first_day, last_day = local[:n] // DAY_MS - cal.day0 + 1, local[n:] // DAY_MS - cal.day0 - 1
    return Users(signup, last, zone, level, rate, mix, bills, due_day, bill_amount, budget_cats,
                 registers, disabled, first_day, last_day)  # fmt: skip


def _discretionary(rng: np.random.Generator, cal: Calendar, users: Users) -> Arrays:
    """Day-to-day spending: a Poisson count per user spread over their active days by the
    weekday/month volume, a category from the user's mix x weekend x season, a local hour per category."""
    active = users.last_day >= users.first_day
    first = np.where(active, users.first_day, 0)
    lo = cal.cum_volume[first]
    mass = np.where(active, cal.cum_volume[np.where(active, users.last_day + 1, 0)] - lo, 0.0)
    owner = np.repeat(np.arange(len(users)), rng.poisson(users.rate * mass / _MONTH_DAYS))
    n = len(owner)
    pos = lo[owner] + rng.random(n) * mass[owner]
    day = np.searchsorted(cal.cum_volume, pos, side="right") - 1
    day = np.clip(day, first[owner], users.last_day[owner])
    weekend = (cal.weekday[day] >= 5).astype(np.int64)
    month = cal.month[day]
    weights = (
        users.mix[owner]
        * np.where(weekend[:, None] == 1, profiles.WEEKEND_MULT, 1.0)
        * profiles.SEASON_MIX[month]
    )
    cum = np.cumsum(weights, axis=1)
    cat = np.minimum((cum < (rng.random(n) * cum[:, -1])[:, None]).sum(axis=1), _N_CAT - 1)
    hour = np.zeros(n, dtype=np.int64)
    for key, rows in _groups(cat * 2 + weekend):
        hour[rows] = rng.choice(
            24, len(rows), p=profiles.HOURS[profiles.CATEGORIES[key // 2]][key % 2]
        )
    slot = (hour >= profiles.FOOD_SLOT_HOURS[0]).astype(np.int64) + (
        hour >= profiles.FOOD_SLOT_HOURS[1]
    )
    vocab = np.where((cat == _FOOD) & (slot > 0), _N_CAT - 1 + slot, cat)
    desc = np.zeros(n, dtype=np.int64)
    for key, rows in _groups(vocab):
        first_row, probs = _VOCABS[key]
        desc[rows] = first_row + rng.choice(len(probs), len(rows), p=probs)
    noise = np.exp(_DESC_SIGMA[desc] * rng.normal(size=n))
    amount = _DESC_MEDIAN[desc] * noise * users.level[owner] * profiles.SEASON_AMOUNT[month, cat]
    local = (cal.day0 + day) * DAY_MS + hour * HOUR_MS + rng.integers(0, HOUR_MS, n)
    return {"owner": owner, "cat": cat, "desc": desc, "amount": amount, "local": local}


def _recurring(rng: np.random.Generator, cal: Calendar, users: Users) -> Arrays:
    """Bills on their fixed day of every month, in the morning, with stable (or seasonal) amounts."""
    owner, bill = np.nonzero(users.bills)
    months = len(cal.month_day0)
    m = np.tile(np.arange(months), len(owner))
    owner, bill = np.repeat(owner, months), np.repeat(bill, months)
    day = cal.month_day0[m] + np.minimum(users.due_day[owner, bill], cal.month_len[m]) - 1
    local = day * DAY_MS + 7 * HOUR_MS + rng.integers(0, 4 * HOUR_MS, len(m))
    moy = cal.month[np.clip(day - cal.day0, 0, len(cal.month) - 1)]
    season = np.array([r.season for r in profiles.RECURRING])[bill, moy]
    noise = np.exp(np.array([r.noise for r in profiles.RECURRING])[bill] * rng.normal(size=len(m)))
    amount = users.bill_amount[owner, bill] * season * noise / _PRICE[users.zone[owner]]
    cat = np.array([profiles.CAT[r.category] for r in profiles.RECURRING])[bill]
    desc = np.array([_VOCABS[_RECURRING_KEY0 + i][0] for i in range(len(profiles.RECURRING))])[bill]
    return {"owner": owner, "cat": cat, "desc": desc, "amount": amount, "local": local}


def expenses(rng: np.random.Generator, cal: Calendar, users: Users) -> Arrays:
    """All expenses of ``users`` sorted by createdAt; ``owner`` indexes ``users``."""
    disc, rec = _discretionary(rng, cal, users), _recurring(rng, cal, users)
    out = {k: np.concatenate([disc[k], rec[k]]) for k in disc}
    out["recurring"] = np.arange(len(out["owner"])) >= len(disc["owner"])
    owner = out["owner"]
    date = _zone_convert(out.pop("local"), users.zone[owner], to_local=False)
    keep = (date >= users.signup[owner]) & (date <= users.last[owner])
    out = {k: v[keep] for k, v in out.items()}
    owner, date, n = out["owner"], date[keep], int(keep.sum())
    last = users.last[owner]
    scale = _SCALE[users.zone[owner]]
    out["amount"] = (
        np.maximum(np.rint(out["amount"] * _PRICE[users.zone[owner]] * scale), 1) / scale
    )
    delay = np.select(
        [rng.random(n) < 0.6, rng.random(n) < 0.75],
        [_uniform_ms(rng, 0, 10 * MINUTE_MS, n), _uniform_ms(rng, 10 * MINUTE_MS, 6 * HOUR_MS, n)],
        _uniform_ms(rng, 6 * HOUR_MS, 3 * DAY_MS, n),
    )
    created = np.minimum(date + delay, last)
    edited = rng.random(n) < 0.12
    updated = np.where(
        edited,
        np.minimum(created + (rng.exponential(1.0, n) * DAY_MS).astype(np.int64), last),
        created,
    )
    deleted = np.minimum(
        created + SECOND_MS + (rng.exponential(3.0, n) * DAY_MS).astype(np.int64), last
    )
    deleted = np.where((rng.random(n) < 0.02) & (deleted > created), deleted, -1)
    updated = np.maximum(updated, deleted)
    out.update(date=date, created=created, updated=updated, deleted=deleted)
    order = np.argsort(created, kind="stable")
    return {k: v[order] for k, v in out.items()}


def budgets(rng: np.random.Generator, cal: Calendar, users: Users) -> Arrays:
    """A monthly limit per chosen category for every month (starting in the period) a user is active."""
    owner, slot = np.nonzero(users.budget_cats >= 0)
    cat = users.budget_cats[owner, slot]
    month_ms = cal.month_day0 * DAY_MS
    months = np.flatnonzero((month_ms >= cal.start_ms) & (month_ms < cal.end_ms))
    month_end = (cal.month_day0 + cal.month_len) * DAY_MS
    zone = users.zone[owner]
    typical = users.rate[owner] * users.mix[owner, cat] * _MEAN_AMOUNT[cat] * users.level[owner]
    base = typical * _PRICE[zone] * rng.uniform(0.9, 1.4, len(owner))
    m = np.tile(months, len(owner))
    owner, cat, base, zone = (np.repeat(a, len(months)) for a in (owner, cat, base, zone))
    active = (month_ms[m] <= users.last[owner]) & (month_end[m] > users.signup[owner])
    owner, cat, base, zone, m = (a[active] for a in (owner, cat, base, zone, m))
    festive = (cal.month[month_ms[m] // DAY_MS - cal.day0] == 11) & np.isin(
        cat, [profiles.CAT["Shopping"], profiles.CAT["Travel"]]
    )
    step = _BUDGET_STEP[zone]
    limit = np.maximum(np.rint(base * np.where(festive, 1.25, 1.0) / step), 1) * step
    created = np.maximum(month_ms[m], users.signup[owner]) + rng.integers(0, 36 * HOUR_MS, len(m))
    created = np.minimum(created, np.minimum(users.last[owner], cal.end_ms - 1))
    order = np.argsort(created, kind="stable")
    return {"owner": owner[order], "cat": cat[order], "month": month_ms[m][order], "limit": limit[order],
            "created": created[order]}  # fmt: skip
