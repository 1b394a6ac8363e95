"""The presentation rules every builder shares (#17): small and empty periods, one title per chart
(the page's), legends out of the way, partial buckets drawn as partial."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from dashboard.charts import (
    NO_DATA,
    active_users_trend,
    calendar_heatmap,
    category_breakdown,
    category_share_area,
    hour_bars,
    monthly_trend,
    period_comparison,
    stickiness_trend,
    weekday_bars,
)
from dashboard.charts._layout import EMPTY_CELL, LEGEND_ROW_PX, TICK_LABELS_PX
from tests.dashboard.charts.frames import BUILDERS, build

D = dt.date

# "This month" on 4 Dec 2026: Tue 1 .. Fri 4 December, $0 on the 3rd.
FOUR_DAYS = pl.DataFrame(
    {"day": [D(2026, 12, 1), D(2026, 12, 2), D(2026, 12, 3), D(2026, 12, 4)]}
).with_columns(total=pl.Series([12.5, 4.0, 0.0, 30.0]))


def _tick_days(fig, year: int) -> list[dt.date]:
    return [
        dt.datetime.strptime(f"{text} {year}", "%d %b %Y").date()
        for text in fig.layout.xaxis.ticktext
    ]


def test_calendar_of_four_days_labels_only_days_of_the_period() -> None:
    fig = calendar_heatmap(FOUR_DAYS, currency="USD", week_start=1)
    # The only week column starts on Monday 30 November; its label is the first day shown.
    assert fig.layout.xaxis.ticktext == ("01 Dec",)
    assert all(D(2026, 12, 1) <= day <= D(2026, 12, 4) for day in _tick_days(fig, 2026))


def test_calendar_colour_scale_starts_at_zero_and_zero_days_are_neutral() -> None:
    frame = FOUR_DAYS.with_columns(total=pl.Series([12.5, 4.0, 0.0, -0.40]))  # a refund day
    (heat,) = calendar_heatmap(frame, currency="USD").data
    assert heat.zmin == 0
    assert heat.zmax == 12.5  # the largest day, by hand
    assert heat.zauto is False
    # 0 sits at the bottom of the scale, and the bottom colour is the neutral "empty" cell.
    assert heat.colorscale[0] == (0.0, EMPTY_CELL)
    assert min(value for row in heat.z for value in row if value is not None) == 0
    assert "net refund -$0.40" in heat.customdata[4][0]  # Friday: the real amount in the hover


@pytest.mark.parametrize(
    ("builder", "frame", "options"),
    [
        (calendar_heatmap, FOUR_DAYS.with_columns(total=pl.lit(0.0)), {"currency": "USD"}),
        (
            weekday_bars,
            pl.DataFrame({"weekday": list(range(1, 8)), "total": [0.0] * 7}),
            {"currency": "USD"},
        ),
        (
            hour_bars,
            pl.DataFrame({"hour": list(range(24)), "total": [0.0] * 24}),
            {"currency": "USD"},
        ),
        (
            monthly_trend,
            pl.DataFrame(
                {"month": [D(2026, 12, 1)], "total": [0.0], "budget": [None], "moving_avg": [None]},
                schema_overrides={"budget": pl.Float64, "moving_avg": pl.Float64},
            ),
            {"currency": "USD"},
        ),
        (
            active_users_trend,
            pl.DataFrame({"day": [D(2026, 12, 1)], "dau": [0], "wau": [0], "mau": [0]}),
            {},
        ),
    ],
)
def test_all_zero_frames_show_the_empty_state(builder, frame, options) -> None:
    fig = builder(frame, **options)
    assert len(fig.data) == 0
    assert [a.text for a in fig.layout.annotations] == [NO_DATA]


def test_monthly_trend_ticks_only_on_its_months() -> None:
    frame = pl.DataFrame(
        {
            "month": [D(2026, 12, 1)],
            "total": [40.0],
            "budget": [None],
            "moving_avg": [None],
        },
        schema_overrides={"budget": pl.Float64, "moving_avg": pl.Float64},
    )
    fig = monthly_trend(frame, currency="USD")
    assert fig.layout.xaxis.ticktext == ("Dec 2026",)
    assert fig.layout.yaxis.rangemode == "tozero"
    # One bucket has no gap to size the bar by: without a width it is a hairline. The bar
    # spans 0.8 of its month (16-day half buckets: 0.8 * 32 days in milliseconds).
    (bar,) = [t for t in fig.data if t.type == "bar"]
    assert bar.width == pytest.approx(0.8 * 32 * 86_400_000)


TITLED_ELSEWHERE = {"budget_progress", "budget_history"}  # charts/budgets.py: the budgets item


@pytest.mark.parametrize("name", sorted(set(BUILDERS) - TITLED_ELSEWHERE))
def test_no_figure_title_unless_asked(name: str) -> None:
    fig = build(name, BUILDERS[name][1]())
    assert fig.layout.title.text is None
    assert fig.layout.margin.t < 32


def test_a_title_is_drawn_when_asked() -> None:
    fig = weekday_bars(
        pl.DataFrame({"weekday": [1], "total": [1.0]}), currency="USD", title="Weekdays"
    )
    assert fig.layout.title.text == "Weekdays"


def test_legend_sits_below_the_tick_labels_in_its_own_margin() -> None:
    frame = pl.DataFrame(
        {"category": ["Food", "Travel"], "current": [5.0, 3.0], "previous": [4.0, 1.0]}
    )
    fig = period_comparison(frame, currency="USD", labels=("December", "November"))
    legend = fig.layout.legend
    assert (legend.orientation, legend.yref, legend.y, legend.yanchor) == (
        "h",
        "container",
        0,
        "bottom",
    )
    # the bottom margin holds the tick labels and one legend row (2 entries), so they cannot meet
    assert fig.layout.margin.b >= TICK_LABELS_PX + LEGEND_ROW_PX
    assert fig.layout.xaxis.automargin is True


def test_donut_legend_is_beside_the_slices() -> None:
    frame = pl.DataFrame({"category": ["Food", "Travel"], "total": [5.0, 3.0]})
    legend = category_breakdown(frame, currency="USD").layout.legend
    assert legend.orientation == "v"
    assert legend.x > 1 and legend.xanchor == "left"


def _trend_with_partial() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "month": [D(2026, 10, 1), D(2026, 11, 1), D(2026, 12, 1)],
            "total": [300.0, 280.0, 20.0],
            "budget": [None, None, None],
            "moving_avg": [None, None, None],
            "partial": [False, False, True],
        },
        schema_overrides={"budget": pl.Float64, "moving_avg": pl.Float64},
    )


def test_partial_month_bar_is_hatched() -> None:
    (bars,) = monthly_trend(_trend_with_partial(), currency="USD").data
    assert bars.marker.pattern.shape == ("", "", "/")


def test_no_partial_column_means_no_hatching() -> None:
    (bars,) = monthly_trend(_trend_with_partial().drop("partial"), currency="USD").data
    assert set(bars.marker.pattern.shape) == {""}


def test_partial_day_is_a_dashed_line_end() -> None:
    frame = pl.DataFrame(
        {
            "day": [D(2026, 12, 2), D(2026, 12, 3), D(2026, 12, 4)],
            "dau": [10, 12, 2],
            "wau": [30, 31, 31],
            "mau": [50, 50, 50],
            "partial": [False, False, True],
        }
    )
    fig = active_users_trend(frame)
    dau_solid, dau_partial = fig.data[0], fig.data[1]
    assert dau_solid.name == "DAU" and dau_solid.line.dash is None
    assert dau_solid.y == (10, 12, None)  # today's 2 is not drawn as a real drop
    assert dau_partial.line.dash == "dash"
    assert dau_partial.y == (None, 12, 2)  # joined to the last complete day
    assert dau_partial.showlegend is False
    sticky = stickiness_trend(frame.with_columns(stickiness=pl.col("dau") / pl.col("mau")))
    assert [trace.line.dash for trace in sticky.data] == [None, "dash"]


def test_partial_bucket_of_the_share_chart_is_a_hatched_stack() -> None:
    frame = pl.DataFrame(
        {
            "bucket": [D(2026, 11, 1), D(2026, 11, 1), D(2026, 12, 1), D(2026, 12, 1)],
            "category": ["Food", "Travel", "Food", "Travel"],
            "total": [30.0, 10.0, 4.0, 0.0],
            "partial": [False, False, True, True],
        }
    )
    fig = category_share_area(frame, currency="USD")
    solid = [t for t in fig.data if t.stackgroup == "share"]
    hatched = [t for t in fig.data if t.stackgroup == "partial"]
    assert [t.x for t in solid] == [(D(2026, 11, 1),)] * 2
    assert [t.x for t in hatched] == [(D(2026, 11, 1), D(2026, 12, 1))] * 2
    assert all(t.fillpattern.shape == "/" and t.showlegend is False for t in hatched)


def test_category_trend_of_four_days_ticks_only_on_those_days() -> None:
    from dashboard.charts import category_trend

    fig = category_trend(FOUR_DAYS.rename({"day": "bucket"}), category="Food", currency="USD")
    assert fig.layout.xaxis.ticktext == ("01 Dec", "02 Dec", "03 Dec", "04 Dec")
    low, high = fig.layout.xaxis.range
    assert low.startswith("2026-11-30T12") and high.startswith("2026-12-04T12")  # half a day


def test_signup_weeks_with_pending_sign_ups_are_hatched_and_rated_without_them() -> None:
    from dashboard.charts import signup_bars

    frame = pl.DataFrame(
        {
            "week": [D(2026, 11, 23), D(2026, 11, 30)],
            "signups": [4, 3],
            "activated": [2, 1],
            "pending": [0, 2],
        }
    )
    activated, _ = signup_bars(frame).data
    assert activated.marker.pattern.shape == ("", "/")
    # rate over the mature sign-ups: 2 of 4, and 1 of (3 - 2)
    assert [row[1] for row in activated.customdata] == ["50%", "100%"]
