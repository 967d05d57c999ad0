"""Eight real browser sessions on one server change direction and scale at the same time; each
sees the numbers for its own settings, and a ninth session afterwards sees the unperturbed ones.

This test found that st.Page objects shared between sessions race (explorer/navigation.py)."""

from __future__ import annotations

import numpy as np
import pytest

from folkrnn import load_model
from folkrnn.analysis.perturbation import entropy, perturbed_distribution
from folkrnn.analysis.svd import softmax_svd
from tests.browser.conftest import PAGE_TIMEOUT_MS, app_exceptions, open_app, wait_for_app
from tests.browser.test_app_pages import metric

pytestmark = pytest.mark.browser

SESSIONS = 8


def expected(svd, i: int, a: float) -> tuple[str, str]:
    """(most likely token, perturbed entropy as the page prints it) for softmax(v + a s_i u_i)."""
    p = perturbed_distribution(svd, {i: a})
    return svd.vocabulary.tokens[int(np.argmax(p))], f"{entropy(p):.3f} nats"


def check_numbers(page, svd, i: int, a: float) -> None:
    """The page shows the most likely token and entropy of softmax(v + a s_i u_i), no exception."""
    from playwright.sync_api import expect

    top, h = expected(svd, i, a)
    state = f"{page.url}: headings {page.locator('h1').all_inner_texts()}, " \
            f"dialogs {page.get_by_role('dialog').all_inner_texts()}, exceptions {app_exceptions(page)}"
    try:
        expect(metric(page, "Most likely token")).to_have_text(top, timeout=PAGE_TIMEOUT_MS)
        expect(metric(page, "Entropy perturbed")).to_have_text(h, timeout=PAGE_TIMEOUT_MS)
    except AssertionError as exc:
        raise AssertionError(f"session at {state}") from exc
    assert app_exceptions(page) == []


def test_eight_sessions_change_settings_at_once(browser, streamlit_server):
    svd = softmax_svd(load_model())
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(SESSIONS)]
    try:
        pages = []
        for n, context in enumerate(contexts):
            context.set_default_timeout(PAGE_TIMEOUT_MS)
            page = context.new_page()
            open_app(page, f"{streamlit_server}/perturb?i={n + 1}")
            pages.append(page)
        for page in pages:  # every session asks for a rerun before any of them is awaited
            page.get_by_role("button", name="a = −1").click(no_wait_after=True)
        for n, page in enumerate(pages):
            wait_for_app(page)
            check_numbers(page, svd, n + 1, -1.0)
        fresh = contexts[0].browser.new_context()
        try:
            page = fresh.new_page()
            open_app(page, f"{streamlit_server}/perturb?i=1")
            check_numbers(page, svd, 1, 1.0)
        finally:
            fresh.close()
    finally:
        for context in contexts:
            context.close()
