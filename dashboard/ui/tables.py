"""On-screen tables: every cell by the rules of :mod:`dashboard.core.display` (human headers,
money with its currency, one percentage rule, ``—`` for missing values, readable dates)."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
import streamlit as st

from dashboard.core.display import display_frame

__all__ = ["ROW_HEIGHT", "data_table", "fitted_height", "selectable_table"]

#: Streamlit's dataframe row height in pixels (the header row is as tall).
ROW_HEIGHT = 35


def fitted_height(rows: int) -> int:
    """A table height that shows ``rows`` rows and the header without an inner scroll bar."""
    return (max(rows, 1) + 1) * ROW_HEIGHT + 3


def data_table(
    frame: pl.DataFrame,
    key: str,
    *,
    currency: str | None = None,
    money: tuple[str, ...] = (),
    ms: tuple[str, ...] = (),
    headers: Mapping[str, str] | None = None,
    fit: bool = False,
) -> None:
    """``frame`` as a formatted table; ``fit`` sizes it to show every row without scrolling."""
    shown = display_frame(frame, currency=currency, money=money, ms=ms, headers=headers)
    height = fitted_height(frame.height) if fit else "auto"
    st.dataframe(shown, hide_index=True, width="stretch", height=height, key=key)


def selectable_table(frame: pl.DataFrame, key: str) -> object:
    """``frame`` formatted like :func:`data_table`, one row selectable; returns the selection."""
    return st.dataframe(
        display_frame(frame),
        hide_index=True,
        width="stretch",
        key=key,
        on_select="rerun",
        selection_mode="single-row",
    )
