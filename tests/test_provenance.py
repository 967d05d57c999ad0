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
from folkrnn.compose.provenance import Provenance, midi_zip, provenances
from folkrnn.compose.sampling import CHUNK, SamplingSettings, Tune
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
    tunes = [Tune(TUNE, True), Tune(TUNE[:6], False)]
    origins = provenances(weights, dataclasses.replace(SETTINGS, n=2), chunk=CHUNK)
    data = midi_zip(tunes, origins)
    assert data == midi_zip(tunes, origins)  # the same bytes every time
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["folkrnn_seed1234_tune1.mid", "folkrnn_seed1234_tune2.mid"]
        for tune, origin in zip(tunes, origins):
            assert archive.read(origin.file_name("mid")) == origin.midi(tune.tokens)


def test_the_version_is_the_packages():
    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "folkrnn.__version__"}
