"""The sidebar's model chooser through AppTest: uploads (valid, hostile, malformed) and the download.

The chooser runs in a one-line app of its own: AppTest drops the entry script's elements from its
tree after a rerun of a multipage (st.navigation) app, so the real entry script cannot be driven
through several reruns here. tests/browser/ drives it in the real app.
"""

import socket

import pytest
from streamlit.testing.v1 import AppTest

from folkrnn import load_model
from folkrnn.io.checkpoint import to_bytes
from tests.factories import random_weights
from tests.hostile_files import hostile_model_files
from tests.py2pickle import folkrnn_pickle

CHOOSER_APP = """
import streamlit as st
from explorer.session import choose_model

weights = choose_model()
st.metric("LSTM", f"{weights.num_layers} × {weights.hidden_size}")
"""


def sidebar_caption(at: AppTest) -> str:
    return at.sidebar.caption[-1].value


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.sidebar.radio(key="model").set_value("Upload").run()
    at.sidebar.file_uploader(key="model_file").upload(name, data).run()
    return at


@pytest.fixture
def app():
    at = AppTest.from_string(CHOOSER_APP, default_timeout=60)
    at.run()
    assert not at.exception
    return at


def test_uploaded_original_pickle_becomes_the_model(app):
    data = folkrnn_pickle(load_model().vocabulary.tokens, hidden=16, rng=3)
    upload(app, "folkrnn_small.pkl", data)
    assert not app.exception and not app.error
    assert "config5-wrepeats-20160112-222521" in sidebar_caption(app)
    assert "3 × 16 LSTM" in sidebar_caption(app)
    metric = next(m for m in app.metric if m.label == "LSTM")
    assert metric.value == "3 × 16"


def test_uploaded_checkpoint_becomes_the_model(app):
    upload(app, "small.safetensors", to_bytes(random_weights(hidden=8, layers=2, seed=4)))
    assert not app.error
    assert "2 × 8 LSTM" in sidebar_caption(app)


def test_a_good_file_after_a_bad_one_replaces_its_error(app):
    upload(app, "broken.safetensors", b"not a checkpoint")
    assert app.error and "Could not load broken.safetensors" in app.error[0].value
    assert "model_upload_error" in app.session_state
    upload(app, "small.safetensors", to_bytes(random_weights(hidden=8, layers=2, seed=4)))
    assert not app.error and "2 × 8 LSTM" in sidebar_caption(app)
    assert "model_upload_error" not in app.session_state  # no stale error left for a later rerun


def test_hostile_and_malformed_uploads_keep_the_previous_model(app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "PWNED"
    embedded = sidebar_caption(app)
    corpus = hostile_model_files(tmp_path, marker)
    picked = corpus[::3]  # every third file: all kinds of payload and malformation, quickly
    assert len(picked) >= 20
    for name, data, _ in picked:
        upload(app, f"{name}.pkl", data)
        assert not app.exception, name
        assert app.error and "Could not load" in app.error[0].value, name
        assert "previous model is still in use" in app.error[0].value
        assert sidebar_caption(app) == embedded, name
        assert not marker.exists(), f"{name} ran its payload"
    assert app.metric[0].value == "3 × 512"  # the page still runs, on the previous model


def test_failed_download_shows_an_error_and_keeps_the_model(app, monkeypatch, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("FOLKRNN_ORIGINAL_URL", f"http://127.0.0.1:{port}/folkrnn_v2.pkl")
    monkeypatch.setenv("FOLKRNN_CACHE", str(tmp_path))
    embedded = sidebar_caption(app)
    app.sidebar.radio(key="model").set_value("Original").run()
    assert not app.exception
    assert "could not download" in app.sidebar.error[0].value
    assert sidebar_caption(app) == embedded
    assert not list(tmp_path.iterdir())


def test_the_faithful_replica_is_chosen_in_the_sidebar_and_by_its_url(app):
    app.sidebar.radio(key="model").set_value("Faithful").run()
    assert not app.exception and not app.error
    assert sidebar_caption(app).startswith(f"**{load_model('faithful').name}**")
    reopened = AppTest.from_string(CHOOSER_APP, default_timeout=60)
    reopened.query_params["model"] = "Faithful"
    reopened.run()
    assert "folk-rnn's own recipe" in sidebar_caption(reopened)
