"""Opening one page of a section of the app in AppTest (tests/section_app.py), and reading its charts."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from folkrnn.examples import PART5_TUNE

SECTION_APP = str(Path(__file__).with_name("section_app.py"))
SHORT_TUNE = "M:4/4 K:Cmaj |: c 2 G E | C D E F | G A B c :|"
SMALL_WORKLOADS = {  # query parameters that keep a page's work small, by url path
    "in-use": {"length": 20, "n": 5, "survey_length": 20},
    "compose": {"n": 1, "length": 20},
    "fewer": {"ks": 2, "n": 1, "length": 20},
    "compare": {"k": 3},
    "layers": {"length": 20},
    "lens": {"length": 20},
    "similarity": {"tokens": SHORT_TUNE, "length": 20},
    "ablate": {"n": 1, "length": 20},
    "periodic": {"n": 1, "k": 2, "length": 20, "compose_length": 20},
    "forcing": {"n": 1, "length": 20},
    "copying": {"source": "Type", "tokens": SHORT_TUNE, "population_n": 5, "population_length": 20, "ngram": 3},
    "search": {"length": 20, "candidates": 16},
}
#: A reference corpus for the copying page's upload box: two tunes in folk-rnn v2 transcriptions.
REFERENCE_CORPUS = f"M:4/4\nK:Cmaj\n{SHORT_TUNE.split(' ', 2)[2]}\n\nM:4/4\nK:Cmaj\n{' '.join(PART5_TUNE[2:30])}\n"


def open_section_page(section: str, page: str, timeout: int = 180, **params) -> AppTest:
    """``page`` (its url path) of ``section``, run once with these query parameters, with no exception."""
    at = AppTest.from_file(SECTION_APP, default_timeout=timeout)
    at.session_state["section"] = section
    at.session_state["start_page"] = page
    at.query_params.update({k: str(v) for k, v in params.items()})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart_data(at: AppTest, n: int = 0, dataset: int = 0):
    """The ``dataset``-th data frame of the n-th chart (a layered chart has one per layer)."""
    return convert_arrow_bytes_to_pandas_df(at.get("vega_lite_chart")[n].proto.datasets[dataset].data.data)


def chart_spec(at: AppTest, n: int = 0) -> dict:
    return json.loads(at.get("vega_lite_chart")[n].proto.spec)


def press_forms(at: AppTest) -> AppTest:
    """Press every form's button on the page (heavy work waits for one: explorer.on_demand), then rerun."""
    buttons = [b for b in at.button if b.proto.is_form_submitter]
    for button in buttons:
        button.click()
    return at.run() if buttons else at
