"""dashboard/usage.py and its charts on hand-built data: rolling DAU/WAU/MAU, stickiness,
activation, retention cohorts (an empty one included), segments, KPIs against the previous period."""

from __future__ import annotations

import datetime as dt
import json

import bson
import plotly.io as pio
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard import charts
from dashboard.core.identity import AuthUser
from dashboard.core.periods import Period
from dashboard.data.runner import Runner
from dashboard.store import Store
from dashboard.views import usage
from tests.factories import expense, utc

D = dt.date
TRANSPARENT = "rgba(0,0,0,0)"
MS_UTC = pl.Datetime("ms", "UTC")


@pytest.fixture
def product() -> AuthUser:
    return AuthUser(
        id=bson.ObjectId(), username="p", name="P", email=None, roles=("product",), timezone="UTC"
    )


def _pairs(rows: list[tuple[dt.date, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"day": pl.Date, "user": pl.String}, orient="row")


NAMES = {f"u{i}": bson.ObjectId(f"66000000000000000000000{i}") for i in range(10)}
IDS = {str(v): k for k, v in NAMES.items()}


def _log_activity(runner: Runner, pairs: pl.DataFrame, *, accounts: dict | None = None) -> None:
    """Record each (day, user) pair as an API request at noon UTC (a ``u<n>`` name or an
    ObjectId), create the ``accounts`` (name → sign-up instant), and build the rollup."""
    ids = {**NAMES, **{name: NAMES.get(name, bson.ObjectId()) for name in pairs["user"]}}
    requests = [
        {"ts": dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC), "method": "GET",
         "route": "/api/expenses", "status": 200, "latencyMs": 5.0, "dbMs": 1.0,
         "userId": ids[name], "bytes": 10}
        for day, name in pairs.iter_rows()
    ]  # fmt: skip
    if requests:
        runner.store.insert_many("api_requests", requests)
    users = [
        {"_id": ids.setdefault(name, bson.ObjectId()), "username": name, "createdAt": at}
        for name, at in (accounts or {}).items()
    ]
    if users:
        runner.store.insert_many("users", users)
    product = AuthUser(id=bson.ObjectId(), username="p", name="P", email=None, roles=("product",))
    assert usage.refresh_activity(runner, product, now=utc(2026, 6, 1)) == "rebuilt"


# -- DAU, WAU, MAU and stickiness on a constructed activity table ------------------------------

ACTIVITY = _pairs(
    [
        (D(2026, 1, 31), "u1"),  # 29 days before 1 March: inside the 30 days ending 1 March only
        (D(2026, 2, 25), "u3"),  # in the 7 days ending 1..3 March, the 30 days ending 1..26 March
        (D(2026, 3, 1), "u2"),
        (D(2026, 3, 1), "u2"),  # a second request the same day counts once
        (D(2026, 3, 2), "u2"),
        (D(2026, 3, 5), "u4"),
        (D(2026, 3, 8), "u2"),
    ]
)
MARCH_1_12 = Period(D(2026, 3, 1), D(2026, 3, 12), tz="UTC")
# day   DAU        WAU (7 days ending the day)        MAU (30 days ending the day)
# 03-01 1 (u2)     2: u3 (02-25), u2                  3: u1 (01-31), u3, u2
# 03-02 1 (u2)     2: u3, u2                          2: u1 has left (window from 02-01)
# 03-03 0          2: u3 (02-25 is its last day), u2  2
# 03-04 0          1: u2                              2
# 03-05 1 (u4)     2: u2, u4                          3: u3, u2, u4
# 03-06 0          2                                  3
# 03-07 0          2: u2 (03-01..), u4                3
# 03-08 1 (u2)     2: u2, u4                          3
# 03-09 0          2: u4 (03-05), u2 (03-08)          3
# 03-10 0          2                                  3
# 03-11 0          2: u4's 03-05 is the first day     3
# 03-12 0          1: u2                              3 (u3 stays until 03-26)
BY_HAND = {
    "dau": [1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0],
    "wau": [2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 2, 1],
    "mau": [3, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3],
}


