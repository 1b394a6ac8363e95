"""How one table cell reads, the same on screen and in the PDF: human headers, money with its
currency symbol and separators, one rule for percentages, dates as ``01 Nov 2026``, and ``—``
for anything missing (never ``None``, ``nan`` or ``{}``)."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import polars as pl

from dashboard.core.money import MISSING, format_money

__all__ = [
    "HEADERS",
    "MISSING",
    "PERCENT_COLUMNS",
    "display_frame",
    "format_count",
    "format_date",
    "format_ms",
    "format_pct",
    "format_text",
    "format_timestamp",
    "human_header",
    "money_cell",
]

#: Column names → the words a reader sees; anything else is turned from snake_case into words.
HEADERS: dict[str, str] = {
    "vs_previous": "Vs previous",
    "vs_last_year": "Vs last year",
    "last_year": "Last year",
    "previous": "Previous period",
    "deleted_count": "Soft-deleted",
    "deleted_total": "Soft-deleted amount",
    "deleted_at": "Deleted at",
    "expense_id": "Expense ID",
    "user_id": "User ID",
    "p95_ms": "p95",
    "p50_ms": "p50",
    "rate_5xx": "5xx rate",
    "p50": "p50",
    "p95": "p95",
    "p99": "p99",
    "typical_amount": "Typical amount",
    "robust_z": "Unusualness",
    "created_at": "Created",
    "last_login": "Last sign-in",
    "place": "#",
}


def human_header(name: str) -> str:
    """``"vs_last_year"`` → ``"Vs last year"``; ``"total"`` → ``"Total"``; mapped names first."""
    if name in HEADERS:
        return HEADERS[name]
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else name


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and not math.isfinite(value):
        return True
    return isinstance(value, Decimal) and not value.is_finite()


def format_pct(value: float | None, *, signed: bool = True) -> str:
    """A ratio as a percentage with one decimal: ``0.125`` → ``"+12.5%"`` (``"12.5%"`` unsigned)."""
    if _missing(value):
        return MISSING
    return f"{value:+,.1%}" if signed else f"{value:,.1%}"


def format_count(value: int | float | None) -> str:
    """A whole number with separators: ``2004`` → ``"2,004"``."""
    return MISSING if _missing(value) else f"{value:,.0f}"


def format_date(value: dt.date | dt.datetime | None) -> str:
    """A day as ``"01 Nov 2026"`` (a datetime loses its time and offset)."""
    return MISSING if value is None else f"{value:%d %b %Y}"


def format_timestamp(value: dt.datetime | None) -> str:
    """A moment as ``"01 Nov 2026 14:05"`` in the datetime's own time zone (no seconds, no offset)."""
    return MISSING if value is None else f"{value:%d %b %Y %H:%M}"


def format_text(value: Any) -> str:
    """Any other cell: ``None``/empty dicts and lists → ``"—"``; a dict → ``"key: value, …"``."""
    if _missing(value):
        return MISSING
    if isinstance(value, Mapping):
        if not value:
            return MISSING
        return ", ".join(f"{k}: {format_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return ", ".join(format_text(v) for v in value) if value else MISSING
    if isinstance(value, dt.datetime):
        return format_timestamp(value)
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    text = str(value)
    if text.strip() in ("", "None", "{}", "[]", "null"):
        return MISSING
    return text if not text.startswith("{") else _json_text(text)


def _json_text(text: str) -> str:
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    return format_text(parsed) if isinstance(parsed, dict) else text


def money_cell(value: Any, currency: str | None) -> str:
    """An amount in ``currency`` (``"$10,070,679.44"``), ``"—"`` when missing."""
    return MISSING if _missing(value) else format_money(value, currency or "")


#: Float columns that hold ratios and read as percentages.
PERCENT_COLUMNS = frozenset(
    {"vs_previous", "vs_last_year", "share", "ratio", "hit_ratio", "rate_5xx"}
)


def format_ms(value: float | None) -> str:
    """A duration in milliseconds with one decimal: ``230.04`` → ``"230.0 ms"``."""
    return MISSING if _missing(value) else f"{value:,.1f} ms"


def _cell(value: Any, dtype: pl.DataType, name: str, currency: str | None) -> str:
    if _missing(value):
        return MISSING
    if name.endswith("_ms") and (dtype.is_float() or dtype.is_integer()):
        return format_ms(value)
    if name in PERCENT_COLUMNS and dtype.is_float():
        return format_pct(value, signed=name.startswith("vs_"))
    if dtype.is_integer():
        return format_count(value)
    if dtype.is_float():
        return f"{value:,.2f}"
    return format_text(value)


def display_frame(
    frame: pl.DataFrame,
    *,
    currency: str | None = None,
    money: tuple[str, ...] = (),
    ms: tuple[str, ...] = (),
    headers: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """``frame`` as text cells under human headers, every value by the rules of this module.

    Decimal columns and those named in ``money`` are amounts in the row's ``currency`` column
    (or ``currency`` when the frame has none); :data:`PERCENT_COLUMNS` read as percentages;
    columns named ``*_ms`` or in ``ms`` as milliseconds.
    """
    names = dict(headers or {})
    out: dict[str, list[str]] = {}
    row_currency = frame["currency"].to_list() if "currency" in frame.columns else None
    for name, dtype in frame.schema.items():
        values = frame[name].to_list()
        is_money = isinstance(dtype, pl.Decimal) or name in money
        if isinstance(dtype, pl.Datetime) and all(
            v is None or v.time() == dt.time(0) for v in values
        ):
            values = [None if v is None else v.date() for v in values]  # days, not midnights
        cells = []
        for i, value in enumerate(values):
            if is_money and not _missing(value):
                cells.append(money_cell(value, row_currency[i] if row_currency else currency))
            elif name in ms:
                cells.append(format_ms(value))
            else:
                cells.append(_cell(value, dtype, name, currency))
        out[names.get(name) or human_header(name)] = cells
    return pl.DataFrame(out, schema=dict.fromkeys(out, pl.String))
