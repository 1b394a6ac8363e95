"""The caption under a chart with partial buckets: why they are hatched or dashed."""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from dashboard.core.partial import Unit, last_complete_day, partial_note
from dashboard.core.periods import Period

__all__ = ["partial_caption"]


def partial_caption(
    frame: pl.DataFrame,
    column: str,
    *,
    unit: Unit,
    period: Period,
    last_day: dt.date | None = None,
) -> None:
    """Write :func:`~dashboard.core.partial.partial_note` as a caption when the frame has partial
    buckets (``last_day``: the view's, by default the period's last complete day)."""
    note = partial_note(
        frame,
        column,
        unit=unit,
        last_day=last_day or last_complete_day(period),
        data_start=period.start,
    )
    if note:
        st.caption(note)
