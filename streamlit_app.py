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
    "Beyond the blog": [
        st.Page("pages/directions_in_use.py", title="Directions in use", icon=":material/insights:",
                url_path="in-use"),
        st.Page("pages/compose.py", title="Compose", icon=":material/piano:", url_path="compose"),
        st.Page("pages/fewer_directions.py", title="Fewer directions", icon=":material/compress:",
                url_path="fewer"),
        st.Page("pages/compare.py", title="Compare models", icon=":material/compare_arrows:",
                url_path="compare"),
    ],
}

page = st.navigation(PAGES)
choose_model()
page.run()
