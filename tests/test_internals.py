"""Inside the LSTM: gates against an independent LSTM step, the logit lens against the network's own
output, Gramians of planted repeats, the input layer's embeddings and every matrix's stable rank."""

import json
import subprocess
import sys

import numpy as np
import pytest

from folkrnn import load_model
from folkrnn.analysis.input_layer import (
    embedding_gramian,
    gate_input_matrix,
    token_embeddings,
    top_tokens_of_right_vectors,
    weight_spectra,
)
from folkrnn.analysis.internals import internals
from folkrnn.analysis.lens import logit_lens
from folkrnn.analysis.perturbation import softmax
from folkrnn.analysis.similarity import cosine_distances, gramian, one_hot, share_of_pairs_above
from folkrnn.examples import PART5_TUNE
from tests.factories import random_weights

TUNE = "M:4/4 K:Cmaj |: c 2 G E C D E F | G A B c d 2 c 2 :|".split()


def reference_lstm(weights, tokens):
    """Textbook LSTM steps over an explicit one-hot input: per layer a list of (i, f, g, o, c, h)."""
    sigmoid = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    vocab = weights.vocabulary
    xs = [np.eye(len(vocab))[vocab.encode([t])[0]] for t in ["<s>", *tokens]]
    per_layer = []
    for layer in weights.layers:
        H = layer.h0.shape[0]
        h, c, steps = layer.h0.astype(float), layer.c0.astype(float), []
        for x in xs:
            z = layer.W_ih @ x + layer.W_hh @ h + layer.b
            i, f, g, o = sigmoid(z[:H]), sigmoid(z[H:2 * H]), np.tanh(z[2 * H:3 * H]), sigmoid(z[3 * H:])
            c = f * c + i * g
            h = o * np.tanh(c)
            steps.append((i, f, g, o, c, h))
        per_layer.append(steps)
        xs = [s[5] for s in steps]
    return per_layer


def test_every_gate_equals_an_independent_lstm_step():
    weights = random_weights(hidden=12, layers=3, seed=3)
    inside = internals(weights, TUNE)
    for layer, steps in zip(inside.layers, reference_lstm(weights, TUNE)):
        for name, k in zip("ifgoch", range(6)):
            np.testing.assert_allclose(layer.signal(name), np.stack([s[k] for s in steps]), atol=1e-5)


def test_last_layer_and_lens_equal_the_torch_network():
    from folkrnn.network.activations import run
    from folkrnn.network.model import FolkRNN

    weights = load_model()
    acts = run(FolkRNN.from_weights(weights), weights.vocabulary, PART5_TUNE, all_layers=True)
    inside = internals(weights, PART5_TUNE)
    assert inside.steps == len(PART5_TUNE) + 1
    np.testing.assert_allclose(inside.layers[-1].h, acts.hidden, atol=1e-5)
    for ours, theirs in zip(inside.layers, acts.layers):
        np.testing.assert_allclose(ours.h, theirs, atol=1e-5)
    lens = logit_lens(weights, inside)
    np.testing.assert_array_equal(lens.probabilities[-1], softmax(inside.logits))  # layer 3 is the output
    np.testing.assert_allclose(lens.probabilities[-1], acts.probabilities, atol=1e-5)


def test_lens_entropy_and_kl_by_hand():
    weights = random_weights(hidden=10, layers=2, seed=8)
    lens = logit_lens(weights, internals(weights, TUNE))
    h1 = internals(weights, TUNE).layers[0].h[4]
    p = softmax(weights.V @ h1 + weights.v)
    out = lens.probabilities[-1, 4]
    assert lens.entropy[0, 4] == pytest.approx(-np.sum(p * np.log(p)))
    assert lens.kl_to_output[0, 4] == pytest.approx(np.sum(out * np.log(out / p)))
    assert (lens.kl_to_output[-1] == 0).all() and (lens.kl_to_output >= -1e-12).all()
    assert lens.top(1, 4, 2)[0] == (weights.vocabulary.tokens[int(np.argmax(p))], pytest.approx(p.max()))


def test_empty_and_unknown_tunes_are_refused_by_name():
    weights = random_weights(hidden=4, layers=1)
    with pytest.raises(ValueError, match="empty"):
        internals(weights, [])
    with pytest.raises(ValueError, match="'Q'"):
        internals(weights, ["M:4/4", "Q"])


