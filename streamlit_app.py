"""folkrnn-explorer: the entry script sizes the thread pools and routes. Run with ``streamlit run streamlit_app.py``."""

import streamlit as st

from explorer.navigation import sections
from explorer.session import choose_model
from folkrnn.cpus import fit_torch_threads

fit_torch_threads()
st.set_page_config(page_title="folkrnn-explorer", page_icon=":material/music_note:", layout="wide")
page = st.navigation(sections(), expanded=True)  # every section open: 19 pages, none behind "View more"
choose_model()
page.run()
