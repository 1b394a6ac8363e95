"""Which statement column is the date, the description, the amount…, and a first guess of it.

A :class:`ColumnMapping` is what the user confirms on the import page and what is stored for the
next file from the same bank, so it is plain data: header names, a ``strptime`` date format and a
few switches. :func:`suggest_mapping` fills it in from the header names (English, German, French,
Dutch, Spanish) and a sample of values, so most files need no change.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from dashboard.core.statement_file import looks_decimal_comma

__all__ = [
    "CREDITS",
    "DATE_FORMATS",
    "ColumnMapping",
    "date_formats_for",
    "suggest_mapping",
]

#: What to do with money coming in: leave it out (counted), or import it as a negative expense.
CREDITS: tuple[str, ...] = ("skip", "refund")

#: The date formats offered, in the order they win a tie.
DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%Y/%m/%d",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d.%m.%y",
    "%Y%m%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%d.%m.%Y %H:%M",
)

_COLUMNS = (
    "date",
    "description",
    "amount",
    "debit",
    "credit",
    "category",
    "currency",
    "external_id",
)
_OPTIONAL = frozenset(_COLUMNS[2:])
_CURRENCY = re.compile(r"[A-Z]{3}")

# Header names per role, compared casefolded and without accents, best first.
_ALIASES: dict[str, tuple[str, ...]] = {
    "date": (
        "date", "transaction date", "posting date", "booking date", "trans date", "datum",
        "buchungstag", "buchungsdatum", "date operation", "date de l'operation", "fecha",
        "fecha operacion", "transactiedatum", "boekdatum",
    ),
    "amount": (
        "amount", "transaction amount", "betrag", "umsatz", "montant", "bedrag", "importe",
    ),
    "debit": (
        "debit", "debit amount", "soll", "belastung", "paid out", "money out", "withdrawal",
        "withdrawals", "af", "cargo", "debe",
    ),
    "credit": (
        "credit", "credit amount", "haben", "gutschrift", "paid in", "money in", "deposit",
        "deposits", "bij", "abono", "haber",
    ),
    "description": (
        "description", "verwendungszweck", "buchungstext", "libelle", "libelle operation",
        "omschrijving", "concepto", "descripcion", "payee", "merchant", "memo", "details",
        "narrative", "beschreibung", "text",
    ),
    "category": ("category", "kategorie", "categorie", "categoria"),
    "currency": ("currency", "currency code", "wahrung", "devise", "valuta", "moneda"),
    "external_id": (
        "transaction id", "transaction reference", "reference", "referenz", "reference id",
        "id", "referencia", "transactie id",
    ),
}  # fmt: skip
_ROLE_ORDER = ("date", "amount", "debit", "credit", "description", "category", "currency")


@dataclass(frozen=True)
class ColumnMapping:
    """How a statement's columns become expenses. Column fields hold header names."""

    date: str
    description: str
    amount: str | None = None
    debit: str | None = None
    credit: str | None = None
    category: str | None = None
    currency: str | None = None
    external_id: str | None = None
    date_format: str = "%Y-%m-%d"
    decimal_comma: bool = False
    negative_is_spending: bool = True
    credits: str = "skip"
    default_currency: str = "USD"
    default_category: str = "Uncategorized"

    def columns(self) -> dict[str, str]:
        """Role → header name for every column this mapping uses."""
        return {role: name for role in _COLUMNS if (name := getattr(self, role)) is not None}

    def check(self, header: Sequence[str]) -> list[str]:
        """What is wrong with this mapping for a file with ``header``, as sentences; ``[]`` if fine."""
        messages = []
        names = set(header)
        if not self.date:
            messages.append("choose the date column")
        if not self.description:
            messages.append("choose the description column")
        used: dict[str, str] = {}
        for role, name in self.columns().items():
            if not name:
                continue
            if name not in names:
                messages.append(f"the {role.replace('_', ' ')} column {name!r} is not in the file")
            elif name in used:
                messages.append(f"column {name!r} is both the {used[name]} and the {role}")
            used.setdefault(name, role)
        pair = (self.debit is not None, self.credit is not None)
        if self.amount is not None and any(pair):
            messages.append("choose one amount column or a debit and a credit column, not both")
        elif self.amount is None and not all(pair):
            messages.append("choose an amount column, or a debit and a credit column")
        if self.credits not in CREDITS:
            messages.append(f"credits must be one of {', '.join(CREDITS)}, not {self.credits!r}")
        if not _round_trips(self.date_format):
            messages.append(f"{self.date_format!r} is not a date format")
        if not _CURRENCY.fullmatch(self.default_currency):
            messages.append(
                f"the default currency {self.default_currency!r} is not a 3-letter code"
            )
        if not self.default_category.strip():
            messages.append("the default category is empty")
        return messages

    def to_document(self) -> dict[str, Any]:
        """A plain dict of every field, for storage."""
        return asdict(self)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> ColumnMapping:
        """The mapping stored as ``doc``: unknown keys are ignored, an empty column name is none.

        Raises ``ValueError`` naming the field when one has the wrong type or a required one
        (``date``, ``description``) is missing.
        """
        values: dict[str, Any] = {}
        for spec in fields(cls):
            if spec.name not in doc:
                if spec.name in ("date", "description"):
                    raise ValueError(f"{spec.name}: missing")
                continue
            value = doc[spec.name]
            if spec.name in _OPTIONAL and value in (None, ""):
                value = None
            elif spec.name in ("decimal_comma", "negative_is_spending"):
                if not isinstance(value, bool):
                    raise ValueError(f"{spec.name}: expected true or false, got {value!r}")
            elif not isinstance(value, str):
                raise ValueError(f"{spec.name}: expected text, got {value!r}")
            values[spec.name] = value
        return cls(**values)


