"""Streamlit helpers of the "Inside the LSTM" pages: the network's internals over a tune and the
tables drawn from them, cached.

The internals are computed in numpy by :mod:`folkrnn.analysis.internals` (no torch) and kept with
``st.cache_resource``, shared by every session without a copy: their arrays are made read-only, so
no page can change what another session sees. Tables go through ``st.cache_data``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
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

from .frames import (
    activation_histogram_frame,
    right_vector_tokens_frame,
    step_gramian_frame,
    step_matrix_frame,
    token_gramian_frame,
    unit_peaks_frame,
)


def _frozen(obj):
    """``obj`` with every numpy array in its fields (and in lists of such objects) made read-only."""
    for value in vars(obj).values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, np.ndarray):
                item.setflags(write=False)
            elif hasattr(item, "__dataclass_fields__"):
                _frozen(item)
    return obj


@st.cache_resource(max_entries=32, show_spinner="Running the LSTM over the tune…")
def _internals(_weights: ModelWeights, content_hash: str, tokens: tuple[str, ...]) -> Internals:
    return _frozen(internals(_weights, tokens))


def lstm_internals(weights: ModelWeights, tokens: Sequence[str]) -> Internals:
    """Every layer's gates, cell and output over ``<s>`` + tokens (cached, read-only)."""
    return _internals(weights, weights.content_hash, tuple(tokens))


@st.cache_resource(max_entries=32, show_spinner=False)
def _lens(_weights: ModelWeights, content_hash: str, tokens: tuple[str, ...]) -> LogitLens:
    return _frozen(logit_lens(_weights, lstm_internals(_weights, tokens)))


def lens(weights: ModelWeights, tokens: Sequence[str]) -> LogitLens:
    """The logit lens over ``<s>`` + tokens (cached, read-only)."""
    return _lens(weights, weights.content_hash, tuple(tokens))


@st.cache_data(max_entries=64, show_spinner=False)
def _layer_tables(_weights: ModelWeights, content_hash: str, tokens: tuple[str, ...], layer: int, signal: str,
                  units: tuple[int, ...]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    inside = lstm_internals(_weights, tokens)
    by_layer = [layer_.signal(signal) for layer_ in inside.layers]
    return (step_matrix_frame(tokens, by_layer[layer - 1], units, "unit", offset=0),
            activation_histogram_frame(by_layer), unit_peaks_frame(by_layer))


def layer_tables(weights: ModelWeights, tokens: Sequence[str], layer: int, signal: str,
                 units: Sequence[int]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(heatmap of ``signal`` of ``layer`` for ``units``, per-layer histograms, per-layer unit peaks)."""
    return _layer_tables(weights, weights.content_hash, tuple(tokens), layer, signal, tuple(units))


@st.cache_data(max_entries=64, show_spinner=False)
def _step_gramian(_weights: ModelWeights, content_hash: str, tokens: tuple[str, ...], signal: str,
                  layer: int | None, kind: str) -> pd.DataFrame:
    X = step_signal(lstm_internals(_weights, tokens), signal, layer)
    return step_gramian_frame(tokens, gramian(X, kind))


def step_gramian_table(weights: ModelWeights, tokens: Sequence[str], signal: str, layer: int | None,
                       kind: str) -> pd.DataFrame:
    """The Gramian of a signal over the tune's steps, as a long table (cached)."""
    return _step_gramian(weights, weights.content_hash, tuple(tokens), signal, layer, kind)


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
