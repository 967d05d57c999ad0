"""The first visitor of a freshly started server, arriving by a deep link, gets the app.

Streamlit 1.67 decides per process, before any st.navigation call, whether an app uses the old
``pages/`` folder convention; with a folder of that name beside the entry script, the first
session's page file ran on its own, without the entry script's navigation and model choice.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import (
    APP_SCRIPT,
    SERVER_START_TIMEOUT_S,
    _StreamlitServer,
    app_exceptions,
    open_app,
)

pytestmark = pytest.mark.browser


def test_first_session_of_a_new_server_at_a_deep_link(page, tmp_path):
    from playwright.sync_api import expect

    server = _StreamlitServer(APP_SCRIPT, tmp_path / "server.log")  # not the shared one: it must be new
    try:
        server.wait_until_healthy(SERVER_START_TIMEOUT_S)
        open_app(page, f"{server.base_url}/compose")
        expect(page.get_by_role("heading", name="Compose", level=1)).to_be_visible()
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_text("Replica", exact=True)).to_be_visible()  # the entry script ran
        expect(sidebar.get_by_role("link", name="Perturbed distributions")).to_be_visible()
        expect(page.get_by_role("dialog")).to_have_count(0)  # no "Page not found"
        assert app_exceptions(page) == []
    finally:
        server.stop()
