"""Currency formatting: symbols, rounding, signs, missing values and Plotly formats."""

from __future__ import annotations

from decimal import Decimal

import plotly.graph_objects as go
import pytest

from dashboard.core.money import (
    currency_decimals,
    currency_symbol,
    format_money,
    hover_money,
    plotly_money_format,
)


@pytest.mark.parametrize(
    ("code", "symbol"),
    [
        ("USD", "$"),
        ("EUR", "€"),
        ("GBP", "£"),
        ("INR", "₹"),
        ("JPY", "¥"),
        ("CAD", "CA$"),
        ("AUD", "A$"),
        ("usd", "$"),
        (" eur ", "€"),
        ("CHF", "CHF "),
        ("SEK", "SEK "),
    ],
)
def test_currency_symbol(code: str, symbol: str) -> None:
    assert currency_symbol(code) == symbol


@pytest.mark.parametrize(
    ("code", "decimals"), [("USD", 2), ("EUR", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3)]
)
def test_currency_decimals(code: str, decimals: int) -> None:
    assert currency_decimals(code) == decimals


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (1234.5, "USD", "$1,234.50"),
        (1234.5, "EUR", "€1,234.50"),
        (1234.5, "JPY", "¥1,235"),  # half-up, not banker's rounding (Python gives 1,234)
        (1233.5, "JPY", "¥1,234"),
        (-12, "USD", "-$12.00"),
        (-1234.567, "GBP", "-£1,234.57"),
        (0, "USD", "$0.00"),
        (-0.004, "USD", "$0.00"),  # rounds to zero: no minus sign
        (2.675, "USD", "$2.68"),  # the float is 2.67499999…; we round its shortest decimal
        (1_234_567_890.125, "EUR", "€1,234,567,890.13"),
        (98_765_432_109.99, "USD", "$98,765,432,109.99"),
        (12_000_000, "JPY", "¥12,000,000"),
        (99.5, "INR", "₹99.50"),
        (15.2, "CAD", "CA$15.20"),
        (15.2, "AUD", "A$15.20"),
        (12.5, "CHF", "CHF 12.50"),
        (-12.5, "CHF", "-CHF 12.50"),
        (1.2345, "KWD", "KWD 1.235"),
        (Decimal("10.005"), "USD", "$10.01"),
        (None, "USD", "—"),
        (float("nan"), "USD", "—"),
        (float("inf"), "USD", "—"),
        (Decimal("NaN"), "USD", "—"),
    ],
)
def test_format_money(amount: float | Decimal | None, currency: str, expected: str) -> None:
    assert format_money(amount, currency) == expected


def test_format_money_decimals_override() -> None:
    assert format_money(1234.5, "USD", decimals=0) == "$1,235"
    assert format_money(1234.5, "JPY", decimals=2) == "¥1,234.50"
    assert format_money(-0.5, "USD", decimals=0) == "-$1"
    with pytest.raises(ValueError, match="decimals"):
        format_money(1.0, "USD", decimals=-1)


def test_format_money_formats_any_finite_amount() -> None:
    # A budget or amount of 1e308 from the tracker crashed the Budgets page (decimal's default
    # 28-digit context refused to quantize it). 1e308 is exactly the double 10**308 printed.
    assert format_money(1e308, "USD") == f"${10**308:,}.00"
    assert format_money(-1e30, "JPY") == f"-¥{10**30:,}"
    assert format_money(Decimal("1E+40"), "KWD") == f"KWD {10**40:,}.000"


def test_plotly_money_format() -> None:
    assert plotly_money_format("USD") == {
        "tickprefix": "$",
        "tickformat": ",.2f",
        "hoverformat": ",.2f",
    }
    assert plotly_money_format("JPY") == {
        "tickprefix": "¥",
        "tickformat": ",.0f",
        "hoverformat": ",.0f",
    }
    assert plotly_money_format("CHF")["tickprefix"] == "CHF "


def test_plotly_money_format_is_valid_axis_properties() -> None:
    fig = go.Figure().update_yaxes(**plotly_money_format("EUR"))
    assert fig.layout.yaxis.tickprefix == "€"
    assert fig.layout.yaxis.tickformat == ",.2f"
    assert fig.layout.yaxis.hoverformat == ",.2f"


def test_hover_money() -> None:
    assert hover_money("USD") == "$%{y:,.2f}"
    assert hover_money("EUR", "x") == "€%{x:,.2f}"
    assert hover_money("JPY", "value") == "¥%{value:,.0f}"
    assert hover_money("CHF", "customdata[2]") == "CHF %{customdata[2]:,.2f}"
