"""Eight browser sessions on one server change directions and scales at once; each sees its own numbers."""

import numpy as np
import pytest

from folkrnn import load_model, softmax_svd
from folkrnn.perturbation import perturbed_distribution
from tests.browser.test_app_pages import metric
from tests.browser.conftest import wait_for_app

pytestmark = pytest.mark.browser
SESSIONS = 8


def test_eight_sessions_at_once(browser, streamlit_server):
    from playwright.sync_api import expect

    svd = softmax_svd(load_model())
    tokens = svd.vocabulary.tokens

    def top(i, a):
        return tokens[int(np.argmax(perturbed_distribution(svd, {i: a})))]

    contexts = [browser.new_context() for _ in range(SESSIONS)]
    pages = [c.new_page() for c in contexts]
    try:
        # every session asks at once: navigation returns as soon as the request is sent
        for k, page in enumerate(pages):
            page.goto(f"{streamlit_server}/perturb?i={k + 1}&a=0.5", wait_until="commit")
        for k, page in enumerate(pages):
            wait_for_app(page)
            expect(metric(page, "Most likely token")).to_have_text(top(k + 1, 0.5))
            # Streamlit 1.67 can show a spurious "Page not found" dialog over the right page when
            # several sessions open a deep link at the same moment; close it as a user would.
            if page.get_by_role("dialog").count():
                page.keyboard.press("Escape")
        # then all of them press a quick-scale button before any result is read
        for k, page in enumerate(pages):
            page.bring_to_front()
            page.get_by_role("button", name="a = −1" if k % 2 else "a = +1").click(no_wait_after=True)
        for k, page in enumerate(pages):
            wait_for_app(page)
            expect(metric(page, "Most likely token")).to_have_text(top(k + 1, -1.0 if k % 2 else 1.0))
    finally:
        for c in contexts:
            c.close()
