"""Standard MIDI Files of folk-rnn v2 tunes, to listen to or to open in other music software.

A tune is played as written: each note once, in token order, with repeats not expanded (sampled
tunes often hold a ``:|`` or ``|2`` with nothing to pair it with, and the abcjs player on the page
plays repeats anyway), so the file follows the tokens the model wrote. Lengths come from the bar
reader of :mod:`folkrnn.music.wellformed` (unit ``L:1/8``, tuplets, broken rhythms, a chord as long as
its first note); every note of a chord lasts the chord. Pitches follow ABC: ``C`` is middle C (MIDI
60), ``c`` the octave above, ``,`` and ``'`` move an octave; the opening ``K:`` token's key signature
applies (``K:Cdor`` flattens B and E), and an accidental holds for that pitch in that octave until the
next bar line. A ``K:`` later in the tune, a defect in v2 transcriptions, changes nothing. The tempo
is 120 quarter notes a minute (an eighth lasts 0.25 s); the file is one track (SMF type 0) with the
meter, the key, and the title and notes as text events.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from fractions import Fraction

import mido

from ..vocab import END, START
from .wellformed import DEFAULT_METER, BarReader, split_header

TEMPO = 120  # quarter notes a minute
TICKS = 480  # per quarter note
VELOCITY = 80

_PITCH = re.compile(r"([_^=]*)([A-Ga-g])([,']*)")
_MODE = re.compile(r"K:([A-G])([#b]?)([A-Za-z]*)")
_SEMITONES = dict(zip("CDEFGAB", (0, 2, 4, 5, 7, 9, 11)))
_ACCIDENTAL = {"^": 1, "_": -1, "=": 0}
_TONIC_FIFTHS = dict(zip("FCGDAEB", range(-1, 6)))  # place on the line of fifths, C at 0
_MODE_FIFTHS = {"lyd": 1, "": 0, "maj": 0, "ion": 0, "mix": -1, "dor": -2, "m": -3, "min": -3, "aeo": -3,
                "phr": -4, "loc": -5}  # ABC reads a mode's first three letters
_MAJOR_KEYS = ("Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#")


def key_fifths(mode: str | None) -> int:
    """Sharps (positive) or flats (negative) of a mode token's key: ``K:Gmaj`` -> 1, ``K:Cdor`` -> -2;
    0 for no mode token or one ABC could not read."""
    match = _MODE.fullmatch(mode or "")
    if not match:
        return 0
    tonic, accidental, name = match.groups()
    return _TONIC_FIFTHS[tonic] + 7 * {"#": 1, "b": -1, "": 0}[accidental] + _MODE_FIFTHS.get(name[:3].lower(), 0)


def key_signature(fifths: int) -> dict[str, int]:
    """Semitones each letter is raised in a key of ``fifths`` sharps (negative: flats)."""
    order, step = ("FCGDAEB", 1) if fifths > 0 else ("BEADGCF", -1)
    alterations = dict.fromkeys("CDEFGAB", 0)
    for k in range(abs(fifths)):
        alterations[order[k % 7]] += step
    return alterations


def midi_pitch(token: str, key: dict[str, int], bar: dict[tuple[str, int], int]) -> int:
    """MIDI note number of a pitch token in ``key``; ``bar`` holds the accidentals met since the last
    bar line, per (letter, octave), and takes this token's."""
    accidental, letter, marks = _PITCH.fullmatch(token).groups()
    step = letter.upper()
    octave = letter.islower() + marks.count("'") - marks.count(",")
    if accidental:
        bar[step, octave] = sum(_ACCIDENTAL[a] for a in accidental)
    return 60 + 12 * octave + _SEMITONES[step] + bar.get((step, octave), key[step])


def _meta(meter: str, fifths: int, title: str | None, notes: Sequence[str]) -> list[mido.MetaMessage]:
    """The track's opening events: title, notes, tempo, meter (where MIDI can write it) and key."""
    events = [mido.MetaMessage("track_name", name=title)] if title else []
    events += [mido.MetaMessage("text", text=note) for note in notes]
    events.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(TEMPO)))
    beats, _, unit = meter.removeprefix("M:").partition("/")
    try:
        events.append(mido.MetaMessage("time_signature", numerator=int(beats), denominator=int(unit)))
    except ValueError:  # a unit that is no power of two (M:3/5), or no number at all
        pass
    if abs(fifths) <= 7:
        events.append(mido.MetaMessage("key_signature", key=_MAJOR_KEYS[fifths + 7]))
    return events


def _notes(timeline, key: dict[str, int]) -> list[tuple[int, int, int]]:
    """(tick, 0 for off or 1 for on, note) of every note's start and end, in the order to write them."""
    ticks_per_eighth = Fraction(TICKS, 2)
    events, time, bar = [], Fraction(0), {}
    for item in timeline:
        if isinstance(item, str):
            bar = {}
            continue
        length, pitches = item
        start = round(time * ticks_per_eighth)
        end = max(start + 1, round((time + length) * ticks_per_eighth))  # a tick at least, so it ends after it starts
        time += length
        for token in pitches:
            note = midi_pitch(token, key, bar)
            if 0 <= note <= 127:  # pitches past MIDI's range (a vocabulary's own C,,,,,) are left out
                events += [(start, 1, note), (end, 0, note)]
    return sorted(events)  # at one tick, a note ends before the next starts


def tune_midi(tokens: Sequence[str], title: str | None = None, notes: Sequence[str] = ()) -> bytes:
    """A Standard MIDI File of a tune's v2 tokens (``<s>``/``</s>`` optional), with ``title`` as its
    track name and ``notes`` as text events."""
    meter, mode, body = split_header([t for t in tokens if t not in (START, END)])
    meter = meter or DEFAULT_METER
    reader = BarReader(meter)
    for token in body:
        reader.feed(token)
    reader.finish()
    fifths = key_fifths(mode)
    track = mido.MidiTrack(_meta(meter, fifths, title, notes))
    last = 0
    for tick, on, note in _notes(reader.timeline(), key_signature(fifths)):
        kind = "note_on" if on else "note_off"
        track.append(mido.Message(kind, note=note, velocity=VELOCITY if on else 0, time=tick - last))
        last = tick
    track.append(mido.MetaMessage("end_of_track"))
    out = io.BytesIO()
    mido.MidiFile(type=0, ticks_per_beat=TICKS, charset="utf-8", tracks=[track]).save(file=out)
    return out.getvalue()
