"""Turn a Streamlit chart selection back into the category the user clicked.

What Streamlit 1.67 sends (read in its frontend bundle, ``static/js/PlotlyChart.*.js``; the
Python side, ``elements/plotly_chart.py``, only JSON-decodes it):

* Bars and other cartesian traces (click or box select): each point is Plotly's event data
  with the keys in snake_case, e.g. ``{"curve_number": 0, "point_number": 2, "point_index": 2,
  "x": "Food", "y": 412.5, "label": "Food", "value": 412.5, "customdata": "Food"}``. Our
  builders put the category in ``customdata``.
* Treemap (click): only ``label``, ``id``, ``parent``, ``value``, ``current_path``,
  ``percent_root``, ``percent_entry``, ``percent_parent``, ``point_number``, ``curve_number``:
  no ``customdata``. Streamlit drops clicks whose point has no ``id`` or ``parent``, so the
  treemap builder sets ``ids`` and ``parents``.
* Donut/pie: Streamlit 1.67 reports nothing. A pie click is a plain ``plotly_click`` without
  ``id``/``parent``, which the frontend ignores, and pies have no box/lasso selection. Use the
  treemap (or the bar charts) for click-to-filter. If a pie point ever arrives, it has
  ``label`` and ``customdata`` (Plotly's pie event data), which this helper also reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["selected_category"]


def _first_text(value: Any) -> str | None:
    # customdata may be a string, a row ([category, ...]) or, for a pie, a list of rows.
    while isinstance(value, list | tuple) and value:
        value = value[0]
    return value if isinstance(value, str) and value else None


def _point_category(point: Any) -> str | None:
    if not isinstance(point, Mapping):
        return None
    for key in ("customdata", "label", "id"):
        found = _first_text(point.get(key))
        if found is not None:
            return found
    return None


def selected_category(event: Any) -> str | None:
    """The category of the first selected point, or ``None`` when nothing usable is selected.

    ``event`` is what ``st.plotly_chart(..., on_select="rerun")`` returns (or
    ``st.session_state[key]``); anything else (``None``, a DeltaGenerator) gives ``None``.
    Reads ``customdata`` first, then ``label``, then ``id``.
    """
    if not isinstance(event, Mapping):
        return None
    selection = event.get("selection")
    if not isinstance(selection, Mapping):
        return None
    for point in selection.get("points") or ():
        category = _point_category(point)
        if category is not None:
            return category
    return None
