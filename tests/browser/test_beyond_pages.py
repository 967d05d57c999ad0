"""The "beyond the blog" pages in headless Chromium, kept small (few, short tunes) through their URLs."""

import re

import pytest

from tests.browser.conftest import app_exceptions, open_app, screenshot, wait_for_app
from tests.browser.test_app_pages import metric

pytestmark = pytest.mark.browser


def test_compose_renders_sheet_music_and_links_to_directions(page, streamlit_server):
    from playwright.sync_api import expect

    open_app(page, f"{streamlit_server}/compose?meter=M:6/8&mode=K:Cdor&n=2&length=200&seed=3", timeout_ms=120_000)
    expect(page.get_by_role("heading", name="Tune 2")).to_be_visible()
    frame = page.frame_locator("iframe").first
    expect(frame.locator("svg .abcjs-note").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("M:6/8 K:Cdor").first).to_be_visible()
    screenshot(page, "compose")
    link = page.get_by_test_id("stMain").get_by_role("link", name="Directions in use").first
    link.click()
    wait_for_app(page, timeout_ms=120_000)
    expect(page).to_have_url(re.compile(r"in-use\?.*tokens=M%3A6%2F8\+K%3ACdor"))  # Type, the default, leaves the URL
    expect(page.get_by_role("heading", name="Directions in use")).to_be_visible()
    expect(page.get_by_role("textbox", name="Tune in folk-rnn v2 tokens")).to_have_value(re.compile(r"^M:6/8 K:Cdor "))
    assert app_exceptions(page) == []


def test_directions_in_use_decomposes_a_typed_tune(page, streamlit_server):
    from playwright.sync_api import expect

    open_app(page, f"{streamlit_server}/in-use?source=Type&n=5&survey_length=60&step=3", timeout_ms=180_000)
    expect(page.get_by_text("The terms add up to the network's own logit")).to_be_visible()
    assert metric(page, "Step").inner_text().strip() == "3"
    expect(page.get_by_text("Over 5 tunes")).to_be_visible()
    screenshot(page, "directions_in_use")
    page.get_by_text("Type", exact=True).click()  # already selected: a no-op rerun keeps the page sound
    wait_for_app(page)
    assert app_exceptions(page) == []


def test_unknown_token_is_named(page, streamlit_server):
    from playwright.sync_api import expect

    open_app(page, f"{streamlit_server}/in-use?source=Type&tokens=M:4/4+K:Cmaj+H+c&n=5&survey_length=40",
             timeout_ms=180_000)
    expect(page.get_by_test_id("stAlert").filter(has_text="not in this model's vocabulary")).to_contain_text("H")
    assert app_exceptions(page) == []


def test_fewer_directions(page, streamlit_server):
    from playwright.sync_api import expect

    open_app(page, f"{streamlit_server}/fewer?k=30&n=2&length=60&ks=5&ks=30", timeout_ms=180_000)
    expect(page.locator(".vega-embed").first).to_be_visible()
    screenshot(page, "fewer_directions")
    assert app_exceptions(page) == []


def test_compare_the_model_with_itself(page, streamlit_server):
    from playwright.sync_api import expect

    open_app(page, f"{streamlit_server}/compare?other=Replica&k=5", timeout_ms=120_000)
    expect(page.locator(".vega-embed").first).to_be_visible()
    expect(page.get_by_text("every angle is 0°")).to_be_visible()
    assert metric(page, "Angles under 10°").inner_text().strip() == "5 of 5"
    screenshot(page, "compare")
    assert app_exceptions(page) == []
