"""Rebuild ``soundfont_piano.json``: one MP3 per note for abcjs's offline synth.

A development tool, not used by the app. Needs Debian's ``fluidsynth``,
``fluid-soundfont-gm`` (FluidR3_GM.sf2, MIT) and ``lame``, plus numpy:

    apt-get install -y fluidsynth fluid-soundfont-gm lame
    .venv/bin/python explorer/static/make_soundfont.py

Each note of General MIDI program 0 (acoustic grand piano) is rendered dry
(no reverb/chorus), mixed to mono, cut to ``SECONDS`` with a short fade,
normalised with one gain for all notes, and encoded as a small mono MP3.
"""

from __future__ import annotations

import base64
import json
import struct
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

SF2 = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
OUT = Path(__file__).with_name("soundfont_piano.json")
LOW, HIGH = 48, 91  # C3 .. G6 in MIDI numbers: folk tunes span about G3 .. C6
SECONDS, FADE, RATE = 1.8, 0.25, 44100
PEAK = 0.6  # peak of the loudest note after normalisation
NAMES = ["C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B"]


def note_name(midi: int) -> str:
    """abcjs's name for a MIDI pitch, e.g. 60 -> "C4", 61 -> "Db4"."""
    return f"{NAMES[midi % 12]}{midi // 12 - 1}"


def midi_file(pitch: int) -> bytes:
    """A one-note Standard MIDI File: piano, velocity 100, held ``SECONDS``."""
    ticks = int(SECONDS * 2 * 480)  # 120 bpm, 480 ticks per beat
    var = bytearray()  # variable-length delta time
    value = ticks
    var.insert(0, value & 0x7F)
    while value > 0x7F:
        value >>= 7
        var.insert(0, (value & 0x7F) | 0x80)
    track = (
        bytes([0, 0xC0, 0, 0, 0x90, pitch, 100])
        + bytes(var)
        + bytes([0x80, pitch, 0, 0, 0xFF, 0x2F, 0])
    )
    return (
        b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480)
        + b"MTrk" + struct.pack(">I", len(track)) + track
    )


def render(pitch: int, tmp: Path) -> np.ndarray:
    """Render one note with fluidsynth; return mono float samples."""
    mid, wav = tmp / f"{pitch}.mid", tmp / f"{pitch}.wav"
    mid.write_bytes(midi_file(pitch))
    subprocess.run(
        ["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", "1.0",
         "-r", str(RATE), "-F", str(wav), "-T", "wav", str(SF2), str(mid)],
        check=True,
    )
    with wave.open(str(wav)) as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        data = data.reshape(-1, w.getnchannels()).mean(axis=1) / 32768.0
    n = int(SECONDS * RATE)
    data = np.pad(data, (0, max(0, n - len(data))))[:n]
    fade = int(FADE * RATE)
    data[-fade:] *= np.linspace(1.0, 0.0, fade)
    return data


def encode(samples: np.ndarray, tmp: Path) -> bytes:
    """Encode mono float samples as a 40 kbit/s, 32 kHz mono MP3."""
    wav, mp3 = tmp / "note.wav", tmp / "note.mp3"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    subprocess.run(
        ["lame", "--quiet", "-m", "m", "--resample", "32", "-b", "40",
         str(wav), str(mp3)],
        check=True,
    )
    return mp3.read_bytes()


def main() -> None:
    """Render, normalise, encode and write the JSON soundfont."""
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        notes = {p: render(p, tmp) for p in range(LOW, HIGH + 1)}
        gain = PEAK / max(float(np.abs(s).max()) for s in notes.values())
        mp3s = {
            note_name(p): base64.b64encode(encode(s * gain, tmp)).decode("ascii")
            for p, s in notes.items()
        }
    OUT.write_text(json.dumps({
        "instrument": "acoustic_grand_piano",
        "source": "FluidR3_GM.sf2 (Debian fluid-soundfont-gm), program 0, MIT",
        "low": LOW,
        "high": HIGH,
        "notes": mp3s,
    }, separators=(",", ":")))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(mp3s)} notes)")


if __name__ == "__main__":
    main()
