"""The column mapping: its checks, storage, date-format guesses and suggestions per bank file."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import pytest

from dashboard.core.statement_file import read_statement, records
from dashboard.core.statement_mapping import (
    DATE_FORMATS,
    ColumnMapping,
    date_formats_for,
    suggest_mapping,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "statements"


def _suggested(name: str) -> ColumnMapping:
    data = (DATA / name).read_bytes()
    statement = read_statement(data)
    sample = [cells for _, cells in islice(records(data, statement), 50)]
    return suggest_mapping(statement.header, sample)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "us_card_utf8.csv",
            ColumnMapping(
                date="Transaction Date",
                description="Description",
                amount="Amount",
                category="Category",
                date_format="%m/%d/%Y",
                negative_is_spending=False,
            ),
        ),
        (
            "de_bank_bom_semicolon.csv",
            ColumnMapping(
                date="Buchungstag",
                description="Verwendungszweck",
                amount="Betrag",
                currency="Währung",
                date_format="%d.%m.%Y",
                decimal_comma=True,
            ),
        ),
        (
            "fr_bank_cp1252.csv",
            ColumnMapping(
                date="Date",
                description="Libellé",
                debit="Débit",
                credit="Crédit",
                date_format="%d/%m/%Y",
                decimal_comma=True,
            ),
        ),
        (
            "uk_bank_debit_credit.csv",
            ColumnMapping(
                date="Date",
                description="Description",
                debit="Debit",
                credit="Credit",
                external_id="Transaction ID",
                date_format="%d/%m/%Y",
            ),
        ),
        (
            "large_10000.csv",
            ColumnMapping(
                date="Date", description="Description", amount="Amount", currency="Currency"
            ),
        ),
    ],
)
def test_each_bank_file_gets_its_mapping_suggested(name: str, expected: ColumnMapping) -> None:
    suggested = _suggested(name)
    assert suggested == expected
    assert suggested.check(read_statement((DATA / name).read_bytes()).header) == []


def test_other_languages_are_recognised() -> None:
    header = ["Fecha", "Concepto", "Importe", "Kategorie", "Devise", "Referenz"]
    mapping = suggest_mapping(header, [["2025-01-02", "Mercadona", "-10.00", "", "EUR", "1"]])
    assert (mapping.date, mapping.description, mapping.amount) == ("Fecha", "Concepto", "Importe")
    assert (mapping.category, mapping.currency, mapping.external_id) == (
        "Kategorie",
        "Devise",
        "Referenz",
    )
    dutch = suggest_mapping(["Datum", "Omschrijving", "Bedrag", "Valuta"], [])
    assert (dutch.description, dutch.amount, dutch.currency) == ("Omschrijving", "Bedrag", "Valuta")
    german = suggest_mapping(["Buchungstag", "Buchungstext", "Soll", "Haben"], [])
    assert (german.debit, german.credit, german.amount) == ("Soll", "Haben", None)


def test_an_unknown_header_leaves_the_roles_for_the_user() -> None:
    mapping = suggest_mapping(["When", "What", "How much"], [["x", "y", "z"]])
    assert (mapping.date, mapping.description, mapping.amount) == ("", "", None)
    assert mapping.check(["When", "What", "How much"]) == [
        "choose the date column",
        "choose the description column",
        "choose an amount column, or a debit and a credit column",
    ]


def test_an_ambiguous_date_offers_both_orders_and_a_day_over_12_settles_it() -> None:
    assert date_formats_for(["03/04/2025"]) == ["%d/%m/%Y", "%m/%d/%Y"]
    assert date_formats_for(["03/04/2025", "13/04/2025"]) == ["%d/%m/%Y"]
    assert date_formats_for(["03/04/2025", "03/13/2025"]) == ["%m/%d/%Y"]


def test_one_mistyped_date_does_not_hide_the_format_of_the_others() -> None:
    # 31.02.2025 is no date in any format; the other two settle it.
    assert date_formats_for(["01.03.2025", "31.02.2025", "05.03.2025"])[0] == "%d.%m.%Y"
    assert date_formats_for(["01.03.2025", "x", "y"]) == []  # fewer than half: no guess


def test_the_least_spread_reading_comes_first() -> None:
    # Day-first: 1 to 7 May; month-first: 5 January to 5 July.
    assert date_formats_for(["01/05/2025", "07/05/2025"]) == ["%d/%m/%Y", "%m/%d/%Y"]
    assert date_formats_for(["05/01/2025", "05/07/2025"]) == ["%m/%d/%Y", "%d/%m/%Y"]


def test_date_formats_with_time_and_two_digit_years() -> None:
    assert date_formats_for(["2025-03-01T14:05:00", " "]) == ["%Y-%m-%dT%H:%M:%S"]
    assert date_formats_for(["31.12.24"]) == ["%d.%m.%y"]
    assert date_formats_for(["20250301"]) == ["%Y%m%d"]
    assert date_formats_for(["not a date"]) == []
    assert date_formats_for([]) == list(DATE_FORMATS)


def test_check_names_every_problem() -> None:
    mapping = ColumnMapping(
        date="Date",
        description="Date",
        amount="Amount",
        debit="Debit",
        category="Kind",
        credits="keep",
        date_format="%Q",
        default_currency="euro",
        default_category=" ",
    )
    assert mapping.check(["Date", "Amount", "Debit"]) == [
        "column 'Date' is both the date and the description",
        "the category column 'Kind' is not in the file",
        "choose one amount column or a debit and a credit column, not both",
        "credits must be one of skip, refund, not 'keep'",
        "'%Q' is not a date format",
        "the default currency 'euro' is not a 3-letter code",
        "the default category is empty",
    ]


def test_a_mapping_is_stored_as_a_plain_document_and_read_back() -> None:
    mapping = ColumnMapping(
        date="Date", description="Libellé", debit="Débit", credit="Crédit", decimal_comma=True
    )
    document = mapping.to_document()
    assert document["debit"] == "Débit"
    assert document["amount"] is None
    assert document["credits"] == "skip"
    assert ColumnMapping.from_document(document) == mapping
    assert ColumnMapping.from_document({**document, "amount": "", "unknown": 1}) == mapping


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"decimal_comma": "yes"}, "decimal_comma"),
        ({"amount": 3}, "amount"),
        ({"date_format": None}, "date_format"),
        ({"date": None}, "date"),
    ],
)
def test_a_stored_mapping_with_a_wrong_type_names_the_field(change: dict, field: str) -> None:
    document = {**ColumnMapping(date="D", description="T", amount="A").to_document(), **change}
    with pytest.raises(ValueError, match=f"^{field}: "):
        ColumnMapping.from_document(document)


def test_a_stored_mapping_without_its_date_column_is_refused() -> None:
    with pytest.raises(ValueError, match="date: missing"):
        ColumnMapping.from_document({"description": "T", "amount": "A"})


def test_a_short_row_in_the_sample_does_not_stop_the_suggestion() -> None:
    # A preview fills the cells a short record lacks with null.
    mapping = suggest_mapping(["Date", "Description", "Amount"], [["2024-01-01", "a", None]])
    assert (mapping.date, mapping.amount, mapping.date_format) == ("Date", "Amount", "%Y-%m-%d")
