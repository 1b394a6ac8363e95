"""Pure building blocks with no Streamlit, no store and no queries: periods, money, settings, the
signed-in user's type, Polars shaping, CSV safety, forecasts, insights and timing buffers.

Every other layer may import from here; this package imports nothing else of Spendlens."""
