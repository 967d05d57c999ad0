"""The "Experiments" pages in headless Chromium, kept small through their URLs: each draws its charts
and sheet music, keeps its settings in the URL and shows no exception; the tunes' files say how the
network was changed or how the tune was searched for."""

import re

import pytest

from tests.browser.conftest import app_exceptions, download, open_app, screenshot, wait_for_app

pytestmark = pytest.mark.browser


def charts_drawn(page, n: int) -> None:
    from playwright.sync_api import expect

    expect(page.locator(".vega-embed canvas, .vega-embed svg").nth(n - 1)).to_be_visible(timeout=120_000)


def test_ablate_removes_a_direction(page, streamlit_server):
    from playwright.sync_api import expect

    open_app(page, f"{streamlit_server}/ablate?n=4&length=120&remove=1&zero3=0-19", timeout_ms=180_000)
    charts_drawn(page, 2)
    expect(page.frame_locator("iframe").first.locator("svg .abcjs-note").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Tune 1 with the change")).to_be_visible()
    screenshot(page, "ablate")
    assert app_exceptions(page) == []
    changed, plain = download(page, "With the change (ABC)").decode(), download(page, "Without (ABC)").decode()
    change = "N:changed while composing: units 0-19 of layer 3 zeroed; w_1 removed from h_t"
    assert changed.count(change) == changed.count("\nX:") + 1 == 4 and change not in plain
    assert re.findall(r"^T:.*$", changed, re.M) == [t + ", changed" for t in re.findall(r"^T:.*$", plain, re.M)]


def test_periodic_units(page, streamlit_server):
    open_app(page, f"{streamlit_server}/periodic?n=3&k=10", timeout_ms=180_000)
    charts_drawn(page, 2)
    screenshot(page, "periodic_units")
    assert app_exceptions(page) == []


def test_forcing_the_input(page, streamlit_server):
    from playwright.sync_api import expect

    open_app(page, f"{streamlit_server}/forcing?n=2&beta=0.5", timeout_ms=180_000)
    charts_drawn(page, 1)
    expect(page.get_by_text("Tune 1 forced")).to_be_visible()
    screenshot(page, "forcing")
    assert app_exceptions(page) == []


def test_copying_with_an_uploaded_reference(page, streamlit_server, tmp_path):
    from playwright.sync_api import expect

    from folkrnn.examples import PART5_TUNE

    reference = tmp_path / "reference.txt"
    reference.write_text(f"M:4/4\nK:Cmaj\n{' '.join(PART5_TUNE[2:60])}\n\nM:6/8\nK:Cdor\nG E C E 2 G | c 3 B A G |\n")
    open_app(page, f"{streamlit_server}/copying?source=Type&population_n=5", timeout_ms=180_000)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(reference))
    wait_for_app(page, timeout_ms=180_000)
    expect(page.get_by_text("Longest shared run", exact=True)).to_be_visible()
    assert page.get_by_test_id("stMetricValue").nth(1).inner_text().strip() == "58 tokens"
    charts_drawn(page, 1)
    screenshot(page, "copying")
    assert app_exceptions(page) == []


def test_search_vs_sampling(page, streamlit_server):
    from playwright.sync_api import expect

    open_app(page, f"{streamlit_server}/search?length=60&keep=0.1", timeout_ms=180_000)
    charts_drawn(page, 1)
    expect(page.get_by_text("beam search: NLL per token")).to_be_visible()
    expect(page).to_have_url(re.compile(r"keep=0.1"))
    screenshot(page, "search")
    assert app_exceptions(page) == []
    greedy, beam = download(page, "ABC", 1).decode(), download(page, "ABC", 2).decode()
    assert "T:folkrnn tune, greedy" in greedy and "T:folkrnn tune, beam search" in beam
    assert "N:opening (none), block 2 tokens, the likeliest 0.1 of the vocabulary per depth, joint-probability " \
           "floor 0.0001" in beam and "N:at most 256 candidates per depth and 60 tokens" in beam
