"""The shared table-cell rules: headers in words, money with symbol and separators, one
percentage rule, dates without midnight, and "—" for anything missing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from dashboard.core.display import (
    display_frame,
    format_date,
    format_pct,
    format_text,
    human_header,
    money_cell,
)


@pytest.mark.parametrize(
    ("name", "words"),
    [("vs_previous", "Vs previous"), ("last_year", "Last year"), ("total", "Total"),
     ("typical_amount", "Typical amount"), ("p95_ms", "p95"), ("rate_5xx", "5xx rate")],
)  # fmt: skip
def test_headers_are_words(name: str, words: str) -> None:
    assert human_header(name) == words


def test_money_has_symbol_separators_and_the_currencys_decimals() -> None:
    assert money_cell(Decimal("10070679.44"), "USD") == "$10,070,679.44"
    assert money_cell(1234.5, "JPY") == "¥1,235"
    assert money_cell(None, "USD") == "—"
    assert money_cell(float("nan"), "EUR") == "—"


def test_percentages_have_one_decimal_and_a_sign_for_changes() -> None:
    assert format_pct(24.599) == "+2,459.9%"
    assert format_pct(-0.125) == "-12.5%"
    assert format_pct(0.5, signed=False) == "50.0%"
    assert format_pct(None) == "—"


def test_dates_read_day_month_year_without_time() -> None:
    assert format_date(dt.date(2026, 11, 1)) == "01 Nov 2026"
    midnight = dt.datetime(2026, 11, 1, tzinfo=dt.timezone(dt.timedelta(hours=-7)))
    assert format_date(midnight) == "01 Nov 2026"


@pytest.mark.parametrize("value", [None, {}, [], "None", "{}", float("nan")])
def test_missing_values_read_as_a_dash(value: object) -> None:
    assert format_text(value) == "—"


def test_a_dict_reads_as_key_value_pairs() -> None:
    assert format_text({"role": "admin", "from": None}) == "role: admin, from: —"
    assert format_text('{"ip": "1.2.3.4"}') == "ip: 1.2.3.4"


def test_a_frame_becomes_text_cells_under_human_headers() -> None:
    frame = pl.DataFrame(
        {
            "currency": ["USD", "EUR"],
            "total": [Decimal("10070679.44"), None],
            "vs_previous": [0.25, None],
            "day": [dt.datetime(2026, 11, 1), dt.datetime(2026, 11, 2)],
            "count": [2004, 3],
            "details": [{"a": 1}, None],
        },
        schema_overrides={"total": pl.Decimal(38, 2)},
    ).with_columns(pl.col("day").dt.replace_time_zone("America/Denver"))  # local midnights
    shown = display_frame(frame)
    assert shown.columns == ["Currency", "Total", "Vs previous", "Day", "Count", "Details"]
    assert shown.row(0) == ("USD", "$10,070,679.44", "+25.0%", "01 Nov 2026", "2,004", "a: 1")
    assert shown.row(1) == ("EUR", "—", "—", "02 Nov 2026", "3", "—")


def test_durations_read_in_milliseconds() -> None:
    frame = pl.DataFrame({"p95_ms": [230.04, None], "p50": [12.0, 3.26]})
    shown = display_frame(frame, ms=("p50",))
    assert shown.to_dicts() == [
        {"p95": "230.0 ms", "p50": "12.0 ms"},
        {"p95": "—", "p50": "3.3 ms"},
    ]
