"""Spendlens: the router. Builds the navigation and runs the chosen page.

``streamlit run app.py`` serves it. ``streamlit run`` finds the ``st.App`` below and imports this
file as a module (outside any script run) to build the server with the ``/health`` route and the
in-app job worker's start and stop; each page view then runs this file as a script, which runs the
shell.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

# Outside a script run there is no context by design: ask without Streamlit's "missing
# ScriptRunContext" warning, which would otherwise greet every start of the server.
if get_script_run_ctx(suppress_warning=True) is None:
    from streamlit.runtime.pages_manager import PagesManager

    from dashboard.app.server import health_routes, lifespan

    # Every page comes from st.navigation. Without this, a fresh server's first run goes through
    # Streamlit's legacy pages/ router, which knows only app.py and answers a deep link such as
    # /overview with its "Page not found" dialog before our navigation runs.
    PagesManager.uses_pages_directory = False
    app = st.App("app.py", routes=health_routes(), lifespan=lifespan)
else:
    from dashboard.app.shell import run

    run()
