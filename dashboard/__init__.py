"""Spendlens: analytics and reports over the Expense Tracker's MongoDB collections.

The sub-packages are layers (docs/architecture.md): ``core`` (pure helpers), ``store`` and
``cache``, ``data`` (the runner and the collection families), ``auth``, ``views``, ``charts`` and
``seed``, ``exports``, ``ui`` (Streamlit widgets), ``app`` (the shell) and ``cli``. The queries are
the top-level package ``queries``; the page scripts are in ``pages/``.
"""
