"""The "Inside the LSTM" pages in headless Chromium: each opens on the part-5 tune, draws its charts,
keeps a changed widget in the URL, and its numbers are the package's."""

import re
from pathlib import Path

import pytest

from folkrnn import load_model
from folkrnn.analysis.internals import internals
from folkrnn.analysis.lens import logit_lens
from folkrnn.examples import PART5_TUNE
from tests.browser.conftest import app_exceptions, open_app, screenshot, wait_for_app
from tests.browser.test_app_pages import metric

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def part5():
    weights = load_model()
    return weights, internals(weights, PART5_TUNE)


def charts_drawn(page, n: int) -> None:
    from playwright.sync_api import expect

    expect(page.locator(".vega-embed canvas, .vega-embed svg").nth(n - 1)).to_be_visible(timeout=60_000)


def test_layers_page_and_its_unit_in_the_url(page, streamlit_server):
    from playwright.sync_api import expect

    open_app(page, f"{streamlit_server}/layers")
    expect(page.get_by_role("heading", name="Layers over a tune")).to_be_visible()
    charts_drawn(page, 4)
    expect(page.frame_locator("iframe").first.locator("svg .abcjs-note").first).to_be_visible(timeout=30_000)
    box = page.get_by_label("Unit", exact=True)
    box.fill("7")
    box.press("Enter")
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"unit=7"))
    screenshot(page, "layers")
    assert app_exceptions(page) == []


def test_self_similarity_of_two_tunes(page, streamlit_server):
    from playwright.sync_api import expect

    open_app(page, f"{streamlit_server}/similarity?signal=input&second=true&b_seed=2&b_length=200",
             timeout_ms=120_000)
    expect(page.get_by_role("heading", name="Second tune")).to_be_visible()
    charts_drawn(page, 2)
    screenshot(page, "self_similarity")
    assert app_exceptions(page) == []


def test_logit_lens_step_and_download(page, streamlit_server, part5):
    from playwright.sync_api import expect

    weights, inside = part5
    lens = logit_lens(weights, inside)
    open_app(page, f"{streamlit_server}/lens?step=20")
    charts_drawn(page, 1)
    assert metric(page, "Layer 1: mean KL to the output").inner_text().strip() == f"{lens.kl_to_output[0].mean():.3f}"
    expect(page.get_by_text(f"Step 20 has just read {PART5_TUNE[19]}")).to_be_visible()
    screenshot(page, "logit_lens")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download logit_lens_top.csv").click()
    rows = Path(download.value.path()).read_text().splitlines()
    assert rows[0] == "layer,rank,token,probability" and rows[1].split(",")[2] == lens.top(1, 20, 1)[0][0]
    assert app_exceptions(page) == []


def test_input_layer_gate_in_the_url(page, streamlit_server):
    from playwright.sync_api import expect

    open_app(page, f"{streamlit_server}/input-layer", timeout_ms=120_000)
    charts_drawn(page, 3)
    page.get_by_test_id("stButtonGroup").get_by_text("forget", exact=True).click()
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"gate=forget"))
    expect(page.get_by_role("heading", name="The SVD of the first layer's W_x (forget gate)")).to_be_visible()
    screenshot(page, "input_layer")
    assert app_exceptions(page) == []
