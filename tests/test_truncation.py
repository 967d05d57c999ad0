"""folkrnn.analysis.truncation: V with fewer singular directions, checked against direct computation."""

import numpy as np
import pytest

from folkrnn.analysis.svd import softmax_svd
from folkrnn.analysis.truncation import (
    Truncation,
    describe,
    keep_mask,
    nll_curve,
    removal_curve,
    targets_of,
    truncated_V,
    truncated_weights,
    truncation_sweep,
)
from folkrnn.compose.interventions import compose_truncated
from folkrnn.compose.sampling import SamplingSettings
from folkrnn.examples import PART5_TUNE
from folkrnn.music.transcriptions import encode_tunes
from folkrnn.network.activations import run
from folkrnn.network.evaluation import nll
from folkrnn.network.model import FolkRNN
from tests.factories import random_weights

H = 12


@pytest.fixture(scope="module")
def weights():
    return random_weights(hidden=H, seed=5)


def test_keep_mask():
    assert keep_mask(5).all()
    assert list(keep_mask(5, 2)) == [True, True, False, False, False]
    assert list(keep_mask(5, None, [1, 4])) == [False, True, True, False, True]
    with pytest.raises(ValueError):
        keep_mask(5, 6)
    with pytest.raises(ValueError):
        keep_mask(5, None, [0])


def test_a_truncation_is_one_key_and_places_itself_on_the_sweep():
    assert Truncation(np.int64(3), [4, 1, 4]) == Truncation(3, (1, 4))
    assert hash(Truncation(None, [2, 1])) == hash(Truncation(remove=(1, 2)))
    assert Truncation(3).along_k and not Truncation(3, [1]).along_k and not Truncation().along_k
    assert [Truncation(3).k_on_axis(16), Truncation(remove=[2]).k_on_axis(16)] == [3, 16]
    assert list(Truncation(None, [2]).keep(4)) == [True, False, True, True]
    assert Truncation(None, [2]).describe(4) == describe(None, [2], 4) == "all 4 directions without 2"


def test_the_sweep_holds_the_chosen_layer_once():
    sweep = [Truncation(k) for k in (1, 5, 16)]
    assert truncation_sweep([16, 1, 5], Truncation(5)) == sweep  # already a point of the sweep
    assert truncation_sweep([16, 1, 5], Truncation(2)) == [*sweep, Truncation(2)]
    assert truncation_sweep([16], Truncation(remove=[3, 1])) == [Truncation(16), Truncation(None, (1, 3))]
    # every direction kept without a k is its own layer, though it composes like the top 16
    assert truncation_sweep([16], Truncation()) == [Truncation(16), Truncation()]
    assert truncation_sweep([], Truncation(remove=[1])) == [Truncation(remove=[1])]


def test_all_directions_reproduce_the_model(weights):
    full = truncated_weights(weights)
    np.testing.assert_allclose(full.V, weights.V, atol=1e-5)
    assert np.array_equal(full.v, weights.v) and full.layers is weights.layers
    assert not full.V.flags.writeable
    seqs = encode_tunes([PART5_TUNE], weights.vocabulary)
    a = nll(FolkRNN.from_weights(weights), seqs).per_token
    b = nll(FolkRNN.from_weights(full), seqs).per_token
    assert b == pytest.approx(a, abs=1e-5)


def test_top_one_is_rank_one_and_the_input_is_untouched(weights):
    before = weights.V.copy()
    one = truncated_weights(weights, k=1)
    assert np.linalg.matrix_rank(one.V.astype(np.float64), tol=1e-4) == 1
    svd = softmax_svd(weights)
    np.testing.assert_allclose(one.V, svd.s[0] * np.outer(svd.u(1), svd.w(1)), atol=1e-5)
    assert np.array_equal(weights.V, before)
    assert "top 1 of 12" in one.name and one.content_hash != weights.content_hash
    assert one.lstm_hash == weights.lstm_hash  # the same LSTM stack: composing shares its session


def test_removing_directions_subtracts_their_rank_one_terms(weights):
    svd = softmax_svd(weights)
    V = weights.V.astype(np.float64)
    direct = V - svd.s[0] * np.outer(svd.u(1), svd.w(1)) - svd.s[2] * np.outer(svd.u(3), svd.w(3))
    np.testing.assert_allclose(truncated_V(svd, remove=[1, 3]), direct, atol=1e-5)
    new = np.linalg.svd(truncated_weights(weights, remove=[1, 3]).V.astype(np.float64), compute_uv=False)
    np.testing.assert_allclose(np.sort(new)[::-1][: H - 2], np.delete(svd.s, [0, 2]), atol=1e-4)


def test_nll_curve_from_one_run_equals_truncated_networks(weights):
    svd = softmax_svd(weights)
    net = FolkRNN.from_weights(weights)
    hidden = run(net, weights.vocabulary, list(PART5_TUNE)).hidden
    targets = targets_of(weights.vocabulary, PART5_TUNE)
    curve = nll_curve(hidden, svd, targets)
    assert curve.shape == (H,)
    seqs = encode_tunes([PART5_TUNE], weights.vocabulary)
    for k in (1, 4, H):
        direct = nll(FolkRNN.from_weights(truncated_weights(weights, k)), seqs).per_token
        assert curve[k - 1] == pytest.approx(direct, abs=1e-4)
    removed = removal_curve(hidden, svd, targets, [2, 3])
    for i, value in zip([2, 3], removed):
        direct = nll(FolkRNN.from_weights(truncated_weights(weights, remove=[i])), seqs).per_token
        assert value == pytest.approx(direct, abs=1e-4)


def test_compose_truncated_is_seeded(weights):
    settings = SamplingSettings(n=3, prefix=["M:3/4"], seed=2, max_length=10)
    a = compose_truncated(weights, Truncation(3), settings)
    b = compose_truncated(weights, Truncation(3), settings)
    assert [t.tokens for t in a] == [t.tokens for t in b] and len(a) == 3
    assert all(t.tokens[0] == "M:3/4" for t in a)
