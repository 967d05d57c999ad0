"""folkrnn-explorer: the entry script fits the process to a server and routes. Run with ``streamlit run streamlit_app.py``."""

import streamlit as st

from explorer.navigation import sections
from explorer.process import fit_process, trim_heap
from explorer.session import choose_model

fit_process()  # before any page computes
st.set_page_config(page_title="folkrnn-explorer", page_icon=":material/music_note:", layout="wide")
page = st.navigation(sections(), expanded=True)  # every section open: 20 pages, none behind "View more"
choose_model()
try:
    page.run()
finally:  # also when the page stops early (st.stop) or a rerun cuts it short
    trim_heap()
