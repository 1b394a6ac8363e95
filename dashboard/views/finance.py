"""The finance period report: totals by category, month and currency over all users, reconciled.

:func:`build_report` runs the :mod:`queries.finance` queries through the cache for the period, the
period before and the same period a year earlier, and shapes them into a :class:`Report`. Amounts are
``Decimal`` values (Polars ``Decimal(38, 2)``) made from the integer cent sums the pipelines return,
so every total is exact: the category totals of a currency add up to that currency's grand total to
the cent, and :attr:`Report.reconciliation` checks it (and the monthly totals) against the grand
totals of a separate query. Amounts in different currencies are never added together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import polars as pl

from dashboard.core.compare import Reference, compare
from dashboard.core.identity import AuthUser
from dashboard.core.left_out import REASONS, LeftOut
from dashboard.core.partial import last_complete_day, mark_partial
from dashboard.core.periods import Period, local_today
from dashboard.data.runner import Runner
from queries import finance

__all__ = [
    "EXCLUDED_ROWS",
    "MONEY",
    "Report",
    "as_floats",
    "build_report",
    "cents_to_amount",
    "name_users",
    "report_filters",
]

#: How many left-out expenses a report lists per reason (the count is always exact).
EXCLUDED_ROWS = 1000
#: The dtype of every amount in a report frame.
MONEY = pl.Decimal(38, 2)
_CENT = Decimal("0.01")


def as_floats(frame: pl.DataFrame) -> pl.DataFrame:
    """Decimal amounts as floats for display and charts (the report's figures stay exact)."""
    return frame.with_columns(pl.col(pl.Decimal).cast(pl.Float64))


def cents_to_amount(cents: int) -> Decimal:
    """Whole cents as a two-decimal ``Decimal``: ``12345`` → ``Decimal("123.45")``."""
    return Decimal(int(cents)).scaleb(-2).quantize(_CENT)


def _average(cents: int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(int(cents)) / count / 100).quantize(_CENT, rounding=ROUND_HALF_UP)


def _amount(column: str) -> pl.Expr:
    """An Int64 cents column as a ``Decimal(38, 2)`` amount (exact)."""
    return (pl.col(column).cast(MONEY) / 100).cast(MONEY)


def _compared(
    now: Decimal | None, before: Decimal | None, period: Period, against: Reference,
    data_start: dt.date | None,
):  # fmt: skip
    ref = period.previous() if against == "previous" else period.year_before()
    return compare(
        None if now is None else float(now),
        None if before is None else float(before),
        start=ref.start, end=ref.end, data_start=data_start, against=against,
    )  # fmt: skip


def _ratio(
    now: Decimal | None, before: Decimal | None, period: Period, against: Reference,
    data_start: dt.date | None,
) -> float | None:  # fmt: skip
    """The relative change when :func:`compare` finds it meaningful, else None."""
    return _compared(now, before, period, against, data_start).change


@dataclass(frozen=True)
class Report:
    """One period's figures. Every frame's amounts are ``Decimal(38, 2)`` in its row's currency.

    - ``by_currency``: currency, total, count, average, largest, spenders, previous, vs_previous,
      last_year, vs_last_year (``vs_*`` are relative changes, 0.25 = +25 %).
    - ``by_category``: category, currency, total, count, average, share (of the currency's total),
      previous, vs_previous, last_year, vs_last_year.
    - ``by_month``: month (local first day), currency, total, count; every month of the period.
    - ``top_spenders``: currency, place, user, user_id, total, count, share.
    - ``deleted``: the soft-deleted expenses dated in the period (excluded from every total).
    - ``reconciliation``: per currency, the grand total next to the sum of its category totals and
      of its monthly totals, the difference, and the soft-deleted count and amount.
    - ``left_out``: how many live expenses were left out of every figure as unusable, per reason;
      ``excluded`` lists them (up to :data:`EXCLUDED_ROWS` per reason): reason (as the notice
      words it), date, user, category, amount and currency as stored (text), description, ids.
    """

    period: Period
    generated_at: dt.datetime
    expenses: int
    spenders: int
    by_currency: pl.DataFrame
    by_category: pl.DataFrame
    by_month: pl.DataFrame
    top_spenders: pl.DataFrame
    deleted: pl.DataFrame
    reconciliation: pl.DataFrame
    left_out: LeftOut
    excluded: pl.DataFrame
    data_start: dt.date | None = None

    @property
    def tz(self) -> str:
        return self.period.tz

    def chart_frames(self, currency: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        """``(categories, months)`` of one currency shaped for the chart builders (floats,
        ``monthly_trend``'s budget and average columns empty: a report has neither; ``partial``
        months: not over when the report was made, or cut by the period's start)."""
        cats = self.by_category.filter(pl.col("currency") == currency)
        months = self.by_month.filter(pl.col("currency") == currency).with_columns(
            budget=pl.lit(None, pl.Float64), moving_avg=pl.lit(None, pl.Float64)
        )
        months = mark_partial(
            months, "month", unit="month", last_day=self.last_day, data_start=self.period.start
        )
        return as_floats(cats), as_floats(months)

    def with_comparisons(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` (``by_currency`` or ``by_category``) with ``vs_previous`` and ``vs_last_year``
        in words by :func:`~dashboard.core.compare.compare`: ``"+12%"``, ``"no data before Dec
        2025"``, ``"nothing in the previous period"``."""
        texts: dict[str, list[str]] = {"vs_previous": [], "vs_last_year": []}
        for row in frame.iter_rows(named=True):
            for column, ref, against in (
                ("vs_previous", "previous", "previous"),
                ("vs_last_year", "last_year", "last_year"),
            ):
                found = _compared(row["total"], row[ref], self.period, against, self.data_start)
                texts[column].append(found.text())
        return frame.with_columns(
            pl.Series(name, values, dtype=pl.String) for name, values in texts.items()
        )

    @property
    def last_day(self) -> dt.date:
        """The last day the report's data is complete for (the day before it was made, at most
        the period's end)."""
        return last_complete_day(self.period, today=local_today(self.tz, now=self.generated_at))

    @property
    def reconciled(self) -> bool:
        """Whether every currency's category and monthly totals equal its grand total exactly."""
        rec = self.reconciliation
        return bool(
            (rec["categories"] == rec["total"]).all() and (rec["months"] == rec["total"]).all()
        )

    @property
    def currencies(self) -> list[str]:
        """The report's currencies, most expenses first."""
        ordered = self.by_currency.sort(["count", "currency"], descending=[True, False])
        return ordered["currency"].to_list()

    def filters(self) -> dict[str, str]:
        """What the report covers, for audit entries and document headers."""
        return report_filters(self.period)


def report_filters(period: Period) -> dict[str, str]:
    """What a finance report over ``period`` covers, for audit entries and document headers."""
    return {
        "period": period.spec,
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "timezone": period.tz,
        "users": "all",
        "soft_deleted": "excluded",
    }


def name_users(frame: pl.DataFrame, names: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with a ``user`` column (the username) after its ``user_id`` column."""
    joined = frame.join(names.rename({"username": "user"}), on="user_id", how="left")
    columns = list(frame.columns)
    at = columns.index("user_id")
    return joined.select([*columns[:at], "user", *columns[at:]])


def _by_currency(
    now: pl.DataFrame, prev: pl.DataFrame, year: pl.DataFrame, period: Period,
    data_start: dt.date | None,
) -> tuple[pl.DataFrame, dict[str, int]]:  # fmt: skip
    before = {r["currency"]: r["cents"] for r in prev.iter_rows(named=True)}
    last = {r["currency"]: r["cents"] for r in year.iter_rows(named=True)}
    rows, grand = [], {}
    for r in now.iter_rows(named=True):
        total = cents_to_amount(r["cents"])
        grand[r["currency"]] = r["cents"]
        p = cents_to_amount(before[r["currency"]]) if r["currency"] in before else None
        y = cents_to_amount(last[r["currency"]]) if r["currency"] in last else None
        rows.append({
            "currency": r["currency"], "total": total, "count": r["count"],
            "average": _average(r["cents"], r["count"]),
            "largest": cents_to_amount(r["largest"]), "spenders": r["spenders"],
            "previous": p, "vs_previous": _ratio(total, p, period, "previous", data_start),
            "last_year": y, "vs_last_year": _ratio(total, y, period, "last_year", data_start),
        })  # fmt: skip
    schema = {
        "currency": pl.String, "total": MONEY, "count": pl.Int64, "average": MONEY,
        "largest": MONEY, "spenders": pl.Int64, "previous": MONEY, "vs_previous": pl.Float64,
        "last_year": MONEY, "vs_last_year": pl.Float64,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row"), grand


def _by_category(
    now: pl.DataFrame, prev: pl.DataFrame, year: pl.DataFrame, grand: Mapping[str, int],
    period: Period, data_start: dt.date | None,
) -> pl.DataFrame:  # fmt: skip
    keys = ("category", "currency")
    before = {(r["category"], r["currency"]): r["cents"] for r in prev.iter_rows(named=True)}
    last = {(r["category"], r["currency"]): r["cents"] for r in year.iter_rows(named=True)}
    rows = []
    for r in now.iter_rows(named=True):
        key = tuple(r[k] for k in keys)
        total = cents_to_amount(r["cents"])
        p = cents_to_amount(before[key]) if key in before else None
        y = cents_to_amount(last[key]) if key in last else None
        whole = grand.get(r["currency"]) or 0
        rows.append({
            "category": r["category"], "currency": r["currency"], "total": total,
            "count": r["count"], "average": _average(r["cents"], r["count"]),
            "share": r["cents"] / whole if whole else None,
            "previous": p, "vs_previous": _ratio(total, p, period, "previous", data_start),
            "last_year": y, "vs_last_year": _ratio(total, y, period, "last_year", data_start),
        })  # fmt: skip
    schema = {
        "category": pl.String, "currency": pl.String, "total": MONEY, "count": pl.Int64,
        "average": MONEY, "share": pl.Float64, "previous": MONEY, "vs_previous": pl.Float64,
        "last_year": MONEY, "vs_last_year": pl.Float64,
    }  # fmt: skip
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return frame.sort(["currency", "total", "category"], descending=[False, True, False])


def _months(period: Period) -> list[dt.date]:
    months, day = [], period.start.replace(day=1)
    while day <= period.end:
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def _by_month(frame: pl.DataFrame, period: Period, currencies: list[str]) -> pl.DataFrame:
    local = frame.with_columns(pl.col("month").dt.convert_time_zone(period.tz).dt.date())
    grid = pl.DataFrame({"month": _months(period)}).join(
        pl.DataFrame({"currency": currencies}, schema={"currency": pl.String}), how="cross"
    )
    full = grid.join(local, on=["month", "currency"], how="left").with_columns(
        pl.col("cents").fill_null(0), pl.col("count").fill_null(0)
    )
    return full.select("month", "currency", _amount("cents").alias("total"), "count", "cents").sort(
        ["currency", "month"]
    )


def _deleted(frame: pl.DataFrame, names: pl.DataFrame, tz: str) -> pl.DataFrame:
    local = frame.with_columns(
        pl.col("date").dt.convert_time_zone(tz), pl.col("deleted_at").dt.convert_time_zone(tz)
    )
    named = name_users(local, names)
    return named.select(
        "date", "deleted_at", "user", "category", _amount("cents").alias("amount"), "currency",
        "description", "expense_id", "user_id", "cents",
    )  # fmt: skip


def _reconciliation(
    grand: Mapping[str, int], categories: pl.DataFrame, months: pl.DataFrame, deleted: pl.DataFrame
) -> pl.DataFrame:
    rows = []
    for currency, cents in sorted(grand.items()):
        cats = sum(
            (a for a in categories.filter(pl.col("currency") == currency)["total"]), Decimal(0)
        )
        mons = sum((a for a in months.filter(pl.col("currency") == currency)["total"]), Decimal(0))
        gone = deleted.filter(pl.col("currency") == currency)
        total = cents_to_amount(cents)
        rows.append({
            "currency": currency, "total": total, "categories": cats.quantize(_CENT),
            "months": mons.quantize(_CENT), "difference": (total - cats).quantize(_CENT),
            "deleted_count": gone.height,
            "deleted_total": cents_to_amount(int(gone["cents"].sum() or 0)),
        })  # fmt: skip
    for currency in sorted(set(deleted["currency"].to_list()) - set(grand)):
        gone = deleted.filter(pl.col("currency") == currency)
        zero = Decimal("0.00")
        rows.append({
            "currency": currency, "total": zero, "categories": zero, "months": zero,
            "difference": zero, "deleted_count": gone.height,
            "deleted_total": cents_to_amount(int(gone["cents"].sum() or 0)),
        })  # fmt: skip
    schema = {
        "currency": pl.String, "total": MONEY, "categories": MONEY, "months": MONEY,
        "difference": MONEY, "deleted_count": pl.Int64, "deleted_total": MONEY,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


def _excluded(frame: pl.DataFrame, names: pl.DataFrame, tz: str) -> pl.DataFrame:
    """The left-out expenses for the report: local dates, usernames, the reason in words."""
    local = frame.with_columns(
        pl.col("date").dt.convert_time_zone(tz),
        pl.col("reason").replace_strict(REASONS, return_dtype=pl.String),
    )
    return name_users(local, names).select(
        "reason", "date", "user", "category", "amount", "currency", "description", "expense_id",
        "user_id",
    )  # fmt: skip


def _local_day(moment: dt.datetime | None, tz: str) -> dt.date | None:
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(tz)).date()


def build_report(
    runner: Runner,
    user: AuthUser,
    period: Period,
    *,
    top: int = 10,
    now: dt.datetime | None = None,
) -> Report:
    """The report for ``period`` (a month, quarter and year are compared with the one before, a
    range of days with as many days just before; all with the same days a year earlier).

    Raises ``PermissionDenied`` unless ``user`` has the finance (or admin) role.
    """
    p, prev, year = period, period.previous(), period.year_before()
    first = runner.frame(finance.first_expense(user))
    data_start = _local_day(first["first"][0], p.tz) if first.height else None
    currency_now = runner.frame(finance.totals_by_currency(user, p))
    by_currency, grand = _by_currency(
        currency_now,
        runner.frame(finance.totals_by_currency(user, prev)),
        runner.frame(finance.totals_by_currency(user, year)),
        p,
        data_start,
    )
    by_category = _by_category(
        runner.frame(finance.totals_by_category(user, p)),
        runner.frame(finance.totals_by_category(user, prev)),
        runner.frame(finance.totals_by_category(user, year)),
        grand,
        p,
        data_start,
    )
    by_month = _by_month(
        runner.frame(finance.totals_by_month(user, p)), p, by_currency["currency"].to_list()
    )
    names = runner.frame(finance.usernames(user))
    top_frame = name_users(runner.frame(finance.top_spenders(user, p, limit=top)), names)
    top_frame = top_frame.with_columns(
        _amount("cents").alias("total"),
        (pl.col("cents") / pl.col("currency").replace_strict(grand, default=None)).alias("share"),
    ).select("currency", "place", "user", "user_id", "total", "count", "share")
    deleted = _deleted(runner.frame(finance.deleted_expenses(user, p)), names, p.tz)
    spenders = runner.frame(finance.spender_count(user, p))
    counts = runner.frame(finance.left_out(user, p))
    excluded = runner.frame(finance.excluded_expenses(user, p, limit=EXCLUDED_ROWS))
    return Report(
        period=p,
        generated_at=now or dt.datetime.now(dt.UTC),
        expenses=int(by_currency["count"].sum() or 0),
        spenders=int(spenders["spenders"][0]) if spenders.height else 0,
        by_currency=by_currency,
        by_category=by_category,
        by_month=by_month.drop("cents"),
        top_spenders=top_frame,
        deleted=deleted.drop("cents"),
        reconciliation=_reconciliation(grand, by_category, by_month, deleted),
        left_out=LeftOut(counts.row(0, named=True) if counts.height else {}),
        excluded=_excluded(excluded, names, p.tz),
        data_start=data_start,
    )
