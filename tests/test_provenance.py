"""Tests for folkrnn.compose.provenance: what every composed file says about where it came from."""

import dataclasses
import io
import tomllib
import zipfile
from pathlib import Path

import mido
import pytest

import folkrnn
from folkrnn import load_model
from folkrnn.analysis.search import beam_search
from folkrnn.compose.interventions import Intervention
from folkrnn.compose.provenance import Provenance, SearchProvenance, abc_file, midi_zip, provenances
from folkrnn.compose.sampling import CHUNK, SamplingSettings
from folkrnn.music.abc import to_abc

SETTINGS = SamplingSettings(4, ("M:6/8", "K:Cdor"), 0.9, seed=1234, max_length=300)
TUNE = "M:6/8 K:Cdor |: G 3 A B c | d 2 c B 2 A :|".split()


@pytest.fixture(scope="module")
def weights():
    return load_model()


def test_built_from_the_model_and_the_settings(weights):
    origin = Provenance.of(weights, SETTINGS, 3, chunk=CHUNK)
    assert (origin.model, origin.model_sha256) == (weights.name, weights.content_hash)
    assert (origin.opening, origin.temperature, origin.seed, origin.index, origin.tunes, origin.max_length) == \
           (("M:6/8", "K:Cdor"), 0.9, 1234, 3, 4, 300)
    assert (origin.chunk, origin.precision, origin.software) == (CHUNK, "float32", f"folkrnn-explorer {folkrnn.__version__}")
    assert provenances(weights, SETTINGS)[2] == dataclasses.replace(origin, chunk=None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        origin.seed = 1


def test_title_notes_and_file_name(weights):
    origin = Provenance.of(weights, SETTINGS, 3)
    assert origin.title == "folkrnn tune, seed 1234 #3"
    assert origin.file_name("mid") == "folkrnn_seed1234_tune3.mid"
    notes = "\n".join(origin.notes())
    for text in (f"sampled by folkrnn-explorer {folkrnn.__version__}", weights.name, weights.content_hash,
                 "opening M:6/8 K:Cdor", "temperature 0.9", "seed 1234", "tune 3 of 4", "sample_tunes", "float32",
                 "at most 300 tokens"):
        assert text in notes
    assert "chunks of 10 (folkrnn.compose.sampling.sample_in_chunks)" in "".join(Provenance.of(weights, SETTINGS, 3, 10).notes())
    unseeded = Provenance.of(weights, SamplingSettings(), 1)
    assert (unseeded.title, unseeded.file_name("abc")) == ("folkrnn tune, no seed #1", "folkrnn_noseed_tune1.abc")
    assert "opening (none)" in unseeded.notes()[2]


def test_a_changed_network_is_named_in_title_file_and_notes(weights):
    change = Intervention(zero_units={3: (0, 17, *range(40, 60))}, remove=(2, 1), add={3: 2.0}).describe()
    assert change == "units 0,17,40-59 of layer 3 zeroed; w_1, w_2 removed from h_t; 2 w_3 added to h_t"
    origin = provenances(weights, SETTINGS, change=change)[2]
    assert origin == dataclasses.replace(Provenance.of(weights, SETTINGS, 3), change=change)
    assert (origin.title, origin.file_name("abc")) == ("folkrnn tune, seed 1234 #3, changed",
                                                       "folkrnn_seed1234_tune3_changed.abc")
    assert origin.notes() == [*Provenance.of(weights, SETTINGS, 3).notes(), f"changed while composing: {change}"]


def test_a_forced_input_names_its_share_seed_tokens_and_start():
    forced = Intervention(force=0.3, force_tokens=("C", "D"), force_seed=7)
    assert forced.describe() == "input forced after <s> and the opening: beta 0.3 of a random token (seed 7) of C D"
    assert "after 4 inputs" in Intervention(force=0.5, force_tokens=("C",), force_after=4).describe()
    assert Intervention().describe() == "nothing changed"


def test_a_searched_tune_names_the_search_and_is_found_again_from_it(weights):
    opening = ["M:4/4", "K:Cmaj"]
    found = beam_search(weights, opening, 2, 0.05, 1e-4, 12, 16)
    origin = SearchProvenance.of(weights, opening, 2, 0.05, 1e-4, 12, 16)
    again = beam_search(weights, origin.opening, origin.block, origin.keep, origin.floor, origin.max_length,
                        origin.max_candidates)
    assert again.tokens == found.tokens and len(found.tokens) == 12
    assert (origin.title, origin.file_name("mid")) == ("folkrnn tune, beam search",
                                                      "folkrnn_beam_block2_keep0.05_floor0.0001.mid")
    notes = "\n".join(origin.notes())
    for text in (f"found by folkrnn-explorer {folkrnn.__version__}, beam search", weights.content_hash,
                 "opening M:4/4 K:Cmaj", "block 2 tokens", "likeliest 0.05 of the vocabulary", "floor 0.0001",
                 "at most 16 candidates per depth and 12 tokens"):
        assert text in notes
    assert "time limit" not in notes
    assert origin.abc(found.tokens).startswith("X:1\nT:folkrnn tune, beam search\nN:found by ")
    greedy = SearchProvenance.of(weights, [], 1, 1.0, 0.0, 24, 64, stopped_after_s=20.0)
    assert (greedy.title, greedy.file_name("abc")) == ("folkrnn tune, greedy", "folkrnn_greedy.abc")
    assert greedy.notes()[-1] == "stopped at its time limit of 20 s: a faster machine finds more"


def test_abc_heads_the_tune_with_its_provenance(weights):
    origin = Provenance.of(weights, SETTINGS, 3)
    abc = origin.abc(TUNE)
    head = "X:3\nT:folkrnn tune, seed 1234 #3\n" + "".join(f"N:{note}\n" for note in origin.notes())
    assert abc == head + to_abc(TUNE).removeprefix("X:1\n")


def test_midi_carries_the_provenance(weights):
    origin = Provenance.of(weights, SETTINGS, 2)
    track = mido.MidiFile(file=io.BytesIO(origin.midi(TUNE)), charset="utf-8").tracks[0]
    assert [m.name for m in track if m.type == "track_name"] == [origin.title]
    assert [m.text for m in track if m.type == "text"] == origin.notes()


def test_midi_zip_holds_each_tunes_own_file(weights):
    tunes = [TUNE, TUNE[:6]]
    origins = provenances(weights, dataclasses.replace(SETTINGS, n=2), chunk=CHUNK)
    data = midi_zip(tunes, origins)
    assert data == midi_zip(tunes, origins)  # the same bytes every time
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["folkrnn_seed1234_tune1.mid", "folkrnn_seed1234_tune2.mid"]
        for tokens, origin in zip(tunes, origins):
            assert archive.read(origin.file_name("mid")) == origin.midi(tokens)


def test_an_abc_file_holds_each_tune_headed_by_its_own_provenance(weights):
    origins = provenances(weights, dataclasses.replace(SETTINGS, n=2), change="w_1 removed from h_t")
    text = abc_file([TUNE, TUNE[:6]], origins)
    assert text == origins[0].abc(TUNE) + "\n" + origins[1].abc(TUNE[:6])
    assert text.count("N:changed while composing: w_1 removed from h_t") == 2


def test_the_version_is_the_packages():
    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "folkrnn.__version__"}
