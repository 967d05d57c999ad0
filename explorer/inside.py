"""Streamlit helpers of the "Inside the LSTM" pages: the network's internals over a tune and the
tables drawn from them, cached.

The internals are computed in numpy by :mod:`folkrnn.analysis.internals` (no torch) and kept, with the
tables drawn from them, in byte-bounded caches (:func:`explorer.caching.shared`) that every session
shares without a copy: their arrays are read-only, so no page can change what another session sees.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from folkrnn import ModelWeights
from folkrnn.analysis.input_layer import (
    MatrixSpectrum,
    embedding_gramian,
    top_tokens_of_right_vectors,
    weight_spectra,
)
from folkrnn.analysis.internals import Internals, internals
from folkrnn.analysis.lens import LogitLens, logit_lens
from folkrnn.analysis.similarity import gramian, step_signal

from .caching import shared
from .frames import (
    activation_histogram_frame,
    right_vector_tokens_frame,
    step_gramian_frame,
    step_matrix_frame,
    token_gramian_frame,
    unit_peaks_frame,
)


@shared(max_mb=64, spinner="Running the LSTM over the tune…")
def lstm_internals(weights: ModelWeights, tokens: Sequence[str]) -> Internals:
    """Every layer's gates, cell and output over ``<s>`` + tokens (cached, read-only; float64, so a
    400-token tune's take 29 MB)."""
    return internals(weights, tokens)


@shared(max_mb=32)
def lens(weights: ModelWeights, tokens: Sequence[str]) -> LogitLens:
    """The logit lens over ``<s>`` + tokens (cached, read-only)."""
    return logit_lens(weights, lstm_internals(weights, tokens))


@shared(max_mb=32)
def layer_tables(weights: ModelWeights, tokens: Sequence[str], layer: int, signal: str,
                 units: Sequence[int]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(heatmap of ``signal`` of ``layer`` for ``units``, per-layer histograms, per-layer unit peaks)."""
    by_layer = [layer_.signal(signal) for layer_ in lstm_internals(weights, tokens).layers]
    return (step_matrix_frame(tokens, by_layer[layer - 1], units, "unit", offset=0),
            activation_histogram_frame(by_layer), unit_peaks_frame(by_layer))


@shared(max_mb=32)
def step_gramian_table(weights: ModelWeights, tokens: Sequence[str], signal: str, layer: int | None,
                       kind: str) -> pd.DataFrame:
    """The Gramian of a signal over the tune's steps, as a long table (cached)."""
    return step_gramian_frame(tokens, gramian(step_signal(lstm_internals(weights, tokens), signal, layer), kind))


@st.cache_data(max_entries=16, show_spinner=False)
def _input_layer_tables(_weights: ModelWeights, content_hash: str, gate: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    cosines = token_gramian_frame(_weights.vocabulary, embedding_gramian(_weights, gate))
    right = right_vector_tokens_frame(top_tokens_of_right_vectors(_weights, gate or "input", directions=5, k=5))
    return cosines, right


def input_layer_tables(weights: ModelWeights, gate: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(token-embedding cosines for ``gate`` or all four, top tokens of its W_x's right singular vectors)."""
    return _input_layer_tables(weights, weights.content_hash, gate)


@st.cache_data(max_entries=8, show_spinner="Taking the SVD of every weight matrix…")
def _weight_spectra(_weights: ModelWeights, content_hash: str) -> list[MatrixSpectrum]:
    return weight_spectra(_weights)


def spectra(weights: ModelWeights) -> list[MatrixSpectrum]:
    """The singular values of every weight matrix (cached: about a second for v2)."""
    return _weight_spectra(weights, weights.content_hash)
