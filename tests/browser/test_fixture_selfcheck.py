"""Proves the browser fixtures work end to end: server, chromium, rerun on interaction."""

from pathlib import Path

import pytest

from tests.browser.conftest import app_exceptions, open_app, wait_for_app

MINIMAL_APP = Path(__file__).with_name("minimal_app.py")


@pytest.mark.browser
@pytest.mark.parametrize("streamlit_server", [MINIMAL_APP], indirect=True, ids=["minimal_app"])
def test_slider_moved_with_keyboard_updates_text(page, streamlit_server):
    from playwright.sync_api import expect

    open_app(page, streamlit_server)
    value_text = page.get_by_test_id("stText")
    expect(value_text).to_have_text("slider value: 3")

    thumb = page.get_by_role("slider")
    expect(thumb).to_have_count(1)
    thumb.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    wait_for_app(page)

    expect(value_text).to_have_text("slider value: 5")
    expect(thumb).to_have_value("5")
    assert app_exceptions(page) == []
