"""Test entry script: streamlit_app.py's routing of every page of explorer.navigation.SECTIONS, opened on the
page whose url path is ``st.session_state["start_page"]`` (AppTest has no URL; home when it is unset).
tests/apptest_pages.open_page sets it. The process tuning of streamlit_app.py (threads, heap) is left out."""

from dataclasses import replace

import streamlit as st

from explorer.navigation import SECTIONS
from explorer.session import choose_model

start = st.session_state.get("start_page")
st.set_page_config(page_title="folkrnn-explorer", page_icon=":material/music_note:", layout="wide")
page = st.navigation({name: [replace(spec, default=spec.url_path == start).page() for spec in specs]
                      for name, specs in SECTIONS.items()}, expanded=True)
choose_model()
page.run()
