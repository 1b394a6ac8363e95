"""Running reads and writes against the store: the :class:`~dashboard.data.runner.Runner` (every
read of a query, through the cache), and one module per collection family for writes and streaming
reads (accounts, budgets, expenses, the audit log, rollups, indexes)."""
