"""Render ABC tunes as sheet music with offline audio playback (abcjs).

Everything the page needs is inlined from ``explorer/static/``: the abcjs
library, its audio-control CSS and a small piano soundfont. abcjs's synth
normally downloads one MP3 per note from ``soundFontUrl``; here that URL is a
sentinel (``offline-soundfont:/``) and a tiny shim on ``XMLHttpRequest``
answers those requests from the inlined soundfont, so nothing is fetched. A
Content-Security-Policy forbids any other network access from the page.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
from pathlib import Path
from typing import Literal

STATIC = Path(__file__).with_name("static")
SOUNDFONT_PREFIX = "offline-soundfont:/"

_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; "
    "style-src 'unsafe-inline'; img-src data:"
)
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")

# Page script; ABC, ID, PLAYBACK and PREFIX are JSON values set just before it.
_PAGE_JS = r"""
const NAMES = ["C","Db","D","Eb","E","F","Gb","G","Ab","A","Bb","B"];
const paper = document.getElementById(ID);
const audio = document.getElementById(ID + "-audio");
const mark = (state) => { audio.dataset.state = state; };

// Serve abcjs's per-note soundfont requests from the inlined samples.
function sample(url) {
  const m = /-mp3\/([A-G]b?)(-?\d+)\.mp3$/.exec(url);
  const sf = window.ABCJS_OFFLINE_SOUNDFONT;
  if (!m || !sf) return null;
  let midi = NAMES.indexOf(m[1]) + 12 * (Number(m[2]) + 1);
  while (midi < sf.low) midi += 12;   // out of range: nearest octave
  while (midi > sf.high) midi -= 12;
  return sf.notes[NAMES[midi % 12] + (Math.floor(midi / 12) - 1)] || null;
}
const xhrOpen = XMLHttpRequest.prototype.open;
const xhrSend = XMLHttpRequest.prototype.send;
XMLHttpRequest.prototype.open = function (method, url) {
  this.offlineUrl = String(url).startsWith(PREFIX) ? String(url) : null;
  if (!this.offlineUrl) return xhrOpen.apply(this, arguments);
};
XMLHttpRequest.prototype.send = function () {
  if (!this.offlineUrl) return xhrSend.apply(this, arguments);
  const xhr = this, b64 = sample(this.offlineUrl);
  setTimeout(() => {
    if (!b64) { if (xhr.onerror) xhr.onerror(); return; }
    audio.dataset.samples = Number(audio.dataset.samples || 0) + 1;
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    Object.defineProperty(xhr, "status", { value: 200 });
    Object.defineProperty(xhr, "response", { value: bytes.buffer });
    if (xhr.onload) xhr.onload();
  });
};

// Highlight the notes being played.
const cursor = {
  clear() {
    paper.querySelectorAll(".abcjs-highlight")
      .forEach((el) => el.classList.remove("abcjs-highlight"));
  },
  onReady() { mark("ready"); },
  onStart() { mark("playing"); },
  onFinished() { this.clear(); mark("ready"); },
  onEvent(ev) {
    this.clear();
    (ev.elements || []).flat()
      .forEach((el) => el.classList.add("abcjs-highlight"));
  },
};

