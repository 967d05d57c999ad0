"""Compose in a real browser: the opening primes the tunes, the new-seed button writes its seed into the
URL, and the files a user takes away are what they claim (MIDI parsed back, ABC with its provenance)."""

import io
import re
import zipfile
from urllib.parse import parse_qs, urlparse

import mido
import pytest

from folkrnn import load_model
from folkrnn.compose.sampling import SamplingSettings, sample_in_chunks
from tests.browser.conftest import app_exceptions, download, open_app, screenshot, wait_for_app

pytestmark = pytest.mark.browser
OPENING = {"meter": "M:6/8", "mode": "K:Cmaj", "opening": "|: G 2 c e 2 c"}
SETTINGS = SamplingSettings(2, ("M:6/8", "K:Cmaj", "|:", "G", "2", "c", "e", "2", "c"), 1.0, 5, 120)


@pytest.fixture(scope="module")
def tunes():
    """The tunes the page composes for these settings, drawn by the package itself."""
    return sample_in_chunks(load_model(), SETTINGS)


def _url(base: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {**OPENING, "n": 2, "length": 120, "seed": 5}.items())
    return f"{base}/compose?{query}"


def _notes(tokens) -> int:
    """The tune's notes, counted from its tokens: every pitch token (accidental, letter, octave marks)."""
    return sum(bool(re.fullmatch(r"[_=^]*[A-Ga-g][,']*", token)) for token in tokens)


def test_the_opening_primes_every_tune_and_the_files_carry_it(page, streamlit_server, tunes):
    open_app(page, _url(streamlit_server))
    assert app_exceptions(page) == []
    screenshot(page, "compose_opening")
    assert all(tune.tokens[:len(SETTINGS.prefix)] == list(SETTINGS.prefix) for tune in tunes)

    midi = mido.MidiFile(file=io.BytesIO(download(page, "MIDI", 1)))
    sounded = [m for m in midi.tracks[0] if m.type == "note_on" and m.velocity > 0]
    assert len(sounded) == _notes(tunes[1].tokens)
    assert sounded[0].note == 67  # G, the opening's first note

    abc = download(page, "ABC", 0).decode()
    assert re.search(r"^T:.*seed 5 #1$", abc, re.M)
    notes = "\n".join(line for line in abc.splitlines() if line.startswith("N:"))
    weights = load_model()
    assert weights.content_hash in notes and "folkrnn-explorer" in notes and "|: G 2 c e 2 c" in notes

    archive = zipfile.ZipFile(io.BytesIO(download(page, "All tunes (MIDI)")))
    assert archive.namelist() == ["folkrnn_seed5_tune1.mid", "folkrnn_seed5_tune2.mid"]


def test_new_seed_writes_a_seed_that_composes_the_same_tunes_again(page, streamlit_server):
    open_app(page, _url(streamlit_server))
    page.get_by_role("button", name="New seed").click()
    wait_for_app(page)
    seed = parse_qs(urlparse(page.url).query)["seed"][0]
    assert seed != "5"
    drawn = download(page, "ABC", 0)
    open_app(page, page.url)  # the link, opened again
    assert download(page, "ABC", 0) == drawn and f"seed {seed} #1" in drawn.decode()


def test_an_unknown_opening_token_is_named(page, streamlit_server):
    open_app(page, f"{streamlit_server}/compose?meter=M:4/4&mode=K:Cmaj&opening=%7C:%20H%20c")
    error = page.get_by_test_id("stAlertContentError").inner_text()
    assert "1 token(s) are not in this model's vocabulary: H." in error
    assert app_exceptions(page) == []
