"""End-to-end tests: the real app under `streamlit run`, driven by Chromium."""
