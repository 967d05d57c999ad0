"""The app's pages, defined once: the entry script routes with them and pages link to them.

Links must name the very page that st.navigation registered (same source and url_path); a link
built from a bare file path makes Streamlit register a second page for that file under a
default url_path.
"""

from pathlib import Path

import streamlit as st

PAGES_DIR = Path(__file__).resolve().parents[1] / "pages"


def _page(file: str, title: str, icon: str, url_path: str | None = None, default: bool = False) -> st.Page:
    return st.Page(PAGES_DIR / file, title=title, icon=f":material/{icon}:", url_path=url_path, default=default)


HOME = _page("home.py", "Home", "home", default=True)
BIAS = _page("bias.py", "Bias and columns of V", "bar_chart", "bias")
SPECTRUM = _page("spectrum.py", "Singular value spectrum", "show_chart", "spectrum")
RIGHT = _page("right_vectors.py", "Right singular vectors", "stacked_line_chart", "right")
LEFT = _page("left_vectors.py", "Left singular vectors", "sort", "left")
PERTURB = _page("perturbation.py", "Perturbed distributions", "tune", "perturb")
DIRECTIONS_IN_USE = _page("directions_in_use.py", "Directions in use", "insights", "in-use")
COMPOSE = _page("compose.py", "Compose", "piano", "compose")
FEWER = _page("fewer_directions.py", "Fewer directions", "compress", "fewer")
COMPARE = _page("compare.py", "Compare models", "compare_arrows", "compare")

SECTIONS = {
    "The softmax layer": [HOME, BIAS, SPECTRUM, RIGHT, LEFT, PERTURB],
    "Beyond the blog": [DIRECTIONS_IN_USE, COMPOSE, FEWER, COMPARE],
}
