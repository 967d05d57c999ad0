"""Streamlit helpers of the "Experiments" pages: the intervention controls, and tunes composed with
and without an intervention from the same seeds, cached.

An :class:`~folkrnn.compose.interventions.Intervention` travels to the cached functions as a tuple of plain
values (``_key``), which Streamlit hashes reliably; the ONNX Runtime sessions behind the engines are
folkrnn's own, cached per LSTM stack.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import streamlit as st

from folkrnn import ModelWeights
from folkrnn.compose.interventions import Intervention, InterventionStep, compose_under
from folkrnn.compose.sampling import SamplingSettings, Tune

from .beyond import _checked
from .caching import shared
from .widgets import offered, ranged


def _key(iv: Intervention) -> tuple:
    return (tuple(sorted((k, tuple(v)) for k, v in iv.zero_units.items())), tuple(iv.remove),
            tuple(sorted(iv.add.items())), iv.force, tuple(iv.force_tokens), iv.force_after, iv.force_seed)


def _intervention(key: tuple) -> Intervention:
    zero, remove, add, force, tokens, after, seed = key
    return Intervention(dict(zero), remove, dict(add), force, tokens, after, seed)


@st.cache_data(max_entries=64, show_spinner="Composing under the intervention…")
def _under(_weights: ModelWeights, content_hash: str, key: tuple, settings: SamplingSettings) -> list[Tune]:
    return _checked(compose_under(_weights, _intervention(key), settings))


@st.cache_data(max_entries=64, show_spinner="Composing…")
def _plain(_weights: ModelWeights, content_hash: str, settings: SamplingSettings) -> list[Tune]:
    from folkrnn.compose.sampling import sample_tunes

    return _checked(sample_tunes(_weights, settings))


def composed_pair(weights: ModelWeights, intervention: Intervention,
                  settings: SamplingSettings) -> tuple[list[Tune], list[Tune]]:
    """(the network's own tunes, the tunes under ``intervention``), both drawn as ``settings`` say."""
    return (_plain(weights, weights.content_hash, settings),
            _under(weights, weights.content_hash, _key(intervention), settings))


@st.cache_data(max_entries=64, show_spinner=False)
def _probabilities(_weights: ModelWeights, content_hash: str, key: tuple, tokens: tuple[str, ...]) -> np.ndarray:
    from folkrnn.analysis.experiments import next_token_probabilities

    return next_token_probabilities(InterventionStep(_weights, _intervention(key)), _weights, tokens)


def token_probabilities(weights: ModelWeights, intervention: Intervention, tokens: Sequence[str]) -> np.ndarray:
    """p of each token of a tune (and of ``</s>``) under ``intervention`` (cached)."""
    return _probabilities(weights, weights.content_hash, _key(intervention), tuple(tokens))


@shared(max_mb=16)
def _hidden(weights: ModelWeights, key: tuple, tokens: tuple[str, ...]) -> list[np.ndarray]:
    from folkrnn.analysis.experiments import read_through

    return read_through(InterventionStep(weights, _intervention(key)), weights, tokens)[1]


def hidden_states(weights: ModelWeights, intervention: Intervention, tokens: Sequence[str]) -> list[np.ndarray]:
    """Every layer's h_t, (steps, H), while the network reads a tune under ``intervention`` (cached, read-only)."""
    return _hidden(weights, _key(intervention), tuple(tokens))


SUMMARY_METRICS = {  # summary key -> (label, value format, signed delta format, delta colour)
    "well_formed_share": ("Well-formed", "{:.0%}", "{:+.0%}", "normal"),
    "mean_bar_errors": ("Bar-duration errors per tune", "{:.2f}", "{:+.2f}", "inverse"),
    "mean_length": ("Mean length (tokens)", "{:.0f}", "{:+.0f}", "off"),
    "mean_bars": ("Mean bar lines", "{:.1f}", "{:+.1f}", "off"),
}


def summary_metrics(before: dict, after: dict, keys: Sequence[str], baseline: str = "the network itself") -> None:
    """One metric per :func:`folkrnn.analysis.experiments.summary` figure in ``keys``: the changed tunes' value,
    its change from ``before`` as the delta, and ``before`` in the tooltip."""
    for column, key in zip(st.columns(len(keys)), keys):
        label, value, change, colour = SUMMARY_METRICS[key]
        column.metric(label, value.format(after[key]), delta=change.format(after[key] - before[key]),
                      delta_color=colour, help=f"With the change; {baseline}: {value.format(before[key])}")


def _units(text: str, H: int) -> tuple[int, ...]:
    """The unit numbers of a text such as "3, 17, 40-59", each number checked against 0..H-1 before any
    range is filled in (``zero1=0-50000000`` in a link once built a list of 50 million units first), so
    the work grows with the text and H only."""
    chosen = np.zeros(H, dtype=bool)
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        low, _, high = part.partition("-")
        if not (low.isdigit() and (not high or high.isdigit())):
            raise ValueError(f"{part!r} is not a unit number or a range like 10-20")
        if any(len(number.lstrip("0")) > len(str(H)) or int(number) >= H for number in (low, high) if number):
            raise ValueError(f"units run from 0 to {H - 1}")
        chosen[int(low):int(high or low) + 1] = True
    return tuple(int(u) for u in np.flatnonzero(chosen))


def intervention_controls(weights: ModelWeights) -> Intervention | None:
    """Widgets for units to zero (per layer), directions to remove and one direction to add; their
    intervention, or None (with the error shown) when a unit list cannot be read."""
    H = weights.hidden_size
    rank = min(len(weights.vocabulary), H)
    cols = st.columns(3)
    zero = {}
    with cols[0]:
        for layer in range(1, weights.num_layers + 1):
            text = st.text_input(f"Units to zero in layer {layer}", "", key=f"zero{layer}", bind="query-params",
                                 help=f"Unit numbers 0 … {H - 1}, with ranges: e.g. 3, 17, 40-59")
            try:
                units = _units(text, H)
            except ValueError as exc:
                st.error(f"Layer {layer}: {exc}.")
                return None
            if units:
                zero[layer] = units
    with cols[1]:
        remove = offered(st.multiselect, "Directions w_i to remove from h_t", list(range(1, rank + 1)), key="remove",
                         help="h_t ← h_t − Σ (w_i · h_t) w_i in the last layer, every step")
    with cols[2]:
        i = int(ranged(st.number_input, "Direction to add", 1, rank, 1, key="add_i"))
        alpha = float(st.slider("α (h_t ← h_t + α w_i)", -5.0, 5.0, 0.0, step=0.25, key="alpha", bind="query-params"))
    return Intervention(zero_units=zero, remove=tuple(remove), add={i: alpha} if alpha else {})


@st.cache_resource(max_entries=4, show_spinner="Reading the reference corpus…")
def _reference(_data: bytes, file_id: str, vocabulary_tokens: tuple[str, ...]):
    from folkrnn.analysis.copying import read_reference
    from folkrnn.vocab import Vocabulary

    return read_reference(_data, Vocabulary(vocabulary_tokens))


def reference_corpus(weights: ModelWeights):
    """The reference corpus the user uploads (v2 transcriptions, e.g. folk-rnn's data_v2), read and
    indexed once per file; None, with a message, before a file is chosen or when it is refused."""
    from folkrnn.analysis.copying import ReferenceError

    file = st.file_uploader("Reference corpus: folk-rnn v2 transcriptions (.txt), e.g. data_v2", type=["txt"],
                            key="reference", help="Tunes of M:, K: and body tokens separated by blank lines. "
                            "The project ships no corpus: data_v2 is in the public folk-rnn repository.")
    if file is None:
        st.info("Choose a reference corpus to compare with: folk-rnn's data_v2 (in the public folk-rnn "
                "repository, data/data_v2) or any file of v2 transcriptions.")
        return None
    try:
        return _reference(file.getvalue(), file.file_id, weights.vocabulary.tokens)
    except ReferenceError as exc:
        st.error(f"Could not use {file.name}: {exc}.")
        return None


SEARCH_SECONDS = 30.0  # a search still running then stops after its block (folkrnn.analysis.search)


@shared(max_mb=4)
def _search(weights: ModelWeights, prefix: tuple[str, ...], block: int, keep: float, floor: float, max_length: int,
            max_candidates: int, progress=None):
    from folkrnn.analysis.search import beam_search

    return beam_search(weights, prefix, block, keep, floor, max_length, max_candidates, progress, SEARCH_SECONDS)


def searched(weights: ModelWeights, prefix: Sequence[str], block: int, keep: float, floor: float, max_length: int,
             max_candidates: int):
    """:func:`folkrnn.analysis.search.beam_search`, at most :data:`SEARCH_SECONDS` long, with a progress bar
    while it runs; the result is kept for every session that asks for the same search."""
    from .on_demand import Progress

    progress = Progress("Searching", max_length, "tokens at most")
    result = _search(weights, tuple(prefix), block, keep, floor, max_length, max_candidates, progress=progress.update)
    progress.close()
    return result
