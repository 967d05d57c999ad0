"""Test entry script for one section of the app: streamlit_app.py's routing for the section named by
``st.session_state["section"]``, opened on the page whose url path is ``st.session_state["start_page"]``
(AppTest has no URL)."""

import streamlit as st

from explorer.navigation import PAGES_DIR, SECTIONS
from explorer.session import choose_model

specs = SECTIONS[st.session_state["section"]]
start = st.session_state.get("start_page", specs[0].url_path)
page = st.navigation([st.Page(PAGES_DIR / spec.file, title=spec.title, url_path=spec.url_path,
                              default=spec.url_path == start) for spec in specs])
choose_model()
page.run()
