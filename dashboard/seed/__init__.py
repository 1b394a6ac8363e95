"""The deterministic demo data set: users, expenses, budgets and the API request log."""

from dashboard.seed.dataset import COLLECTIONS, SeedRefused, SeedSummary, generate, seed_store

__all__ = ["COLLECTIONS", "SeedRefused", "SeedSummary", "generate", "seed_store"]
