"""The Usage page through app.py: as the product demo user it runs, shows its charts and metrics,
and its KPIs equal a plain-Polars computation over the raw documents; a plain user cannot reach it."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.core.periods import SPENDING_PERIODS, Period, local_today, period_for
from dashboard.store import Store
from tests.apptest import login_as, open_url_path

SCRIPT = "pages/product/usage.py"
LABELS = [
    "Average DAU",
    "Average WAU",
    "Average MAU",
    "Stickiness (DAU/MAU)",
    "Active users",
    "New sign-ups",
    "Activated within 7 days",
]


@pytest.fixture
def product_app(new_app) -> AppTest:
    return login_as(new_app, "product")


def _number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def _raw_activity(store: Store) -> pl.DataFrame:
    """Distinct (UTC day, user) pairs straight from the collections, independent of queries/."""
    rows = [(d["ts"], str(d["userId"])) for d in store.find("api_requests", {}) if d["userId"]]
    rows += [(d["createdAt"], str(d["userId"])) for d in store.find("expenses", {})]
    frame = pl.DataFrame(
        rows, schema={"at": pl.Datetime("us", "UTC"), "user": pl.String}, orient="row"
    )
    return frame.select(day=pl.col("at").dt.date(), user="user").unique()


def _expected(store: Store, period: Period) -> dict[str, float | None]:
    """The KPIs by brute force: every active day spread over the windows it counts in."""
    pairs = _raw_activity(store)
    days = pl.date_range(period.start, period.end, "1d", eager=True).alias("day").to_frame()
    means = {}
    for name, window in (("dau", 1), ("wau", 7), ("mau", 30)):
        spread = pairs.with_columns(
            pl.col("day").map_elements(
                lambda d, w=window: [d + dt.timedelta(days=k) for k in range(w)],
                return_dtype=pl.List(pl.Date),
            )
        ).explode("day")
        per_day = spread.unique().group_by("day").agg(n=pl.len())
        means[name] = days.join(per_day, on="day", how="left")["n"].fill_null(0).mean()
    inside = pairs.filter(pl.col("day").is_between(period.start, period.end))
    lo, hi = period.utc_bounds()
    new = [u for u in store.find("users", {}) if lo <= u["createdAt"] < hi]
    created = {}
    for e in store.find("expenses", {}):
        created.setdefault(str(e["userId"]), []).append(e["createdAt"].date())
    # Only sign-ups whose 7 days are over by yesterday count towards the rate.
    yesterday = local_today("UTC") - dt.timedelta(days=1)
    mature = [u for u in new if u["createdAt"].date() + dt.timedelta(days=7) <= yesterday]
    activated = [
        any(0 <= (day - u["createdAt"].date()).days <= 7 for day in created.get(str(u["_id"]), []))
        for u in mature
    ]
    return {
        "Average DAU": means["dau"],
        "Average WAU": means["wau"],
        "Average MAU": means["mau"],
        "Stickiness (DAU/MAU)": 100 * means["dau"] / means["mau"] if means["mau"] else None,
        "Active users": inside["user"].n_unique(),
        "New sign-ups": len(new),
        "Activated within 7 days": 100 * sum(activated) / len(mature) if mature else None,
    }


def test_the_usage_page_runs_for_product_with_its_charts_and_metrics(
    product_app: AppTest,
) -> None:
    at = product_app.switch_page(SCRIPT).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Usage"
    assert [m.label for m in at.metric] == LABELS
    keys = [c.proto.id for c in at.get("plotly_chart")]
    assert len(keys) == 7  # DAU/WAU/MAU, stickiness, sign-ups, retention, families, 2 segments
    assert not at.error


def test_today_is_drawn_and_said_to_be_partial(product_app: AppTest) -> None:
    at = product_app.switch_page(SCRIPT).run()  # the default period runs up to today
    active = json.loads(at.get("plotly_chart")[0].proto.spec)
    dashed = [t for t in active["data"] if t.get("line", {}).get("dash") == "dash"]
    assert [t["name"] for t in dashed] == ["DAU (partial)", "WAU (partial)", "MAU (partial)"]
    today = local_today("UTC").isoformat()
    solid_dau = active["data"][0]
    assert solid_dau["y"][solid_dau["x"].index(today)] is None  # today is not drawn as real
    assert "text" not in active["layout"].get("title", {})
    assert {"Active users", "Stickiness (DAU/MAU)"} <= {h.value for h in at.subheader}
    assert any("the day is not over yet" in c.value for c in at.caption)


def test_usage_kpis_equal_a_plain_polars_computation(
    product_app: AppTest, app_store: Store
) -> None:
    at = product_app.switch_page(SCRIPT).run()
    assert not at.exception
    period = period_for(SPENDING_PERIODS.default, today=local_today("UTC"), tz="UTC")
    expected = _expected(app_store, period)
    assert expected["Active users"] > 0  # the seeded data lies inside the default period
    shown = {m.label: m.value for m in at.metric}
    for label, value in expected.items():
        assert _number(shown[label]) == pytest.approx(value, abs=0.051), label


def test_a_custom_period_is_compared_with_the_one_before(
    product_app: AppTest, app_store: Store
) -> None:
    at = product_app.switch_page(SCRIPT)
    at.query_params["period"] = "Custom range"  # a bound selectbox keeps the label in the URL
    at.query_params["from"] = "2026-05-01"
    at.query_params["to"] = "2026-05-31"
    at.run()
    assert not at.exception, at.exception
    period = Period(dt.date(2026, 5, 1), dt.date(2026, 5, 31), tz="UTC")
    now, before = _expected(app_store, period), _expected(app_store, period.previous())
    assert before["Active users"] > 0  # the seeded data starts on 1 April: deltas are shown
    metrics = {m.label: m for m in at.metric}
    for label in ("Average DAU", "Active users", "New sign-ups"):
        assert _number(metrics[label].value) == pytest.approx(now[label], abs=0.051), label
        if before[label]:
            change = (now[label] - before[label]) / before[label] * 100
            assert metrics[label].proto.delta == f"{change:+,.0f}%", label


def test_a_period_mostly_after_the_data_starts_shows_no_percentage(
    product_app: AppTest, app_store: Store
) -> None:
    at = product_app.switch_page(SCRIPT)
    at.query_params["period"] = "Custom range"
    at.query_params["from"] = "2026-04-05"  # the one before, 20 Mar..4 Apr, has 4 days of data
    at.query_params["to"] = "2026-04-20"
    at.run()
    assert not at.exception, at.exception
    before = _expected(app_store, Period(dt.date(2026, 3, 20), dt.date(2026, 4, 4), tz="UTC"))
    assert before["Active users"] > 0  # the old page showed "34× the previous period" here
    metrics = {m.label: m for m in at.metric}
    for label in ("Average DAU", "Active users", "New sign-ups"):
        assert not metrics[label].proto.delta, label
    captions = [c.value for c in at.caption]
    assert any("Previous period: only 4 of 16 days have data" in c for c in captions), captions


def test_an_unknown_period_in_the_link_falls_back_with_a_notice(product_app: AppTest) -> None:
    at = product_app.switch_page(SCRIPT)
    at.query_params["period"] = "forever"
    at.run()
    assert not at.exception
    assert "“forever” is not one this page knows" in at.warning[0].value
    assert at.selectbox(key="period").value == SPENDING_PERIODS.default


def test_a_plain_user_cannot_reach_the_usage_page(new_app, app_store: Store) -> None:
    at = login_as(new_app, "user")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(SCRIPT)
    open_url_path(at, "usage")
    assert not at.exception
    assert "You don't have access to this page" in at.error[0].value
    assert "product role" in at.error[0].value
    assert not at.get("plotly_chart") and not at.metric  # the page script never ran
    denied = app_store.find("audit_log", {"event": "access.denied", "actor": "demo-user"})
    assert [d["target"] for d in denied] == ["usage"]
