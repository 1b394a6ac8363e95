"""Category charts: donut and treemap breakdowns, shares over time, one category's trend, two
periods side by side."""

from __future__ import annotations

import polars as pl
import pytest

from dashboard.charts import (
    CATEGORY_PALETTE,
    NO_DATA,
    category_breakdown,
    category_colors,
    category_share_area,
    category_trend,
    period_comparison,
)
from tests.dashboard.charts.frames import (
    D,
    categories_frame,
    comparison_frame,
    monthly_frame,
    share_frame,
)


def test_donut() -> None:
    fig = category_breakdown(categories_frame(), currency="EUR")
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
    # Shares inside the slices, one precision; none would be drawn below 3 %.
    assert pie.text == ("67%", "22%", "11%")
    assert (pie.textinfo, pie.textposition) == ("text", "inside")


def test_donut_leaves_slices_under_three_percent_unlabelled() -> None:
    frame = pl.DataFrame(
        {"category": ["A", "B", "C"], "total": [97.5, 2.0, 0.5], "count": [1, 1, 1]}
    )
    (pie,) = category_breakdown(frame, currency="USD").data
    assert pie.text == ("98%", "", "")


def test_treemap() -> None:
    fig = category_breakdown(categories_frame(), currency="USD", kind="treemap")
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
        category_breakdown(categories_frame(), currency="USD", kind="pie")  # type: ignore[arg-type]


def test_breakdown_with_only_zero_totals_is_empty() -> None:
    frame = pl.DataFrame({"category": ["Food"], "total": [0.0]})
    fig = category_breakdown(frame, currency="USD")
    assert [a.text for a in fig.layout.annotations] == [NO_DATA]


def test_category_share_area() -> None:
    fig = category_share_area(share_frame(), currency="USD")
    # Pets (3.0 overall) outweighs Food (1.0): stacked first, at the bottom.
    assert [t.name for t in fig.data] == ["Pets", "Food"]
    assert all(t.type == "scatter" and t.stackgroup == "share" for t in fig.data)
    assert fig.data[0].groupnorm == "percent"
    pets, food = fig.data
    # February has nothing spent: it has no shares, so it is left out instead of drawn as 0 %.
    assert pets.x == (D(2025, 1, 1),)
    assert pets.y == (3.0,)
    assert food.y == (1.0,)
    # customdata = [category, share %, amount]; January: 3 of 4 and 1 of 4.
    assert list(pets.customdata[0]) == ["Pets", 75.0, 3.0]
    assert list(food.customdata[0]) == ["Food", 25.0, 1.0]
    assert "$%{customdata[2]:,.2f}" in food.hovertemplate
    assert fig.layout.yaxis.ticksuffix == "%"


def test_category_trend() -> None:
    frame = monthly_frame().rename({"month": "bucket"})
    fig = category_trend(frame, category="Travel", currency="USD")
    (bars,) = fig.data
    assert bars.type == "bar"
    assert bars.x == (D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1))
    assert bars.y == (100.0, 250.5, 80.0)
    assert bars.marker.color == CATEGORY_PALETTE["Travel"]
    assert fig.layout.title.text is None  # the page's heading names the category
    assert fig.layout.yaxis.tickprefix == "$"
    line = category_trend(frame, category="Pets", currency="USD", kind="line").data[0]
    assert line.type == "scatter"
    assert line.line.color == "#EE7733"


def test_period_comparison() -> None:
    fig = period_comparison(comparison_frame(), currency="USD", labels=("March", "February"))
    assert [(t.type, t.name) for t in fig.data] == [("bar", "March"), ("bar", "February")]
    assert fig.layout.barmode == "group"
    current, previous = fig.data
    assert current.x == ("Food", "Travel", "Pets")  # by current amount, largest first
    assert current.y == (10.0, 5.0, 2.0)
    assert previous.x == current.x
    assert previous.y == (8.0, 0.0, 4.0)
    assert current.customdata == current.x
    assert current.hovertext == ("", "", "")  # without the view's comparison text: none
    changes = {"Food": "+25%", "Travel": "nothing in the previous period", "Pets": "-50%"}
    texted = comparison_frame().with_columns(change=pl.col("category").replace_strict(changes))
    hover = period_comparison(texted, currency="USD", labels=("March", "February")).data[0]
    assert hover.hovertext == (
        "vs February: +25%",
        "vs February: nothing in the previous period",
        "vs February: -50%",
    )
    assert previous.marker.opacity < 1
    assert previous.marker.color == current.marker.color
    assert "$%{y:,.2f}" in current.hovertemplate
    assert fig.layout.title.text is None  # the legend names both periods
