"""Proves the browser fixtures work end to end: server, chromium, rerun on interaction; and that the
check every browser test's server gets, no torch loaded, tells a process with torch from one without."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.browser.conftest import app_exceptions, open_app, torch_mapped, wait_for_app

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


def test_the_torch_check_tells_a_process_with_torch_from_one_without():
    import torch  # noqa: F401  (loaded here, as a page that imported it would load it into the server)

    assert torch_mapped(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "import numpy, sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        for _ in range(100):  # until numpy's libraries are mapped: then the child has done its imports
            if "numpy" in Path(f"/proc/{child.pid}/maps").read_text():
                break
            time.sleep(0.1)
        assert not torch_mapped(child.pid)
    finally:
        child.communicate(b"")