def test_dau_wau_mau_and_stickiness_by_hand(runner: Runner, product: AuthUser) -> None:
    _log_activity(runner, ACTIVITY)
    out = usage.active_users(runner, product, MARCH_1_12)
    assert out["day"].to_list() == [D(2026, 3, d) for d in range(1, 13)]
    for name, expected in BY_HAND.items():
        assert out[name].to_list() == expected, name
    # Stickiness = DAU / MAU per day.
    expected = [1 / 3, 1 / 2, 0, 0, 1 / 3, 0, 0, 1 / 3, 0, 0, 0, 0]
    assert out["stickiness"].to_list() == pytest.approx(expected)


def test_daily_active_fills_every_day_from_the_change_points() -> None:
    counts = pl.DataFrame(
        {"day": [utc(2026, 3, 2), utc(2026, 3, 4)], "dau": [2, 1], "wau": [2, 3], "mau": [5, 6]}
    )
    out = usage.daily_active(counts, start=D(2026, 3, 1), end=D(2026, 3, 5))
    assert out.select("day", "dau", "wau", "mau").rows() == [
        (D(2026, 3, 1), 0, 0, 0),  # before the first change: nobody
        (D(2026, 3, 2), 2, 2, 5),
        (D(2026, 3, 3), 0, 2, 5),  # no row: no active users that day, the windows carry on
        (D(2026, 3, 4), 1, 3, 6),
        (D(2026, 3, 5), 0, 3, 6),
    ]


def test_daily_active_marks_days_after_the_last_complete_day_partial() -> None:
    counts = pl.DataFrame({"day": [utc(2026, 3, 2)], "dau": [2], "wau": [2], "mau": [5]})
    out = usage.daily_active(counts, start=D(2026, 3, 1), end=D(2026, 3, 5), last_day=D(2026, 3, 4))
    assert out["partial"].to_list() == [False, False, False, False, True]  # the 5th is "today"
    whole = usage.daily_active(counts, start=D(2026, 3, 1), end=D(2026, 3, 5))
    assert not whole["partial"].any()


def test_active_users_today_is_partial(runner: Runner, product: AuthUser) -> None:
    out = usage.active_users(runner, product, MARCH_1_12, today=D(2026, 3, 12))
    assert out.filter("partial")["day"].to_list() == [D(2026, 3, 12)]


def test_activation_leaves_out_sign_ups_whose_seven_days_are_not_over() -> None:
    new = pl.DataFrame(
        {
            "userId": ["a", "b", "c"],
            "signedUpAt": [utc(2026, 3, 1), utc(2026, 3, 4), utc(2026, 3, 5)],
        },
        schema_overrides={"signedUpAt": MS_UTC},
    )
    first = pl.DataFrame(
        {"userId": ["a", "c"], "firstExpenseAt": [utc(2026, 3, 9), utc(2026, 3, 6)]},
        schema_overrides={"firstExpenseAt": MS_UTC},
    )
    # Last complete day 11 March: a (1st + 7 = 8th) and b (4th + 7 = 11th) are mature; c (5th +
    # 7 = 12th) is not, although it already activated.
    table = usage.activation_table(new, first, last_day=D(2026, 3, 11))
    assert table.select("user", "activated", "mature").rows() == [
        ("a", False, True),  # day 8: too late
        ("b", False, True),
        ("c", True, False),
    ]
    assert usage.activation_rate(table) == 0.0  # 0 of the 2 mature; c is left out
    assert usage.activation_rate(table.filter(pl.col("user") == "c")) is None


def test_signups_rate_counts_only_mature_sign_ups(runner: Runner, product: AuthUser) -> None:
    _seed_and_roll_up(runner, product)
    # Seen on 12 March (complete up to the 11th): bob (2nd) and cem (4th) are mature, dee (5th)
    # is not. Bob activated, cem did not: 1 of 2, not 1 of 3.
    out = usage.signups(runner, product, PERIOD, today=D(2026, 3, 12))
    assert out.rows() == [(D(2026, 3, 2), 3, 1, 1, 0.5)]
    assert usage.pending_note(out) == (
        "1 sign-up is less than 7 full days old and left out of the activation rate "
        "(they may still activate)."
    )
    assert usage.pending_note(usage.signups(runner, product, PERIOD)) is None


