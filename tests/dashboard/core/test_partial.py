"""Partial buckets: still filling up, or begun before the data."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard.core.partial import bucket_end, mark_partial, partial_note

D = dt.date


@pytest.mark.parametrize(
    ("first", "unit", "last"),
    [
        (D(2026, 12, 4), "day", D(2026, 12, 4)),
        (D(2026, 11, 30), "week", D(2026, 12, 6)),
        (D(2026, 2, 1), "month", D(2026, 2, 28)),
        (D(2024, 2, 1), "month", D(2024, 2, 29)),
        (D(2026, 10, 1), "quarter", D(2026, 12, 31)),
        (D(2026, 1, 1), "year", D(2026, 12, 31)),
    ],
)
def test_bucket_end(first: dt.date, unit: str, last: dt.date) -> None:
    assert bucket_end(first, unit) == last  # type: ignore[arg-type]


def test_the_current_month_and_a_month_begun_before_the_data_are_partial() -> None:
    months = pl.DataFrame(
        {"month": [D(2025, 12, 1), D(2026, 1, 1), D(2026, 11, 1), D(2026, 12, 1)]}
    )
    out = mark_partial(
        months, "month", unit="month", last_day=D(2026, 12, 4), data_start=D(2025, 12, 3)
    )
    expected = months.with_columns(partial=pl.Series([True, False, False, True]))
    assert_frame_equal(out, expected)
    note = partial_note(
        out, "month", unit="month", last_day=D(2026, 12, 4), data_start=D(2025, 12, 3)
    )
    assert note == (
        "Hatched bars and dashed segments are partial: the month is not over yet "
        "(data up to 04 Dec 2026) and the figures start on 03 Dec 2025."
    )


def test_a_bucket_ending_on_the_last_day_is_complete() -> None:
    days = pl.DataFrame({"day": [D(2026, 12, 3), D(2026, 12, 4), D(2026, 12, 5)]})
    out = mark_partial(days, "day", unit="day", last_day=D(2026, 12, 4))
    assert out["partial"].to_list() == [False, False, True]
    complete = out.filter(~pl.col("partial"))
    assert partial_note(complete, "day", unit="day", last_day=D(2026, 12, 4)) is None


def test_dates_are_required() -> None:
    with pytest.raises(TypeError, match="must hold dates"):
        mark_partial(pl.DataFrame({"m": ["2026-01"]}), "m", unit="month", last_day=D(2026, 1, 1))
