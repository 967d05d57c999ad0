"""Sampling: tunes follow the network's distribution, are reproducible from a seed and are capped."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from folkrnn.compose.sampling import SamplingSettings, chunk_seed, draw, sample_in_chunks, sample_tunes
from folkrnn.network.model import FolkRNN
from folkrnn.vocab import START
from tests.factories import random_weights

WEIGHTS = random_weights(hidden=16, seed=2)
NET = FolkRNN.from_weights(WEIGHTS)


def test_bf16_sampling_is_reproducible_and_unknown_precision_is_refused():
    settings = SamplingSettings(n=3, seed=3, max_length=30)
    a = sample_tunes(WEIGHTS, settings, precision="bfloat16")
    assert [t.tokens for t in a] == [t.tokens for t in sample_tunes(WEIGHTS, settings, precision="bfloat16")]
    with pytest.raises(ValueError, match="precision"):
        sample_tunes(WEIGHTS, precision="float16")


def test_sampling_is_reproducible_and_respects_prefix_and_cap():
    settings = SamplingSettings(n=4, prefix=["M:6/8", "K:Cmaj"], seed=3, max_length=30)
    a = sample_tunes(WEIGHTS, settings)
    b = sample_tunes(WEIGHTS, settings)
    assert [t.tokens for t in a] == [t.tokens for t in b]
    for tune in a:
        assert tune.tokens[:2] == ["M:6/8", "K:Cmaj"]
        assert len(tune.tokens) <= 30
        assert "</s>" not in tune.tokens  # the end mark is the `ended` flag, not a token
    c = sample_tunes(WEIGHTS, replace(settings, seed=4))
    assert [t.tokens for t in a] != [t.tokens for t in c]


@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_first_sampled_token_follows_the_torch_network(temperature):
    """The token after a prefix, over many tunes, against softmax(logits / T) of FolkRNN.forward."""
    prefix, rows = ["M:6/8", "K:Cmaj"], 20_000
    tunes = sample_tunes(WEIGHTS, SamplingSettings(rows, prefix, temperature, seed=0, max_length=3))
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
        SamplingSettings(temperature=0)


def test_settings_are_normalised_so_that_equal_settings_are_one_key():
    a = SamplingSettings(np.int64(3), ["M:6/8"], np.float32(0.5), np.int64(7), np.int32(40))
    b = SamplingSettings(3, ("M:6/8",), 0.5, 7, 40)
    assert a == b and hash(a) == hash(b)
    assert [type(getattr(a, f)) for f in ("n", "prefix", "temperature", "seed", "max_length")] == [
        int, tuple, float, int, int]
    assert SamplingSettings(seed=None).seed is None


def test_chunks_cover_the_tunes_each_with_its_own_seed():
    settings = SamplingSettings(23, ["M:3/4"], 0.8, seed=5, max_length=30)
    parts = settings.in_chunks(10)
    assert [p.n for p in parts] == [10, 10, 3]
    assert [p.seed for p in parts] == [chunk_seed(5, c) for c in range(3)]
    assert {(p.prefix, p.temperature, p.max_length) for p in parts} == {(("M:3/4",), 0.8, 30)}
    assert [p.seed for p in SamplingSettings(12).in_chunks(10)] == [None, None]
    # chunked sampling is each chunk's own batch, one after another
    chunked = sample_in_chunks(WEIGHTS, replace(settings, n=7, max_length=12), chunk=3)
    direct = [t for c, n in enumerate((3, 3, 1))
              for t in sample_tunes(WEIGHTS, SamplingSettings(n, ["M:3/4"], 0.8, chunk_seed(5, c), 12))]
    assert [t.tokens for t in chunked] == [t.tokens for t in direct]