def test_active_users_without_activity_are_zero_not_empty(
    runner: Runner, product: AuthUser
) -> None:
    out = usage.active_users(runner, product, Period(D(2026, 3, 1), D(2026, 3, 3), tz="UTC"))
    assert out.select("dau", "wau", "mau").rows() == [(0, 0, 0)] * 3
    assert out["stickiness"].to_list() == [None, None, None]


def test_active_users_agree_with_exploding_every_window(runner: Runner, product: AuthUser) -> None:
    """A second, brute-force computation on a random table."""
    import random

    rng = random.Random(5)
    start = D(2026, 1, 1)
    rows = [(start + dt.timedelta(days=rng.randrange(90)), f"u{rng.randrange(10)}") for _ in range(300)]  # fmt: skip
    pairs = _pairs(rows)
    _log_activity(runner, pairs)
    period = Period(start + dt.timedelta(days=29), start + dt.timedelta(days=89), tz="UTC")
    out = usage.active_users(runner, product, period)
    for name, window in usage.WINDOWS.items():
        brute = (
            pairs.unique()
            .with_columns(
                pl.col("day").map_elements(
                    lambda d, w=window: [d + dt.timedelta(days=k) for k in range(w)],
                    return_dtype=pl.List(pl.Date),
                )
            )
            .explode("day")
            .unique()
            .group_by("day")
            .agg(pl.len().alias(name))
        )
        joined = out.select("day").join(brute, on="day", how="left").fill_null(0)
        assert out[name].to_list() == joined[name].to_list(), name


# -- activation and cohorts -------------------------------------------------------------------


def test_cohorts_keep_an_empty_week_as_an_empty_row(runner: Runner, product: AuthUser) -> None:
    # Weeks (Mon): 2, 9, 16 March. a, b sign up in the first, nobody in the second, c in the third.
    signed_up = {"a": utc(2026, 3, 3, 9), "b": utc(2026, 3, 8, 9), "c": utc(2026, 3, 20, 9)}
    activity = _pairs(
        [
            (D(2026, 3, 3), "a"),  # week 0
            (D(2026, 3, 10), "a"),  # week 1
            (D(2026, 3, 17), "a"),  # week 2
            (D(2026, 3, 23), "a"),  # after the period: not seen
            (D(2026, 3, 8), "b"),  # week 0 (Sunday of the sign-up week)
            (D(2026, 3, 20), "c"),  # week 0
            (D(2026, 3, 10), "x"),  # not a new user
        ]
    )
    _log_activity(runner, activity, accounts={**signed_up, "x": utc(2026, 1, 1)})
    out = usage.retention(runner, product, Period(D(2026, 3, 2), D(2026, 3, 22), tz="UTC"))
    expected = pl.DataFrame(
        {
            "cohort": [D(2026, 3, 2)] * 3 + [D(2026, 3, 9)] * 2 + [D(2026, 3, 16)],
            "week": [0, 1, 2, 0, 1, 0],
            "size": [2, 2, 2, 0, 0, 1],
            "active": [2, 1, 1, 0, 0, 1],
            "share": [1.0, 0.5, 0.5, None, None, 1.0],
        },
        schema_overrides={"week": pl.Int64, "size": pl.Int64, "active": pl.Int64},
    )
    assert_frame_equal(out.select(expected.columns), expected)
    fig = charts.retention_heatmap(out)
    (heatmap,) = fig.data
    assert list(heatmap.z[1]) == [None, None, None]  # the empty cohort: a row, blank
    assert list(heatmap.z[0]) == [100.0, 50.0, 50.0]
    assert list(heatmap.z[2]) == [100.0, None, None]  # weeks the period has not reached: blank
    assert list(heatmap.y) == ["02 Mar 2026 · 2 users", "09 Mar 2026 · 0 users", "16 Mar 2026 · 1 user"]  # fmt: skip


