"""This session's model: the cached loaders, the chooser the sidebar and Compare share, and the model chosen.

A choice lives in the URL (``?model=…`` in the sidebar, ``?other=…`` on Compare); an uploaded model
lives only in its session. A file or download that fails shows an error, and the chooser's caller
decides what stands in (the sidebar keeps the session's previous model; Compare stops).
"""

from __future__ import annotations

import streamlit as st

from folkrnn import ModelFileError, ModelWeights, load_bytes, load_model
from folkrnn.io.download import DownloadError, fetch_original_weights
from folkrnn.io.loading import DEFAULT_MODEL

# Each option's text is its URL value (a bound radio with a format_func would write the formatted
# label instead), so the texts are short: ?model=Faithful.
SOURCES = {
    "Replica": "embedded, trained with Adam (default)",
    "Faithful": "embedded, folk-rnn's own recipe",
    "Upload": "a .pkl or .safetensors file",
    "Original": "folk-rnn v2's weights (download)",
}
EMBEDDED = {"Replica": "replica", "Faithful": "faithful"}  # option -> folkrnn.io.loading.EMBEDDED_MODELS key
MAX_UPLOAD_BYTES = 50 * 2**20  # matches server.maxUploadSize in .streamlit/config.toml


@st.cache_resource(show_spinner="Loading the embedded model…")
def embedded_model(name: str = DEFAULT_MODEL) -> ModelWeights:
    """One of the package's embedded models (folkrnn.io.loading.EMBEDDED_MODELS), by name, shared by
    every session (read-only arrays: nothing may change it)."""
    return load_model(name)


@st.cache_resource(show_spinner="Fetching the original folk-rnn v2 weights…")
def original_model() -> ModelWeights:
    """The original weights, downloaded once, verified and cached on disk (raises DownloadError)."""
    return load_model(fetch_original_weights())


def _uploaded(key: str, keep: str) -> ModelWeights | None:
    """The model in chooser ``key``'s upload box, loaded once per file; None while there is none."""
    file = st.file_uploader(
        "folk-rnn metadata pickle (.pkl) or project checkpoint (.safetensors)",
        type=["pkl", "safetensors"], key=f"{key}_file",
        help="Loaded with a restricted unpickler: files that try to run code are refused.",
    )
    if file is None:
        st.info(f"Choose a file. {keep}")
        return None
    state = st.session_state
    if state.get(f"{key}_upload_id") != file.file_id:
        state[f"{key}_upload_id"] = file.file_id
        state.pop(f"{key}_uploaded", None)
        state.pop(f"{key}_upload_error", None)  # a new file's outcome replaces the last one's
        try:
            state[f"{key}_uploaded"] = load_bytes(file.getvalue(), MAX_UPLOAD_BYTES)
        except ModelFileError as exc:
            state[f"{key}_upload_error"] = f"Could not load {file.name}: {exc}"
    if f"{key}_uploaded" not in state:
        st.error(f"{state[f'{key}_upload_error']} {keep}")
        return None
    return state[f"{key}_uploaded"]


def _original(keep: str) -> ModelWeights | None:
    try:
        return original_model()
    except (DownloadError, ModelFileError) as exc:
        st.error(f"{exc}. {keep}")
        return None


def pick_model(label: str, key: str, keep: str, horizontal: bool = False) -> ModelWeights | None:
    """A chooser over :data:`SOURCES` bound to ``?key=``, and the model it picks; None, with the reason
    shown and then ``keep`` (what stands in), while an upload is missing or a model fails to load."""
    source = st.radio(label, list(SOURCES), key=key, bind="query-params", horizontal=horizontal,
                      captions=list(SOURCES.values()))
    if source == "Upload":
        return _uploaded(key, keep)
    if source == "Original":
        return _original(keep)
    return embedded_model(EMBEDDED[source])


def choose_model() -> ModelWeights:
    """The sidebar's model chooser; stores and returns this session's model."""
    with st.sidebar:
        weights = pick_model("Model", "model", "The previous model is still in use.") or current_model()
        st.caption(f"**{weights.name}**  \n{len(weights.vocabulary)} tokens · {weights.num_layers} × "
                   f"{weights.hidden_size} LSTM · {weights.parameter_count:,} parameters")
    st.session_state["weights"] = weights
    return weights


def current_model() -> ModelWeights:
    """This session's model, as chosen in the sidebar (the embedded replica before any choice)."""
    return st.session_state.get("weights") or embedded_model()
