"""The app shell: settings and database checks, sign-in, the navigation built from the user's
roles, process-wide resources, and the HTTP routes added to Streamlit's server (``/health``)."""