def test_cohorts_follow_a_sunday_week_start(runner: Runner) -> None:
    sunday = AuthUser(
        id=bson.ObjectId(), username="s", name="S", email=None, roles=("product",), week_start=7
    )
    # a signs up on a Saturday, is active then and on Sunday, which starts the next week.
    activity = _pairs([(D(2026, 3, 7), "a"), (D(2026, 3, 8), "a")])
    _log_activity(runner, activity, accounts={"a": utc(2026, 3, 7, 8)})
    out = usage.retention(runner, sunday, Period(D(2026, 3, 1), D(2026, 3, 14), tz="UTC"))
    assert out.filter(pl.col("size") > 0).select("cohort", "week", "share").rows() == [
        (D(2026, 3, 1), 0, 1.0),
        (D(2026, 3, 1), 1, 1.0),
    ]


def test_no_sign_ups_gives_empty_cohorts_and_a_no_data_figure() -> None:
    new = pl.DataFrame(schema={"user": pl.String, "signed_up": pl.Date})
    cells = pl.DataFrame(schema={"cohort": MS_UTC, "week": MS_UTC, "active": pl.Int64})
    out = usage.cohort_table(new, cells, start=D(2026, 3, 2), end=D(2026, 3, 15))
    assert out["size"].to_list() == [0, 0, 0]
    assert charts.retention_heatmap(out).layout.annotations[0].text == charts.NO_DATA


# -- through the runner: KPIs, sign-ups, segments -----------------------------------------------


def _seed(store: Store) -> dict[str, bson.ObjectId]:
    ids = {name: bson.ObjectId() for name in ("ann", "bob", "cem", "dee", "eve")}
    store.insert_many(
        "users",
        [
            {"_id": ids["ann"], "username": "ann", "createdAt": utc(2026, 2, 20, 9),
             "timezone": "Europe/Berlin", "currency": "EUR"},
            {"_id": ids["bob"], "username": "bob", "createdAt": utc(2026, 3, 2, 8),
             "timezone": "America/New_York", "currency": "USD"},
            {"_id": ids["cem"], "username": "cem", "createdAt": utc(2026, 3, 4, 8),
             "timezone": "Europe/Istanbul", "currency": "TRY"},
            {"_id": ids["dee"], "username": "dee", "createdAt": utc(2026, 3, 5, 8),
             "timezone": "UTC", "currency": "USD"},  # never active
            {"_id": ids["eve"], "username": "eve", "createdAt": utc(2026, 2, 24, 8),
             "timezone": "UTC", "currency": "GBP"},
        ],
    )  # fmt: skip
    store.insert_many(
        "expenses",
        [
            expense(ids["ann"], utc(2026, 2, 21, 12), 5.0),  # previous period, activates ann
            expense(ids["bob"], utc(2026, 3, 3, 12), 5.0),  # activates bob (day 1)
            expense(ids["cem"], utc(2026, 3, 13, 12), 5.0),  # cem: day 9, too late
            expense(ids["ann"], utc(2026, 3, 7, 12), 5.0),
        ],
    )
    req = {"method": "GET", "status": 200, "latencyMs": 5.0, "dbMs": 1.0, "bytes": 10}
    store.insert_many(
        "api_requests",
        [
            {**req, "ts": utc(2026, 3, 2, 9), "route": "/api/auth/register", "userId": ids["bob"]},
            {**req, "ts": utc(2026, 3, 4, 9), "route": "/api/auth/register", "userId": ids["cem"]},
            {**req, "ts": utc(2026, 3, 7, 9), "route": "/api/expenses", "userId": ids["bob"]},
            {**req, "ts": utc(2026, 2, 24, 9), "route": "/api/users/me", "userId": ids["eve"]},
            {**req, "ts": utc(2026, 3, 1, 9), "route": "/api/health", "userId": None},
        ],
    )
    return ids


def _seed_and_roll_up(runner: Runner, product: AuthUser) -> dict[str, bson.ObjectId]:
    ids = _seed(runner.store)
    assert usage.refresh_activity(runner, product, now=utc(2026, 3, 20)) == "rebuilt"
    return ids


PERIOD = Period(D(2026, 3, 2), D(2026, 3, 8), tz="UTC")  # Mon..Sun; previous: 23 Feb..1 Mar


