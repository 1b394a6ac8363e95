"""The period's expense rows as Parquet, typed for analysts, one row group per chunk.

Types: ``date`` a timestamp (ms) in the reporting zone, ``amount`` ``Decimal(18, 2)`` (exact),
strings for the rest (ids as hex; Parquet's dictionary encoding keeps categories small). Written with
``pyarrow.parquet.ParquetWriter`` so only one chunk is in memory at a time; text is stored as
it is (Parquet is not opened by spreadsheets, so nothing needs neutralising).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

import polars as pl
import pyarrow.parquet as pq

__all__ = ["AMOUNT_TYPE", "write_parquet"]

AMOUNT_TYPE = pl.Decimal(18, 2)


def write_parquet(chunks: Iterable[pl.DataFrame], out: BinaryIO) -> int:
    """Write every chunk to ``out`` as one Parquet file; return the number of rows."""
    writer: pq.ParquetWriter | None = None
    rows = 0
    try:
        for chunk in chunks:
            table = chunk.with_columns(pl.col("amount").cast(AMOUNT_TYPE)).to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(out, table.schema, compression="zstd")
            writer.write_table(table)
            rows += chunk.height
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        msg = "no chunks to write: a Parquet file needs at least the (empty) first chunk"
        raise ValueError(msg)
    return rows
