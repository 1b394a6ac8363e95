"""Streaming reads of ``expenses``: rows too many, or too one-off, for the result cache.

A finance export reads a period in time windows of about 100,000 rows each; the Transactions page's
export reads every row of the current view. Each is one :mod:`queries` pipeline run on the store
directly, with the store's time limit and the query's name as its ``comment``.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.core.identity import AuthUser
from dashboard.core.periods import Period
from dashboard.store import Store
from queries import finance, transactions
from queries.base import Query

__all__ = ["export_window", "transactions_view"]


def _stream(store: Store, query: Query) -> pl.DataFrame:
    return store.aggregate_frame(
        query.collection, query.pipeline, schema=query.schema, comment=query.name
    )


def export_window(
    store: Store, user: AuthUser, period: Period, window: tuple[dt.datetime, dt.datetime]
) -> pl.DataFrame:
    """The period's live expenses in ``window`` (UTC ``[start, end)``), by date then id
    (:data:`queries.finance.EXPORT_SCHEMA`). Finance only."""
    return _stream(store, finance.export_rows(user, period, window=window))


def transactions_view(
    store: Store,
    user: AuthUser,
    f: transactions.TransactionFilter,
    *,
    sort_by: str = "date",
    descending: bool = True,
) -> pl.DataFrame:
    """Every row of the user's transactions view ``f``, in its order."""
    return _stream(store, transactions.transactions_all(user, f, sort_by=sort_by, descending=descending))
