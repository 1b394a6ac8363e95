"""Parsing statements: every bank file end to end, every problem by line, amounts, dates, zones.

Expected values are read off the files by hand (see tests/data/statements/), not from the parser.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard.core.statement_file import StatementError, read_statement, records
from dashboard.core.statement_mapping import ColumnMapping, suggest_mapping
from dashboard.core.statement_rows import (
    ROW_SCHEMA,
    ParsedStatement,
    Problem,
    human_date_format,
    parse_statement,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "statements"


def _parse(name: str, zone: str, **changes: object) -> ParsedStatement:
    data = (DATA / name).read_bytes()
    statement = read_statement(data)
    sample = [cells for _, cells in islice(records(data, statement), 50)]
    suggested = suggest_mapping(statement.header, sample).to_document()
    mapping = ColumnMapping.from_document({**suggested, **changes})
    return parse_statement(data, mapping, timezone=zone, statement=statement)


def _cents(parsed: ParsedStatement) -> int:
    return sum(round(amount * 100) for amount in parsed.rows["amount"])


def _row(line: int, day: datetime, amount: float, text: str, category: str, currency: str,
         external_id: str | None = None) -> pl.DataFrame:  # fmt: skip
    values = {
        "line": [line], "date": [day], "amount": [amount], "description": [text],
        "category": [category], "currency": [currency], "external_id": [external_id],
    }  # fmt: skip
    return pl.DataFrame(values, schema=ROW_SCHEMA)


def test_us_card_spending_is_positive_and_refunds_are_skipped() -> None:
    parsed = _parse("us_card_utf8.csv", "America/New_York")
    assert parsed.rows["line"].to_list() == [2, 3, 4, 7, 8]
    assert (parsed.problems, parsed.credits_skipped, parsed.blank_lines) == ((), 2, 0)
    assert parsed.total == 7
    assert _cents(parsed) == 475 + 2399 + 5610 + 123450 + 1000
    rows = parsed.rows.filter(pl.col("line").is_in([4, 8]))
    expected = pl.concat(
        [
            _row(4, datetime(2025, 3, 3, 5, tzinfo=UTC), 56.10, "WHOLE FOODS MARKET",
                 "Groceries", "USD"),
            _row(8, datetime(2025, 3, 15, 4, tzinfo=UTC), 10.0, "$gt", "Uncategorized", "USD"),
        ]
    )  # fmt: skip
    assert_frame_equal(rows, expected)


def test_us_card_refunds_can_be_imported_as_negative_expenses() -> None:
    parsed = _parse("us_card_utf8.csv", "America/New_York", credits="refund")
    assert parsed.rows.height == 7
    assert parsed.credits_skipped == 0
    assert _cents(parsed) == 132934 - 2399 - 50000
    assert parsed.rows.filter(pl.col("line") == 6)["amount"].to_list() == [-23.99]


def test_german_bank_with_decimal_commas_thousands_dots_and_a_blank_line() -> None:
    parsed = _parse("de_bank_bom_semicolon.csv", "Europe/Berlin")
    assert parsed.rows["line"].to_list() == [2, 3, 5, 7, 9]
    assert (parsed.problems, parsed.credits_skipped, parsed.blank_lines) == ((), 2, 1)
    assert _cents(parsed) == 340 + 123456 + 1250 + 6500 + 290
    assert parsed.rows["currency"].to_list() == ["EUR"] * 5
    expected = pl.concat(
        [
            _row(3, datetime(2025, 3, 2, 23, tzinfo=UTC), 1234.56, "Miete März",
                 "Uncategorized", "EUR"),
            _row(9, datetime(2025, 3, 14, 23, tzinfo=UTC), 2.9, "Straßenbahn Ticket",
                 "Uncategorized", "EUR"),
        ]
    )  # fmt: skip
    assert_frame_equal(parsed.rows.filter(pl.col("line").is_in([3, 9])), expected)


def test_french_bank_debit_and_credit_columns_in_windows_1252() -> None:
    parsed = _parse("fr_bank_cp1252.csv", "Europe/Paris", default_currency="EUR")
    assert parsed.rows["line"].to_list() == [2, 5, 6]
    assert (parsed.problems, parsed.credits_skipped) == ((), 2)
    assert _cents(parsed) == 450 + 780 + 85000
    expected = _row(5, datetime(2025, 4, 12, 22, tzinfo=UTC), 7.8, "Boulangerie Étoile",
                    "Uncategorized", "EUR")  # fmt: skip
    assert_frame_equal(parsed.rows.filter(pl.col("line") == 5), expected)
    refunds = _parse("fr_bank_cp1252.csv", "Europe/Paris", credits="refund")
    assert _cents(refunds) == 86230 - 210000 - 2300


def test_uk_bank_keeps_ids_and_in_file_duplicates_for_the_rules_module() -> None:
    parsed = _parse("uk_bank_debit_credit.csv", "Europe/London", default_currency="GBP")
    assert parsed.rows["line"].to_list() == [2, 4, 5, 6, 7, 9]
    assert (parsed.problems, parsed.credits_skipped) == ((), 2)
    assert _cents(parsed) == 2345 + 620 + 620 + 280 + 280 + 1099
    assert parsed.rows["external_id"].to_list() == [
        "TX1001",
        "TX1003",
        "TX1003",
        None,
        None,
        "TX1007",
    ]
    expected = _row(9, datetime(2025, 5, 6, 23, tzinfo=UTC), 10.99, "Netflix.com",
                    "Uncategorized", "GBP", "TX1007")  # fmt: skip
    assert_frame_equal(parsed.rows.filter(pl.col("line") == 9), expected)


BAD_ROWS = ColumnMapping(
    date="Date", description="Description", debit="Debit", credit="Credit", currency="Currency"
)


def test_every_bad_row_is_a_problem_of_its_line_and_column() -> None:
    parsed = parse_statement((DATA / "bad_rows.csv").read_bytes(), BAD_ROWS, timezone="UTC")
    assert [(p.line, p.column) for p in parsed.problems] == [
        (3, "Date"),
        (4, "Date"),
        (5, "Debit"),
        (6, "Debit/Credit"),
        (8, "Description"),
        (9, "(row)"),
        (10, "Currency"),
        (11, "Debit/Credit"),
        (12, "Debit"),
        (12, "Currency"),
        (15, "Debit/Credit"),
    ]
    assert parsed.rows["line"].to_list() == [2, 14]
    assert parsed.rows["currency"].to_list() == ["USD", "USD"]
    assert _cents(parsed) == 350 + 100025
    assert (parsed.credits_skipped, parsed.blank_lines, parsed.total) == (1, 1, 13)


def test_problem_messages_read_as_sentences() -> None:
    parsed = parse_statement((DATA / "bad_rows.csv").read_bytes(), BAD_ROWS, timezone="UTC")
    messages = [problem.message() for problem in parsed.problems]
    assert (
        messages[0] == "line 3, column 'Date': '2025-06-31' is not a date in the format YYYY-MM-DD"
    )
    assert messages[1] == (
        "line 4, column 'Date': '1900-01-02' is outside the dates an expense may have (1970 to 2099)"
    )
    assert messages[2] == "line 5, column 'Debit': '12a.00' is not an amount"
    assert messages[3] == (
        "line 6, column 'Debit/Credit': both debit and credit hold a value (5.00 and 1.00)"
    )
    assert messages[4] == "line 8, column 'Description': description is empty"
    assert messages[5] == "line 9 has 4 fields, the header has 5"
    assert messages[6] == "line 10, column 'Currency': 'EURO' is not a 3-letter currency code"
    assert messages[7] == "line 11, column 'Debit/Credit': neither debit nor credit holds a value"
    assert Problem(12, "Betrag", "12,3,4", "is not an amount").message() == (
        "line 12, column 'Betrag': '12,3,4' is not an amount"
    )


def _amounts(texts: list[str], **options: object) -> ParsedStatement:
    lines = "".join(f'2025-01-02,x,"{text}"\n' for text in texts)
    mapping = ColumnMapping(date="Date", description="Text", amount="Amount", **options)  # type: ignore[arg-type]
    return parse_statement(f"Date,Text,Amount\n{lines}".encode(), mapping, timezone="UTC")


@pytest.mark.parametrize(
    ("text", "spending"),
    [
        ("-12.50", 12.5),
        ("12.50-", 12.5),
        ("(12.50)", 12.5),
        ("-$1,234.56", 1234.56),
        ("USD -7", 7.0),
        ("-£0.10", 0.1),
        ("- 1 234.5", 1234.5),
        ("-0.1234", 0.1234),
        ("+3.00", -3.0),
    ],
)
def test_dot_amounts_are_read_exactly(text: str, spending: float) -> None:
    parsed = _amounts([text], credits="refund")
    assert parsed.problems == ()
    assert parsed.rows["amount"].to_list() == [spending]


@pytest.mark.parametrize(
    ("text", "spending"),
    [
        ("-1.234,56", 1234.56),
        ("12,50-", 12.5),
        ("-1\u00a0234,56 €", 1234.56),
        ("-1\u202f234,56EUR", 1234.56),
        ("-,5", 0.5),
        ("(7)", 7.0),
    ],
)
def test_decimal_comma_amounts_are_read(text: str, spending: float) -> None:
    parsed = _amounts([text], decimal_comma=True)
    assert parsed.problems == ()
    assert parsed.rows["amount"].to_list() == [spending]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("12,3,4", "is not an amount"),
        ("1.2.3", "is not an amount"),
        ("12abc", "is not an amount"),
        ("-(12)", "is not an amount"),
        ("--12", "is not an amount"),
        ("", "amount is blank"),
        ("0.00", "is zero"),
        ("-2000000000000", "is beyond the amount limit of 1,000,000,000,000"),
    ],
)
def test_bad_amounts_are_problems_naming_the_column(text: str, reason: str) -> None:
    parsed = _amounts([text])
    assert [(p.line, p.column, p.value, p.reason) for p in parsed.problems] == [
        (2, "Amount", text, reason)
    ]


def test_card_amounts_are_spending_when_positive() -> None:
    parsed = _amounts(["12.50", "-3.00"], negative_is_spending=False)
    assert parsed.rows["amount"].to_list() == [12.5]
    assert parsed.credits_skipped == 1


def test_a_date_is_local_midnight_in_the_zone_stored_as_utc() -> None:
    data = b"Date,Text,Amount\n2025-03-01,a,-1\n"
    mapping = ColumnMapping(date="Date", description="Text", amount="Amount")
    berlin = parse_statement(data, mapping, timezone="Europe/Berlin")
    assert berlin.rows["date"].to_list() == [datetime(2025, 2, 28, 23, tzinfo=UTC)]
    tokyo = parse_statement(data, mapping, timezone="Asia/Tokyo")
    assert tokyo.rows["date"].to_list() == [datetime(2025, 2, 28, 15, tzinfo=UTC)]


def test_a_local_time_becomes_its_utc_instant_and_a_skipped_hour_is_a_problem() -> None:
    data = b"When,Text,Amount\n2025-07-01 14:30,a,-1\n2025-03-30 02:30,b,-1\n"
    mapping = ColumnMapping(
        date="When", description="Text", amount="Amount", date_format="%Y-%m-%d %H:%M"
    )
    parsed = parse_statement(data, mapping, timezone="Europe/Berlin")
    assert parsed.rows["date"].to_list() == [datetime(2025, 7, 1, 12, 30, tzinfo=UTC)]
    assert [(p.line, p.reason) for p in parsed.problems] == [
        (3, "does not exist in Europe/Berlin (the clocks changed)")
    ]


def test_values_are_data_never_operators() -> None:
    data = b"Date,Text,Amount,Category\n2025-01-02,$gt,-1,\"{'$ne': 1}\"\n"
    mapping = ColumnMapping(date="Date", description="Text", amount="Amount", category="Category")
    rows = parse_statement(data, mapping, timezone="UTC").rows
    assert rows.select("description", "category").row(0) == ("$gt", "{'$ne': 1}")


def test_a_header_only_file_parses_to_no_rows() -> None:
    mapping = ColumnMapping(date="Date", description="Text", amount="Amount")
    parsed = parse_statement(b"Date,Text,Amount\n", mapping, timezone="UTC")
    assert_frame_equal(parsed.rows, pl.DataFrame(schema=ROW_SCHEMA))
    assert (parsed.problems, parsed.total) == ((), 0)


def test_a_mapping_that_does_not_fit_or_an_unknown_zone_is_refused() -> None:
    mapping = ColumnMapping(date="Datum", description="Text", amount="Amount")
    with pytest.raises(ValueError, match="the date column 'Datum' is not in the file"):
        parse_statement(b"Date,Text,Amount\n", mapping, timezone="UTC")
    fitting = ColumnMapping(date="Date", description="Text", amount="Amount")
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        parse_statement(b"Date,Text,Amount\n", fitting, timezone="Mars/Olympus")
    with pytest.raises(StatementError):
        parse_statement(b"\x00", fitting, timezone="UTC")


def test_the_large_file_matches_its_generators_own_arithmetic() -> None:
    expected = json.loads((DATA / "large_10000.expected.json").read_text())
    parsed = _parse("large_10000.csv", "UTC")
    assert parsed.rows.height == expected["expenses"]
    assert parsed.credits_skipped == expected["credits"]
    assert parsed.total == expected["records"]
    assert parsed.problems == ()
    assert _cents(parsed) == expected["spending_cents"]
    refunds = _parse("large_10000.csv", "UTC", credits="refund")
    assert _cents(refunds) == expected["spending_cents"] - expected["credit_cents"]


def test_date_formats_are_shown_the_way_people_write_them() -> None:
    assert human_date_format("%d/%m/%Y") == "DD/MM/YYYY"
    assert human_date_format("%Y-%m-%dT%H:%M:%S") == "YYYY-MM-DDThh:mm:ss"


def test_a_problem_keeps_at_most_200_characters_of_its_value() -> None:
    from dashboard.core.statement_rows import VALUE_SHOWN, Problem

    problem = Problem(7, "Amount", "9" * 100_000, "is beyond the amount limit")
    assert len(problem.value) == VALUE_SHOWN == 200
    assert problem.value.endswith("…")
    assert Problem(7, "Amount", "12,3,4", "is not an amount").value == "12,3,4"
