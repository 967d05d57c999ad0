"""The real app in headless Chromium: every page opens, a widget moves, the page shows the package's numbers.

With FOLKRNN_SCREENSHOTS=DIR set, each test also saves a screenshot of its page there (the README's
screenshots are made this way: ``FOLKRNN_SCREENSHOTS=docs/screenshots pytest tests/browser``).
"""

import re
from pathlib import Path

import numpy as np
import pytest

from folkrnn import load_model, softmax_svd
from folkrnn.analysis.perturbation import perturbed_distribution
from tests.browser.conftest import app_exceptions, open_app, screenshot, wait_for_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def svd():
    return softmax_svd(load_model())


def metric(page, label: str):
    """The value element of the metric whose label is exactly ``label``."""
    label_element = page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    return page.get_by_test_id("stMetric").filter(has=label_element).get_by_test_id("stMetricValue")


def metric_value(page, label: str) -> str:
    return metric(page, label).inner_text().strip()


def test_home(page, streamlit_server):
    from playwright.sync_api import expect

    open_app(page, streamlit_server)
    expect(page.get_by_role("heading", name="Inside folk-rnn v2's softmax layer")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_text("Replica", exact=True)).to_be_visible()
    assert metric_value(page, "Vocabulary") == "137 tokens"
    screenshot(page, "home")
    assert app_exceptions(page) == []


def test_spectrum_log_toggle_goes_into_the_url(page, streamlit_server, svd):
    from playwright.sync_api import expect

    open_app(page, f"{streamlit_server}/spectrum")
    assert metric_value(page, "s₁") == f"{svd.s[0]:.2f}"
    expect(page.locator(".vega-embed").first).to_be_visible()
    page.get_by_text("Log scale").click()
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"log=true"))
    screenshot(page, "spectrum")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download singular_values.csv").click()
    rows = Path(download.value.path()).read_text().splitlines()
    assert rows[0] == "direction,singular_value,cumulative_energy"
    assert len(rows) == 1 + svd.rank
    assert float(rows[1].split(",")[1]) == pytest.approx(svd.s[0], rel=1e-9)
    assert app_exceptions(page) == []


def test_faithful_model_from_the_sidebar_shows_how_its_spectrum_grew(page, streamlit_server):
    from playwright.sync_api import expect

    faithful = load_model("faithful")
    history = faithful.metadata["training"]["spectrum_history"]
    open_app(page, f"{streamlit_server}/spectrum")
    expect(page.get_by_text("holds no per-epoch spectrum")).to_be_visible()  # the replica has none
    page.get_by_test_id("stSidebar").get_by_text("Faithful", exact=True).click()
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"model=Faithful"))
    assert metric_value(page, "s₁") == f"{softmax_svd(faithful).s[0]:.2f}"
    expect(page.get_by_text("holds no per-epoch spectrum")).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download spectrum_history.csv").click()
    rows = Path(download.value.path()).read_text().splitlines()
    assert len(rows) == 1 + 3 * len(history)
    screenshot(page, "spectrum_faithful")
    assert app_exceptions(page) == []


def test_right_vectors(page, streamlit_server):
    from playwright.sync_api import expect

    open_app(page, f"{streamlit_server}/right?w=1&w=2")
    expect(page.locator(".vega-embed")).to_have_count(2)
    page.get_by_text("Sort each vector's entries").click()
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"sorted=true"))
    screenshot(page, "right_vectors")
    assert app_exceptions(page) == []


def test_left_vectors_from_a_link(page, streamlit_server, svd):
    from playwright.sync_api import expect

    open_app(page, f"{streamlit_server}/left?i=3")
    expect(page.get_by_text(f"s_3 = {svd.s[2]:.3f}")).to_be_visible()
    page.get_by_text("Order by value").click()
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"i=3.*by_value=true|by_value=true.*i=3"))
    screenshot(page, "left_vectors")
    assert app_exceptions(page) == []


def test_perturbation_quick_scale_changes_the_top_token(page, streamlit_server, svd):
    from playwright.sync_api import expect

    tokens = svd.vocabulary.tokens
    open_app(page, f"{streamlit_server}/perturb?i=3")
    top_plus = tokens[int(np.argmax(perturbed_distribution(svd, {3: 1.0})))]
    assert metric_value(page, "Most likely token") == top_plus
    page.get_by_role("button", name="a = −1").click()
    wait_for_app(page)
    top_minus = tokens[int(np.argmax(perturbed_distribution(svd, {3: -1.0})))]
    expect(metric(page, "Most likely token")).to_have_text(top_minus)
    expect(page).to_have_url(re.compile(r"a=-1"))
    screenshot(page, "perturbation")
    assert app_exceptions(page) == []


def test_bias_page(page, streamlit_server):
    from playwright.sync_api import expect

    open_app(page, f"{streamlit_server}/bias")
    expect(page.locator(".vega-embed")).to_have_count(3)
    expect(page.get_by_text("How a logit change moves a probability")).to_be_visible()
    screenshot(page, "bias")
    assert app_exceptions(page) == []


def test_upload_a_model_then_a_hostile_file(page, streamlit_server, tmp_path):
    from playwright.sync_api import expect

    from tests.hostile_files import call, dumps
    from tests.py2pickle import folkrnn_pickle

    good = tmp_path / "small_folkrnn.pkl"
    good.write_bytes(folkrnn_pickle(load_model().vocabulary.tokens, hidden=16, rng=3))
    marker = tmp_path / "PWNED"
    hostile = tmp_path / "hostile.pkl"
    hostile.write_bytes(dumps(call("os", "system", f"touch {marker}"), 2))

    open_app(page, streamlit_server)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Upload", exact=True).click()
    wait_for_app(page)
    sidebar.locator("input[type=file]").set_input_files(str(good))
    wait_for_app(page)
    expect(sidebar.get_by_text("3 × 16 LSTM")).to_be_visible()
    assert metric_value(page, "LSTM") == "3 × 16"

    sidebar.locator("input[type=file]").set_input_files(str(hostile))
    wait_for_app(page)
    expect(sidebar.get_by_test_id("stAlert")).to_contain_text("refused to load global")
    expect(sidebar.get_by_text("3 × 16 LSTM")).to_be_visible()  # the previous model stays
    assert not marker.exists()
    screenshot(page, "upload_refused")
    assert app_exceptions(page) == []
