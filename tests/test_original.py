"""Loading folk-rnn's original metadata pickles, written here byte for byte as Python 2.7 wrote them."""

import numpy as np
import pytest

from folkrnn import errors
from folkrnn.analysis.perturbation import perturbed_distribution
from folkrnn.analysis.svd import softmax_svd
from folkrnn.io.loading import load_bytes, load_model
from folkrnn.io.original import load_original, weights_from_metadata
from folkrnn.network.activations import run
from folkrnn.network.model import FolkRNN
from folkrnn.vocab import folkrnn_v2_vocabulary
from tests.hostile_files import hostile_model_files
from tests.lasagne_reference import next_token_probabilities
from tests.py2pickle import folkrnn_metadata, folkrnn_pickle

TOKENS = folkrnn_v2_vocabulary().tokens
TUNE = "M:6/8 K:Cmaj |: G E C E 2 G | c 3 B A G | A > B c d 2 e :| (3 c d e f g a b c' 2 z </s>".split()
PLANTED = np.geomspace(500.0, 0.5, 24)


@pytest.fixture(scope="module")
def metadata():
    return folkrnn_metadata(TOKENS, hidden=24, rng=4, singular_values=PLANTED)


@pytest.fixture(scope="module")
def weights(metadata):
    return load_original(folkrnn_pickle(TOKENS, hidden=24, rng=4, singular_values=PLANTED))


def test_metadata_is_read(weights):
    assert weights.vocabulary.tokens == tuple(TOKENS)
    assert (weights.num_layers, weights.hidden_size) == (3, 24)
    assert weights.metadata["experiment_id"] == "config5-wrepeats-20160112-222521"
    assert weights.metadata["losses_eval_valid"] == pytest.approx([1.21, 0.93])
    assert weights.metadata["learning_rate"] == pytest.approx(0.0013)


def test_probabilities_match_the_lasagne_equations(metadata, weights):
    indices = weights.vocabulary.encode(["<s>", *TUNE[:-1]])
    expected = next_token_probabilities(metadata["param_values"], indices)
    acts = run(FolkRNN.from_weights(weights), weights.vocabulary, TUNE[:-1])
    assert acts.probabilities.shape == expected.shape
    assert np.max(np.abs(acts.probabilities - expected)) <= 1e-5


def test_v2_sized_model_matches_the_lasagne_equations():
    meta = folkrnn_metadata(TOKENS, hidden=512, rng=9)
    # weights on the scale of a trained v2 (gate pre-activations of order 1, not saturated)
    meta["param_values"] = [meta["param_values"][0]] + [0.15 * a for a in meta["param_values"][1:]]
    from tests.py2pickle import dumps_py2

    loaded = load_original(dumps_py2(meta))
    assert loaded.parameter_count == 5_599_881  # folk-rnn v2's published count
    tune = TUNE[:12]
    expected = next_token_probabilities(meta["param_values"], loaded.vocabulary.encode(["<s>", *tune]))
    got = run(FolkRNN.from_weights(loaded), loaded.vocabulary, tune).probabilities
    assert np.max(np.abs(got - expected)) <= 1e-5


def test_non_identity_embedding_is_folded_into_the_first_layer():
    meta = folkrnn_metadata(TOKENS, hidden=8, rng=2)
    rng = np.random.default_rng(0)
    meta["param_values"][0] = rng.permutation(np.eye(len(TOKENS), dtype=np.float32))
    from tests.py2pickle import dumps_py2

    loaded = load_original(dumps_py2(meta))
    indices = loaded.vocabulary.encode(["<s>", *TUNE[:6]])
    expected = next_token_probabilities(meta["param_values"], indices)
    got = run(FolkRNN.from_weights(loaded), loaded.vocabulary, TUNE[:6]).probabilities
    assert np.max(np.abs(got - expected)) <= 1e-5


def test_singular_values_are_the_planted_ones(weights):
    np.testing.assert_allclose(softmax_svd(weights).s, PLANTED, rtol=1e-4)


def test_sign_convention_and_perturbation_on_a_loaded_model(metadata, weights):
    svd = softmax_svd(weights)
    V = np.asarray(metadata["param_values"][-2], dtype=np.float64).T
    v = np.asarray(metadata["param_values"][-1], dtype=np.float64)
    for i in (1, 2, 24):
        u = svd.u(i)
        assert u[np.argmax(np.abs(u))] > 0
        z = v - 1.0 * (V @ svd.w(i))  # direct: V w_i = s_i u_i
        p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        np.testing.assert_allclose(perturbed_distribution(svd, {i: -1.0}), p, atol=1e-6)


def test_other_vocabularies_and_layer_counts_load():
    tokens = ["<s>", "</s>", "M:4/4", "K:Cmaj", "c", "d", "|", "2", "A", "B", "z"]
    loaded = load_original(folkrnn_pickle(tokens, hidden=8, layers=2, rng=1))
    assert (len(loaded.vocabulary), loaded.num_layers, loaded.hidden_size) == (11, 2, 8)


def test_token2idx_orders_the_vocabulary_and_must_count_from_zero():
    tokens = ["<s>", "</s>", "M:4/4", "K:Cmaj", "c"]
    meta = folkrnn_metadata(tokens, hidden=4, layers=1, rng=0)
    meta["token2idx"] = dict(reversed(meta["token2idx"].items()))  # the dict's order is not the index order
    assert weights_from_metadata(meta).vocabulary.tokens == tuple(tokens)
    meta["token2idx"]["c"] = 7
    with pytest.raises(errors.ModelFileError, match=r"indices are not exactly 0\.\.n-1"):
        weights_from_metadata(meta)


def test_convert_to_checkpoint_round_trips(tmp_path, weights):
    from folkrnn.io.checkpoint import save_checkpoint

    path = save_checkpoint(weights, tmp_path / "v2.safetensors")
    again = load_model(path)
    assert again.content_hash == weights.content_hash
    assert again.metadata["experiment_id"] == weights.metadata["experiment_id"]


def test_hostile_and_malformed_files_are_refused_and_run_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "PWNED"
    corpus = hostile_model_files(tmp_path, marker)
    assert len(corpus) >= 24
    for name, data, expected in corpus:
        with pytest.raises(errors.ModelFileError) as caught:
            load_bytes(data)
        assert type(caught.value).__name__ == expected, f"{name}: {caught.value!r}"
        assert str(caught.value) and "\n" not in str(caught.value), name  # the CLI's and the app's one line
        assert not marker.exists(), f"{name} ran its payload"


def test_refusal_names_the_global():
    from tests.hostile_files import call, dumps

    with pytest.raises(errors.RefusedPickleError, match=r"posix.system|os.system"):
        load_bytes(dumps(call("os", "system", "true"), 2))
