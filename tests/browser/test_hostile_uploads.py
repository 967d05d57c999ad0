"""Files that crashed the old loader (numpy reading a pickled dtype's field past an array's memory,
CPython hashing a tuple nested a million deep) are refused in the app with a one-line message, the
session keeps its model, and the same server still serves a fresh session afterwards."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PAGE_TIMEOUT_MS, app_exceptions, open_app, wait_for_app
from tests.resource_attacks import resource_attack_files

pytestmark = pytest.mark.browser

CRASHING = {"pkl/dtype_field_out_of_range": "refused numpy dtype 'V8'",
            "pkl/deep_tuple_dict_key": "the pickle nests deeper than 100 levels"}


def test_crashing_uploads_are_refused_and_the_server_serves_another_session(page, browser, streamlit_server,
                                                                             tmp_path):
    from playwright.sync_api import expect

    files = dict(resource_attack_files())
    open_app(page, streamlit_server)
    sidebar = page.get_by_test_id("stSidebar")
    caption = sidebar.get_by_text("3 × 512 LSTM")
    expect(caption).to_be_visible()
    sidebar.get_by_text("Upload", exact=True).click()
    wait_for_app(page)
    for name, refusal in CRASHING.items():
        path = tmp_path / f"{name.split('/')[1]}.pkl"
        path.write_bytes(files[name])
        sidebar.locator("input[type=file]").set_input_files(str(path))
        wait_for_app(page)
        expect(sidebar.get_by_test_id("stAlert")).to_contain_text(f"Could not load {path.name}: {refusal}")
        expect(caption).to_be_visible()  # the previous (embedded) model stays
        assert app_exceptions(page) == []

    other = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        fresh = other.new_page()
        fresh.set_default_timeout(PAGE_TIMEOUT_MS)
        open_app(fresh, f"{streamlit_server}/spectrum")
        expect(fresh.get_by_test_id("stSidebar").get_by_text("3 × 512 LSTM")).to_be_visible()
        assert app_exceptions(fresh) == []
    finally:
        other.close()
