import numpy as np
import pytest
import torch

from folkrnn.analysis.directions import logit_contributions, logits, projections, step_tokens
from folkrnn.analysis.svd import softmax_svd
from folkrnn.network.activations import run
from folkrnn.network.model import FolkRNN
from tests.factories import random_weights

TUNE = "M:4/4 K:Cmaj |: c 2 G E C D E F | G A B c d 2 c 2 :|".split()


@pytest.fixture(scope="module")
def model():
    weights = random_weights(hidden=16, seed=7)
    return weights, softmax_svd(weights), FolkRNN.from_weights(weights)


def test_activations_have_one_step_per_input(model):
    weights, _, net = model
    acts = run(net, weights.vocabulary, TUNE, all_layers=True)
    assert acts.hidden.shape == (len(TUNE) + 1, 16)
    assert acts.probabilities.shape == (len(TUNE) + 1, 137)
    assert len(acts.layers) == 3 and np.array_equal(acts.layers[-1], acts.hidden)
    assert np.all(np.abs(acts.hidden) <= 1)
    np.testing.assert_allclose(acts.probabilities.sum(axis=1), 1, atol=1e-9)


def test_projections_equal_dot_products(model):
    weights, svd, net = model
    h = run(net, weights.vocabulary, TUNE).hidden
    for t in (0, 5, len(TUNE)):
        for i in (1, 2, 16):
            assert projections(h, svd)[t, i - 1] == pytest.approx(float(h[t] @ svd.w(i)), abs=1e-12)


def test_logit_decomposition_sums_to_the_network_logit(model):
    weights, svd, net = model
    acts = run(net, weights.vocabulary, TUNE)
    for token in (0, 39, 59, 136):
        parts = logit_contributions(acts.hidden, svd, token)
        assert parts.shape == (len(TUNE) + 1, 16)
        np.testing.assert_allclose(parts.sum(axis=1) + svd.v[token], acts.logits[:, token], atol=1e-4)
    np.testing.assert_allclose(logits(acts.hidden, svd), acts.logits, atol=1e-4)


def test_unknown_tokens_are_listed(model):
    weights, _, net = model
    with pytest.raises(ValueError, match="'Q'"):
        run(net, weights.vocabulary, ["M:4/4", "Q"])


def test_network_starts_from_the_trained_initial_state(model):
    weights, _, net = model
    state = net.initial_state(2)
    np.testing.assert_allclose(state[0][0][0, 1].detach().numpy(), weights.layers[0].h0)
    np.testing.assert_allclose(state[2][1][0, 0].detach().numpy(), weights.layers[2].c0)
    with torch.no_grad():
        zero_start = net(torch.tensor([[80]]), [(torch.zeros(1, 1, 16), torch.zeros(1, 1, 16))] * 3)
    assert not torch.allclose(zero_start.logits, net(torch.tensor([[80]])).logits)


def test_step_tokens_are_what_h_t_has_read_and_predicts():
    tokens = ["M:4/4", "K:Cmaj", "c"]
    assert [step_tokens(tokens, t) for t in range(4)] == [
        ("<s>", "M:4/4"), ("M:4/4", "K:Cmaj"), ("K:Cmaj", "c"), ("c", "</s>")]
    for step in (-1, 4):
        with pytest.raises(ValueError, match="step"):
            step_tokens(tokens, step)