const tune = ABCJS.renderAbc(paper, ABC, { responsive: "resize", add_classes: true })[0];
// Mark the elements written from the characters MARK = [first, last + 1) of the ABC (a span of the tune).
if (MARK && tune) {
  for (const line of tune.lines || []) {
    for (const staff of line.staff || []) {
      for (const voice of staff.voices || []) {
        for (const el of voice) {
          if (el.startChar < MARK[1] && el.endChar > MARK[0] && el.abselem) {
            el.abselem.elemset.forEach((svg) => svg.classList.add("abcjs-marked"));
          }
        }
      }
    }
  }
}
document.body.dataset.rendered = "true";
if (!PLAYBACK) {
  audio.remove();
} else if (!ABCJS.synth.supportsAudio()) {
  audio.textContent = "Audio is not supported in this browser.";
  mark("unsupported");
} else if (!tune || !tune.lines || tune.lines.length === 0) {
  mark("empty");
} else {
  const ctl = new ABCJS.synth.SynthController();
  ctl.load(audio, cursor, {
    displayLoop: true, displayRestart: true, displayPlay: true,
    displayProgress: true, displayWarp: true,
  });
  ctl.setTune(tune, false, { soundFontUrl: PREFIX, soundFontVolumeMultiplier: 1 })
    .then(() => mark("idle"))
    .catch((err) => { mark("error"); console.warn("abcjs audio:", err); });
}
"""

_PAGE_CSS = """
body { margin: 0; font-family: sans-serif; background: #fff; }
.abcjs-marked { fill: #1c62d6; stroke: #1c62d6; }
.abcjs-highlight { fill: #d33; }
.abcjs-inline-audio { margin: 4px 0; }
"""


def _js(value: object) -> str:
    """JSON-encode ``value`` so it is safe inside an inline <script>."""
    return (
        json.dumps(value)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


@functools.cache
def _asset(name: str) -> str:
    """Text of a vendored file in ``explorer/static`` (read once)."""
    return (STATIC / name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _soundfont_js() -> str:
    """Script that defines ``window.ABCJS_OFFLINE_SOUNDFONT``."""
    soundfont = json.loads(_asset("soundfont_piano.json"))
    return f"window.ABCJS_OFFLINE_SOUNDFONT = {_js(soundfont)};"


def abc_html(abc: str, *, playback: bool = True, element_id: str = "paper",
             mark: tuple[int, int] | None = None) -> str:
    """A self-contained HTML page that engraves ``abc`` and, optionally, plays it.

    The page makes no network request: abcjs and (with ``playback``) the piano
    soundfont are inlined. ``abc`` is JSON-encoded, so any text is safe. The notes,
    rests and bar lines written from the characters ``mark`` (first, last + 1) of
    ``abc`` are drawn in blue (:func:`folkrnn.music.abc.abc_with_span` finds a span's).
    """
    if not _ID.match(element_id):
        raise ValueError(f"element_id must be a plain HTML id, got {element_id!r}")
    audio_css = _asset("abcjs-audio.css") if playback else ""
    soundfont = f"<script>{_soundfont_js()}</script>" if playback else ""
    settings = (
        f"const ABC = {_js(abc)}, ID = {_js(element_id)}, "
        f"PLAYBACK = {_js(playback)}, PREFIX = {_js(SOUNDFONT_PREFIX)}, "
        f"MARK = {_js(None if mark is None else [int(mark[0]), int(mark[1])])};"
    )
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<style>{audio_css}{_PAGE_CSS}</style>
<script>{_asset("abcjs-basic-min.js")}</script>
{soundfont}
</head><body>
<div id="{element_id}"></div>
<div id="{element_id}-audio"></div>
<script>(function () {{ "use strict";
{settings}
{_PAGE_JS}
}})();</script>
</body></html>
"""


def engraved(abc: str) -> str:
    """``abc`` without its ``N:`` lines (a tune's provenance, for its files), so that the sheet shows the tune."""
    return "\n".join(line for line in abc.split("\n") if not line.startswith("N:"))


def render_abc(
    abc: str,
    *,
    height: int | Literal["content"] = 360,
    key: str | None = None,
    mark: tuple[int, int] | None = None,
) -> None:
    """Show ``abc`` as sheet music with a play/pause/progress bar in Streamlit.

    ``height`` is in pixels, or ``"content"`` to fit the rendered tune.
    ``key`` puts the frame in a keyed ``st.container`` (for CSS or identity).
    ``mark``: the characters of ``abc`` whose notes are drawn in blue (:func:`abc_html`).
    """
    import streamlit as st

    with st.container(key=key) if key else contextlib.nullcontext():
        st.iframe(abc_html(abc, mark=mark), height=height)
