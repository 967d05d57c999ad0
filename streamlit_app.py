"""folkrnn-explorer: the entry script only routes. Run with ``streamlit run streamlit_app.py``."""

import streamlit as st

from explorer.session import choose_model

st.set_page_config(page_title="folkrnn-explorer", page_icon=":material/music_note:", layout="wide")

PAGES = {
    "The softmax layer": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/bias.py", title="Bias and columns of V", icon=":material/bar_chart:", url_path="bias"),
        st.Page("pages/spectrum.py", title="Singular value spectrum", icon=":material/show_chart:",
                url_path="spectrum"),
        st.Page("pages/right_vectors.py", title="Right singular vectors", icon=":material/stacked_line_chart:",
                url_path="right"),
        st.Page("pages/left_vectors.py", title="Left singular vectors", icon=":material/sort:", url_path="left"),
        st.Page("pages/perturbation.py", title="Perturbed distributions", icon=":material/tune:",
                url_path="perturb"),
    ],
}

page = st.navigation(PAGES)
choose_model()
page.run()
