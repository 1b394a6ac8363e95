"""Home: what Spendlens is connected to and how much data it holds."""

from __future__ import annotations

import streamlit as st

from dashboard.overview import data_inventory
from dashboard.runtime import get_settings, get_store

settings = get_settings()
store = get_store(settings)

st.title("Spendlens")
st.caption("Analytics and reports for your Expense Tracker data.")

inventory = data_inventory(store, settings)
left, right = st.columns(2)
left.markdown(f"**Database** · {inventory.database}")
right.markdown(f"**Cache** · {inventory.cache}")

cols = st.columns(len(inventory.counts))
for col, (name, count) in zip(cols, inventory.counts.items(), strict=True):
    col.metric(name.replace("_", " ").capitalize(), f"{count:,}")

if inventory.is_empty:
    st.info(
        "The database holds no expenses yet. Load demo data with "
        "`python -m dashboard seed` (or `make seed`), then reload this page."
    )
