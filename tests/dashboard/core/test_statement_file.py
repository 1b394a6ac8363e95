"""Reading statement files: encoding, delimiter, header, record lines, preview, refusals."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard.core.statement_file import (
    StatementError,
    looks_decimal_comma,
    preview,
    read_statement,
    records,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "statements"


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter", "header", "rows", "decimal_comma"),
    [
        (
            "us_card_utf8.csv",
            "utf-8",
            ",",
            ("Transaction Date", "Description", "Amount", "Category"),
            7,
            False,
        ),
        (
            "de_bank_bom_semicolon.csv",
            "utf-8-sig",
            ";",
            ("Buchungstag", "Verwendungszweck", "Betrag", "Währung"),
            7,
            True,
        ),
        ("fr_bank_cp1252.csv", "cp1252", ";", ("Date", "Libellé", "Débit", "Crédit"), 5, True),
        (
            "uk_bank_debit_credit.csv",
            "utf-8",
            ",",
            ("Date", "Transaction ID", "Description", "Debit", "Credit", "Balance"),
            8,
            False,
        ),
        ("bad_rows.csv", "utf-8", ",", ("Date", "Description", "Debit", "Credit", "Currency"), 13, False),
        ("large_10000.csv", "utf-8", ",", ("Date", "Description", "Amount", "Currency"), 10_000, False),
    ],
)  # fmt: skip
def test_each_bank_file_is_read(
    name: str,
    encoding: str,
    delimiter: str,
    header: tuple[str, ...],
    rows: int,
    decimal_comma: bool,
) -> None:
    statement = read_statement((DATA / name).read_bytes())
    assert statement.encoding == encoding
    assert statement.delimiter == delimiter
    assert statement.header == header
    assert statement.rows == rows
    assert statement.decimal_comma is decimal_comma


def test_records_start_on_their_own_line_and_keep_quoted_commas_and_newlines() -> None:
    data = (DATA / "us_card_utf8.csv").read_bytes()
    found = list(records(data, read_statement(data)))
    assert [line for line, _ in found] == [2, 3, 4, 6, 7, 8, 9]
    assert found[1][1] == ["03/02/2025", "AMAZON.COM, INC", "23.99", "Shopping"]
    assert found[2][1] == ["03/03/2025", "WHOLE FOODS\nMARKET", "56.10", "Groceries"]
    assert found[4][1][2] == "1,234.50"


def test_blank_lines_are_skipped_or_given_empty_on_request() -> None:
    data = (DATA / "de_bank_bom_semicolon.csv").read_bytes()
    statement = read_statement(data)
    assert [line for line, _ in records(data, statement)] == [2, 3, 4, 5, 6, 7, 9]
    with_blanks = list(records(data, statement, blank=True))
    assert (8, []) in with_blanks
    assert with_blanks[3] == (5, ["07.03.2025", "Drogerie; Größe XL", "-12,5", "EUR"])


def test_cp1252_text_is_decoded() -> None:
    data = (DATA / "fr_bank_cp1252.csv").read_bytes()
    last = list(records(data, read_statement(data)))[-1]
    assert last == (6, ["20/04/2025", "Loyer avril", "850,00 €", ""])


def test_preview_has_a_line_column_then_the_header_as_strings() -> None:
    data = (
        b"Date,Text,Amount\n2025-01-02,a,1\n\n2025-01-03,b\n2025-01-04,c,3,extra\n2025-01-05,d,5\n"
    )
    expected = pl.DataFrame(
        {
            "line": [2, 4, 5],
            "Date": ["2025-01-02", "2025-01-03", "2025-01-04"],
            "Text": ["a", "b", "c"],
            "Amount": ["1", None, "3"],
        },
        schema={"line": pl.Int64, "Date": pl.String, "Text": pl.String, "Amount": pl.String},
    )
    assert_frame_equal(preview(data, read_statement(data), rows=3), expected)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_delimiter_is_found_even_with_others_inside_quotes(delimiter: str) -> None:
    d = delimiter
    text = f'Date{d}Memo{d}Amount\n2025-01-01{d}"a, b; c | d"{d}1.00\n2025-01-02{d}x{d}2.00\n'
    statement = read_statement(text.encode())
    assert statement.delimiter == delimiter
    assert statement.header == ("Date", "Memo", "Amount")


def test_a_file_with_only_a_header_has_no_rows() -> None:
    statement = read_statement(b"Date,Description,Amount\r\n")
    assert statement.rows == 0
    assert list(records(b"Date,Description,Amount\r\n", statement)) == []


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"\n\n", "empty"),
        (b"D\x00a\x00t\x00e\x00", "not a text CSV file"),
        (b"Date,Text,Amount\n\x81\x8d\n\x81\n\xc3", "neither UTF-8 nor Windows-1252"),
        (b"Date,,Amount\n2025-01-01,a,1\n", "line 1: column 2 of the header has no name"),
        (b"Date,Amount,Amount\n", r"column 3 of the header repeats 'Amount' \(column 2\)"),
        (b"just some text\n", "a statement needs at least"),
    ],
)
def test_unreadable_files_say_why(data: bytes, words: str) -> None:
    with pytest.raises(StatementError, match=words):
        read_statement(data)


def test_decimal_comma_is_a_majority_of_number_looking_values() -> None:
    assert looks_decimal_comma(["-1.234,56", "12,50 €", "03.04.2025", "text"])
    assert not looks_decimal_comma(["1,234.56", "12.50", "(3.00)"])
    assert not looks_decimal_comma(["1,234", "1.234", "2025-01-01"])  # ambiguous: no vote
