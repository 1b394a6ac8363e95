"""Chart builders: traces, values, colours, currency formats, empty frames, selections."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
import pytest

from dashboard.charts import (
    CATEGORY_PALETTE,
    NO_DATA,
    budget_history,
    budget_progress,
    calendar_heatmap,
    category_breakdown,
    category_colors,
    category_share_area,
    category_trend,
    hour_bars,
    monthly_trend,
    period_comparison,
    selected_category,
    weekday_bars,
)
from dashboard.charts.colors import EXTRA_COLORS

D = dt.date
REPO = Path(__file__).resolve().parents[1]
TRANSPARENT = "rgba(0,0,0,0)"
KNOWN = [
    "Food",
    "Groceries",
    "Transport",
    "Housing",
    "Utilities",
    "Entertainment",
    "Shopping",
    "Health",
    "Travel",
    "Education",
    "Subscriptions",
    "Other",
]


# --- sample frames -----------------------------------------------------------------------


def _monthly() -> pl.DataFrame:
    # Deliberately unsorted, with an extra column the builder must ignore.
    return pl.DataFrame(
        {
            "month": [D(2025, 3, 1), D(2025, 1, 1), D(2025, 2, 1)],
            "total": [80.0, 100.0, 250.5],
            "budget": [200.0, 200.0, None],
            "moving_avg": [143.5, None, None],
            "note": ["x", "y", "z"],
        }
    )


def _categories() -> pl.DataFrame:
    return pl.DataFrame(
        {"category": ["Food", "Travel", "Pets", "Health"], "total": [10.0, 30.0, 5.0, 0.0]}
    )


def _march_days() -> pl.DataFrame:
    days = pl.date_range(D(2025, 3, 1), D(2025, 3, 31), eager=True)
    return pl.DataFrame({"day": days, "total": [float(day.day) for day in days]})


def _share() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "bucket": [D(2025, 2, 1), D(2025, 1, 1), D(2025, 1, 1), D(2025, 2, 1)],
            "category": ["Food", "Pets", "Food", "Pets"],
            "total": [0.0, 3.0, 1.0, 0.0],
        }
    )


def _comparison() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "category": ["Travel", "Food", "Pets"],
            "current": [5.0, 10.0, 2.0],
            "previous": [0.0, 8.0, 4.0],
        }
    )


def _progress() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "category": ["Travel", "Food", "Health"],
            "spent": [50.0, 120.0, 10.0],
            "budget": [200.0, 100.0, None],
            "forecast": [260.0, 180.0, 20.0],
        }
    )


def _history() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "month": [D(2025, 2, 1), D(2025, 1, 1), D(2025, 3, 1)],
            "spent": [150.0, 120.0, 10.0],
            "budget": [200.0, 100.0, None],
        }
    )


BUILDERS: dict[str, tuple[Callable[..., go.Figure], Callable[[], pl.DataFrame], dict[str, Any]]] = {
    "monthly_trend": (monthly_trend, _monthly, {}),
    "donut": (category_breakdown, _categories, {}),
    "treemap": (category_breakdown, _categories, {"kind": "treemap"}),
    "calendar_heatmap": (calendar_heatmap, _march_days, {}),
    "weekday_bars": (
        weekday_bars,
        lambda: pl.DataFrame({"weekday": pl.Series([1, 6], dtype=pl.Int8), "total": [1.0, 2.0]}),
        {},
    ),
    "hour_bars": (
        hour_bars,
        lambda: pl.DataFrame({"hour": pl.Series([8, 20], dtype=pl.Int8), "total": [1.0, 2.0]}),
        {},
    ),
    "category_share_area": (category_share_area, _share, {}),
    "category_trend": (
        category_trend,
        lambda: _monthly().rename({"month": "bucket"}),
        {"category": "Food"},
    ),
    "period_comparison": (period_comparison, _comparison, {"labels": ("Mar", "Feb")}),
    "budget_progress": (budget_progress, _progress, {}),
    "budget_history": (budget_history, _history, {}),
}


def _build(name: str, frame: pl.DataFrame | None = None, currency: str = "USD") -> go.Figure:
    builder, sample, options = BUILDERS[name]
    return builder(sample() if frame is None else frame, currency=currency, **options)


def _trace(fig: go.Figure, name: str) -> Any:
    (trace,) = [trace for trace in fig.data if trace.name == name]
    return trace


# --- every builder -----------------------------------------------------------------------


@pytest.mark.parametrize("name", BUILDERS)
def test_empty_frame_gives_annotation(name: str) -> None:
    fig = _build(name, BUILDERS[name][1]().clear())
    assert len(fig.data) == 0
    assert [annotation.text for annotation in fig.layout.annotations] == [NO_DATA]
    assert NO_DATA == "No data for this period"


@pytest.mark.parametrize("name", BUILDERS)
def test_input_is_not_mutated(name: str) -> None:
    frame = BUILDERS[name][1]()
    before = frame.clone()
    _build(name, frame)
    assert frame.equals(before)
    assert frame.columns == before.columns


@pytest.mark.parametrize("name", BUILDERS)
def test_theme_neutral_layout(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Transparent backgrounds, no font colours, and whatever template the app made default."""
    monkeypatch.setattr(pio.templates, "default", "simple_white")
    fig = _build(name)
    assert fig.layout.paper_bgcolor == TRANSPARENT
    assert fig.layout.plot_bgcolor == TRANSPARENT
    assert fig.layout.template == pio.templates["simple_white"]
    spec = json.loads(fig.to_json())
    for key in ("template", "paper_bgcolor", "plot_bgcolor"):
        spec["layout"].pop(key)
    assert not list(_font_colours(spec))
    assert "bgcolor" not in json.dumps(spec)


