"""What the home page reports: the connected database, the cache, and document counts."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.config import Settings
from dashboard.store import Store
from dashboard.store.connect import describe_uri

__all__ = ["COLLECTIONS", "Inventory", "data_inventory"]

COLLECTIONS = ("users", "expenses", "budgets", "api_requests")


@dataclass(frozen=True)
class Inventory:
    database: str
    cache: str
    counts: dict[str, int]

    @property
    def is_empty(self) -> bool:
        return self.counts.get("expenses", 0) == 0


def data_inventory(store: Store, settings: Settings) -> Inventory:
    """Describe the store and the cache and count the documents of each main collection."""
    cache = (
        f"Redis at {describe_uri(settings.redis_url)}"
        if settings.redis_url
        else "in-process cache (REDIS_URL is not set)"
    )
    counts = {name: store.count_documents(name, {}) for name in COLLECTIONS}
    return Inventory(database=store.description, cache=cache, counts=counts)
