"""The period's expense rows as CSV: UTF-8 (optionally with a BOM for Excel), chunk by chunk.

Dates are ISO-8601 with milliseconds and the reporting zone's offset (``2025-10-03T18:30:00.000+02:00``),
amounts are exact two-decimal numbers, and every text cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is neutralised (:mod:`dashboard.csv_safe`), so a description never
runs as a formula when the file is opened in a spreadsheet.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

import polars as pl

from dashboard.core.csv_safe import neutralise_frame

__all__ = ["ISO_FORMAT", "write_csv"]

ISO_FORMAT = "%Y-%m-%dT%H:%M:%S%.3f%:z"


def _text(frame: pl.DataFrame) -> pl.DataFrame:
    dates = [
        pl.col(name).dt.to_string(ISO_FORMAT)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime)
    ]
    return neutralise_frame(frame.with_columns(dates) if dates else frame)


def write_csv(chunks: Iterable[pl.DataFrame], out: BinaryIO, *, bom: bool = False) -> int:
    """Write every chunk to ``out`` as one CSV (header once); return the number of rows."""
    if bom:
        out.write("\ufeff".encode())
    rows, header = 0, True
    for chunk in chunks:
        if chunk.height == 0 and not header:
            continue
        _text(chunk).write_csv(out, include_header=header)
        header = False
        rows += chunk.height
    return rows