def _font_colours(node: Any, path: str = "") -> Any:
    """Every ``*font.color`` set anywhere in a figure spec."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("font") and isinstance(value, dict) and "color" in value:
                yield f"{path}.{key}.color"
            yield from _font_colours(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _font_colours(value, f"{path}[{index}]")


@pytest.mark.parametrize("name", BUILDERS)
def test_missing_column_is_a_clear_error(name: str) -> None:
    frame = BUILDERS[name][1]()
    with pytest.raises(ValueError, match="lacks column"):
        _build(name, frame.drop(frame.columns[0]))


@pytest.mark.parametrize("name", BUILDERS)
def test_figures_serialise(name: str) -> None:
    spec = json.loads(_build(name, currency="JPY").to_json())
    assert spec["data"]


# --- colours -------------------------------------------------------------------------------


def _luminance(color: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(color[i : i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_known_categories_have_fixed_distinct_colours() -> None:
    assert list(CATEGORY_PALETTE) == KNOWN
    colors = category_colors(KNOWN)
    assert colors == dict(CATEGORY_PALETTE)
    assert len(set(colors.values())) == 12
    assert colors["Food"] == "#E69F00"
    assert colors["Other"] == "#999999"


def test_known_categories_match_case_insensitively() -> None:
    assert category_colors(["food", " FOOD "]) == {"food": "#E69F00", " FOOD ": "#E69F00"}


@pytest.mark.parametrize("color", [*CATEGORY_PALETTE.values(), *EXTRA_COLORS])
def test_colours_readable_on_light_and_dark_backgrounds(color: str) -> None:
    assert _contrast(color, "#FFFFFF") >= 2.0
    assert _contrast(color, "#0E1117") >= 2.0


def test_unknown_categories_are_deterministic() -> None:
    # Pinned: changing the hash would re-colour every user's custom categories.
    assert category_colors(["Pets", "Gifts", "Childcare"]) == {
        "Pets": "#EE7733",
        "Gifts": "#EE3377",
        "Childcare": "#77AADD",
    }
    assert category_colors(["pets"])["pets"] == "#EE7733"
    assert set(category_colors(f"Custom {i}" for i in range(200)).values()) <= set(EXTRA_COLORS)


def test_colours_are_the_same_in_another_process() -> None:
    names = [*KNOWN, "Pets", "Gifts", "Childcare", "Crypto", "Ünïcödé"]
    script = (
        "import json, sys; from dashboard.charts import category_colors; "
        "print(json.dumps(category_colors(json.loads(sys.argv[1]))))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(names)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(result.stdout) == category_colors(names)


def test_category_colours_agree_across_builders() -> None:
    names = ["Food", "Travel", "Pets"]
    expected = category_colors(names)
    donut = category_breakdown(_categories(), currency="USD").data[0]
    donut_colors = dict(zip(donut.labels, donut.marker.colors))
    comparison = period_comparison(_comparison(), currency="USD", labels=("Mar", "Feb"))
    bars = comparison.data[0]
    bar_colors = dict(zip(bars.x, bars.marker.color))
    area = category_share_area(_share(), currency="USD")
    area_colors = {trace.name: trace.line.color for trace in area.data}
    trend = category_trend(_monthly().rename({"month": "bucket"}), category="Pets", currency="USD")
    for name in names:
        assert donut_colors[name] == expected[name]
        assert bar_colors[name] == expected[name]
    assert area_colors == {"Food": expected["Food"], "Pets": expected["Pets"]}
    assert {trace.name: trace.fillcolor for trace in area.data} == area_colors
    assert trend.data[0].marker.color == expected["Pets"]


# --- monthly trend -------------------------------------------------------------------------


def test_monthly_trend_traces() -> None:
    fig = monthly_trend(_monthly(), currency="USD")
    assert [(t.type, t.name) for t in fig.data] == [
        ("bar", "Spent"),
        ("scatter", "Budget"),
        ("scatter", "3-month average"),
    ]
    months = (D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1))
    spent, budget, average = fig.data
    assert spent.x == months
    assert spent.y == (100.0, 250.5, 80.0)
    assert budget.x == months
    assert budget.y == (200.0, None, 200.0)  # null → gap, not zero
    assert budget.connectgaps is False
    assert average.y == (None, None, 143.5)
    assert average.line.dash == "dash"
    assert budget.line.dash is None


def test_monthly_trend_currency_formats() -> None:
    fig = monthly_trend(_monthly(), currency="EUR")
    assert fig.layout.yaxis.tickprefix == "€"
    assert fig.layout.yaxis.tickformat == ",.2f"
    assert fig.layout.yaxis.hoverformat == ",.2f"
    assert fig.data[0].hovertemplate == "%{x|%b %Y}<br>Spent: €%{y:,.2f}<extra></extra>"
    assert "€%{y:,.2f}" in fig.data[1].hovertemplate
    jpy = monthly_trend(_monthly(), currency="JPY")
    assert jpy.layout.yaxis.tickformat == ",.0f"
    assert "¥%{y:,.0f}" in jpy.data[0].hovertemplate


def test_monthly_trend_skips_all_null_series() -> None:
    frame = _monthly().with_columns(budget=None, moving_avg=None)
    fig = monthly_trend(frame, currency="USD")
    assert [t.name for t in fig.data] == ["Spent"]


# --- category breakdown --------------------------------------------------------------------


def test_donut() -> None:
    fig = category_breakdown(_categories(), currency="EUR")
    (pie,) = fig.data
    assert pie.type == "pie"
    assert pie.hole > 0
    # Largest first; Health (0.0) cannot be a slice.
    assert pie.labels == ("Travel", "Food", "Pets")
    assert pie.values == (30.0, 10.0, 5.0)
    assert pie.customdata == ("Travel", "Food", "Pets")
    assert pie.sort is False
    assert pie.hovertemplate == "%{label}<br>€%{value:,.2f} (%{percent})<extra></extra>"
    assert [a.text for a in fig.layout.annotations] == ["€45.00"]


def test_treemap() -> None:
    fig = category_breakdown(_categories(), currency="USD", kind="treemap")
    (tree,) = fig.data
    assert tree.type == "treemap"
    assert tree.labels == ("Travel", "Food", "Pets")
    assert tree.ids == tree.labels  # Streamlit ignores treemap clicks without ids
    assert tree.parents == ("", "", "")
    assert tree.values == (30.0, 10.0, 5.0)
    assert tree.marker.colors == tuple(category_colors(tree.labels).values())
    assert "$%{value:,.2f}" in tree.hovertemplate
    assert "%{percentRoot" in tree.hovertemplate


def test_breakdown_merges_null_category_into_other() -> None:
    frame = pl.DataFrame({"category": ["Other", None, "Food"], "total": [1.0, 2.0, 2.5]})
    (pie,) = category_breakdown(frame, currency="USD").data
    assert pie.labels == ("Other", "Food")
    assert pie.values == (3.0, 2.5)


def test_breakdown_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        category_breakdown(_categories(), currency="USD", kind="pie")  # type: ignore[arg-type]


def test_breakdown_with_only_zero_totals_is_empty() -> None:
    frame = pl.DataFrame({"category": ["Food"], "total": [0.0]})
    fig = category_breakdown(frame, currency="USD")
    assert [a.text for a in fig.layout.annotations] == [NO_DATA]


# --- selections ----------------------------------------------------------------------------


def _streamlit_event(points: list[dict[str, Any]]) -> Any:
    """What st.plotly_chart returns: Streamlit's own deserialiser over the frontend's JSON."""
    from streamlit.elements.plotly_chart import PlotlyChartSelectionSerde

    indices = [p["point_number"] for p in points if "point_number" in p]
    payload = {"selection": {"points": points, "point_indices": indices, "box": [], "lasso": []}}
    return PlotlyChartSelectionSerde().deserialize(json.dumps(payload))


# Streamlit 1.67's frontend (PlotlyChart.*.js) sends, for a treemap click, exactly these keys
# of Plotly's event data, snake_cased; no customdata.
TREEMAP_POINT = {
    "label": "Travel",
    "id": "Travel",
    "parent": "",
    "value": 30,
    "current_path": "/",
    "percent_root": 0.6667,
    "percent_entry": 0.6667,
    "percent_parent": 0.6667,
    "point_number": 0,
    "curve_number": 0,
}
# A bar click/box select: the whole point (Plotly's bar event data + customdata).
BAR_POINT = {
    "curve_number": 0,
    "point_number": 1,
    "point_index": 1,
    "x": "Food",
    "y": 10,
    "label": "Food",
    "value": 10,
    "customdata": "Food",
    "hovertext": "+25% vs Feb",
}
# Plotly's pie event data, snake_cased (Streamlit 1.67 does not forward pie clicks, but a
# future version or a test that sets session state might).
PIE_POINT = {
    "curve_number": 0,
    "point_number": 2,
    "point_numbers": [2],
    "i": 2,
    "label": "Pets",
    "value": 5,
    "v": 5,
    "percent": 0.111,
    "color": "#EE7733",
    "customdata": ["Pets"],
}


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ([TREEMAP_POINT], "Travel"),
        ([BAR_POINT], "Food"),
        ([PIE_POINT], "Pets"),
        ([{**PIE_POINT, "customdata": None}], "Pets"),  # label alone
        ([{"label": "", "id": "Housing", "parent": ""}], "Housing"),  # id alone
        ([{**BAR_POINT, "customdata": ["Health", 12.5]}], "Health"),  # px-style row
        ([BAR_POINT, {**BAR_POINT, "customdata": "Travel"}], "Food"),  # box select: first
        ([{"x": 3.0, "y": 1.0, "point_index": 0}, BAR_POINT], "Food"),  # skips unusable
        ([], None),
    ],
)
def test_selected_category_on_streamlit_events(
    points: list[dict[str, Any]], expected: str | None
) -> None:
    assert selected_category(_streamlit_event(points)) == expected


def test_selected_category_on_plain_dicts_and_non_events() -> None:
    event = {"selection": {"points": [TREEMAP_POINT], "point_indices": [0], "box": [], "lasso": []}}
    assert selected_category(event) == "Travel"
    assert selected_category(None) is None
    assert selected_category({}) is None
    assert selected_category({"selection": None}) is None
    assert selected_category(object()) is None  # e.g. the DeltaGenerator without on_select


def test_selection_round_trip_from_built_figures() -> None:
    """The point fields Streamlit would send, read off our own traces, give the category back."""
    tree = category_breakdown(_categories(), currency="USD", kind="treemap").data[0]
    point = {"label": tree.labels[1], "id": tree.ids[1], "parent": tree.parents[1]}
    assert selected_category({"selection": {"points": [point]}}) == "Food"
    bars = budget_progress(_progress(), currency="USD").data[1]
    point = {"x": bars.x[0], "y": bars.y[0], "customdata": bars.customdata[0]}
    assert selected_category({"selection": {"points": [point]}}) == "Food"


# --- calendar heatmap ----------------------------------------------------------------------


def test_calendar_heatmap_monday_start() -> None:
    # 2025-03-01 is a Saturday. Weeks start on Mondays: Feb 24, Mar 3, 10, 17, 24, 31.
    fig = calendar_heatmap(_march_days(), currency="USD", week_start=1)
    (heat,) = fig.data
    assert heat.type == "heatmap"
    assert heat.y == ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    assert heat.x == (
        D(2025, 2, 24),
        D(2025, 3, 3),
        D(2025, 3, 10),
        D(2025, 3, 17),
        D(2025, 3, 24),
        D(2025, 3, 31),
    )
    z = heat.z  # z[row = weekday][column = week]; totals equal the day of the month
    assert z[0][0] is None  # Mon Feb 24: outside the frame
    assert z[4][0] is None  # Fri Feb 28
    assert z[5][0] == 1.0  # Sat Mar 1
    assert z[6][0] == 2.0  # Sun Mar 2
    assert z[0][1] == 3.0  # Mon Mar 3
    assert z[4][3] == 21.0  # Fri Mar 21
    assert z[0][5] == 31.0  # Mon Mar 31
    assert z[1][5] is None  # Tue Apr 1
    assert sum(value is not None for row in z for value in row) == 31
    assert heat.customdata[5][0] == "Sat 1 Mar 2025"
    assert heat.hovertemplate == "%{customdata}<br>$%{z:,.2f}<extra></extra>"
    assert heat.colorbar.tickprefix == "$"
    assert fig.layout.yaxis.autorange == "reversed"  # week_start row on top


def test_calendar_heatmap_sunday_start() -> None:
    # Weeks start on Sundays: Feb 23, Mar 2, 9, 16, 23, 30.
    fig = calendar_heatmap(_march_days(), currency="USD", week_start=7)
    (heat,) = fig.data
    assert heat.y == ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
    assert heat.x[0] == D(2025, 2, 23)
    assert heat.x[-1] == D(2025, 3, 30)
    assert len(heat.x) == 6
    z = heat.z
    assert z[6][0] == 1.0  # Sat Mar 1: last row of the first week
    assert z[0][0] is None  # Sun Feb 23
    assert z[0][1] == 2.0  # Sun Mar 2
    assert z[0][5] == 30.0  # Sun Mar 30
    assert z[1][5] == 31.0  # Mon Mar 31
    assert z[2][5] is None


@pytest.mark.parametrize("week_start", [0, 8, -1])
def test_week_start_is_validated(week_start: int) -> None:
    with pytest.raises(ValueError, match="week_start"):
        calendar_heatmap(_march_days(), currency="USD", week_start=week_start)
    with pytest.raises(ValueError, match="week_start"):
        weekday_bars(_weekdays(), currency="USD", week_start=week_start)


# --- weekday and hour bars ------------------------------------------------------------------


def _weekdays() -> pl.DataFrame:
    return pl.DataFrame(
        {"weekday": pl.Series([7, 1, 3, 6], dtype=pl.Int8), "total": [70.0, 10.0, 30.0, 60.0]}
    )


def test_weekday_bars_monday_start() -> None:
    fig = weekday_bars(_weekdays(), currency="GBP")
    (bars,) = fig.data
    assert bars.x == ("Mon", "Wed", "Sat", "Sun")
    assert bars.y == (10.0, 30.0, 60.0, 70.0)
    assert fig.layout.xaxis.categoryarray == ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    assert fig.layout.yaxis.tickprefix == "£"
    assert "£%{y:,.2f}" in bars.hovertemplate


def test_weekday_bars_sunday_start() -> None:
    fig = weekday_bars(_weekdays(), currency="USD", week_start=7)
    (bars,) = fig.data
    assert bars.x == ("Sun", "Mon", "Wed", "Sat")
    assert bars.y == (70.0, 10.0, 30.0, 60.0)
    assert fig.layout.xaxis.categoryarray[0] == "Sun"
    saturday = weekday_bars(_weekdays(), currency="USD", week_start=6)
    assert saturday.data[0].x == ("Sat", "Sun", "Mon", "Wed")


def test_weekday_bars_rejects_non_iso_weekday() -> None:
    frame = pl.DataFrame({"weekday": pl.Series([0], dtype=pl.Int8), "total": [1.0]})
    with pytest.raises(ValueError, match=r"1\.\.7 \(ISO\)"):
        weekday_bars(frame, currency="USD")


def test_hour_bars() -> None:
    frame = pl.DataFrame(
        {"hour": pl.Series([23, 0, 12], dtype=pl.Int8), "total": [5.0, 1.0, 1234.5]}
    )
    fig = hour_bars(frame, currency="JPY")
    (bars,) = fig.data
    assert bars.x == (0, 12, 23)
    assert bars.y == (1.0, 1234.5, 5.0)
    assert bars.customdata == ("00:00–01:00", "12:00–13:00", "23:00–00:00")
    assert fig.layout.xaxis.tickvals == tuple(range(24))
    assert fig.layout.xaxis.ticktext[0] == "00"
    assert fig.layout.xaxis.ticktext[-1] == "23"
    assert tuple(fig.layout.xaxis.range) == (-0.5, 23.5)
    assert fig.layout.yaxis.tickprefix == "¥"
    assert fig.layout.yaxis.tickformat == ",.0f"
    assert "¥%{y:,.0f}" in bars.hovertemplate


# --- category share and trend ---------------------------------------------------------------


def test_category_share_area() -> None:
    fig = category_share_area(_share(), currency="USD")
    # Pets (3.0 overall) outweighs Food (1.0): stacked first, at the bottom.
    assert [t.name for t in fig.data] == ["Pets", "Food"]
    assert all(t.type == "scatter" and t.stackgroup == "share" for t in fig.data)
    assert fig.data[0].groupnorm == "percent"
    pets, food = fig.data
    assert pets.x == (D(2025, 1, 1), D(2025, 2, 1))
    assert pets.y == (3.0, 0.0)
    assert food.y == (1.0, 0.0)
    # customdata = [category, share %, amount]; January: 3 of 4 and 1 of 4; February: nothing.
    assert list(pets.customdata[0]) == ["Pets", 75.0, 3.0]
    assert list(food.customdata[0]) == ["Food", 25.0, 1.0]
    assert list(food.customdata[1]) == ["Food", 0.0, 0.0]
    assert "$%{customdata[2]:,.2f}" in food.hovertemplate
    assert fig.layout.yaxis.ticksuffix == "%"


def test_category_trend() -> None:
    frame = _monthly().rename({"month": "bucket"})
    fig = category_trend(frame, category="Travel", currency="USD")
    (bars,) = fig.data
    assert bars.type == "bar"
    assert bars.x == (D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1))
    assert bars.y == (100.0, 250.5, 80.0)
    assert bars.marker.color == CATEGORY_PALETTE["Travel"]
    assert fig.layout.title.text == "Travel"
    assert fig.layout.yaxis.tickprefix == "$"
    line = category_trend(frame, category="Pets", currency="USD", kind="line").data[0]
    assert line.type == "scatter"
    assert line.line.color == "#EE7733"


# --- period comparison ---------------------------------------------------------------------


def test_period_comparison() -> None:
    fig = period_comparison(_comparison(), currency="USD", labels=("March", "February"))
    assert [(t.type, t.name) for t in fig.data] == [("bar", "March"), ("bar", "February")]
    assert fig.layout.barmode == "group"
    current, previous = fig.data
    assert current.x == ("Food", "Travel", "Pets")  # by current amount, largest first
    assert current.y == (10.0, 5.0, 2.0)
    assert previous.x == current.x
    assert previous.y == (8.0, 0.0, 4.0)
    assert current.customdata == current.x
    assert current.hovertext == ("+25% vs February", "new vs February", "-50% vs February")
    assert previous.marker.opacity < 1
    assert previous.marker.color == current.marker.color
    assert "$%{y:,.2f}" in current.hovertemplate
    assert fig.layout.title.text == "March vs February"


# --- budgets -------------------------------------------------------------------------------


def test_budget_progress() -> None:
    fig = budget_progress(_progress(), currency="USD")
    assert [(t.type, t.name) for t in fig.data] == [
        ("bar", "Forecast"),
        ("bar", "Spent"),
        ("scatter", "Budget"),
    ]
    forecast = _trace(fig, "Forecast")
    spent = _trace(fig, "Spent")
    budget = _trace(fig, "Budget")
    assert spent.orientation == "h"
    assert spent.y == ("Food", "Travel", "Health")  # by spent, largest on top
    assert fig.layout.yaxis.autorange == "reversed"
    assert spent.x == (120.0, 50.0, 10.0)
    assert forecast.x == (180.0, 260.0, 20.0)
    assert budget.x == (100.0, 200.0, None)
    assert spent.marker.color == tuple(category_colors(spent.y).values())
    assert forecast.marker.color == spent.marker.color
    assert forecast.marker.opacity < 1
    # Food is over (120 > 100): hatched and labelled; Travel will be (260 > 200).
    assert spent.marker.pattern.shape == ("/", "", "")
    assert spent.text == ("Over by $20.00", "On pace to exceed", "")
    assert spent.hovertext == ("120% of $100.00", "25% of $200.00", "No budget")
    assert fig.layout.xaxis.tickprefix == "$"
    assert "$%{x:,.2f}" in spent.hovertemplate


def test_budget_history() -> None:
    fig = budget_history(_history(), currency="USD")
    assert [(t.type, t.name) for t in fig.data] == [
        ("bar", "Within budget"),
        ("bar", "Over budget"),
        ("bar", "No budget"),
        ("scatter", "Budget"),
    ]
    assert fig.layout.barmode == "overlay"
    within = _trace(fig, "Within budget")
    over = _trace(fig, "Over budget")
    assert within.x == (D(2025, 2, 1),)
    assert within.y == (150.0,)
    assert over.x == (D(2025, 1, 1),)  # 120 > 100
    assert over.y == (120.0,)
    assert over.marker.pattern.shape == "/"
    assert over.marker.color != within.marker.color
    assert _trace(fig, "No budget").x == (D(2025, 3, 1),)
    line = _trace(fig, "Budget")
    assert line.x == (D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1))
    assert line.y == (100.0, 200.0, None)
    assert fig.layout.yaxis.tickprefix == "$"


def test_budget_history_leaves_out_empty_groups() -> None:
    frame = _history().filter(pl.col("budget").is_not_null())
    names = [t.name for t in budget_history(frame, currency="USD").data]
    assert names == ["Within budget", "Over budget", "Budget"]
