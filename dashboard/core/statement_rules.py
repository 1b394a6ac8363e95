"""What an import does to parsed statement rows: drop duplicates within the file, apply rules.

Both work on frames of :data:`dashboard.core.statement_rows.ROW_SCHEMA`. A duplicate is the same
bank transaction id, or, without one, the same UTC day, amount in cents and description (read
casefolded, spaces collapsed), so re-exported overlapping statements do not count twice. A rule is
a literal, case-insensitive piece of the description and the category it gives: never a regex,
so ``"A.B"`` matches only ``"a.b"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

__all__ = ["Rule", "apply_rules", "dedupe_key", "drop_file_duplicates"]


def _casefold(descriptions: pl.Series) -> pl.Series:
    # Polars lowercases but does not casefold ("Straße" and "STRASSE" must meet).
    return pl.Series(
        [None if text is None else text.casefold() for text in descriptions], dtype=pl.String
    )


def dedupe_key(rows: pl.DataFrame) -> pl.Series:
    """One String ``key`` per row: ``x:<external_id>``, or ``d:<YYYY-MM-DD>|<cents>|<description>``.

    The day is the UTC day of ``date``; cents are the amount times 100 rounded to an integer; the
    description is casefolded with whitespace runs collapsed to one space. An empty external id
    counts as none.
    """
    described = _casefold(rows["description"]).str.replace_all(r"\s+", " ").str.strip_chars()
    frame = rows.select("date", "amount", "external_id").with_columns(text=described)
    return frame.select(
        key=pl.when(pl.col("external_id").fill_null("") != "")
        .then(pl.concat_str(pl.lit("x:"), pl.col("external_id")))
        .otherwise(
            pl.concat_str(
                pl.lit("d:"),
                pl.col("date").dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d"),
                pl.lit("|"),
                (pl.col("amount") * 100).round(0).cast(pl.Int64).cast(pl.String),
                pl.lit("|"),
                pl.col("text"),
            )
        )
    ).to_series()


def drop_file_duplicates(rows: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """The rows without the later ones sharing a :func:`dedupe_key`, and how many were dropped."""
    first = dedupe_key(rows).is_first_distinct()
    kept = rows.filter(first)
    return kept, rows.height - kept.height


@dataclass(frozen=True)
class Rule:
    """Descriptions containing ``contains`` (literally, any case) get ``category``."""

    contains: str
    category: str

    def check(self) -> list[str]:
        """What is wrong with the rule, as sentences; ``[]`` when it can be applied."""
        messages = []
        if not self.contains.strip():
            messages.append("a rule needs the text its descriptions contain")
        if not self.category.strip():
            messages.append(f"the rule for {self.contains!r} needs a category")
        return messages


def apply_rules(
    rows: pl.DataFrame, rules: Sequence[Rule], *, only_category: str | None = None
) -> tuple[pl.DataFrame, int]:
    """The rows with the category of the first matching rule (list order), and how many changed.

    ``only_category=None`` lets a rule change any row it matches; ``only_category="Uncategorized"``
    only the rows currently in that category (so a category from the file is kept). A row whose
    category already is the rule's does not count as changed. Raises ``ValueError`` for a rule
    that fails :meth:`Rule.check` (an empty text would match every row).
    """
    messages = [message for rule in rules for message in rule.check()]
    if messages:
        raise ValueError("; ".join(messages))
    if not rules or rows.height == 0:
        return rows, 0
    frame = rows.with_columns(_lowered=_casefold(rows["description"]))

    def matches(rule: Rule) -> pl.Expr:
        return pl.col("_lowered").str.contains(rule.contains.casefold(), literal=True)

    first, *rest = rules
    chain = pl.when(matches(first)).then(pl.lit(first.category))
    for rule in rest:
        chain = chain.when(matches(rule)).then(pl.lit(rule.category))
    new = chain.otherwise(pl.col("category"))
    if only_category is not None:
        new = pl.when(pl.col("category") == only_category).then(new).otherwise(pl.col("category"))
    changed = frame.select((new != pl.col("category")).sum()).item()
    return frame.with_columns(category=new).drop("_lowered"), int(changed)
