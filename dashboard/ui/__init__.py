"""Streamlit widgets shared by the pages: the period picker and filter bar, KPI rows, the
transactions table, the login forms and the signed-in user of a run. The only package below
:mod:`dashboard.app` that imports Streamlit."""
