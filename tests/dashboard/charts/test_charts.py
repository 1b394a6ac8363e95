"""What every chart builder promises: an annotated empty state, its input untouched, a theme-neutral
layout, a clear error for a missing column, figures that serialise."""

from __future__ import annotations

import json
from typing import Any

import plotly.io as pio
import pytest

from dashboard.charts import (
    NO_DATA,
)
from tests.dashboard.charts.frames import (
    BUILDERS,
    TRANSPARENT,
    build,
)


@pytest.mark.parametrize("name", BUILDERS)
def test_empty_frame_gives_annotation(name: str) -> None:
    fig = build(name, BUILDERS[name][1]().clear())
    assert len(fig.data) == 0
    assert [annotation.text for annotation in fig.layout.annotations] == [NO_DATA]
    assert NO_DATA == "No data for this period"


@pytest.mark.parametrize("name", BUILDERS)
def test_input_is_not_mutated(name: str) -> None:
    frame = BUILDERS[name][1]()
    before = frame.clone()
    build(name, frame)
    assert frame.equals(before)
    assert frame.columns == before.columns


@pytest.mark.parametrize("name", BUILDERS)
def test_theme_neutral_layout(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Transparent backgrounds, no font colours, and whatever template the app made default."""
    monkeypatch.setattr(pio.templates, "default", "simple_white")
    fig = build(name)
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
        build(name, frame.drop(frame.columns[0]))


@pytest.mark.parametrize("name", BUILDERS)
def test_figures_serialise(name: str) -> None:
    spec = json.loads(build(name, currency="JPY").to_json())
    assert spec["data"]
