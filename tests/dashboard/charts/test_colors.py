"""Category colours: fixed for known categories, readable in both themes, deterministic across
processes, and the same in every builder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.charts import (
    CATEGORY_PALETTE,
    category_breakdown,
    category_colors,
    category_share_area,
    category_trend,
    period_comparison,
)
from dashboard.charts.colors import EXTRA_COLORS
from tests.dashboard.charts.frames import (
    KNOWN,
    categories_frame,
    comparison_frame,
    monthly_frame,
    share_frame,
)

REPO = Path(__file__).resolve().parents[3]


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
    donut = category_breakdown(categories_frame(), currency="USD").data[0]
    donut_colors = dict(zip(donut.labels, donut.marker.colors))
    comparison = period_comparison(comparison_frame(), currency="USD", labels=("Mar", "Feb"))
    bars = comparison.data[0]
    bar_colors = dict(zip(bars.x, bars.marker.color))
    area = category_share_area(share_frame(), currency="USD")
    area_colors = {trace.name: trace.line.color for trace in area.data}
    trend = category_trend(
        monthly_frame().rename({"month": "bucket"}), category="Pets", currency="USD"
    )
    for name in names:
        assert donut_colors[name] == expected[name]
        assert bar_colors[name] == expected[name]
    assert area_colors == {"Food": expected["Food"], "Pets": expected["Pets"]}
    assert {trace.name: trace.fillcolor for trace in area.data} == area_colors
    assert trend.data[0].marker.color == expected["Pets"]
