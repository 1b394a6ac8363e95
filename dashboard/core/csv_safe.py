"""CSV that spreadsheets cannot run: cells starting with = + - @ tab or CR are neutralised.

A description like ``=HYPERLINK("http://evil")`` would otherwise run as a formula when the file is
opened in Excel or LibreOffice (CSV injection). The cell gets a leading apostrophe, which
spreadsheets show as text and do not display.
"""

from __future__ import annotations

import io

import polars as pl

__all__ = ["DANGEROUS_PREFIXES", "frame_to_csv", "neutralise", "neutralise_frame"]

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """``value`` made safe for a spreadsheet cell."""
    return "'" + value if value.startswith(DANGEROUS_PREFIXES) else value


def neutralise_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every string column of ``frame`` neutralised (vectorised)."""
    pattern = r"^[=+\-@\t\r]"
    exprs = [
        pl.when(pl.col(name).str.contains(pattern))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    ]
    return frame.with_columns(exprs) if exprs else frame


def frame_to_csv(frame: pl.DataFrame, *, bom: bool = False) -> bytes:
    """UTF-8 CSV of ``frame`` with neutralised cells (a BOM helps Excel detect UTF-8)."""
    buffer = io.BytesIO()
    if bom:
        buffer.write("\ufeff".encode())
    neutralise_frame(frame).write_csv(buffer)
    return buffer.getvalue()
