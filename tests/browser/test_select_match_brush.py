"""Select and match in a real browser: dragging along the heatmap selects the span, into the URL."""

from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.conftest import app_exceptions, open_app, screenshot, wait_for_app

pytestmark = pytest.mark.browser


def test_dragging_along_the_heatmap_selects_a_span(page, streamlit_server):
    open_app(page, f"{streamlit_server}/match")  # the part-5 tune's bar line at token 12, searched
    screenshot(page, "select_match")
    chart = page.locator(".vega-embed").first
    chart.scroll_into_view_if_needed()
    box = chart.locator("canvas, svg").first.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.3, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.45, y, steps=8)
    page.mouse.up()
    wait_for_app(page)
    query = parse_qs(urlparse(page.url).query)
    start, end = int(query["start"][0]), int(query["end"][0])
    assert start > 12 and end - start >= 5, page.url  # a span of many tokens, further along than the default
    caption = page.get_by_text("Span: tokens").inner_text()
    assert caption.startswith(f"Span: tokens {start}–{end - 1}")
    assert app_exceptions(page) == []