def test_kpis_against_the_previous_period(runner: Runner, product: AuthUser) -> None:
    _seed_and_roll_up(runner, product)
    got = {k.label: k for k in usage.kpis(runner, product, PERIOD)}
    # Active pairs in the period: bob 2nd (request), 3rd (expense), 7th (request); cem 4th; ann
    # 7th (expense) → DAU 2nd..8th = 1, 1, 1, 0, 0, 2, 0: average 5/7.
    assert got["Average DAU"].value == pytest.approx(5 / 7)
    # 7-day windows: 2nd eve (24 Feb) + bob, 3rd bob, 4th..6th bob + cem, 7th, 8th + ann.
    assert got["Average WAU"].value == pytest.approx((2 + 1 + 2 + 2 + 2 + 3 + 3) / 7)
    # 30-day windows also see ann (expense 21 Feb) and eve (request 24 Feb): MAU 2nd..8th =
    # 3 (ann, eve, bob), 3, 4 (+ cem), 4, 4, 4, 4: average 26/7.
    assert got["Average MAU"].value == pytest.approx(26 / 7)
    # Stickiness = average DAU / average MAU = 5/26.
    assert got["Stickiness (DAU/MAU)"].value == pytest.approx(5 / 26)
    assert got["Active users"].value == 3  # bob, cem, ann; dee and eve are not active
    assert got["New sign-ups"].value == 3  # bob, cem, dee
    assert got["Activated within 7 days"].value == pytest.approx(1 / 3)  # bob only
    # Previous period 23 Feb..1 Mar: ann signed up before it; eve signed up in it, no expense.
    assert got["New sign-ups"].previous == 1
    assert got["New sign-ups"].change.change == pytest.approx(2.0)  # 1 → 3: +200 %
    assert got["New sign-ups"].change.delta() == "+200%"
    assert got["Activated within 7 days"].previous == 0.0
    activation = got["Activated within 7 days"].change
    assert activation.change == pytest.approx(1 / 3)  # points, not relative
    assert activation.delta() == "+33.3 pts"
    assert got["Active users"].previous == 1  # eve on the 24th


def test_kpis_give_no_change_against_a_period_mostly_before_the_data(
    runner: Runner, product: AuthUser
) -> None:
    _seed_and_roll_up(runner, product)
    # The first activity is ann's expense on 21 Feb; the period before 22..28 Feb is 15..21 Feb,
    # of which only the 21st has data: a percentage against one day would mislead.
    got = {k.label: k for k in usage.kpis(runner, product, Period(D(2026, 2, 22), D(2026, 2, 28)))}
    assert usage.data_start(runner, product) == D(2026, 2, 21)
    active = got["Active users"]
    assert active.previous == 1  # ann on the 21st: the old delta was a percentage against it
    assert active.change.change is None
    assert active.change.delta() is None
    assert active.change.text() == "only 1 of 7 days have data"
    # A week wholly before the data says so.
    early = {
        k.label: k for k in usage.kpis(runner, product, Period(D(2026, 2, 14), D(2026, 2, 20)))
    }
    assert early["Active users"].change.text() == "no data before Feb 2026"


def test_signups_per_week_are_gap_filled(runner: Runner, product: AuthUser) -> None:
    _seed_and_roll_up(runner, product)
    period = Period(D(2026, 2, 16), D(2026, 3, 8), tz="UTC")
    out = usage.signups(runner, product, period)
    # week, signups, activated, pending (none: every 7-day window is long over), rate
    assert out.rows() == [
        (D(2026, 2, 16), 1, 1, 0, 1.0),  # ann
        (D(2026, 2, 23), 1, 0, 0, 0.0),  # eve
        (D(2026, 3, 2), 3, 1, 0, pytest.approx(1 / 3)),  # bob, cem, dee
    ]


def test_active_users_per_segment(runner: Runner, product: AuthUser) -> None:
    _seed_and_roll_up(runner, product)
    by_region = usage.active_segments(runner, product, PERIOD, by="region")
    assert by_region.rows() == [("Europe", 2), ("America", 1)]
    by_currency = usage.active_segments(runner, product, PERIOD, by="currency")
    assert by_currency.rows() == [("EUR", 1), ("TRY", 1), ("USD", 1)]
    families = usage.feature_usage(runner, product, PERIOD)
    assert families.rows() == [("auth", 2, 2), ("expenses", 1, 1)]


