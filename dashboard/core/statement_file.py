"""Reading a bank or card statement CSV: its encoding, delimiter, header and records.

Banks export CSV in every flavour: UTF-8 with or without a byte-order mark or Windows-1252 bytes;
commas, semicolons, tabs or pipes between fields; decimal commas. This module finds out which, so
the import page can show the file and suggest a column mapping; it does not interpret a value
(:mod:`dashboard.core.statement_rows` does). Everything is read with the :mod:`csv` module, so a
quoted field may hold the delimiter, doubled quotes and newlines.

Line numbers are the file's own, 1-based: the header is line 1 and a record that spans three lines
(a quoted newline) is numbered by the line it starts on, so a user can find it in an editor.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

import polars as pl

__all__ = [
    "DELIMITERS",
    "StatementError",
    "StatementFile",
    "looks_decimal_comma",
    "preview",
    "read_statement",
    "records",
]

#: The delimiters a statement may use, in the order they win a tie.
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")

#: How many records the delimiter and decimal-comma guesses look at.
_SAMPLE = 50

#: Currency marks, signs, brackets and spaces around an amount, ignored when guessing its format.
_AMOUNT_NOISE = re.compile(r"[\s\u00a0\u202f€$£+\-−()']|EUR|USD|GBP|CHF", re.IGNORECASE)
_COMMA_DECIMAL = re.compile(r"\d{1,3}(?:\.\d{3})+,\d+|\d+,\d{1,2}|\d+,\d{4,}")
_DOT_DECIMAL = re.compile(r"\d{1,3}(?:,\d{3})+\.\d+|\d+\.\d{1,2}|\d+\.\d{4,}")


class StatementError(ValueError):
    """A file that cannot be read as a statement; the message says why (and where: line)."""


@dataclass(frozen=True)
class StatementFile:
    """What :func:`read_statement` found out about a file."""

    encoding: str
    """``"utf-8-sig"`` (a byte-order mark), ``"utf-8"`` or ``"cp1252"``."""
    delimiter: str
    """One of :data:`DELIMITERS`."""
    header: tuple[str, ...]
    """The header's cells, stripped: unique and not blank."""
    rows: int
    """How many data records follow the header (blank lines not counted)."""
    decimal_comma: bool
    """A suggestion: the numbers look like ``1.234,56`` or ``12,50``."""


def _decode(data: bytes) -> tuple[str, str]:
    """The text and its encoding: strict UTF-8 first (a BOM says ``utf-8-sig``), else Windows-1252."""
    if b"\x00" in data:
        raise StatementError("not a text CSV file: it holds NUL bytes (a spreadsheet or UTF-16?)")
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as error:
            msg = f"not valid UTF-8 although it starts with a UTF-8 byte-order mark (byte {error.start})"
            raise StatementError(msg) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as error:
        msg = f"neither UTF-8 nor Windows-1252 text (byte {error.start} cannot be read)"
        raise StatementError(msg) from None


def _scan(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, cells) for every record, blank ones as ``[]``."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            blank = not any(cells) or not any(cell.strip() for cell in cells)
            yield start, [] if blank else cells
            start = reader.line_num + 1
    except csv.Error as error:
        raise StatementError(f"line {start}: {error}") from None


def _sniff(text: str) -> str:
    """The delimiter whose count of fields is the same on most of the first records.

    ``csv.Sniffer`` guesses wrong on short files and on descriptions full of commas; counting
    fields (outside quotes, as the csv module reads them) per candidate is simple and reliable.
    A tie goes to the one that gives the header more columns, then to :data:`DELIMITERS` order.
    """
    best, best_score = DELIMITERS[0], (0, 0)
    for delimiter in DELIMITERS:
        try:
            widths = [
                len(cells)
                for _, cells in islice(((n, c) for n, c in _scan(text, delimiter) if c), _SAMPLE)
            ]
        except StatementError:
            continue
        if not widths or widths[0] < 2:
            continue
        score = (sum(width == widths[0] for width in widths), widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _header(cells: list[str], line: int) -> tuple[str, ...]:
    header = tuple(cell.strip() for cell in cells)
    seen: dict[str, int] = {}
    for number, name in enumerate(header, start=1):
        if not name:
            raise StatementError(f"line {line}: column {number} of the header has no name")
        if name in seen:
            msg = (
                f"line {line}: column {number} of the header repeats {name!r} (column {seen[name]})"
            )
            raise StatementError(msg)
        seen[name] = number
    if len(header) < 3:
        msg = (
            f"line {line}: the header has {len(header)} column(s); a statement needs at least a "
            "date, a description and an amount (is the delimiter one of , ; tab |?)"
        )
        raise StatementError(msg)
    return header


def looks_decimal_comma(values: Iterable[str]) -> bool:
    """Whether more of the number-looking ``values`` read ``1.234,56``/``12,50`` than ``1,234.56``.

    A value with one separator followed by exactly three digits (``1,234``) is ambiguous and does
    not count; nor does anything that is not a number once currency marks and signs are removed.
    """
    comma = dot = 0
    for value in values:
        core = _AMOUNT_NOISE.sub("", value)
        if _COMMA_DECIMAL.fullmatch(core):
            comma += 1
        elif _DOT_DECIMAL.fullmatch(core):
            dot += 1
    return comma > dot


def read_statement(data: bytes) -> StatementFile:
    """Decode ``data``, find its delimiter and header and count its records.

    Raises :class:`StatementError` for a file that is not text, has no header, or whose header has
    a blank or repeated name. Records of the wrong width are not an error here: parsing reports
    them as a problem of their line.
    """
    text, encoding = _decode(data)
    delimiter = _sniff(text)
    scanned = ((line, cells) for line, cells in _scan(text, delimiter) if cells)
    first = next(scanned, None)
    if first is None:
        raise StatementError("the file is empty: it has no header line")
    header = _header(first[1], first[0])
    count = 0
    sample: list[str] = []
    for _, cells in scanned:
        count += 1
        if count <= _SAMPLE:
            sample.extend(cells)
    return StatementFile(
        encoding=encoding,
        delimiter=delimiter,
        header=header,
        rows=count,
        decimal_comma=looks_decimal_comma(sample),
    )


def records(
    data: bytes, statement: StatementFile, *, blank: bool = False
) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, its cells) for each data record after the header.

    Blank lines (and lines of empty cells) are skipped, or given as ``[]`` with ``blank=True`` so
    a caller can count them.
    """
    try:
        text = data.decode(statement.encoding)
    except UnicodeDecodeError as error:
        raise StatementError(f"not {statement.encoding} text (byte {error.start})") from None
    header_seen = False
    for line, cells in _scan(text, statement.delimiter):
        if not header_seen:
            header_seen = bool(cells)
        elif cells or blank:
            yield line, cells


def preview(data: bytes, statement: StatementFile, *, rows: int = 10) -> pl.DataFrame:
    """The first ``rows`` records as strings: an Int64 ``line`` column, then one per header name.

    A short record's missing cells are null and a long record's extra cells are not shown. A
    header column named ``line`` is shown as ``line (column N)``.
    """
    taken = list(islice(records(data, statement), max(rows, 0)))
    columns: dict[str, pl.Series] = {
        "line": pl.Series("line", [line for line, _ in taken], dtype=pl.Int64)
    }
    for index, name in enumerate(statement.header):
        shown = f"{name} (column {index + 1})" if name == "line" else name
        values = [cells[index] if index < len(cells) else None for _, cells in taken]
        columns[shown] = pl.Series(shown, values, dtype=pl.String)
    return pl.DataFrame(columns)
