"""The app's pages, defined once: the entry script routes with them and pages link to them.

Each run builds fresh ``st.Page`` objects from these specs. A Page holds per-run state
(st.navigation marks the page it returns as callable and running it clears the mark), so Page
objects shared by concurrent sessions race: one session's run can find its page unmarked and
fail with "This page cannot be called directly" (seen with eight browser sessions at once).

Links must name the very page that st.navigation registered (same source and url_path); a link
built from a bare file path makes Streamlit register a second page for that file under a
default url_path.
"""

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

PAGES_DIR = Path(__file__).resolve().parents[1] / "app_pages"


@dataclass(frozen=True)
class PageSpec:
    file: str
    title: str
    icon: str
    url_path: str | None = None
    default: bool = False

    def page(self) -> st.Page:
        """A new st.Page for this run."""
        return st.Page(PAGES_DIR / self.file, title=self.title, icon=f":material/{self.icon}:",
                       url_path=self.url_path, default=self.default)


HOME = PageSpec("home.py", "Home", "home", default=True)
BIAS = PageSpec("bias.py", "Bias and columns of V", "bar_chart", "bias")
SPECTRUM = PageSpec("spectrum.py", "Singular value spectrum", "show_chart", "spectrum")
RIGHT = PageSpec("right_vectors.py", "Right singular vectors", "stacked_line_chart", "right")
LEFT = PageSpec("left_vectors.py", "Left singular vectors", "sort", "left")
PERTURB = PageSpec("perturbation.py", "Perturbed distributions", "tune", "perturb")
DIRECTIONS_IN_USE = PageSpec("directions_in_use.py", "Directions in use", "insights", "in-use")
COMPOSE = PageSpec("compose.py", "Compose", "piano", "compose")
FEWER = PageSpec("fewer_directions.py", "Fewer directions", "compress", "fewer")
COMPARE = PageSpec("compare.py", "Compare models", "compare_arrows", "compare")
LAYERS = PageSpec("layers.py", "Layers over a tune", "view_week", "layers")
MATCH = PageSpec("select_match.py", "Select and match", "highlight_alt", "match")
LENS = PageSpec("logit_lens.py", "Logit lens", "layers", "lens")
SIMILARITY = PageSpec("self_similarity.py", "Self-similarity", "grid_on", "similarity")
INPUT_LAYER = PageSpec("input_layer.py", "The input layer", "input", "input-layer")
ABLATE = PageSpec("ablate.py", "Ablate and steer", "content_cut", "ablate")
PERIODIC = PageSpec("periodic_units.py", "Periodic units", "graphic_eq", "periodic")
FORCING = PageSpec("forcing.py", "Forcing the input", "input_circle", "forcing")
COPYING = PageSpec("copying.py", "Is it copying?", "content_copy", "copying")
SEARCH = PageSpec("search.py", "Search vs sampling", "travel_explore", "search")

SECTIONS = {
    "The softmax layer": [HOME, BIAS, SPECTRUM, RIGHT, LEFT, PERTURB],
    "Beyond the blog": [DIRECTIONS_IN_USE, COMPOSE, FEWER, COMPARE],
    "Inside the LSTM": [LAYERS, MATCH, SIMILARITY, LENS, INPUT_LAYER],
    "Experiments": [ABLATE, PERIODIC, FORCING, COPYING, SEARCH],
}


def sections() -> dict[str, list[st.Page]]:
    """Fresh st.Page objects for st.navigation, section by section."""
    return {name: [spec.page() for spec in specs] for name, specs in SECTIONS.items()}