def test_retention_through_the_runner(runner: Runner, product: AuthUser) -> None:
    _seed_and_roll_up(runner, product)
    out = usage.retention(runner, product, Period(D(2026, 3, 2), D(2026, 3, 15), tz="UTC"))
    # One cohort (week of 2 March: bob, cem, dee); bob and cem active in week 0, cem's expense
    # on the 13th in week 1.
    assert out.select("cohort", "week", "size", "active").rows() == [
        (D(2026, 3, 2), 0, 3, 2),
        (D(2026, 3, 2), 1, 3, 1),
        (D(2026, 3, 9), 0, 0, 0),
    ]


# -- charts --------------------------------------------------------------------------------------


def _trend() -> pl.DataFrame:
    """The hand-computed DAU/WAU/MAU of 1..12 March above, as the page's trend frame."""
    days = [D(2026, 3, d) for d in range(1, 13)]
    return pl.DataFrame({"day": days, **BY_HAND}).with_columns(
        stickiness=pl.when(pl.col("mau") > 0).then(pl.col("dau") / pl.col("mau"))
    )


def _samples() -> dict[str, tuple]:
    trend = _trend()
    return {
        "active_users_trend": (charts.active_users_trend, trend, {}),
        "stickiness_trend": (charts.stickiness_trend, trend, {}),
        "signup_bars": (
            charts.signup_bars,
            pl.DataFrame({"week": [D(2026, 3, 2)], "signups": [4], "activated": [3]}),
            {},
        ),
        "retention_heatmap": (
            charts.retention_heatmap,
            pl.DataFrame({"cohort": [D(2026, 3, 2)], "week": [0], "size": [2], "share": [0.5]}),
            {},
        ),
        "route_family_bars": (
            charts.route_family_bars,
            pl.DataFrame({"family": ["expenses", "auth"], "requests": [9, 2], "users": [3, 2]}),
            {},
        ),
        "segment_bars": (
            charts.segment_bars,
            pl.DataFrame({"region": ["Europe", "UTC"], "users": [2, 1]}),
            {"column": "region"},
        ),
    }


@pytest.mark.parametrize("name", list(_samples()))
def test_usage_charts_are_theme_neutral_and_handle_empty_frames(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    builder, frame, options = _samples()[name]
    before = frame.clone()
    monkeypatch.setattr(pio.templates, "default", "simple_white")
    fig = builder(frame, **options)
    assert frame.equals(before)
    assert fig.data
    assert fig.layout.paper_bgcolor == TRANSPARENT
    assert fig.layout.plot_bgcolor == TRANSPARENT
    assert fig.layout.template == pio.templates["simple_white"]
    spec = json.loads(fig.to_json())
    for key in ("template", "paper_bgcolor", "plot_bgcolor"):
        spec["layout"].pop(key)
    assert "bgcolor" not in json.dumps(spec)
    empty = builder(frame.clear(), **options)
    assert not empty.data
    assert [a.text for a in empty.layout.annotations] == [charts.NO_DATA]
    with pytest.raises(ValueError, match="lacks column"):
        builder(frame.drop(frame.columns[0]), **options)


def test_usage_chart_values() -> None:
    trend = _trend()
    fig = charts.active_users_trend(trend)
    assert [t.name for t in fig.data] == ["DAU", "WAU", "MAU"]
    assert list(fig.data[2].y) == [3, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3]
    bars = charts.signup_bars(
        pl.DataFrame({"week": [D(2026, 3, 2)], "signups": [4], "activated": [3]})
    )
    assert [(t.name, list(t.y)) for t in bars.data] == [
        ("Activated within 7 days", [3]),
        ("Not activated", [1]),
    ]
    assert bars.layout.barmode == "stack"
    families = charts.route_family_bars(
        pl.DataFrame({"family": ["auth", "expenses"], "requests": [2, 9], "users": [2, 3]})
    )
    assert list(families.data[0].y) == ["auth", "expenses"]  # drawn bottom-up: most on top
    assert list(families.data[1].x) == [2, 3]
