"""Spendlens: the router. Builds the navigation and runs the chosen page.

``streamlit run app.py`` serves it. Imported as a module (by the ASGI server that ``streamlit run``
starts when it finds ``app`` below), this file instead defines the ``st.App`` that adds ``/health``.
"""

from __future__ import annotations

import streamlit as st

if __name__ != "__main__":
    from dashboard.server import health_routes

    app = st.App("app.py", routes=health_routes())
else:
    from dashboard.shell import run

    run()
