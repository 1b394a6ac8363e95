"""Page data: one module per page family that runs queries through the runner and shapes their
frames with Polars. No Streamlit here, so every number can be tested without a page."""
