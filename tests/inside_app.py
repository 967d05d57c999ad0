"""Test entry script for the "Inside the LSTM" pages: streamlit_app.py's routing for that section,
opened on the page named by ``st.session_state["start_page"]`` (AppTest has no URL)."""

import streamlit as st

from explorer.navigation import PAGES_DIR, SECTIONS
from explorer.session import choose_model

start = st.session_state.get("start_page", "lens")
page = st.navigation([st.Page(PAGES_DIR / spec.file, title=spec.title, url_path=spec.url_path,
                              default=spec.url_path == start) for spec in SECTIONS["Inside the LSTM"]])
choose_model()
page.run()
