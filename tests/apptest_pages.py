"""The one AppTest harness for the app's pages: open a page, run it on a given model, read what it shows.

- :func:`open_page` opens a page by its url path, through tests/page_app.py (streamlit_app.py's routing,
  started on the page named in session state, since AppTest has no URL) or, with ``app=ENTRY_APP``, through
  streamlit_app.py itself (home first, then a switch to the page).
- :func:`use_model` makes the pages run on a given model in place of the embedded ones; a test or a module
  asks for it with the ``app_model`` mark (``pytestmark = pytest.mark.app_model(WEIGHTS)``, tests/conftest.py).
- :func:`chart_data`, :func:`chart_spec` and :func:`metrics` read a page; :func:`press_forms` presses its
  forms' buttons (heavy work waits for one: explorer.on_demand); :func:`checked` asserts a run raised nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

import explorer.session
from explorer.navigation import HOME, SECTIONS, PageSpec
from folkrnn.examples import PART5_TUNE
from folkrnn.io.loading import DEFAULT_MODEL
from folkrnn.weights import ModelWeights

PAGE_APP = str(Path(__file__).with_name("page_app.py"))
ENTRY_APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")
TIMEOUT = 180  # seconds a run may take
#: Every page of the navigation, in its order; and as pytest parameters named by url path.
PAGE_SPECS = [spec for specs in SECTIONS.values() for spec in specs]
PAGES = [pytest.param(spec, id=spec.url_path or "home") for spec in PAGE_SPECS]
SHORT_TUNE = "M:4/4 K:Cmaj |: c 2 G E | C D E F | G A B c :|"
SMALL_WORKLOADS = {  # query parameters that keep a page's work small, by url path
    "in-use": {"length": 20, "n": 5, "survey_length": 20},
    "compose": {"n": 1, "length": 20},
    "fewer": {"ks": 2, "n": 1, "length": 20},
    "compare": {"k": 3},
    "layers": {"length": 20},
    "match": {"tokens": SHORT_TUNE, "start": 2, "end": 3, "length": 20, "corpus_n": 2, "corpus_length": 20},
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


def page_spec(url_path: str | None) -> PageSpec:
    """The page of the navigation at ``url_path`` (home: None or "")."""
    specs = [spec for spec in PAGE_SPECS if spec.url_path == (url_path or None)]
    assert specs, f"no page at {url_path!r}"
    return specs[0]


def open_page(url_path: str | None, *, press: bool = False, timeout: float = TIMEOUT, app: str = PAGE_APP,
              **query_params) -> AppTest:
    """A fresh app on the page at ``url_path`` (home: None or ""), run with these query parameters (a list
    gives a parameter several values) and, if ``press``, again with its forms' buttons pressed; checked.
    Another ``app`` than tests/page_app.py (ENTRY_APP: streamlit_app.py) opens on home and switches to the page."""
    spec = page_spec(url_path)
    at = AppTest.from_file(app, default_timeout=timeout)
    at.session_state["start_page"] = spec.url_path
    at.query_params.update({k: v if isinstance(v, list) else str(v) for k, v in query_params.items()})
    at.run()
    if app != PAGE_APP and spec != HOME:  # streamlit_app.py opens on home
        at.switch_page(f"app_pages/{spec.file}").run()
    checked(at)
    return checked(press_forms(at)) if press else at


def checked(at: AppTest) -> AppTest:
    """``at``, asserted to have run without an exception."""
    assert not at.exception, [e.value for e in at.exception]
    return at


def press_forms(at: AppTest) -> AppTest:
    """Press every form's button on the page, then rerun (unless there is none)."""
    buttons = [b for b in at.button if b.proto.is_form_submitter]
    for button in buttons:
        button.click()
    return at.run() if buttons else at


def use_model(monkeypatch: pytest.MonkeyPatch, weights: ModelWeights, **by_name: ModelWeights) -> None:
    """The pages run on ``weights``: it stands in for every embedded model but those ``by_name`` names
    (explorer.session.EMBEDDED's values: ``faithful=...``)."""
    monkeypatch.setattr(explorer.session, "embedded_model", lambda name=DEFAULT_MODEL: by_name.get(name, weights))


def _chart(at: AppTest, n: int | str):
    if isinstance(n, int):
        return at.get("vega_lite_chart")[n]
    charts = [c for c in at.get("vega_lite_chart") if n in json.dumps(json.loads(c.proto.spec), ensure_ascii=False)]
    assert charts, f"no chart with {n!r}"
    return charts[0]


def chart_data(at: AppTest, n: int | str = 0, dataset: int = 0):
    """The ``dataset``-th data frame (a layered chart has one per layer) of the n-th chart, or of the first
    chart whose spec holds the text ``n`` (a title, say)."""
    return convert_arrow_bytes_to_pandas_df(_chart(at, n).proto.datasets[dataset].data.data)


def chart_spec(at: AppTest, n: int | str = 0) -> dict:
    """The Vega-Lite spec of the n-th chart, or of the first whose spec holds the text ``n``."""
    return json.loads(_chart(at, n).proto.spec)


def metrics(at: AppTest) -> dict[str, str]:
    """The metrics shown, value by label."""
    return {m.label: m.value for m in at.metric}
