"""Opening one page of a section of the app in AppTest (tests/section_app.py), and reading its charts."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

SECTION_APP = str(Path(__file__).with_name("section_app.py"))


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
