"""Tests for folkrnn.music.midi: Standard MIDI Files of v2 tunes, read back with mido's reader."""

import io

import mido
import pytest

from folkrnn import load_model
from folkrnn.compose.sampling import SamplingSettings, sample_tunes
from folkrnn.examples import PART5_TUNE
from folkrnn.music.midi import TICKS, key_fifths, tune_midi
from folkrnn.music.wellformed import bars
from folkrnn.vocab import token_category


def read(tokens, **kwargs) -> mido.MidiFile:
    data = tune_midi(tokens.split() if isinstance(tokens, str) else tokens, **kwargs)
    assert data[:4] == b"MThd" and data[14:18] == b"MTrk"  # one header chunk, then the track
    return mido.MidiFile(file=io.BytesIO(data), charset="utf-8")


def timed(tokens) -> list[tuple[int, int, int]]:
    """(MIDI note, start, length), in ticks, of every note in the order they start."""
    now, started, notes = 0, {}, []
    for message in read(tokens).tracks[0]:
        now += message.time
        if message.type == "note_on":
            started.setdefault(message.note, []).append(len(notes))
            notes.append([message.note, now, now])
        elif message.type == "note_off":
            note = notes[started[message.note].pop(0)]
            note[2] = now - note[1]
    return [tuple(note) for note in notes]


def played(tokens) -> list[tuple[int, int]]:
    """(MIDI note, length in ticks) of every note, in the order they start."""
    return [(note, length) for note, _, length in timed(tokens)]


def pitches(tokens) -> list[int]:
    return [note for note, _, _ in timed(tokens)]


def test_pitches_and_lengths_of_a_known_tune():
    eighth = TICKS // 2
    assert played("M:4/4 K:Cmaj |: c 2 G E | C D E F | G A B c :|") == [
        (72, 2 * eighth), (67, eighth), (64, eighth), (60, eighth), (62, eighth), (64, eighth), (65, eighth),
        (67, eighth), (69, eighth), (71, eighth), (72, eighth)]


def test_octave_marks():
    assert pitches("M:4/4 K:Cmaj C, G, C c c' d'") == [48, 55, 60, 72, 84, 86]


@pytest.mark.parametrize("mode, tune, expected", [
    ("K:Gmaj", "F f F, G", [66, 78, 54, 67]),  # F is F sharp in every octave
    ("K:Cdor", "B E A b", [70, 63, 69, 82]),  # B flat and E flat
    ("K:Cmix", "B E", [70, 64]),
    ("K:Cmin", "B E A D", [70, 63, 68, 62]),
    ("K:Cmaj", "F B", [65, 71]),
])
def test_the_key_signature_applies(mode, tune, expected):
    assert pitches(f"M:4/4 {mode} {tune}") == expected


def test_accidentals_hold_for_their_pitch_and_octave_until_the_bar_line():
    assert pitches("M:4/4 K:Gmaj =F F f ^f _B B | F B") == [65, 65, 78, 78, 70, 70, 66, 71]
    assert pitches("M:4/4 K:Cmaj ^F f F | F") == [66, 77, 66, 65]


def test_mode_token_reading():
    assert [key_fifths(m) for m in ("K:Cmaj", "K:Gmaj", "K:Cdor", "K:Cmin", "K:Cmix", "K:Ebmaj", "K:F#min", None)] == \
           [0, 1, -2, -3, -1, -3, 3, 0]


def test_rhythms_chords_and_rests():
    eighth = TICKS // 2
    assert played("M:4/4 K:Cmaj (3 A B c A > B [ C E ] 2 z 2 c /2") == [
        (69, 160), (71, 160), (72, 160), (69, 360), (71, 120), (60, 480), (64, 480), (72, eighth // 2)]
    assert [start for _, start, _ in timed("M:4/4 K:Cmaj c z 2 c")] == [0, 3 * eighth]  # the rest takes two eighths


def test_header_events():
    midi = read("M:6/8 K:Cdor G 3 |", title="folkrnn tune, seed 1 #1", notes=["sampled here", "modèle ü"])
    assert (midi.type, midi.ticks_per_beat, len(midi.tracks)) == (0, TICKS, 1)
    meta = {m.type: m for m in midi.tracks[0] if m.is_meta}
    assert meta["track_name"].name == "folkrnn tune, seed 1 #1"
    assert [m.text for m in midi.tracks[0] if m.type == "text"] == ["sampled here", "modèle ü"]
    assert mido.tempo2bpm(meta["set_tempo"].tempo) == 120
    assert (meta["time_signature"].numerator, meta["time_signature"].denominator) == (6, 8)
    assert meta["key_signature"].key == "Bb"
    assert midi.length == pytest.approx(3 * 0.25)  # three eighths at 120 quarter notes a minute


def test_a_meter_midi_cannot_write_is_left_out():
    assert "time_signature" not in {m.type for m in read("M:3/5 K:Cmaj C D E").tracks[0]}


def _tunes():
    return [("part 5", list(PART5_TUNE))] + [
        (f"sampled {i}", tune.tokens) for i, tune in
        enumerate(sample_tunes(load_model(), SamplingSettings(6, ("M:6/8",), 1.3, seed=11, max_length=300)))]


@pytest.mark.parametrize("name, tokens", _tunes())
def test_every_note_sounds_once_and_the_tune_lasts_its_bars(name, tokens):
    midi = read(tokens)
    ons = [m for m in midi.tracks[0] if m.type == "note_on"]
    assert len(ons) == sum(token_category(t) == "pitch" for t in tokens), name
    assert len(ons) == sum(m.type == "note_off" for m in midi.tracks[0])
    eighths = sum(bar.duration for bar in bars(tokens))
    end = sum(m.time for m in midi.tracks[0])
    assert abs(end - eighths * TICKS / 2) <= 1  # boundaries are rounded to whole ticks, never drift
