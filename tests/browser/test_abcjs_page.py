"""abcjs in headless Chromium with the network blocked: the tune is drawn and plays from the inlined soundfont;
a span of a tune's tokens is marked on the sheet."""

import pytest

from explorer.abcjs import abc_html
from folkrnn.examples import PART5_TUNE
from folkrnn.music.abc import abc_with_span
from tests.test_abcjs import EVIL, TUNE, TUNE_NOTES


@pytest.mark.browser
def test_browser_renders_and_plays_offline(page):
    requests, errors = [], []

    def block(route):
        url = route.request.url
        requests.append(url)
        if url.startswith(("data:", "about:")):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", block)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))

    page.set_content(abc_html(TUNE), wait_until="load")
    page.wait_for_selector("body[data-rendered] svg .abcjs-note")
    assert page.locator("#paper svg .abcjs-note").count() == TUNE_NOTES
    for control in ("start", "progress-background", "reset", "loop"):
        assert page.locator(f"#paper-audio .abcjs-midi-{control}").count() == 1
    page.wait_for_selector("#paper-audio[data-state=idle]")

    # Play: abcjs's synth loads every note (from the inlined soundfont),
    # primes its buffer and starts; no network request is made.
    page.click("#paper-audio .abcjs-midi-start")
    page.wait_for_selector(
        "#paper-audio[data-state=playing], #paper-audio[data-state=ready]",
        timeout=30_000,
    )
    served = int(page.get_attribute("#paper-audio", "data-samples"))
    assert served == 9  # one sample per distinct pitch: D E F# G A B c# d e
    page.click("#paper-audio .abcjs-midi-start")  # pause

    # A hostile title is shown as text and runs no script.
    page.set_content(abc_html(EVIL, playback=False), wait_until="load")
    page.wait_for_selector("body[data-rendered]")
    assert page.evaluate("window.pwned") is None
    assert "</script>" in page.locator("#paper svg").text_content()

    assert requests == []
    assert errors == []


@pytest.mark.browser
@pytest.mark.parametrize(("start", "end", "notes", "bars"), [(4, 10, 5, 0), (3, 4, 0, 1), (0, 2, 0, 0)])
def test_a_span_of_tokens_is_marked_on_the_sheet(page, start, end, notes, bars):
    """Tokens 4-9 of the part-5 tune are five notes (G,CC2 G,C); token 3 is a bar line; 0-1 the header."""
    abc, span = abc_with_span(list(PART5_TUNE), start, end)
    page.set_content(abc_html(abc, playback=False, mark=span), wait_until="load")
    page.wait_for_selector("body[data-rendered] svg .abcjs-note")
    assert page.locator(".abcjs-marked.abcjs-note").count() == notes
    assert page.locator(".abcjs-marked.abcjs-bar").count() == bars
    assert page.locator(".abcjs-marked").count() == notes + bars
