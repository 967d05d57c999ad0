"""The model chooser every page shares, and the current session's model.

The choice lives in the URL (``?model=…``); an uploaded model lives only in its session. A file or
download that fails shows an error and the session keeps the model it had.
"""

from __future__ import annotations

import streamlit as st

from folkrnn import ModelFileError, ModelWeights, load_bytes
from folkrnn.download import DownloadError

from .models import embedded_model, original_model

SOURCES = {
    "embedded": "Embedded replica",
    "upload": "Upload a model file",
    "original": "Original folk-rnn v2 (download)",
}
MAX_UPLOAD_BYTES = 50 * 2**20  # matches server.maxUploadSize in .streamlit/config.toml


def _previous() -> ModelWeights:
    return st.session_state.get("weights") or embedded_model()


def _uploaded() -> ModelWeights:
    file = st.file_uploader(
        "folk-rnn metadata pickle (.pkl) or project checkpoint (.safetensors)",
        type=["pkl", "safetensors"], key="upload_file",
        help="Loaded with a restricted unpickler: files that try to run code are refused.",
    )
    if file is None:
        st.caption("No file chosen: showing the previous model.")
        return _previous()
    if st.session_state.get("upload_id") != file.file_id:
        st.session_state["upload_id"] = file.file_id
        try:
            st.session_state["uploaded"] = load_bytes(file.getvalue(), MAX_UPLOAD_BYTES)
            st.session_state.pop("upload_error", None)
        except ModelFileError as exc:
            st.session_state["upload_error"] = f"Could not load {file.name}: {exc}"
    if "upload_error" in st.session_state:
        st.error(st.session_state["upload_error"] + " The previous model is still in use.")
        return _previous()
    return st.session_state["uploaded"]


def _original() -> ModelWeights:
    try:
        return original_model()
    except (DownloadError, ModelFileError) as exc:
        st.error(f"{exc}. The previous model is still in use.")
        return _previous()


def choose_model() -> ModelWeights:
    """The sidebar's model chooser; stores and returns this session's model."""
    with st.sidebar:
        source = st.radio("Model", list(SOURCES), format_func=SOURCES.get, key="model", bind="query-params")
        weights = {"upload": _uploaded, "original": _original}.get(source, embedded_model)()
        st.caption(f"**{weights.name}**  \n{len(weights.vocabulary)} tokens · {weights.num_layers} × "
                   f"{weights.hidden_size} LSTM · {weights.parameter_count:,} parameters")
    st.session_state["weights"] = weights
    return weights


def current_model() -> ModelWeights:
    """This session's model, as chosen in the sidebar (the embedded one before any choice)."""
    return st.session_state.get("weights") or embedded_model()
