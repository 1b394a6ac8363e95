"""One colour per category, the same in every chart and every process.

The twelve known categories have fixed colours picked from the Okabe–Ito and Paul Tol
colour-blind-safe palettes: every pair stays at least ~10 CIELAB ΔE apart under simulated
deuteranopia, protanopia and tritanopia, and every colour has at least 2:1 contrast against
both Streamlit backgrounds (white and ``#0E1117``). Unknown names get a colour from a second
set with the same contrast, chosen by a stable hash of the name (not Python's per-process
``hash``), so a new category keeps its colour across reruns, processes and charts. Unknown
names can share a colour with each other: the second set has 14 entries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from types import MappingProxyType

__all__ = ["CATEGORY_PALETTE", "EXTRA_COLORS", "category_colors"]

CATEGORY_PALETTE: Mapping[str, str] = MappingProxyType(
    {
        "Food": "#E69F00",
        "Groceries": "#228833",
        "Transport": "#0077BB",
        "Housing": "#AA3377",
        "Utilities": "#33BBEE",
        "Entertainment": "#EE6677",
        "Shopping": "#AA4499",
        "Health": "#009E73",
        "Travel": "#EE8866",
        "Education": "#999933",
        "Subscriptions": "#CC3311",
        "Other": "#999999",
    }
)
"""The fixed colour of each known category (matched case-insensitively)."""

EXTRA_COLORS: tuple[str, ...] = (
    "#56B4E9",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#4477AA",
    "#009988",
    "#EE7733",
    "#EE3377",
    "#44AA99",
    "#117733",
    "#CC6677",
    "#77AADD",
    "#44BB99",
    "#AAAA00",
)
"""Colours for categories outside the known list, picked by hashing the name."""

_KNOWN = {name.casefold(): color for name, color in CATEGORY_PALETTE.items()}


def _key(name: str) -> str:
    return name.strip().casefold()


def _color(name: str) -> str:
    key = _key(name)
    known = _KNOWN.get(key)
    if known is not None:
        return known
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return EXTRA_COLORS[int.from_bytes(digest, "big") % len(EXTRA_COLORS)]


def category_colors(categories: Iterable[str]) -> dict[str, str]:
    """Map each category name to its colour (``"#RRGGBB"``), in the order given."""
    return {name: _color(name) for name in categories}
