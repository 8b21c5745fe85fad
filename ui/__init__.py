"""Streamlit helpers shared by the app's pages (the core stays Streamlit-free)."""
