"""Shared Streamlit widgets, chart builders and the strings table (the only place with UI text)."""
