"""Reading the clicked category from a chart selection event."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dashboard.charts import (
    budget_progress,
    category_breakdown,
    selected_category,
)
from tests.dashboard.charts.frames import (
    categories_frame,
    progress_frame,
)


def _streamlit_event(points: list[dict[str, Any]]) -> Any:
    """What st.plotly_chart returns: Streamlit's own deserialiser over the frontend's JSON."""
    from streamlit.elements.plotly_chart import PlotlyChartSelectionSerde

    indices = [p["point_number"] for p in points if "point_number" in p]
    payload = {"selection": {"points": points, "point_indices": indices, "box": [], "lasso": []}}
    return PlotlyChartSelectionSerde().deserialize(json.dumps(payload))


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
    tree = category_breakdown(categories_frame(), currency="USD", kind="treemap").data[0]
    point = {"label": tree.labels[1], "id": tree.ids[1], "parent": tree.parents[1]}
    assert selected_category({"selection": {"points": [point]}}) == "Food"
    bars = budget_progress(progress_frame(), currency="USD").data[1]
    point = {"x": bars.x[0], "y": bars.y[0], "customdata": bars.customdata[0]}
    assert selected_category({"selection": {"points": [point]}}) == "Food"
