"""Sampling: tunes follow the network's distribution, are reproducible from a seed and are capped."""

import numpy as np
import pytest
import torch

from folkrnn.compose.sampling import draw, sample_tunes
from folkrnn.network.model import FolkRNN
from folkrnn.vocab import START
from tests.factories import random_weights

WEIGHTS = random_weights(hidden=16, seed=2)
NET = FolkRNN.from_weights(WEIGHTS)


def test_bf16_sampling_is_reproducible_and_unknown_precision_is_refused():
    a = sample_tunes(WEIGHTS, n=3, seed=3, max_length=30, precision="bfloat16")
    assert [t.tokens for t in a] == [t.tokens for t in sample_tunes(WEIGHTS, n=3, seed=3, max_length=30,
                                                                     precision="bfloat16")]
    with pytest.raises(ValueError, match="precision"):
        sample_tunes(WEIGHTS, precision="float16")


def test_sampling_is_reproducible_and_respects_prefix_and_cap():
    a = sample_tunes(WEIGHTS, n=4, prefix=["M:6/8", "K:Cmaj"], seed=3, max_length=30)
    b = sample_tunes(WEIGHTS, n=4, prefix=["M:6/8", "K:Cmaj"], seed=3, max_length=30)
    assert [t.tokens for t in a] == [t.tokens for t in b]
    for tune in a:
        assert tune.tokens[:2] == ["M:6/8", "K:Cmaj"]
        assert len(tune.tokens) <= 30
        assert "</s>" not in tune.tokens  # the end mark is the `ended` flag, not a token
    c = sample_tunes(WEIGHTS, n=4, prefix=["M:6/8", "K:Cmaj"], seed=4, max_length=30)
    assert [t.tokens for t in a] != [t.tokens for t in c]


@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_first_sampled_token_follows_the_torch_network(temperature):
    """The token after a prefix, over many tunes, against softmax(logits / T) of FolkRNN.forward."""
    prefix, rows = ["M:6/8", "K:Cmaj"], 20_000
    tunes = sample_tunes(WEIGHTS, n=rows, prefix=prefix, temperature=temperature, seed=0, max_length=3)
    vocab = WEIGHTS.vocabulary
    observed = np.bincount([vocab.index[t.tokens[2]] if len(t.tokens) > 2 else vocab.index["</s>"] for t in tunes],
                           minlength=len(vocab)) / rows
    with torch.no_grad():
        logits = NET(torch.tensor([vocab.encode([START, *prefix])])).logits[0, -1]
    p = torch.softmax(logits.double() / temperature, dim=0).numpy()
    assert (np.abs(observed - p) <= 4 * np.sqrt(p * (1 - p) / rows) + 1e-9).all()


@pytest.mark.parametrize("temperature", [1.0, 0.5, 2.0])
def test_draw_follows_softmax_at_temperature(temperature):
    logits = np.array([2.0, 0.5, -1.0, 0.0, 3.0, -4.0], dtype=np.float32)
    rows = 40_000
    tokens = draw(np.tile(logits, (rows, 1)), temperature, np.random.default_rng(0))
    observed = np.bincount(tokens, minlength=6) / rows
    p = np.exp(logits / temperature) / np.exp(logits / temperature).sum()
    assert (np.abs(observed - p) <= 4 * np.sqrt(p * (1 - p) / rows) + 1e-9).all(), (observed, p)


def test_temperature_must_be_positive():
    with pytest.raises(ValueError, match="temperature"):
        sample_tunes(WEIGHTS, temperature=0)
