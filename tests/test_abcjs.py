"""Tests for explorer.abcjs: offline abcjs sheet music and playback."""

from __future__ import annotations

import json
import re

import pytest

from explorer import abcjs
from explorer.abcjs import abc_html

TUNE = "X:1\nT:Test\nM:4/4\nL:1/8\nK:D\nDEFG ABcd|e2d2 c2B2|]\n"
TUNE_NOTES = 12
EVIL = 'X:1\nT:</script><script>window.pwned=1</script>\nK:C\nCDEF|]\n'
URL = re.compile(r"https?://[^\s\"'`)<>]+")
# URLs in the vendored abcjs build that are never fetched: XML namespaces, the
# banner, and the default soundfont locations that soundFontUrl overrides.
KNOWN_INERT = {
    "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink",
    "http://www.w3.org/2000/xmlns/", "https://abcjs.net",
    "https://paulrosen.github.io/midi-js-soundfonts/FluidR3_GM/",
    "https://paulrosen.github.io/midi-js-soundfonts/MusyngKite/",
    "https://paulrosen.github.io/midi-js-soundfonts/abcjs/",
}


def embedded_abc(html: str) -> str:
    """The ABC string as the page's script sees it."""
    match = re.search(r"const ABC = (.*?), ID = ", html)
    assert match, "ABC constant not found"
    return json.loads(match.group(1))


def test_html_inlines_vendored_script_and_soundfont():
    html = abc_html(TUNE)
    script = (abcjs.STATIC / "abcjs-basic-min.js").read_text(encoding="utf-8")
    assert f"<script>{script}</script>" in html
    assert "window.ABCJS_OFFLINE_SOUNDFONT = " in html
    assert "Content-Security-Policy" in html
    assert "<script src" not in html and "<link" not in html


def test_no_remote_url_is_fetched():
    html = abc_html(TUNE)
    script = (abcjs.STATIC / "abcjs-basic-min.js").read_text(encoding="utf-8")
    assert URL.findall(html.replace(script, "")) == []
    assert set(URL.findall(script)) <= KNOWN_INERT
    assert json.dumps(abcjs.SOUNDFONT_PREFIX) in html  # soundFontUrl override


def test_abc_is_json_escaped():
    html = abc_html(EVIL)
    assert "</script><script>window.pwned" not in html
    assert html.count("</script>") == abc_html(TUNE).count("</script>")
    assert embedded_abc(html) == EVIL


def test_element_id_must_be_plain():
    assert 'id="score"' in abc_html(TUNE, element_id="score")
    with pytest.raises(ValueError):
        abc_html(TUNE, element_id='x"><script>alert(1)</script>')


def test_without_playback_there_is_no_soundfont():
    html = abc_html(TUNE, playback=False)
    assert "window.ABCJS_OFFLINE_SOUNDFONT = " not in html
    assert "PLAYBACK = false" in html


def test_soundfont_covers_folk_range():
    soundfont = json.loads((abcjs.STATIC / "soundfont_piano.json").read_text())
    assert soundfont["low"] <= 55 and soundfont["high"] >= 84  # G, .. c''
    assert len(soundfont["notes"]) == soundfont["high"] - soundfont["low"] + 1
    assert {"G3", "Db4", "C6"} <= set(soundfont["notes"])


def test_render_abc_in_streamlit():
    from streamlit.testing.v1 import AppTest

    def app():
        from explorer.abcjs import render_abc

        render_abc("X:1\nK:G\nGABc|]\n", height=200, key="tune")

    at = AppTest.from_function(app).run(timeout=30)
    assert not at.exception


def test_the_engraved_tune_leaves_out_its_provenance_notes():
    from folkrnn.compose.provenance import Provenance
    from folkrnn.compose.sampling import SamplingSettings
    from tests.factories import random_weights

    tokens = "M:4/4 K:Cmaj |: c 2 G E | C D E F :|".split()
    abc = Provenance.of(random_weights(hidden=4, seed=1), SamplingSettings(1, (), 1.0, 7, 40), 1).abc(tokens)
    shown = abc.split("\n")
    assert any(line.startswith("N:") for line in shown)
    assert abcjs.engraved(abc).split("\n") == [line for line in shown if not line.startswith("N:")]
    assert abcjs.engraved(abc).startswith("X:1\nT:folkrnn tune, seed 7 #1\n")
