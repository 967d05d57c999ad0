"""Work that takes seconds runs when the user asks for it: a form's button, remembered per session for
the inputs it was pressed with, and a progress bar that estimates the time left.

A page opens in about a second on one core; composing dozens of tunes, a sweep or a beam search wait
for the button, and what they compute is cached for every session. Widgets in an ``st.form`` change
nothing until the button is pressed, so a class moving them costs the server nothing.
"""

from __future__ import annotations

import time

import streamlit as st


def asked(key: str, inputs: object, pressed: bool) -> bool:
    """Whether the work of form ``key`` on ``inputs`` was asked for: the button is ``pressed`` now, or was
    pressed earlier in this session for equal inputs (so that a rerun elsewhere on the page keeps the
    result shown). Inputs that change (another model, a URL with other values) wait for a new press."""
    remembered = f"asked_{key}"
    if pressed:
        st.session_state[remembered] = inputs
    return st.session_state.get(remembered) == inputs


def submit_button(label: str) -> bool:
    """The form's button, the page's one primary action: whether it was pressed in this run."""
    return st.form_submit_button(label, type="primary", icon=":material/play_arrow:")


def stop_until_asked(key: str, inputs: object, pressed: bool, button: str, what: str) -> None:
    """Stop the page here, with a note saying that ``button`` will ``what``, unless the work of form
    ``key`` on ``inputs`` was asked for (:func:`asked`)."""
    if not asked(key, inputs, pressed):
        st.info(f"Press **{button}** to {what}. Results are kept for everyone who asks for the same.",
                icon=":material/play_circle:")
        st.stop()


class Progress:
    """``st.progress`` over ``total`` units of work, its text saying how many are done and, once one is,
    about how long the rest will take at the rate so far."""

    def __init__(self, label: str, total: int, unit: str):
        self.label, self.total, self.unit = label, total, unit
        self.started = time.perf_counter()
        self.bar = st.progress(0.0, text=f"{label}…")

    def update(self, done: int) -> None:
        elapsed = time.perf_counter() - self.started
        text = f"{self.label}: {done} of {self.total} {self.unit}"
        if 0 < done < self.total:
            text += f", about {elapsed / done * (self.total - done):.0f} s left"
        self.bar.progress(min(done / self.total, 1.0), text=text)

    def close(self) -> None:
        self.bar.empty()
