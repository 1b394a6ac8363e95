"""What the home page reports: the user's own expenses at a glance and, for staff, the connected
database and cache and how much data there is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dashboard.core.identity import AuthUser
from dashboard.data.runner import Runner
from queries.profile import data_inventory, my_summary

__all__ = ["COLLECTIONS", "Inventory", "MySummary", "inventory", "summary_for"]

#: The collections counted for staff → how the page names them.
COLLECTIONS = {
    "users": "Users",
    "expenses": "Expenses",
    "budgets": "Budgets",
    "api_requests": "API requests",
}


@dataclass(frozen=True)
class Inventory:
    database: str
    cache: str
    counts: dict[str, int]
    as_of: str

    @property
    def is_empty(self) -> bool:
        return self.counts.get("expenses", 0) == 0

    def labelled(self) -> dict[str, int]:
        """The counts under their human names ("API requests", not "api_requests")."""
        return {COLLECTIONS.get(name, name): count for name, count in self.counts.items()}


@dataclass(frozen=True)
class MySummary:
    expenses: int
    total: float
    first: datetime | None
    last: datetime | None
    as_of: str


def inventory(runner: Runner, user: AuthUser) -> Inventory:
    """Document counts of the main collections (spans users: product, finance or admin)."""
    counts: dict[str, int] = {}
    as_of = ""
    for name in COLLECTIONS:
        result = runner.run(data_inventory(user, name))
        counts[name] = int(result.frame["n"][0]) if result.frame.height else 0
        as_of = result.caption
    return Inventory(
        database=runner.store.description,
        cache=runner.cache.description,
        counts=counts,
        as_of=as_of,
    )


def summary_for(runner: Runner, user: AuthUser) -> MySummary:
    """The signed-in user's own expense count, total and date range."""
    result = runner.run(my_summary(user))
    if result.frame.height == 0:
        return MySummary(0, 0.0, None, None, result.caption)
    row = result.frame.row(0, named=True)
    return MySummary(
        int(row["expenses"]), float(row["total"]), row["first"], row["last"], result.caption
    )
