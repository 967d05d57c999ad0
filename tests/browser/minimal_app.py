"""A tiny Streamlit app for tests/browser/test_fixture_selfcheck.py: a slider and its value."""

import streamlit as st

value = st.slider("Self-check slider", min_value=0, max_value=10, value=3)
st.text(f"slider value: {value}")