def _round_trips(date_format: str) -> bool:
    """Whether a date written with the format reads back as the same day."""
    day = datetime(2025, 1, 31)
    try:
        return datetime.strptime(day.strftime(date_format), date_format).date() == day.date()
    except ValueError:
        return False


def date_formats_for(values: Sequence[str]) -> list[str]:
    """The :data:`DATE_FORMATS` that read every non-blank value, best first; when none reads them
    all (a statement with one mistyped date), those that read at least half, most first.

    Best is the one whose dates are the least spread (a statement covers weeks, not years: with
    ``01/02/2025`` and ``01/03/2025`` month-first gives one month, day-first two days… both fit,
    the closer wins), then :data:`DATE_FORMATS` order. ``03/04/2025`` alone fits both day-first and
    month-first; with ``13/04/2025`` only day-first.
    """
    texts = [value.strip() for value in values if value.strip()]
    ranked: list[tuple[int, float, int, str]] = []
    for order, date_format in enumerate(DATE_FORMATS):
        parsed = [day for day in (_strptime(text, date_format) for text in texts) if day]
        if not parsed and texts:
            continue
        spread = (max(parsed) - min(parsed)).total_seconds() if parsed else 0.0
        ranked.append((len(texts) - len(parsed), spread, order, date_format))
    ranked.sort()
    every = [fmt for missed, _, _, fmt in ranked if missed == 0]
    if every:
        return every
    return [fmt for missed, _, _, fmt in ranked if 2 * missed <= len(texts)]


def _strptime(text: str, date_format: str) -> datetime | None:
    try:
        return datetime.strptime(text, date_format)
    except ValueError:
        return None


def _plain(name: str) -> str:
    """``"Date opération "`` → ``"date operation"``: casefolded, accents and extra spaces removed."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[_\-.:]+", " ", bare).split())


def _find(role: str, plain: list[str], taken: set[int]) -> int | None:
    """The column for ``role``: an exact alias first, then a header starting with one."""
    for alias in _ALIASES[role]:
        for index, name in enumerate(plain):
            if index not in taken and name == alias:
                return index
    for alias in _ALIASES[role]:
        for index, name in enumerate(plain):
            if index not in taken and re.match(rf"{re.escape(alias)}\b", name):
                return index
    return None


def suggest_mapping(header: Sequence[str], sample: Sequence[Sequence[str]]) -> ColumnMapping:
    """A first guess of the mapping from the header names and a few records.

    The date format is the best of :func:`date_formats_for` over the sample's dates; the decimal
    comma is guessed from the amount columns' values; with one amount column, money out is taken to
    be negative unless most sample amounts are positive (card statements list spending positive).
    A role with no matching header name is left empty (``""`` or ``None``) for the user to choose.
    """
    plain = [_plain(name) for name in header]
    taken: set[int] = set()
    found: dict[str, str] = {}
    for role in (*_ROLE_ORDER, "external_id"):
        if role in ("debit", "credit") and "amount" in found:
            continue
        index = _find(role, plain, taken)
        if index is not None:
            taken.add(index)
            found[role] = header[index]
    if ("debit" in found) != ("credit" in found):
        found.pop("debit", None)
        found.pop("credit", None)

    def column(name: str | None) -> list[str]:
        if name is None:
            return []
        index = list(header).index(name)
        return [row[index] or "" for row in sample if index < len(row)]  # short rows: None

    dates = date_formats_for(column(found.get("date")))
    money = [v for role in ("amount", "debit", "credit") for v in column(found.get(role)) if v]
    amounts = [value.strip() for value in column(found.get("amount")) if value.strip()]
    negatives = sum(value.startswith(("-", "−", "(")) or value.endswith("-") for value in amounts)
    return ColumnMapping(
        date=found.get("date", ""),
        description=found.get("description", ""),
        amount=found.get("amount"),
        debit=found.get("debit"),
        credit=found.get("credit"),
        category=found.get("category"),
        currency=found.get("currency"),
        external_id=found.get("external_id"),
        date_format=dates[0] if dates else DATE_FORMATS[0],
        decimal_comma=looks_decimal_comma(money),
        negative_is_spending=negatives * 2 >= len(amounts),
    )
