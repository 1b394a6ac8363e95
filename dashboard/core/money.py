"""Currency formatting shared by KPIs, tables and charts, so every amount reads the same way.

Amounts are rounded half-up on their decimal value (``1234.5`` JPY → ``¥1,235``), not with
Python's banker's rounding on the binary float, and the minus sign goes before the symbol
(``-$12.00``).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import TypedDict

__all__ = [
    "MISSING",
    "PlotlyMoneyFormat",
    "currency_decimals",
    "currency_symbol",
    "decimals_for",
    "format_money",
    "hover_money",
    "plotly_money_format",
]

MISSING = "—"
"""What :func:`format_money` shows for a missing amount."""

_SYMBOLS: dict[str, str] = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "INR": "₹",
    "JPY": "¥",
    "CAD": "CA$",
    "AUD": "A$",
}

# ISO 4217 minor units: currencies without cents, and those with three decimals.
_ZERO_DECIMALS = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "UYI",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
_THREE_DECIMALS = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})


class PlotlyMoneyFormat(TypedDict):
    """Plotly axis properties for money: ``fig.update_yaxes(**plotly_money_format("USD"))``."""

    tickprefix: str
    tickformat: str
    hoverformat: str


def _code(currency: str | None) -> str:
    return (currency or "").strip().upper()


def currency_symbol(code: str) -> str:
    """The symbol shown before amounts: ``$``, ``€``…; unknown codes read ``"CHF "``."""
    normalised = _code(code)
    if not normalised:
        return ""
    return _SYMBOLS.get(normalised, f"{normalised} ")


def currency_decimals(code: str) -> int:
    """How many decimals the currency uses (ISO 4217 minor units): JPY 0, KWD 3, most 2."""
    normalised = _code(code)
    if normalised in _ZERO_DECIMALS:
        return 0
    if normalised in _THREE_DECIMALS:
        return 3
    return 2


decimals_for = currency_decimals
"""Alias of :func:`currency_decimals`."""


def format_money(
    amount: float | Decimal | None, currency: str, *, decimals: int | None = None
) -> str:
    """``1234.5, "USD"`` → ``"$1,234.50"``; ``None`` or NaN → ``"—"``; negatives → ``"-$12.00"``."""
    if amount is None:
        return MISSING
    if isinstance(amount, Decimal):
        if not amount.is_finite():
            return MISSING
        value = amount
    else:
        if not math.isfinite(amount):
            return MISSING
        # repr() gives the shortest decimal that round-trips, so 2.675 rounds to 2.68.
        value = Decimal(repr(float(amount)))
    places = currency_decimals(currency) if decimals is None else decimals
    if places < 0:
        raise ValueError(f"decimals must be >= 0, got {places}")
    # Enough digits for any finite amount (1e308 has 309): the default 28 would refuse to quantize.
    with localcontext() as context:
        context.prec = max(context.prec, value.adjusted() + places + 2)
        rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""  # -0.001 rounds to zero: no sign
    return f"{sign}{currency_symbol(currency)}{abs(rounded):,.{places}f}"


def _d3_format(currency: str) -> str:
    return f",.{currency_decimals(currency)}f"


def plotly_money_format(currency: str) -> PlotlyMoneyFormat:
    """Axis properties (prefix, tick and hover number formats) for amounts in ``currency``.

    ``hoverformat`` is the d3 number format Plotly uses for the axis value in hover labels;
    hover templates should use :func:`hover_money`, which adds the symbol.
    """
    number_format = _d3_format(currency)
    return {
        "tickprefix": currency_symbol(currency),
        "tickformat": number_format,
        "hoverformat": number_format,
    }


def hover_money(currency: str, field: str = "y") -> str:
    """A hover-template fragment for an amount: ``hover_money("USD", "x")`` → ``"$%{x:,.2f}"``."""
    return f"{currency_symbol(currency)}%{{{field}:{_d3_format(currency)}}}"
