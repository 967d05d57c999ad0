"""Cached loaders: every model, SVD and network the pages use comes from here.

Streamlit's ``st.cache_resource`` shares these objects between all sessions, so nothing returned
here may be mutated: the weights and SVD arrays are read-only numpy arrays, and pages compute
perturbations out of place.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from folkrnn import ModelWeights, SoftmaxSVD, load_model, softmax_svd
from folkrnn.io.download import fetch_original_weights
from folkrnn.io.loading import DEFAULT_MODEL

from .frames import columns_frame


@st.cache_resource(show_spinner="Loading the embedded model…")
def embedded_model(name: str = DEFAULT_MODEL) -> ModelWeights:
    """One of the package's embedded models (folkrnn.io.loading.EMBEDDED_MODELS), by name."""
    return load_model(name)


@st.cache_resource(show_spinner="Fetching the original folk-rnn v2 weights…")
def original_model() -> ModelWeights:
    """The original weights, downloaded once, verified and cached on disk (raises DownloadError)."""
    return load_model(fetch_original_weights())


@st.cache_resource(max_entries=8, show_spinner=False)
def model_svd(_weights: ModelWeights, softmax_hash: str) -> SoftmaxSVD:
    """The SVD of V, keyed on the hash of V and v (on top of the package's own SVD cache)."""
    return softmax_svd(_weights)


def svd(weights: ModelWeights) -> SoftmaxSVD:
    return model_svd(weights, weights.softmax_hash)


@st.cache_data(max_entries=8, show_spinner=False)
def _columns(_weights: ModelWeights, softmax_hash: str) -> pd.DataFrame:
    return columns_frame(_weights)


def columns(weights: ModelWeights) -> pd.DataFrame:
    """Every entry of V as a long table (vocab x H rows), built once per softmax layer."""
    return _columns(weights, weights.softmax_hash)