def test_a_repeated_bar_shows_as_a_diagonal():
    bar = [3, 1, 4, 1, 5]
    inputs = one_hot(np.array(bar * 3), 8)
    G = gramian(inputs, "cosine")
    for s in range(len(bar) * 2):
        assert G[s, s + len(bar)] == 1.0  # the same token, one bar later
    assert G[0, 2] == 0.0  # 3 against 4
    np.testing.assert_array_equal(gramian(2 * inputs, "dot"), 4 * G)
    with pytest.raises(ValueError, match="unknown Gramian kind"):
        gramian(inputs, "euclid")


def test_share_of_pairs_above_a_distance():
    X = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # pairs: (0,1) same, (0,2) and (1,2) orthogonal
    assert share_of_pairs_above(cosine_distances(X), 0.5) == pytest.approx(2 / 3)
    assert share_of_pairs_above(cosine_distances(X), 1.5) == 0.0


def test_a_token_embedding_is_its_push_on_the_first_layer():
    weights = random_weights(hidden=6, layers=2, seed=4)
    H, j = weights.hidden_size, weights.vocabulary.encode(["M:4/4"])[0]
    push = gate_input_matrix(weights, "forget")[:, j]
    first = weights.layers[0]
    step1 = internals(weights, ["M:4/4"]).layers[0]
    h0 = step1.h[0]  # state after <s>; the next step reads M:4/4
    z = push + first.b[H:2 * H] + first.W_hh[H:2 * H] @ h0
    np.testing.assert_allclose(step1.f[1], 1 / (1 + np.exp(-z)), atol=1e-6)
    assert token_embeddings(weights).shape == (len(weights.vocabulary), 4 * H)
    G = embedding_gramian(weights, "cell")
    np.testing.assert_allclose(np.diag(G), 1.0)
    with pytest.raises(KeyError, match="unknown gate"):
        gate_input_matrix(weights, "update")


def test_stable_rank_and_right_vectors_against_numpy():
    weights = random_weights(hidden=8, layers=2, seed=6)
    spectra = weight_spectra(weights)
    assert [m.name for m in spectra][:2] == ["layer 1 W_x input", "layer 1 W_h input"] and spectra[-1].name == "V"
    assert len(spectra) == 2 * 4 * 2 + 1
    for m in spectra:
        W = {"V": weights.V}.get(m.name)
        if W is not None:
            assert m.stable_rank == pytest.approx(np.linalg.norm(W, "fro") ** 2 / np.linalg.norm(W, 2) ** 2)
    (first,) = top_tokens_of_right_vectors(weights, "output", directions=1, k=3)
    _, s, Vt = np.linalg.svd(gate_input_matrix(weights, "output"))
    r = Vt[0] * np.sign(Vt[0][np.argmax(np.abs(Vt[0]))])
    assert first["s"] == pytest.approx(s[0])
    assert [t for t, _ in first["largest"]] == [weights.vocabulary.tokens[j] for j in np.argsort(-r)[:3]]


def cli(*args):
    return subprocess.run([sys.executable, "-m", "folkrnn", *args], capture_output=True, text=True, timeout=120)


def test_cli_internals_and_lens_json():
    tokens = "M:4/4 K:Cmaj |: c 2 G E"
    result = cli("internals", "--tokens", tokens, "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["steps"] == 8 and [layer["layer"] for layer in payload["layers"]] == [1, 2, 3]
    weights = load_model()
    inside = internals(weights, tokens.split())
    np.testing.assert_allclose(payload["layers"][1]["f"], inside.layers[1].f)
    assert np.array(payload["layers"][2]["h"]).shape == (8, 512)
    result = cli("lens", "--tokens", tokens, "--json", "--top", "2")
    assert result.returncode == 0, result.stderr
    lens = json.loads(result.stdout)["layers"]
    assert lens[2]["kl_to_output"] == [0.0] * 8 and len(lens[0]["top"][3]) == 2
    expected = logit_lens(weights, inside)
    np.testing.assert_allclose(lens[0]["entropy"], expected.entropy[0])
    bad = cli("lens", "--tokens", "M:4/4 Q")
    assert bad.returncode == 2 and "'Q'" in bad.stderr and "Traceback" not in bad.stderr
